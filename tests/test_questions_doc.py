"""docs/questions.md is generated from copier.yml and must not drift from it."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import render_questions_doc as doc  # noqa: E402

NEW_GROUP = """
# ----------------------------------------------------------------------------------------
# Extra group for the test
# ----------------------------------------------------------------------------------------
drift_probe:
  type: bool
  help: A question that only this test adds.
  default: false

drift_derived:
  type: str
  when: false
  default: "{{ drift_probe }}-derived"
"""


@pytest.fixture
def copy_of_template(tmp_path: Path) -> tuple[Path, Path]:
    """copier.yml copied into ``tmp_path``, with an up-to-date questions.md beside it."""
    copier_yml = tmp_path / "copier.yml"
    shutil.copyfile(ROOT / "copier.yml", copier_yml)
    output = tmp_path / "docs" / "questions.md"
    doc.write(copier_yml, output)
    return copier_yml, output


def test_questions_doc_matches_copier_yml() -> None:
    problem = doc.check(doc.COPIER_YML, doc.OUTPUT)
    assert problem is None, problem


def test_check_reports_drift_when_copier_yml_changes(copy_of_template: tuple[Path, Path]) -> None:
    copier_yml, output = copy_of_template
    assert doc.check(copier_yml, output) is None

    copier_yml.write_text(copier_yml.read_text(encoding="utf-8") + NEW_GROUP, encoding="utf-8")

    problem = doc.check(copier_yml, output)
    assert problem is not None
    assert "is out of date; run `uv run python scripts/render_questions_doc.py`" in problem
    assert doc.render(copier_yml) != output.read_text(encoding="utf-8")


def test_check_command_exits_1_with_the_fix(
    copy_of_template: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    copier_yml, output = copy_of_template
    args = ["--copier-yml", str(copier_yml), "--output", str(output)]
    assert doc.main([*args, "--check"]) == 0

    output.write_text(output.read_text(encoding="utf-8") + "A hand edit.\n", encoding="utf-8")

    assert doc.main([*args, "--check"]) == 1
    assert "run `uv run python scripts/render_questions_doc.py`" in capsys.readouterr().err
    assert doc.main(args) == 0
    assert doc.main([*args, "--check"]) == 0


def test_banner_groups_questions_and_when_false_goes_to_derived_values(tmp_path: Path) -> None:
    copier_yml = tmp_path / "copier.yml"
    copier_yml.write_text(
        (ROOT / "copier.yml").read_text(encoding="utf-8") + NEW_GROUP, encoding="utf-8"
    )

    text = doc.render(copier_yml)

    group = text.index("## Extra group for the test")
    derived = text.index("## Derived values")
    assert group < text.index("### `drift_probe`") < derived
    assert "### `drift_derived`" not in text
    assert "| `drift_derived` | `str` | `{{ drift_probe }}-derived` |" in text[derived:]
    assert not any(f"### `{key}`" in text for key in ("_subdirectory", "_skip_if_exists"))


def test_rendering_is_deterministic() -> None:
    assert doc.render(doc.COPIER_YML) == doc.render(doc.COPIER_YML)

"""Migrations: answers files from older releases keep working after a question is renamed."""

from __future__ import annotations

import sys
from pathlib import Path

import copier
import pytest
import yaml
from copier.errors import UnsafeTemplateError

from .helpers import TEMPLATE_ROOT, git_commit, git_init, run, template_clone

sys.path.insert(0, str(TEMPLATE_ROOT / "hooks"))

import migrate_answers

pytestmark = pytest.mark.update

ANSWERS = """# Changes here will be overwritten by Copier; NEVER EDIT MANUALLY
_commit: 1.0.0
_src_path: https://git.example.org/templates/ai-service.git
project_name: Churn
alert_team: payments-ml
fallback: rules
compliance:
- gdpr
- soc2
"""
MIGRATION = """_migrations:
  - version: "1.1.0"
    when: "{{ _stage == 'before' }}"
    command:
      - "{{ _copier_python }}"
      - "{{ _copier_conf.src_path }}/hooks/migrate_answers.py"
      - "{{ _copier_conf.answers_file }}"
      - --rename
      - alert_team=alert_owner
"""


def _answers(path: Path) -> dict[str, object]:
    loaded: dict[str, object] = yaml.safe_load(path.read_text())
    return loaded


def test_a_rename_keeps_the_value_the_place_and_the_header(tmp_path: Path) -> None:
    path = tmp_path / ".copier-answers.yml"
    path.write_text(ANSWERS)

    assert migrate_answers.main([str(path), "--rename", "alert_team=alert_owner"]) == 0

    text = path.read_text()
    assert text.startswith("# Changes here will be overwritten by Copier")
    assert list(_answers(path)) == [
        "_commit",
        "_src_path",
        "project_name",
        "alert_owner",
        "fallback",
        "compliance",
    ]
    assert _answers(path)["alert_owner"] == "payments-ml"


def test_removals_and_renamed_choices_in_single_and_multiple_answers(tmp_path: Path) -> None:
    path = tmp_path / ".copier-answers.yml"
    path.write_text(ANSWERS)
    instructions = [
        *("--remove", "project_name"),
        *("--rename-choice", "fallback:rules=rules_baseline"),
        *("--rename-choice", "compliance:soc2=soc2_type2"),
    ]

    assert migrate_answers.main([str(path), *instructions]) == 0

    answers = _answers(path)
    assert "project_name" not in answers
    assert answers["fallback"] == "rules_baseline"
    assert answers["compliance"] == ["gdpr", "soc2_type2"]


def test_running_a_migration_twice_changes_nothing_the_second_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / ".copier-answers.yml"
    path.write_text(ANSWERS)
    instructions = [str(path), "--rename", "alert_team=alert_owner", "--remove", "fallback"]
    migrate_answers.main(instructions)
    once = path.read_text()
    capsys.readouterr()

    assert migrate_answers.main(instructions) == 0
    assert path.read_text() == once
    assert capsys.readouterr().out == ""


def test_an_answer_under_both_names_keeps_the_new_one(tmp_path: Path) -> None:
    path = tmp_path / ".copier-answers.yml"
    path.write_text(ANSWERS + "alert_owner: search-ml\n")

    assert migrate_answers.main([str(path), "--rename", "alert_team=alert_owner"]) == 0
    assert _answers(path)["alert_owner"] == "search-ml"
    assert "alert_team" not in _answers(path)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--rename", "alert_team"], "'alert_team' is not of the form old_name=new_name"),
        (["--rename-choice", "fallback=rules"], "not of the form question:old_value=new_value"),
    ],
)
def test_a_malformed_instruction_is_refused_and_the_file_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    path = tmp_path / ".copier-answers.yml"
    path.write_text(ANSWERS)

    assert migrate_answers.main([str(path), *arguments]) == 1
    assert message in capsys.readouterr().err
    assert path.read_text() == ANSWERS


def test_a_missing_answers_file_says_where_to_run_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert migrate_answers.main([str(tmp_path / ".copier-answers.yml")]) == 1
    assert "run the update from the project's root" in capsys.readouterr().err


def _release_renaming_alert_team(template: Path) -> None:
    """Release 1.1.0 of ``template``: `alert_team` becomes `alert_owner`, with its migration."""
    for path in [template / "copier.yml", *(template / "template").rglob("*.jinja")]:
        text = path.read_text()
        if "alert_team" in text:
            path.write_text(text.replace("alert_team", "alert_owner"))
    config = template / "copier.yml"
    config.write_text(config.read_text().replace("_migrations: []\n", MIGRATION))
    git_commit(template, "Rename alert_team to alert_owner")
    run(["git", "tag", "1.1.0"], template)


def test_an_update_across_a_renamed_question_keeps_the_answer(tmp_path: Path) -> None:
    template = template_clone(tmp_path / "template", tag="1.0.0")
    project = tmp_path / "project"
    copier.run_copy(
        str(template), project, data={"alert_team": "payments-ml"}, defaults=True, quiet=True
    )
    git_init(project)
    _release_renaming_alert_team(template)

    with pytest.raises(UnsafeTemplateError, match="migrations"):
        copier.run_update(project, defaults=True, overwrite=True, quiet=True)
    copier.run_update(project, defaults=True, overwrite=True, quiet=True, unsafe=True)

    answers = _answers(project / ".copier-answers.yml")
    assert answers["_commit"] == "1.1.0"
    assert answers["alert_owner"] == "payments-ml"
    assert "alert_team" not in answers
    rules = (project / "ops" / "prometheus" / "alert_rules.yml").read_text()
    assert 'team: "payments-ml"' in rules
    assert "ml-platform" not in rules


def test_a_new_project_from_a_release_with_migrations_needs_no_trust(tmp_path: Path) -> None:
    template = template_clone(tmp_path / "template", tag="1.0.0")
    _release_renaming_alert_team(template)

    project = copier.run_copy(str(template), tmp_path / "project", defaults=True, quiet=True)

    assert _answers(Path(project.dst_path) / ".copier-answers.yml")["_commit"] == "1.1.0"

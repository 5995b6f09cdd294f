"""Adopting existing projects: a prototype (scripts/adopt.py) and a cruft project
(scripts/cruft_to_copier.py) come under the template without losing a file, and
`copier update` works on them from then on."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import copier
import pytest
import yaml

from .helpers import TEMPLATE_ROOT, assert_no_conflicts, git_commit, git_init, run, template_clone

sys.path.insert(0, str(TEMPLATE_ROOT / "scripts"))

from cruft_to_copier import convert_value, map_context

pytestmark = pytest.mark.update

ADOPT = TEMPLATE_ROOT / "scripts" / "adopt.py"
CRUFT_TO_COPIER = TEMPLATE_ROOT / "scripts" / "cruft_to_copier.py"
CRUFT = Path(sys.executable).parent / "cruft"

PROTOTYPE = {
    "README.md": "# Churn demo\n\nRun `python app.py` and open http://localhost:5000.\n",
    "requirements.txt": "flask==3.0.0\nscikit-learn==1.5.0\n",
    "app.py": "from flask import Flask\n\napp = Flask(__name__)\n",
    "notebooks/explore.ipynb": '{"cells": [], "metadata": {}, "nbformat": 4}\n',
    "pyproject.toml": '[project]\nname = "churn-demo"\nversion = "0.0.1"\n',
    "src/my_ai_service/model.py": "def predict(row):\n    return 'stays'\n",
    "tests/test_app.py": "def test_nothing():\n    assert True\n",
}
TEMPLATE_MAKE_TARGET = "name: ## Print the distribution name\n\t@echo {{ project_slug }}\n"

COOKIECUTTER_JSON = {
    "project_name": "Churn Demo",
    "project_slug": "{{ cookiecutter.project_name.lower().replace(' ', '-') }}",
    "module_name": "{{ cookiecutter.project_slug.replace('-', '_') }}",
    "author": "Data Science Team",
    "email": "data-science@example.org",
    "open_source_license": [
        "Apache Software License 2.0",
        "MIT license",
        "BSD license",
        "GNU General Public License v3",
    ],
    "python_version": "3.12",
    "use_docker": "y",
}

#: Cookiecutter answers the template refuses: a slug with capitals, a license it does not offer.
REFUSED_ANSWERS = {
    "project_slug": "Churn_Demo",
    "module_name": "churn_demo",
    "open_source_license": "GNU General Public License v3",
}


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def _script(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *map(str, args)], cwd=cwd, capture_output=True, text=True, check=False
    )


def _release(template: Path, tag: str, path: str, old: str | None, new: str) -> None:
    """A new release of the template clone: ``new`` replaces ``old`` (or is appended) in
    ``path``, committed and tagged ``tag``."""
    target = template / path
    text = target.read_text()
    target.write_text(text.replace(old, new) if old else text + "\n" + new)
    git_commit(template, f"Release {tag}")
    run(["git", "tag", tag], template)


def _update(project: Path, skip: Sequence[str] = ()) -> dict[str, object]:
    copier.run_update(
        project, defaults=True, overwrite=True, quiet=True, unsafe=False, skip_if_exists=skip
    )
    assert_no_conflicts(project)
    answers: dict[str, object] = yaml.safe_load((project / ".copier-answers.yml").read_text())
    return answers


def _section(output: str, title: str) -> list[str]:
    """The names listed under the report's section whose heading starts with ``title``."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    names = []
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        names.append(line.strip())
    return names


def test_adopt_a_prototype_keeps_every_file_and_updates(tmp_path: Path) -> None:
    template = template_clone(tmp_path / "template", tag="1.0.0")
    project = tmp_path / "churn-demo"
    _write(project, PROTOTYPE)
    git_init(project)

    adopted = _script(ADOPT, project, "--template", template, "--defaults", cwd=tmp_path)
    assert adopted.returncode == 0, adopted.stderr

    for name, text in PROTOTYPE.items():
        assert (project / name).read_text() == text, f"adoption changed the team's {name}"
    for name in ("Makefile", "Dockerfile", "src/my_ai_service/settings.py", "tests/test_api.py"):
        assert (project / name).is_file(), f"the template's {name} was not written"
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "1.0.0"
    assert answers["_src_path"] == str(template)
    kept = _section(adopted.stdout, "Your files kept instead of the template's version")
    assert sorted(kept) == ["README.md", "pyproject.toml", "src/my_ai_service/model.py"]
    written = _section(adopted.stdout, "Template files written")
    assert "Makefile" in written
    assert not set(written) & set(PROTOTYPE)
    assert "git diff" in adopted.stdout
    assert "make setup" in adopted.stdout
    assert 'make update UPDATE_ARGS="--skip README.md' in adopted.stdout
    git_commit(project, "Adopt the template")

    # A template release that touches none of the kept files arrives cleanly.
    _release(template, "1.1.0", "template/Makefile.jinja", None, TEMPLATE_MAKE_TARGET)
    assert _update(project)["_commit"] == "1.1.0"
    assert (
        "name: ## Print the distribution name\n\t@echo my-ai-service"
        in (project / "Makefile").read_text()
    )
    for name, text in PROTOTYPE.items():
        assert (project / name).read_text() == text, f"copier update changed the team's {name}"
    git_commit(project, "Update to 1.1.0")

    # A release that changes the template's README, which the team has not merged yet: with
    # --skip README.md, as the adoption report says, their README is left alone.
    _release(
        template, "1.2.0", "template/README.md.jinja", "## Quick start", "## Quick start\n\nHi.\n"
    )
    assert _update(project, skip=["README.md"])["_commit"] == "1.2.0"
    for name, text in PROTOTYPE.items():
        assert (project / name).read_text() == text, f"copier update changed the team's {name}"


def test_adopt_refuses_a_directory_outside_git(tmp_path: Path) -> None:
    project = tmp_path / "demo"
    _write(project, {"app.py": "print('hi')\n"})

    refused = _script(ADOPT, project, "--defaults", cwd=tmp_path)

    assert refused.returncode == 2
    assert "is not a git repository" in refused.stderr
    assert "git init" in refused.stderr
    assert sorted(path.name for path in project.iterdir()) == ["app.py"]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"app.py": "print('changed')\n"}, id="modified"),
        pytest.param({"scratch.py": "x = 1\n"}, id="untracked"),
    ],
)
def test_adopt_refuses_uncommitted_changes(tmp_path: Path, change: dict[str, str]) -> None:
    project = tmp_path / "demo"
    _write(project, {"app.py": "print('hi')\n"})
    git_init(project)
    _write(project, change)

    refused = _script(ADOPT, project, "--defaults", cwd=tmp_path)

    assert refused.returncode == 2
    assert "has uncommitted changes" in refused.stderr
    assert "commit or stash them first" in refused.stderr
    assert not (project / ".copier-answers.yml").exists()
    assert not (project / "Makefile").exists()


def _cookiecutter_template(root: Path) -> Path:
    _write(
        root,
        {
            "cookiecutter.json": json.dumps(COOKIECUTTER_JSON, indent=2) + "\n",
            "{{cookiecutter.project_slug}}/README.md": "# {{ cookiecutter.project_name }}\n",
            "{{cookiecutter.project_slug}}/{{cookiecutter.module_name}}/__init__.py": (
                '"""{{ cookiecutter.project_name }}."""\n'
            ),
            "{{cookiecutter.project_slug}}/requirements.txt": "pandas\n",
        },
    )
    git_init(root)
    return root


def _cruft_project(tmp_path: Path, extra_context: dict[str, str] | None = None) -> Path:
    """A project made from a small cookiecutter template by cruft, committed to git."""
    cookiecutter = _cookiecutter_template(tmp_path / "cookiecutter-churn")
    command = [str(CRUFT), "create", str(cookiecutter), "--no-input"]
    command += ["--output-dir", str(tmp_path / "projects")]
    if extra_context:
        command += ["--extra-context", json.dumps(extra_context)]
    run(command, tmp_path)
    (project,) = (tmp_path / "projects").iterdir()
    git_init(project)
    return project


def _tracked(project: Path) -> dict[str, bytes]:
    names = run(["git", "ls-files"], project).stdout.splitlines()
    return {name: (project / name).read_bytes() for name in names if name != ".cruft.json"}


def test_cruft_project_moves_to_copier(tmp_path: Path) -> None:
    project = _cruft_project(tmp_path)
    cruft = json.loads((project / ".cruft.json").read_text())
    assert cruft["context"]["cookiecutter"]["project_slug"] == "churn-demo"
    before = _tracked(project)
    template = template_clone(tmp_path / "template", tag="1.0.0")

    converted = _script(
        CRUFT_TO_COPIER, project, "--template", template, "--defaults", cwd=tmp_path
    )

    assert converted.returncode == 0, converted.stderr
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "1.0.0"
    assert answers["project_name"] == "Churn Demo"
    assert answers["project_slug"] == "churn-demo"
    assert answers["package_name"] == "churn_demo"
    assert answers["author_name"] == "Data Science Team"
    assert answers["author_email"] == "data-science@example.org"
    assert answers["license"] == "Apache-2.0"
    assert answers["python_version"] == "3.12"
    mapping = _section(converted.stdout, "Cookiecutter answers mapped")
    assert "open_source_license -> license = 'Apache-2.0' (from 'Apache Software License 2.0')" in (
        mapping
    )
    assert "module_name -> package_name = 'churn_demo'" in mapping
    unmapped = _section(converted.stdout, "Cookiecutter answers not mapped")
    assert unmapped == ["use_docker: no question of the template answers it"]
    assert not (project / ".cruft.json").exists()
    assert "Removed .cruft.json" in converted.stdout
    for name, content in before.items():
        assert (project / name).read_bytes() == content, f"the conversion changed {name}"
    assert (project / "src" / "churn_demo" / "settings.py").is_file()
    assert "README.md" in _section(converted.stdout, "Your files kept")
    git_commit(project, "Move from cruft to copier")

    _release(template, "1.1.0", "template/Makefile.jinja", None, TEMPLATE_MAKE_TARGET)
    assert _update(project)["_commit"] == "1.1.0"
    assert "@echo churn-demo" in (project / "Makefile").read_text()
    for name, content in before.items():
        assert (project / name).read_bytes() == content, f"copier update changed {name}"


def test_cruft_answers_the_template_refuses_are_not_accepted(tmp_path: Path) -> None:
    project = _cruft_project(tmp_path, REFUSED_ANSWERS)
    template = template_clone(tmp_path / "template", tag="1.0.0")

    refused = _script(CRUFT_TO_COPIER, project, "--template", template, "--defaults", cwd=tmp_path)

    assert refused.returncode == 2
    assert "project_slug, license" in refused.stderr
    assert "--data project_slug=... --data license=..." in refused.stderr
    mapping = _section(refused.stdout, "Cookiecutter answers mapped")
    slug = next(line for line in mapping if line.startswith("project_slug -> project_slug"))
    assert "[refused: Validation error for question 'project_slug'" in slug
    assert "The slug must be lowercase letters and digits" in slug
    license_line = next(line for line in mapping if line.startswith("open_source_license"))
    assert "[refused: Invalid choice for 'license'" in license_line
    assert (project / ".cruft.json").exists()
    assert not (project / ".copier-answers.yml").exists()

    # The team gives the answers the template takes; the rest of the mapping still applies.
    converted = _script(
        CRUFT_TO_COPIER,
        project,
        "--template",
        template,
        "--defaults",
        "--data",
        "project_slug=churn-demo",
        "--data",
        "license=Proprietary",
        cwd=tmp_path,
    )
    assert converted.returncode == 0, converted.stderr
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["project_slug"] == "churn-demo"
    assert answers["license"] == "Proprietary"
    assert answers["package_name"] == "churn_demo"
    assert "[replaced by your --data]" in converted.stdout


def _interactive(command: Sequence[str], timeout: float = 300) -> str:
    """Run ``command`` in a pseudo-terminal, pressing Enter (accepting the offered answer)
    whenever it waits for input, and return what it showed."""
    pid, terminal = pty.fork()
    if pid == 0:  # the child: the command, with the pseudo-terminal as its terminal
        try:
            os.execv(command[0], list(command))  # noqa: S606 - our own script, no shell
        finally:
            os._exit(127)
    shown = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if select.select([terminal], [], [], 0.3)[0]:
                chunk = os.read(terminal, 65536)
                if not chunk:
                    break
                shown += chunk
            else:
                os.write(terminal, b"\r")
    except OSError:  # the command ended and closed the terminal
        pass
    finally:
        os.close(terminal)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, shown.decode(errors="replace")[-4000:]
    return shown.decode(errors="replace")


def test_cruft_answers_the_template_refuses_are_asked_again(tmp_path: Path) -> None:
    project = _cruft_project(tmp_path, REFUSED_ANSWERS)
    template = template_clone(tmp_path / "template", tag="1.0.0")

    shown = _interactive(
        [sys.executable, str(CRUFT_TO_COPIER), str(project), "--template", str(template)]
    )

    assert "You will be asked again for: project_slug, license." in shown
    assert "Distribution and directory name" in shown, "the slug was not asked"
    assert "License of the generated code" in shown, "the license was not asked"
    assert "Python import name" not in shown, "the mapped package name was asked"
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    # Enter took what Copier offered: the slug derived from the name, the default license.
    assert answers["project_slug"] == "churn-demo"
    assert answers["license"] == "Proprietary"
    assert answers["package_name"] == "churn_demo"


@pytest.mark.parametrize(
    ("value", "choice"),
    [
        ("MIT license", "MIT"),
        ("MIT", "MIT"),
        ("BSD license", "BSD-3-Clause"),
        ("BSD 3-Clause License", "BSD-3-Clause"),
        ("New BSD License", "BSD-3-Clause"),
        ("Apache Software License 2.0", "Apache-2.0"),
        ("Apache License, Version 2.0", "Apache-2.0"),
        ("Not open source", "Proprietary"),
        ("GNU General Public License v3", "GNU General Public License v3"),
    ],
)
def test_cookiecutter_licenses_map_onto_the_choices(value: str, choice: str) -> None:
    assert convert_value("license", value) == choice


def test_mapping_prefers_the_first_key_and_reports_the_others() -> None:
    mapping = map_context(
        {
            "full_name": "Ada",
            "author": "Data Team",
            "python_version": "3.13.1",
            "features": ["a"],
            "_template": "gh:acme/cookiecutter-ml",
        }
    )
    assert mapping.mapped["author_name"] == ("author", "Data Team", "Data Team")
    assert mapping.mapped["python_version"][2] == "3.13"
    assert mapping.unmapped == {
        "full_name": "author_name is already answered by author",
        "features": "no question of the template answers it",
    }

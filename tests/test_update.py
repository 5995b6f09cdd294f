"""Tier 3: `copier update` between two releases of the template keeps the team's work."""

from __future__ import annotations

from pathlib import Path

import copier
import pytest
import yaml

from .helpers import git_commit, git_init, project_files, run, template_clone

pytestmark = pytest.mark.update

USER_MODEL_EDIT = "LogisticRegression(max_iter=1_000, C=0.5, random_state=RANDOM_STATE)"
USER_README_NOTE = "## Our on-call\n\nPage the churn team in #churn-oncall.\n"
TEMPLATE_README_NOTE = "New here? `make help` lists every task.\n"
TEMPLATE_MAKE_TARGET = "name: ## Print the distribution name\n\t@echo {{ project_slug }}\n"


def _no_conflicts(root: Path) -> None:
    for path in project_files(root):
        assert path.suffix != ".rej", f"rejected hunk left at {path}"
        text = path.read_text(encoding="utf-8")
        for marker in ("<<<<<<< ", ">>>>>>> "):
            assert marker not in text, f"conflict marker in {path.relative_to(root)}"


def test_update_brings_template_changes_and_keeps_user_edits(tmp_path: Path) -> None:
    template = template_clone(tmp_path / "template", tag="1.0.0")
    project = tmp_path / "project"
    copier.run_copy(str(template), project, defaults=True, quiet=True, unsafe=False)
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "1.0.0"
    git_init(project)

    # The team replaces the model and adds to the README, as the README tells them to.
    model = project / "src" / "my_ai_service" / "model.py"
    model.write_text(
        model.read_text().replace(
            "LogisticRegression(max_iter=1_000, random_state=RANDOM_STATE)", USER_MODEL_EDIT
        )
    )
    assert USER_MODEL_EDIT in model.read_text()
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\n" + USER_README_NOTE)
    git_commit(project, "Tune the model; document on-call")

    # The template evolves: a new make target, and a change to the demo model the team replaced.
    makefile = template / "template" / "Makefile.jinja"
    makefile.write_text(makefile.read_text() + "\n" + TEMPLATE_MAKE_TARGET)
    template_readme = template / "template" / "README.md.jinja"
    template_readme.write_text(
        template_readme.read_text().replace(
            "## Quick start", "## Quick start\n\n" + TEMPLATE_README_NOTE
        )
    )
    template_model = (
        template
        / "template"
        / "src"
        / "{{ package_name }}"
        / "{% if task == 'classification' %}model.py{% endif %}"
    )
    template_model.write_text(
        template_model.read_text().replace("max_iter=1_000", "max_iter=2_000")
    )
    git_commit(template, "Add make version")
    run(["git", "tag", "1.1.0"], template)

    copier.run_update(project, defaults=True, overwrite=True, quiet=True, unsafe=False)

    _no_conflicts(project)
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"] == "1.1.0"
    assert (
        "name: ## Print the distribution name\n\t@echo my-ai-service"
        in (project / "Makefile").read_text()
    )
    assert USER_MODEL_EDIT in model.read_text(), "the team's model was overwritten"
    assert USER_README_NOTE in readme.read_text(), "the team's README section was lost"
    assert TEMPLATE_README_NOTE in readme.read_text(), "the template's README change is missing"

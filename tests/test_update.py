"""Tier 3: `copier update` between two releases of the template keeps the team's work."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import copier
import pytest
import yaml

from .helpers import (
    assert_no_conflicts,
    build_env,
    git_commit,
    git_init,
    project_env,
    release,
    run,
    template_clone,
    template_history,
)

pytestmark = pytest.mark.update

USER_MODEL_EDIT = "LogisticRegression(max_iter=1_000, C=0.5, random_state=RANDOM_STATE)"
USER_README_NOTE = "## Our on-call\n\nPage the churn team in #churn-oncall.\n"
TEMPLATE_README_NOTE = "New here? `make help` lists every task.\n"
TEMPLATE_MAKE_TARGET = "name: ## Print the distribution name\n\t@echo {{ project_slug }}\n"


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

    assert_no_conflicts(project)
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"] == "1.1.0"
    assert (
        "name: ## Print the distribution name\n\t@echo my-ai-service"
        in (project / "Makefile").read_text()
    )
    assert USER_MODEL_EDIT in model.read_text(), "the team's model was overwritten"
    assert USER_README_NOTE in readme.read_text(), "the team's README section was lost"
    assert TEMPLATE_README_NOTE in readme.read_text(), "the template's README change is missing"


#: A team's first weeks on a project: their schema, a route of their own, a dependency pinned.
USER_PAYMENT_METHODS = 'Literal["card", "bank_transfer", "invoice", "direct_debit"]'
USER_DEPENDENCY = '"scikit-learn>=1.6,<2",'
FEEDBACK_ROUTE = '''"""Feedback on a prediction, from the people who acted on it."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from .auth import require_api_key

feedback = APIRouter(prefix="/v1", tags=["feedback"], dependencies=[Depends(require_api_key)])


class Feedback(BaseModel):
    """Whether the prediction of one request turned out right."""

    model_config = ConfigDict(extra="forbid")

    request_id: str = Field(min_length=1, max_length=128)
    correct: bool


@feedback.post("/feedback", status_code=202)
async def give_feedback(body: Feedback) -> dict[str, str]:
    return {"request_id": body.request_id, "status": "accepted"}
'''
FEEDBACK_TEST = '''"""Our feedback route."""

import httpx


def test_feedback_is_accepted(client: httpx.Client) -> None:
    response = client.post("/v1/feedback", json={"request_id": "abc", "correct": True})

    assert response.status_code == 202
    assert response.json() == {"request_id": "abc", "status": "accepted"}


def test_feedback_without_a_verdict_is_refused(client: httpx.Client) -> None:
    assert client.post("/v1/feedback", json={"request_id": "abc"}).status_code == 422
'''


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path.name} no longer has {old!r}: update the test's user edit"
    path.write_text(text.replace(old, new, 1))


def _make_the_project_theirs(project: Path) -> dict[Path, str]:
    """The edits a team makes in its first weeks; what each file must still contain after."""
    package = project / "src" / "my_ai_service"
    _edit(
        package / "model.py",
        "LogisticRegression(max_iter=1_000, random_state=RANDOM_STATE)",
        USER_MODEL_EDIT,
    )
    _edit(
        package / "contracts" / "features.py",
        'Literal["card", "bank_transfer", "invoice"]',
        USER_PAYMENT_METHODS,
    )
    (package / "api" / "feedback.py").write_text(FEEDBACK_ROUTE)
    _edit(
        package / "api" / "app.py",
        "from .errors import install_error_handlers\n",
        "from .errors import install_error_handlers\nfrom .feedback import feedback\n",
    )
    _edit(
        package / "api" / "app.py",
        "    app.include_router(probes)\n",
        "    app.include_router(probes)\n    app.include_router(feedback)\n",
    )
    (project / "tests" / "test_feedback.py").write_text(FEEDBACK_TEST)
    _edit(project / "pyproject.toml", '"scikit-learn>=1.6",', USER_DEPENDENCY)
    return {
        package / "model.py": USER_MODEL_EDIT,
        package / "contracts" / "features.py": USER_PAYMENT_METHODS,
        package / "api" / "feedback.py": FEEDBACK_ROUTE,
        package / "api" / "app.py": "    app.include_router(feedback)\n",
        project / "tests" / "test_feedback.py": FEEDBACK_TEST,
        project / "pyproject.toml": USER_DEPENDENCY,
    }


@pytest.mark.build
def test_a_project_from_the_first_release_updates_to_this_one_and_passes_its_checks(
    tmp_path: Path, cache_root: Path
) -> None:
    template = template_history(tmp_path / "template")
    first = str(release.parse((template / "CHANGELOG.md").read_text()).releases[-1].version)
    project = tmp_path / "project"
    copier.run_copy(str(template), project, vcs_ref=first, defaults=True, quiet=True, unsafe=False)
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"] == first
    git_init(project)
    theirs = _make_the_project_theirs(project)
    git_commit(project, "Our model, schema, feedback route and pinned dependency")

    copier.run_update(
        project, vcs_ref="HEAD", defaults=True, overwrite=True, quiet=True, unsafe=False
    )

    assert_no_conflicts(project)
    assert not run(["git", "diff", "--name-only", "--diff-filter=U"], project).stdout
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"]
    head = run(["git", "describe", "--tags", "HEAD"], template).stdout.strip()
    assert recorded == head, f"updated to {recorded}, not to the template's HEAD {head}"
    for path, edit in theirs.items():
        assert edit in path.read_text(), f"the team's edit of {path.relative_to(project)} was lost"
    env = build_env("3.11", cache_root)
    run(["make", "setup"], project, env)
    run(["make", "lint"], project, env)
    run(["make", "test"], project, env)


def _make_update(project: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """`make update` in ``project`` with the Copier this repository pins, and ``arguments``."""
    copier_command = Path(sys.executable).parent / "copier"
    return subprocess.run(
        ["make", "update", f"COPIER={copier_command}", f"UPDATE_ARGS={' '.join(arguments)}"],
        cwd=project,
        env=project_env(),
        capture_output=True,
        text=True,
        check=False,
    )


def _project_from(template: Path, destination: Path) -> Path:
    copier.run_copy(str(template), destination, defaults=True, quiet=True, unsafe=False)
    git_init(destination)
    return destination


def test_an_answer_changed_later_regenerates_what_depends_on_it(tmp_path: Path) -> None:
    template = template_clone(tmp_path / "template", tag="1.0.0")
    project = _project_from(template, tmp_path / "project")
    theirs = _make_the_project_theirs(project)
    git_commit(project, "Our changes")

    changed = _make_update(project, "--vcs-ref", ":current:", "--data", "latency_slo_ms=200")

    assert changed.returncode == 0, changed.stdout + changed.stderr
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert (answers["_commit"], answers["latency_slo_ms"]) == ("1.0.0", 200)
    rules = (project / "ops" / "prometheus" / "alert_rules.yml").read_text()
    assert "within 200 ms" in rules
    assert "within 300 ms" not in rules
    assert (
        "latency_slo_ms: int = Field(\n        default=200"
        in (project / "src" / "my_ai_service" / "settings.py").read_text()
    )
    assert_no_conflicts(project)
    for path, edit in theirs.items():
        assert edit in path.read_text(), f"the team's edit of {path.relative_to(project)} was lost"


def test_an_answer_the_template_refuses_changes_nothing_and_says_why(tmp_path: Path) -> None:
    template = template_clone(tmp_path / "template", tag="1.0.0")
    project = _project_from(template, tmp_path / "project")

    refused = _make_update(project, "--vcs-ref", ":current:", "--data", "latency_slo_ms=0")

    assert refused.returncode != 0
    assert "The latency target must be between 1 and 60000 milliseconds" in refused.stderr
    assert not run(["git", "status", "--porcelain"], project).stdout, "the project was changed"


def test_a_conflict_is_named_with_what_to_do_and_blocks_the_commit(tmp_path: Path) -> None:
    template = template_clone(tmp_path / "template", tag="1.0.0")
    project = _project_from(template, tmp_path / "project")
    makefile = project / "Makefile"
    _edit(makefile, "HOST ?= 127.0.0.1\n", "HOST ?= 0.0.0.0\n")
    git_commit(project, "Serve on every interface")
    _edit(template / "template" / "Makefile.jinja", "HOST ?= 127.0.0.1\n", "HOST ?= localhost\n")
    git_commit(template, "Serve on localhost")
    run(["git", "tag", "1.1.0"], template)

    updated = _make_update(project, "--defaults")

    assert updated.returncode != 0, "make update succeeded despite a conflict"
    assert "The update conflicts with your changes in these files:\n    Makefile\n" in (
        updated.stdout
    )
    assert "delete the markers, then 'git add' the file" in updated.stdout
    text = makefile.read_text()
    conflict = "<<<<<<< before updating\nHOST ?= 0.0.0.0\n=======\nHOST ?= localhost\n"
    assert conflict + ">>>>>>> after updating\n" in text
    unmerged = run(["git", "diff", "--name-only", "--diff-filter=U"], project).stdout.split()
    assert unmerged == ["Makefile"]
    hook = Path(sys.executable).parent / "check-merge-conflict"
    blocked = subprocess.run(
        [hook, "--assume-in-merge", "Makefile"], cwd=project, capture_output=True, check=False
    )
    assert blocked.returncode == 1, "the git hook would let the markers be committed"

    # The team keeps its own line; the marker lines go.
    makefile.write_text(text.replace(conflict + ">>>>>>> after updating\n", "HOST ?= 0.0.0.0\n"))
    run(["git", "add", "Makefile"], project)
    assert not run(["git", "diff", "--name-only", "--diff-filter=U"], project).stdout
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"] == "1.1.0"


def test_the_scheduled_check_sees_a_new_release_as_the_pipelines_read_it(tmp_path: Path) -> None:
    template = template_clone(tmp_path / "template", tag="1.0.0")
    project = _project_from(template, tmp_path / "project")
    copier_command = str(Path(sys.executable).parent / "copier")
    check = [copier_command, "check-update", "--output-format", "json"]

    current = json.loads(run(check, project).stdout)
    readme = template / "template" / "README.md.jinja"
    readme.write_text(readme.read_text() + "\nA line from the next release.\n")
    git_commit(template, "Next release")
    run(["git", "tag", "1.1.0"], template)
    behind = json.loads(run(check, project).stdout)

    # The fields and values the GitHub workflow and the GitLab job read with jq.
    assert current["update_available"] is False
    assert behind["update_available"] is True
    assert (behind["current_version"], behind["latest_version"]) == ("1.0.0", "1.1.0")
    scheduled = (project / ".github" / "workflows" / "scheduled.yml").read_text()
    for field in ("update_available", "current_version", "latest_version"):
        assert f"jq -r .{field} update.json" in scheduled

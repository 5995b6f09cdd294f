"""Tier 1: the deployment files, rendered for every answer that changes them.

The generated project validates its manifests against the Kubernetes and Argo Rollouts schemas
in its own tests (tests/test_manifests.py); these tests check that the right files are generated
and that the answers reach them.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from .helpers import NON_DEFAULT_ANSWERS, generate, run

#: Answers for each deploy target and registry; the MLflow one also takes non-default steps,
#: traffic and deadline, and the longest names, to show that every answer reaches the manifests.
CASES: dict[str, dict[str, Any]] = {
    "kubernetes-local": {},
    "kubernetes-mlflow": {
        "model_registry": "mlflow",
        "rollout_steps": " 10,50 , 100",
        "expected_rps": 400,
        "request_timeout_ms": 45000,
        "project_slug": NON_DEFAULT_ANSWERS["project_slug"],
        "package_name": NON_DEFAULT_ANSWERS["package_name"],
    },
    "none": {"deploy_target": "none"},
}
KUBERNETES_CASES = [case for case, answers in CASES.items() if "deploy_target" not in answers]

MANIFESTS = "deploy/kubernetes"
KUBERNETES_FILES = {
    f"{MANIFESTS}/{name}.yaml"
    for name in ("configmap", "deployment", "hpa", "kustomization", "pdb", "rollout", "service")
}
TEST_FILES = {
    "tests/test_manifests.py",
    "tests/schemas/README.md",
    "tests/schemas/argo-rollouts-v1.5.0-rollout.json",
}
#: Dev dependencies only the manifests' tests need.
MANIFEST_TEST_DEPENDENCIES = {"jsonschema", "kubernetes-validate"}


@pytest.fixture(scope="module")
def render(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Generates the project of a case once, for every test that reads it."""
    projects: dict[str, Path] = {}

    def project(case: str) -> Path:
        if case not in projects:
            projects[case] = generate(tmp_path_factory.mktemp(case) / "project", CASES[case])
        return projects[case]

    return project


@pytest.fixture(scope="module", params=list(CASES))
def rendered(
    request: pytest.FixtureRequest, render: Callable[[str], Path]
) -> tuple[Path, dict[str, Any]]:
    root = render(request.param)
    answers: dict[str, Any] = yaml.safe_load((root / ".copier-answers.yml").read_text())
    return root, answers


@pytest.fixture(scope="module", params=KUBERNETES_CASES)
def kubernetes(
    request: pytest.FixtureRequest, render: Callable[[str], Path]
) -> tuple[Path, dict[str, Any], dict[str, dict[str, Any]]]:
    """A project with manifests, its answers, and its manifests by kind."""
    root = render(request.param)
    answers: dict[str, Any] = yaml.safe_load((root / ".copier-answers.yml").read_text())
    manifests: dict[str, dict[str, Any]] = {}
    for path in sorted((root / MANIFESTS).glob("*.yaml")):
        (document,) = yaml.safe_load_all(path.read_text())
        assert document["kind"] not in manifests, f"{path.name}: a second {document['kind']}"
        manifests[document["kind"]] = document
    return root, answers, manifests


def _steps(answers: dict[str, Any]) -> list[int]:
    return [int(step) for step in answers["rollout_steps"].split(",")]


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=\[ ]", requirement)[0].lower() for requirement in requirements}


def test_only_the_chosen_deploy_files_are_generated(rendered: tuple[Path, dict[str, Any]]) -> None:
    root, answers = rendered
    expected: set[str] = set()
    if answers["deploy_target"] == "kubernetes":
        expected |= KUBERNETES_FILES | TEST_FILES
        if answers["model_registry"] == "local":
            expected.add(f"{MANIFESTS}/pvc.yaml")
    generated = {
        path.relative_to(root).as_posix()
        for folder in ("deploy", "tests/schemas")
        for path in (root / folder).rglob("*")
        if path.is_file()
    }
    generated |= {name for name in TEST_FILES if (root / name).is_file()}

    assert generated == expected
    # No empty folder is left behind either.
    assert (root / "deploy").exists() == (answers["deploy_target"] != "none")


def test_manifest_test_tools_are_dev_dependencies_only_with_manifests(
    rendered: tuple[Path, dict[str, Any]],
) -> None:
    root, answers = rendered
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    dev = _names(pyproject["dependency-groups"]["dev"])
    service = _names(pyproject["project"]["dependencies"])
    untyped = {
        module
        for override in pyproject["tool"]["mypy"].get("overrides", [])
        for module in override["module"]
    }
    kubernetes = answers["deploy_target"] == "kubernetes"

    if kubernetes:
        assert dev >= MANIFEST_TEST_DEPENDENCIES
    else:
        assert not dev & MANIFEST_TEST_DEPENDENCIES
    assert not service & MANIFEST_TEST_DEPENDENCIES, "test tools stay out of the image"
    assert ({"jsonschema.*", "kubernetes_validate.*"} <= untyped) == kubernetes


def test_the_image_leaves_the_manifests_out(rendered: tuple[Path, dict[str, Any]]) -> None:
    root, _ = rendered
    rules = [line for line in (root / ".dockerignore").read_text().splitlines() if line.strip()]
    rules = [line for line in rules if not line.startswith("#")]

    assert rules[0] == "*"
    assert not [rule for rule in rules if rule.startswith("!deploy")]


def test_kustomization_deploys_every_manifest_with_a_pinned_image(
    kubernetes: tuple[Path, dict[str, Any], dict[str, dict[str, Any]]],
) -> None:
    root, answers, manifests = kubernetes
    kustomization = manifests["Kustomization"]
    listed = kustomization["resources"]
    files = sorted(path.name for path in (root / MANIFESTS).glob("*.yaml"))
    (container,) = manifests["Deployment"]["spec"]["template"]["spec"]["containers"]
    (image,) = kustomization["images"]

    assert sorted(listed) == [name for name in files if name != "kustomization.yaml"]
    assert container["image"] == image["name"] == answers["project_slug"]
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", image["digest"])
    assert "newTag" not in image


def test_the_canary_takes_the_answered_steps(
    kubernetes: tuple[Path, dict[str, Any], dict[str, dict[str, Any]]],
) -> None:
    root, answers, manifests = kubernetes
    rollout = manifests["Rollout"]
    steps = rollout["spec"]["strategy"]["canary"]["steps"]
    weights = [{"setWeight": step} for step in _steps(answers)]
    pause = {"pause": {"duration": "5m"}}
    expected = [item for weight in weights for item in (weight, pause)][:-1]
    tests = (root / "tests" / "test_manifests.py").read_text()

    assert steps == expected
    assert f"ROLLOUT_STEPS = {_steps(answers)}\n" in tests
    assert rollout["spec"]["workloadRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": answers["project_slug"],
    }
    assert manifests["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]["kind"] == "Rollout"
    assert manifests["Deployment"]["spec"]["replicas"] == 0


def test_the_registry_answer_reaches_the_pods(
    kubernetes: tuple[Path, dict[str, Any], dict[str, dict[str, Any]]],
) -> None:
    _, answers, manifests = kubernetes
    prefix = answers["package_name"].upper() + "_"
    config = manifests["ConfigMap"]["data"]
    pod = manifests["Deployment"]["spec"]["template"]["spec"]
    (models,) = (volume for volume in pod["volumes"] if volume["name"] == "models")
    local = answers["model_registry"] == "local"

    assert all(key.startswith(prefix) for key in config), config
    assert config[f"{prefix}ENVIRONMENT"] == "production"
    assert config[f"{prefix}MODEL_DIR"] == "/app/models"
    assert ("PersistentVolumeClaim" in manifests) == local
    assert ("persistentVolumeClaim" in models) == local
    assert (f"{prefix}MLFLOW_TRACKING_URI" in config) == (not local)
    if local:
        claim = manifests["PersistentVolumeClaim"]
        assert models["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
        assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    else:
        assert config[f"{prefix}MLFLOW_MODEL_NAME"] == answers["project_slug"]


def test_the_service_objectives_size_the_pods(
    kubernetes: tuple[Path, dict[str, Any], dict[str, dict[str, Any]]],
) -> None:
    _, answers, manifests = kubernetes
    pod = manifests["Deployment"]["spec"]["template"]["spec"]
    # uvicorn's graceful shutdown, as `serve` sets it, after the 5 s preStop sleep.
    shutdown_s = max(1, answers["request_timeout_ms"] // 1000 + 1)
    hpa = manifests["HorizontalPodAutoscaler"]["spec"]

    assert pod["terminationGracePeriodSeconds"] > 5 + shutdown_s
    assert hpa["minReplicas"] == 2
    assert hpa["maxReplicas"] == max(4, math.ceil(answers["expected_rps"] * 2 / 50))


def test_the_pods_match_the_image(
    kubernetes: tuple[Path, dict[str, Any], dict[str, dict[str, Any]]],
) -> None:
    """The manifests and the Dockerfile agree on the port and the unprivileged user."""
    root, _, manifests = kubernetes
    dockerfile = (root / "Dockerfile").read_text()
    pod = manifests["Deployment"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    (port,) = container["ports"]
    service = manifests["Service"]["spec"]
    labels = manifests["Deployment"]["spec"]["template"]["metadata"]["labels"]

    assert f"EXPOSE {port['containerPort']}\n" in dockerfile
    assert f"USER {pod['securityContext']['runAsUser']}:" in dockerfile
    assert "command" not in container, "the image's CMD runs the service"
    assert port["name"] == "http"
    assert service["ports"] == [
        {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}
    ]
    assert service["selector"].items() <= labels.items()


def test_the_manifests_tests_are_lint_clean(
    kubernetes: tuple[Path, dict[str, Any], dict[str, dict[str, Any]]],
) -> None:
    """ruff with the project's own configuration, before anything is installed."""
    root, _, _ = kubernetes
    run(["ruff", "format", "--check", "--no-cache", "tests/test_manifests.py"], root)
    run(["ruff", "check", "--no-cache", "tests/test_manifests.py"], root)

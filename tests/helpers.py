"""Generating projects through Copier's public API, and reading what was generated."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import copier

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]

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
}

#: Every serving strategy the template generates: each (task, serving, protocol/provider/
#: platform) that makes sense.
STRATEGIES: dict[str, dict[str, str]] = {
    "classification-in_process": {"task": "classification", "serving": "in_process"},
    "classification-kserve_v2": {
        "task": "classification",
        "serving": "inference_server",
        "inference_protocol": "kserve_v2",
    },
    "classification-openai_server": {
        "task": "classification",
        "serving": "inference_server",
        "inference_protocol": "openai",
    },
    "classification-openai": {"task": "classification", "serving": "api_provider"},
    "classification-anthropic": {
        "task": "classification",
        "serving": "api_provider",
        "provider": "anthropic",
    },
    "classification-sagemaker": {"task": "classification", "serving": "managed_endpoint"},
    "classification-vertex_ai": {
        "task": "classification",
        "serving": "managed_endpoint",
        "platform": "vertex_ai",
    },
    "classification-azure_ml": {
        "task": "classification",
        "serving": "managed_endpoint",
        "platform": "azure_ml",
    },
    "generation-openai_server": {"task": "generation", "serving": "inference_server"},
    "generation-openai": {"task": "generation", "serving": "api_provider"},
    "generation-anthropic": {
        "task": "generation",
        "serving": "api_provider",
        "provider": "anthropic",
    },
    "generation-sagemaker": {"task": "generation", "serving": "managed_endpoint"},
    "generation-vertex_ai": {
        "task": "generation",
        "serving": "managed_endpoint",
        "platform": "vertex_ai",
    },
    "generation-azure_ml": {
        "task": "generation",
        "serving": "managed_endpoint",
        "platform": "azure_ml",
    },
}

#: The adapter module each strategy generates, in src/<package>/serving/.
ADAPTER_MODULES = {
    "classification-in_process": "in_process",
    "classification-kserve_v2": "kserve_v2",
    "classification-openai_server": "openai_chat",
    "classification-openai": "openai_chat",
    "classification-anthropic": "anthropic_messages",
    "classification-sagemaker": "sagemaker",
    "classification-vertex_ai": "vertex_ai",
    "classification-azure_ml": "azure_ml",
    "generation-openai_server": "openai_chat",
    "generation-openai": "openai_chat",
    "generation-anthropic": "anthropic_messages",
    "generation-sagemaker": "sagemaker",
    "generation-vertex_ai": "vertex_ai",
    "generation-azure_ml": "azure_ml",
}


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


def project_files(root: Path) -> Iterator[Path]:
    """Every file of a generated project, outside version control and tool caches."""
    skipped = {".git", ".venv", ".mypy_cache", ".ruff_cache", ".pytest_cache", "__pycache__"}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not skipped.intersection(path.relative_to(root).parts):
            yield path


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
            f"{completed.stdout[-6000:]}\n{completed.stderr[-6000:]}"
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

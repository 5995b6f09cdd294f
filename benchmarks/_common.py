"""Helpers shared by the benchmark scripts: statistics, Markdown tables, JSON results.

Not a benchmark itself. Every script imports it as ``_common`` (the scripts run as
``uv run python benchmarks/<script>.py``, which puts this folder on ``sys.path``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"


@dataclass(frozen=True)
class Summary:
    """Median, min and max of a list of samples."""

    median: float
    min: float
    max: float
    n: int

    @classmethod
    def of(cls, samples: Sequence[float]) -> Summary:
        if not samples:
            raise ValueError("no samples to summarise")
        return cls(statistics.median(samples), min(samples), max(samples), len(samples))

    def as_dict(self) -> dict[str, float]:
        return {"median": self.median, "min": self.min, "max": self.max, "n": self.n}


def ratio(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator``, or ``None`` when the denominator is zero."""
    return numerator / denominator if denominator else None


def fmt_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table; numbers right-aligned, first column left."""
    align = [":---" if index == 0 else "---:" for index in range(len(headers))]
    lines = [
        "| " + " | ".join(headers) + " |",
        "| " + " | ".join(align) + " |",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]
    return "\n".join(lines)


def _run_text(command: Sequence[str], cwd: Path | None = None) -> str | None:
    try:
        completed = subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return completed.stdout.strip() if completed.returncode == 0 else None


def git_state(repo: Path = REPO_ROOT) -> dict[str, Any]:
    """Commit and dirtiness of the template repository, recorded with every result."""
    porcelain = _run_text(["git", "status", "--porcelain"], cwd=repo)
    return {
        "commit": _run_text(["git", "rev-parse", "HEAD"], cwd=repo),
        "dirty": bool(porcelain) if porcelain is not None else None,
    }


def environment() -> dict[str, Any]:
    """Facts about the machine and tools, so results from different runs can be compared."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "load_average_at_start": load,
        "uv": _run_text(["uv", "--version"]),
        "template_repo": git_state(),
    }


def child_env(
    extra: Mapping[str, str] | None = None, keep_dont_write_bytecode: bool = False
) -> dict[str, str]:
    """The environment for commands run in a generated project.

    ``uv run`` of this repository exports ``VIRTUAL_ENV`` and puts its own ``.venv/bin``
    first on ``PATH``; a generated project must use its own environment instead.

    ``PYTHONDONTWRITEBYTECODE`` is dropped unless ``keep_dont_write_bytecode``: with it,
    every process compiles pandas, scikit-learn and friends from source on every import
    (seconds per process), which is not what a developer's machine does. Some sandboxes
    and CI images set it globally.
    """
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    if not keep_dont_write_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    own_bin = str(Path(sys.prefix) / "bin")
    if sys.prefix != sys.base_prefix:
        env["PATH"] = os.pathsep.join(
            part for part in env.get("PATH", "").split(os.pathsep) if part != own_bin
        )
    env.update(extra or {})
    return env


def bytecode_note(keep_dont_write_bytecode: bool) -> str:
    """One line on how PYTHONDONTWRITEBYTECODE was handled, for the report."""
    inherited = os.environ.get("PYTHONDONTWRITEBYTECODE")
    if not inherited:
        return "PYTHONDONTWRITEBYTECODE: not set (.pyc caching on)"
    if keep_dont_write_bytecode:
        return f"PYTHONDONTWRITEBYTECODE={inherited} inherited: no .pyc caching, slower imports"
    return (
        f"PYTHONDONTWRITEBYTECODE={inherited} in this shell was dropped for the generated "
        "project (.pyc caching on); --keep-dont-write-bytecode to inherit it"
    )


def write_results(name: str, payload: Mapping[str, Any]) -> Path:
    """Write ``payload`` to ``results/<name>-<UTC timestamp>.json`` and return the path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{name}-{stamp}.json"
    document = {
        "benchmark": name,
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "environment": environment(),
        **payload,
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise SystemExit(f"error: `{name}` is not on PATH")
    return path

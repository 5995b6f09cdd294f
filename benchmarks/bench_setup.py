"""Time from `copier copy` to a passing `make setup test` of the generated project.

Each run generates the project into a fresh temporary directory (copier's Python API,
``vcs_ref="HEAD"``, defaults), then runs ``make setup`` (``uv sync``: resolve, install)
and ``make test`` (the generated test suite) in it, timing each phase. One untimed
warm-up run comes first so the uv cache is warm; every timed run still gets a new
virtual environment, as a developer generating a new project does.

Targets: ``make test`` median under 20 s, total median under 60 s.

Run: uv run python benchmarks/bench_setup.py [--runs 3] [--offline]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from _common import (
    REPO_ROOT,
    Summary,
    add_keep_dont_write_bytecode,
    add_run_counts,
    bytecode_note,
    child_env,
    markdown_table,
    parse_run_counts,
    ratio,
    require_tool,
    write_results,
)

TARGETS_S = {"make test": 20.0, "total": 60.0}
PHASES = ("copy", "make setup", "make test")
COMMAND_TIMEOUT_S = 900
PYTEST_SUMMARY = re.compile(r"=+ (?P<summary>.*\bpassed\b.*) in (?P<seconds>[\d.]+)s")


class PhaseFailedError(RuntimeError):
    pass


def run_phase(command: list[str], cwd: Path, log: Path, env: dict[str, str]) -> tuple[float, str]:
    """Run ``command``, output to ``log``; seconds taken and the output. Raises on failure."""
    started = time.perf_counter()
    with log.open("w") as output:
        try:
            completed = subprocess.run(
                command,
                cwd=cwd,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                timeout=COMMAND_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise PhaseFailedError(f"{' '.join(command)} timed out; see {log}") from error
    elapsed = time.perf_counter() - started
    text = log.read_text()
    if completed.returncode != 0:
        tail = "\n".join(text.splitlines()[-40:])
        raise PhaseFailedError(
            f"`{' '.join(command)}` in {cwd} exited with {completed.returncode}:\n{tail}"
        )
    return elapsed, text


def one_run(template: Path, scratch: Path, env: dict[str, str]) -> dict[str, Any]:
    """Generate, set up and test once; seconds per phase and pytest's own summary."""
    from copier import run_copy

    workdir = Path(tempfile.mkdtemp(prefix="run-", dir=scratch))
    project = workdir / "project"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DirtyLocalWarning while the template has edits
            started = time.perf_counter()
            run_copy(str(template), project, defaults=True, vcs_ref="HEAD", quiet=True)
            copy_s = time.perf_counter() - started
        setup_s, _ = run_phase(["make", "setup"], project, workdir / "setup.log", env)
        test_s, test_output = run_phase(["make", "test"], project, workdir / "test.log", env)
        match = PYTEST_SUMMARY.search(test_output)
        return {
            "copy": copy_s,
            "make setup": setup_s,
            "make test": test_s,
            "total": copy_s + setup_s + test_s,
            "pytest_reported_s": float(match["seconds"]) if match else None,
            "pytest_summary": match["summary"] if match else None,
        }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_run_counts(
        parser,
        runs=3,
        runs_help="Timed runs (default 3).",
        warmup_help="Untimed runs first, to warm the uv cache (1).",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="Set UV_OFFLINE=1: resolve and install from the uv cache only (less network noise).",
    )
    parser.add_argument("--template", type=Path, default=REPO_ROOT, help="Template to generate.")
    add_keep_dont_write_bytecode(parser)
    return parse_run_counts(parser)


def main() -> int:
    args = parse_args()
    require_tool("make")
    require_tool("uv")
    template: Path = args.template.resolve()
    env = child_env(
        {"UV_OFFLINE": "1"} if args.offline else None,
        keep_dont_write_bytecode=args.keep_dont_write_bytecode,
    )
    runs: list[dict[str, Any]] = []

    with tempfile.TemporaryDirectory(prefix="bench-setup-") as scratch_name:
        scratch = Path(scratch_name)
        try:
            for index in range(args.warmup):
                print(f"warm-up {index + 1}/{args.warmup} ...", file=sys.stderr)
                one_run(template, scratch, env)
            for index in range(args.runs):
                result = one_run(template, scratch, env)
                runs.append(result)
                phases = ", ".join(f"{name} {result[name]:.1f} s" for name in (*PHASES, "total"))
                print(f"run {index + 1}/{args.runs}: {phases}", file=sys.stderr)
        except PhaseFailedError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1

    summaries = {name: Summary.of([run[name] for run in runs]) for name in (*PHASES, "total")}
    total_median = summaries["total"].median
    rows = []
    for name, summary in summaries.items():
        share = ratio(summary.median, total_median)
        target = TARGETS_S.get(name)
        verdict = ""
        if target is not None:
            verdict = f"< {target:.0f} s: {'met' if summary.median < target else 'NOT met'}"
        rows.append(
            [
                name,
                f"{summary.median:.2f}",
                f"{summary.min:.2f}",
                f"{summary.max:.2f}",
                f"{share:.0%}" if share is not None else "n/a",
                verdict,
            ]
        )
    pytest_times = [run["pytest_reported_s"] for run in runs if run["pytest_reported_s"]]
    if pytest_times:
        pytest_summary = Summary.of(pytest_times)
        rows.append(
            [
                "(pytest's own time, inside make test)",
                f"{pytest_summary.median:.2f}",
                f"{pytest_summary.min:.2f}",
                f"{pytest_summary.max:.2f}",
                "",
                "",
            ]
        )
    mode = "offline (UV_OFFLINE=1)" if args.offline else "online index, warm uv cache"
    print(f"\n### copier copy -> make setup -> make test, {args.runs} runs, {mode}\n")
    print(markdown_table(["phase", "median s", "min s", "max s", "share", "target"], rows))
    print(f"\n{bytecode_note(args.keep_dont_write_bytecode)}")
    if runs[-1]["pytest_summary"]:
        print(f"last run's tests: {runs[-1]['pytest_summary']}")

    payload: dict[str, Any] = {
        "parameters": {
            "runs": args.runs,
            "warmup": args.warmup,
            "offline": args.offline,
            "keep_dont_write_bytecode": args.keep_dont_write_bytecode,
            "bytecode_note": bytecode_note(args.keep_dont_write_bytecode),
            "template": str(template),
        },
        "runs_s": runs,
        "summary_s": {name: summary.as_dict() for name, summary in summaries.items()},
        "targets_s": TARGETS_S,
    }
    print(f"\nresults: {write_results('bench_setup', payload)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

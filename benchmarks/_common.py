"""Helpers shared by the benchmark scripts: statistics, Markdown tables, JSON results,
command-line options, and the processes started in a generated project.

Not a benchmark itself. Every script imports it as ``_common`` (the scripts run as
``uv run python benchmarks/<script>.py``, which puts this folder on ``sys.path``).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import queue
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"

HOST = "127.0.0.1"  # the only address the benchmarks listen on or connect to
PREDICT_PATH = "/v1/predict"
# One request to the generated service's demo model.
FEATURES = {
    "tenure_months": 8,
    "monthly_charges": 89.5,
    "support_tickets_90d": 3,
    "contract_type": "month_to_month",
    "payment_method": "invoice",
}
SETUP_TIMEOUT_S = 900
STOP_TIMEOUT_S = 15.0


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


def add_run_counts(
    parser: argparse.ArgumentParser, runs: int, runs_help: str, warmup_help: str
) -> None:
    """``--runs`` (default ``runs``) and ``--warmup`` (default 1); see ``parse_run_counts``."""
    parser.add_argument("--runs", type=int, default=runs, help=runs_help)
    parser.add_argument("--warmup", type=int, default=1, help=warmup_help)


def parse_run_counts(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """Parse the command line of a parser with ``add_run_counts``; checks the counts."""
    args = parser.parse_args()
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be >= 1 and --warmup >= 0")
    return args


def add_project_arguments(parser: argparse.ArgumentParser) -> None:
    """``--project`` (a generated project to use instead of a new one) and ``--retrain``."""
    parser.add_argument("--project", type=Path, help="Use this generated project (default: new).")
    parser.add_argument(
        "--retrain", action="store_true", help="Train even if --project has a model."
    )


def add_keep_dont_write_bytecode(parser: argparse.ArgumentParser) -> None:
    """``--keep-dont-write-bytecode``, for ``child_env`` and ``bytecode_note``."""
    parser.add_argument(
        "--keep-dont-write-bytecode",
        action="store_true",
        help="Pass PYTHONDONTWRITEBYTECODE on to the generated project (default: drop it).",
    )


# ----------------------------------------------------------------------------------------
# A generated project, and the processes started in it
# ----------------------------------------------------------------------------------------


class BenchError(RuntimeError):
    """A benchmark cannot go on; ``run_main`` prints it and exits with 1."""


def generate_project(destination: Path, data: Mapping[str, str] | None = None) -> Path:
    """``copier copy --defaults`` of this template (``vcs_ref="HEAD"``) into ``destination``."""
    from copier import run_copy

    shown = f" ({', '.join(f'{k}={v}' for k, v in data.items())})" if data else ""
    print(f"generating the project{shown} into {destination}", file=sys.stderr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DirtyLocalWarning while the template has edits
        run_copy(
            str(REPO_ROOT),
            destination,
            data=dict(data) if data else None,
            defaults=True,
            vcs_ref="HEAD",
            quiet=True,
        )
    return destination


def run_checked(command: list[str], cwd: Path, env: dict[str, str], what: str) -> str:
    """Run a setup command; its output, or BenchError with the tail of it."""
    shown = [*command[: command.index("-c") + 1], "..."] if "-c" in command else command
    print(f"$ {' '.join(shown)}", file=sys.stderr)
    try:
        completed = subprocess.run(
            command,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=SETUP_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"{what} timed out after {SETUP_TIMEOUT_S} s") from error
    if completed.returncode != 0:
        tail = "\n".join((completed.stdout + completed.stderr).splitlines()[-30:])
        raise BenchError(f"{what} failed with exit code {completed.returncode}:\n{tail}")
    return completed.stdout


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Process:
    """A command in its own process group; output to ``log``, or stdout on a pipe."""

    name: str
    command: list[str]
    cwd: Path
    env: dict[str, str]
    log: Path
    pipes: bool = False  # stdin and stdout as pipes (a helper driven over its stdin)
    port: int = 0  # where it listens, for servers
    process: subprocess.Popen[str] | None = None
    started_at: float = 0.0
    lines: queue.Queue[str | None] = field(default_factory=queue.Queue)

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        with self.log.open("a") as output:
            self.started_at = time.perf_counter()
            self.process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.PIPE if self.pipes else subprocess.DEVNULL,
                stdout=subprocess.PIPE if self.pipes else output,
                stderr=output if self.pipes else subprocess.STDOUT,
                text=True,
                bufsize=1,
                start_new_session=True,  # stop() reaches uv *and* the python it runs
            )
        if self.pipes:
            threading.Thread(target=self._read_stdout, daemon=True).start()

    def _read_stdout(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_line(self, prefix: str, timeout_s: float) -> str:
        """The rest of the next stdout line that starts with ``prefix`` (needs ``pipes``)."""
        deadline = time.monotonic() + timeout_s
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                break
            if line is None:
                raise BenchError(f"{self.name} exited:\n{self.log_tail()}")
            if line.startswith("BENCH_ERROR"):
                raise BenchError(f"{self.name}: {line}")
            if line.startswith(prefix):
                return line[len(prefix) :].strip()
        raise BenchError(f"{self.name} did not print {prefix!r} within {timeout_s:g} s")

    def send(self, line: str) -> None:
        """Write ``line`` to its stdin (needs ``pipes``)."""
        assert self.process is not None
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(line + "\n")
            self.process.stdin.flush()
        except OSError as error:
            raise BenchError(f"{self.name} is gone: {error!r}\n{self.log_tail()}") from error

    def wait(self, timeout_s: float) -> int:
        assert self.process is not None
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired as error:
            raise BenchError(f"{self.name} did not finish within {timeout_s:g} s") from error

    def stop(self) -> None:
        """Close its stdin, then SIGTERM, then SIGKILL the whole process group."""
        process = self.process
        if process is None:
            return
        if process.stdin is not None and not process.stdin.closed:
            with contextlib.suppress(OSError):
                process.stdin.close()  # a helper on pipes stops itself at the end of its stdin
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=STOP_TIMEOUT_S)
        # uv may exit before the python process it ran; make sure the group is gone.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        if process.stdout is not None:
            with contextlib.suppress(OSError):
                process.stdout.close()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


P = TypeVar("P", bound=Process)


@dataclass
class Processes:
    """Every process started, so they all get stopped whatever happens."""

    started: list[Process] = field(default_factory=list)

    @contextlib.contextmanager
    def running(self, process: P) -> Iterator[P]:
        self.started.append(process)
        process.start()
        try:
            yield process
        finally:
            process.stop()

    def stop_all(self) -> None:
        for process in reversed(self.started):
            process.stop()


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_main(
    name: str,
    args: argparse.Namespace,
    benchmark: Callable[[argparse.Namespace, Path, Processes], dict[str, Any]],
    report: Callable[[dict[str, Any]], dict[str, Any]],
) -> int:
    """Run ``benchmark`` in a scratch folder, then ``report`` it and write the results.

    SIGTERM is handled like Ctrl-C. Whatever happens, every process started through
    ``Processes`` is stopped and the scratch folder removed (unless ``args.keep``). The
    exit code: 0, 1 on ``BenchError``, 130 when interrupted.
    """
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    processes = Processes()
    scratch = Path(tempfile.mkdtemp(prefix=name.replace("_", "-") + "-"))
    try:
        data = benchmark(args, scratch, processes)
    except KeyboardInterrupt:
        print("\ninterrupted; stopping every process started", file=sys.stderr)
        return 130
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        processes.stop_all()
        if args.keep:
            print(f"kept {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    summary = report(data)
    print(f"\nresults: {write_results(name, {**data, **summary})}")
    return 0

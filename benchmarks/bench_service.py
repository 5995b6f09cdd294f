"""Throughput and latency of the generated service vs. a bare FastAPI app, same model.

Generates a project with ``tracing`` on (or takes ``--project``), runs ``uv sync`` and trains
the demo model, then benchmarks in the same run, one server at a time, rotating over
``--rounds``:

* ours: the generated service, started as ``uv run <slug> serve`` (the CLI's uvicorn
  settings), with its middleware, error handlers, dependencies and deadline, metrics and
  one JSON log line per request; no ``OTEL_EXPORTER_OTLP_ENDPOINT``, so tracing is off;
* traced: the same, exporting spans over OTLP/HTTP to a receiver in this process that
  answers every export with 200, at the project's sampling ratio (10% of new traces);
* bare: ``bare_app.py`` (same model file, same DataFrame + ``predict_proba`` in a worker
  thread, nothing else) under ``python -m uvicorn`` with the very same uvicorn settings,
  read from the CLI, in the generated project's environment.

Each round starts the server, waits until a prediction succeeds, warms it up, measures,
and stops it. Load comes from ``wrk`` (a Lua script POSTs the body) when it is on PATH,
else from ``loadgen.py`` (httpx, fixed concurrency and duration) in its own process.
Only 127.0.0.1 is used. Every server started is stopped, also on errors and Ctrl-C.

Run: uv run python benchmarks/bench_service.py [--rounds 3 --duration 10 --warmup 3]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import yaml
from _common import (
    BENCH_DIR,
    FEATURES,
    HOST,
    PREDICT_PATH,
    BenchError,
    Process,
    Processes,
    Summary,
    add_keep_dont_write_bytecode,
    add_project_arguments,
    bytecode_note,
    child_env,
    fmt_ratio,
    free_port,
    generate_project,
    markdown_table,
    ratio,
    require_tool,
    run_checked,
    run_main,
)

BODY = json.dumps({"features": FEATURES}, separators=(",", ":"))
READY_TIMEOUT_S = 120.0
_VERSION = re.compile(r"^v(\d+)$")

# Prints the keyword arguments the CLI's `serve` passes to uvicorn.run, without serving.
CAPTURE_UVICORN_ARGS = """
import json, sys, uvicorn
captured = {}
def fake_run(app, **kwargs):
    captured.update(kwargs)
uvicorn.run = fake_run
from %(package)s.cli import main
code = main(["serve", "--host", "127.0.0.1", "--port", "1"])
print("BENCH_JSON " + json.dumps(captured, default=str))
sys.exit(code)
"""

WRK_SCRIPT = """\
wrk.method = "POST"
wrk.body = '%(body)s'
wrk.headers["Content-Type"] = "application/json"

done = function(summary, latency, requests)
  io.write(string.format(
    'BENCH_JSON {"requests": %%d, "duration_us": %%d, "connect_errors": %%d, ' ..
    '"read_errors": %%d, "write_errors": %%d, "status_errors": %%d, "timeout_errors": %%d, ' ..
    '"p50_us": %%.1f, "p90_us": %%.1f, "p99_us": %%.1f, "mean_us": %%.1f, "max_us": %%.1f}\\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
"""


# ----------------------------------------------------------------------------------------
# The generated project
# ----------------------------------------------------------------------------------------


def newest_model(project: Path) -> Path | None:
    """``models/v<N>`` with the highest N that has metadata (what the service serves)."""
    models = project / "models"
    if not models.is_dir():
        return None
    versions = [
        (int(match.group(1)), entry)
        for entry in models.iterdir()
        if (match := _VERSION.match(entry.name)) and (entry / "metadata.json").is_file()
    ]
    return max(versions)[1] if versions else None


@dataclass(frozen=True)
class Project:
    path: Path
    slug: str
    package: str
    model_dir: Path
    uvicorn_kwargs: dict[str, Any]


def prepare_project(path: Path, retrain: bool, env: dict[str, str]) -> Project:
    answers = yaml.safe_load((path / ".copier-answers.yml").read_text())
    slug, package = str(answers["project_slug"]), str(answers["package_name"])
    run_checked(["uv", "sync"], path, env, "uv sync")
    if retrain or newest_model(path) is None:
        # Training reads the newest dataset, which the pipeline makes from the sample data.
        run_checked(["uv", "run", "--no-sync", slug, "pipeline"], path, env, "pipeline")
        run_checked(["uv", "run", "--no-sync", slug, "train"], path, env, "training")
    model_dir = newest_model(path)
    if model_dir is None:
        raise BenchError(f"no trained model in {path / 'models'}")
    output = run_checked(
        ["uv", "run", "--no-sync", "python", "-c", CAPTURE_UVICORN_ARGS % {"package": package}],
        path,
        env,
        "reading the CLI's uvicorn settings",
    )
    kwargs = json.loads(output.split("BENCH_JSON ", 1)[1])
    return Project(path, slug, package, model_dir, kwargs)


def uvicorn_flags(kwargs: dict[str, Any], port: int) -> list[str]:
    """The ``uvicorn`` command-line flags equivalent to the CLI's ``uvicorn.run`` call."""
    flags: list[str] = []
    settings = {k: v for k, v in kwargs.items() if k != "factory"}  # bare_app:app is no factory
    for key, value in {**settings, "host": HOST, "port": port}.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            flags.append(flag)
        elif value is False:
            flags.append("--no-" + key.replace("_", "-"))
        elif value is not None:
            flags += [flag, str(value)]
    return flags


# ----------------------------------------------------------------------------------------
# Servers
# ----------------------------------------------------------------------------------------


class Server(Process):
    """A server under test: ``Process`` with ``port`` set, answering ``POST /v1/predict``."""

    @property
    def url(self) -> str:
        return f"{self.base_url}{PREDICT_PATH}"

    def wait_ready(self) -> tuple[float, dict[str, Any]]:
        """Seconds from start to the first successful prediction, and that prediction."""
        assert self.process is not None
        deadline = time.monotonic() + READY_TIMEOUT_S
        with httpx.Client(timeout=5, trust_env=False) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise BenchError(
                        f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}"
                    )
                try:
                    response = client.post(
                        self.url, content=BODY, headers={"content-type": "application/json"}
                    )
                except httpx.TransportError:
                    time.sleep(0.1)
                    continue
                if response.status_code == 200:
                    answer: dict[str, Any] = response.json()
                    return time.perf_counter() - self.started_at, answer
                if response.status_code != 503:  # 503: up, but the model is not loaded yet
                    raise BenchError(
                        f"{self.name} answered {response.status_code}: {response.text[:500]}"
                    )
                time.sleep(0.1)
        raise BenchError(f"{self.name} was not ready within {READY_TIMEOUT_S} s")


# ----------------------------------------------------------------------------------------
# Load
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadSettings:
    tool: str  # "wrk" or "python"
    connections: int
    threads: int
    script: Path | None


def run_load(settings: LoadSettings, url: str, duration_s: float) -> dict[str, float]:
    """Load ``url`` for ``duration_s`` seconds; requests/s, latency percentiles, errors."""
    seconds = max(1, round(duration_s))
    if settings.tool == "wrk":
        assert settings.script is not None
        command = [
            "wrk",
            f"-t{settings.threads}",
            f"-c{settings.connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(settings.script),
            url,
        ]
    else:
        command = [
            sys.executable,
            str(BENCH_DIR / "loadgen.py"),
            "--url",
            url,
            "--body",
            BODY,
            "--connections",
            str(settings.connections),
            "--duration",
            str(seconds),
        ]
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    marker = completed.stdout.rfind("BENCH_JSON ")
    if completed.returncode != 0 or marker < 0:
        raise BenchError(
            f"load generator failed ({completed.returncode}):\n{completed.stdout}\n"
            f"{completed.stderr}"
        )
    raw = json.loads(completed.stdout[marker:].split(" ", 1)[1].splitlines()[0])
    duration = raw["duration_us"] / 1e6
    errors = sum(raw[key] for key in ("connect_errors", "read_errors", "write_errors"))
    return {
        "requests": raw["requests"],
        "duration_s": duration,
        "rps": raw["requests"] / duration if duration else 0.0,
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "mean_ms": raw["mean_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "non_2xx": raw["status_errors"],
        "socket_errors": errors,
        "timeouts": raw["timeout_errors"],
    }


def choose_load_tool(requested: str) -> str:
    if requested in ("auto", "wrk") and shutil.which("wrk"):
        return "wrk"
    if requested == "wrk":
        raise BenchError("wrk is not on PATH; install it (apt-get install wrk) or use --loadgen")
    return "python"


# ----------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_project_arguments(parser)
    parser.add_argument("--rounds", type=int, default=3, help="Rounds per target (default 3).")
    parser.add_argument("--duration", type=float, default=10, help="Seconds measured per round.")
    parser.add_argument("--warmup", type=float, default=3, help="Seconds of load before each.")
    parser.add_argument("--connections", type=int, default=32, help="Concurrent connections.")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1).")
    parser.add_argument(
        "--loadgen",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="auto: wrk when on PATH, else the Python load generator.",
    )
    parser.add_argument("--keep", action="store_true", help="Keep the generated project.")
    add_keep_dont_write_bytecode(parser)
    args = parser.parse_args()
    if not 1 <= args.rounds <= 50 or not 0 < args.duration <= 600 or args.warmup < 0:
        parser.error("need 1 <= --rounds <= 50, 0 < --duration <= 600, --warmup >= 0")
    if args.connections < args.threads or args.threads < 1:
        parser.error("need --connections >= --threads >= 1")
    return args


TARGETS = ("ours", "traced", "bare")
#: Throughput each target should keep, as a share of the bare app's.
THROUGHPUT_TARGETS = {"ours": 0.75, "traced": 0.50}


class TraceSink:
    """An OTLP/HTTP endpoint that takes every export and keeps only a count of them."""

    def __init__(self) -> None:
        self.exports = 0
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                sink.exports += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self._server = ThreadingHTTPServer((HOST, 0), Handler)
        self.url = f"http://{HOST}:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def build_servers(
    project: Project, scratch: Path, env: dict[str, str], sink: TraceSink
) -> dict[str, Server]:
    def server(name: str) -> Server:
        port = free_port()
        if name in ("ours", "traced"):
            command = ["uv", "run", "--no-sync", project.slug, "serve"]
            command += ["--host", HOST, "--port", str(port)]
            server_env = {k: v for k, v in env.items() if not k.startswith("OTEL_")}
            if name == "traced":
                server_env["OTEL_EXPORTER_OTLP_ENDPOINT"] = sink.url
        else:
            command = ["uv", "run", "--no-sync", "python", "-m", "uvicorn", "bare_app:app"]
            command += ["--app-dir", str(BENCH_DIR), *uvicorn_flags(project.uvicorn_kwargs, port)]
            server_env = {**env, "BENCH_MODEL_PATH": str(project.model_dir / "model.joblib")}
        return Server(name, command, project.path, server_env, scratch / f"{name}.log", port=port)

    return {name: server(name) for name in TARGETS}


def benchmark(args: argparse.Namespace, scratch: Path, processes: Processes) -> dict[str, Any]:
    tool = choose_load_tool(args.loadgen)
    script = None
    if tool == "wrk":
        script = scratch / "post.lua"
        script.write_text(WRK_SCRIPT % {"body": BODY})
    load = LoadSettings(tool, args.connections, args.threads, script)

    env = child_env(keep_dont_write_bytecode=args.keep_dont_write_bytecode)
    project_path: Path = (
        args.project.resolve()
        if args.project
        else generate_project(scratch / "my-ai-service", {"tracing": "true"})
    )
    project = prepare_project(project_path, args.retrain or args.project is None, env)
    print(f"model {project.model_dir}, uvicorn {project.uvicorn_kwargs}", file=sys.stderr)

    rounds: list[dict[str, Any]] = []
    answers: dict[str, dict[str, Any]] = {}
    commands: dict[str, list[str]] = {}
    sink = TraceSink()
    for index in range(args.rounds):
        # Rotate which target goes first, so none always runs on a warmer machine.
        order = [*TARGETS[index % len(TARGETS) :], *TARGETS[: index % len(TARGETS)]]
        for name in order:
            server = build_servers(project, scratch, env, sink)[name]
            commands[name] = server.command
            with processes.running(server):
                ready_s, answer = server.wait_ready()
                answers[name] = answer
                if args.warmup > 0:
                    run_load(load, server.url, args.warmup)
                measured = run_load(load, server.url, args.duration)
            result: dict[str, Any] = {**measured, "target": name, "round": index + 1}
            result["ready_s"] = ready_s
            rounds.append(result)
            print(
                f"round {index + 1}/{args.rounds} {name}: {result['rps']:.0f} req/s, "
                f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
                f"non-2xx {result['non_2xx']}, ready after {ready_s:.1f} s",
                file=sys.stderr,
            )

    sink.close()
    same = {k: v for k, v in answers["ours"].items() if k in answers["bare"]} == answers["bare"]
    return {
        "trace_exports": sink.exports,
        "project": str(project.path),
        "model": str(project.model_dir),
        "uvicorn_kwargs_from_cli": project.uvicorn_kwargs,
        "commands": commands,
        "load": {
            "tool": tool,
            "connections": args.connections,
            "threads": args.threads if tool == "wrk" else None,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "rounds": args.rounds,
        },
        "answers": answers,
        "answers_agree": same,
        "bytecode_note": bytecode_note(args.keep_dont_write_bytecode),
        "rounds": rounds,
    }


def report(data: dict[str, Any]) -> dict[str, Any]:
    per_target: dict[str, dict[str, Any]] = {}
    for name in TARGETS:
        mine = [r for r in data["rounds"] if r["target"] == name]
        per_target[name] = {
            key: Summary.of([r[key] for r in mine]).as_dict()
            for key in ("rps", "p50_ms", "p99_ms", "ready_s")
        }
        per_target[name]["non_2xx"] = sum(r["non_2xx"] for r in mine)
        per_target[name]["errors"] = sum(r["socket_errors"] + r["timeouts"] for r in mine)
    bare = per_target["bare"]
    ratios = {
        name: {
            key: ratio(per_target[name][key]["median"], bare[key]["median"])
            for key in ("rps", "p50_ms", "p99_ms", "ready_s")
        }
        for name in ("ours", "traced")
    }
    load = data["load"]
    labels = {
        "ours": "ours (metrics and logs, tracing off)",
        "traced": "ours, tracing 10% of new traces",
        "bare": "bare FastAPI, same model",
    }
    rows = [
        [
            labels[name],
            f"{per_target[name]['rps']['median']:.0f}",
            f"{per_target[name]['rps']['min']:.0f}-{per_target[name]['rps']['max']:.0f}",
            f"{per_target[name]['p50_ms']['median']:.1f}",
            f"{per_target[name]['p99_ms']['median']:.1f}",
            str(per_target[name]["non_2xx"]),
            str(per_target[name]["errors"]),
            f"{per_target[name]['ready_s']['median']:.1f}",
        ]
        for name in TARGETS
    ]
    rows += [
        [
            f"ratio {name}/bare",
            fmt_ratio(ratios[name]["rps"]),
            "",
            fmt_ratio(ratios[name]["p50_ms"]),
            fmt_ratio(ratios[name]["p99_ms"]),
            "",
            "",
            fmt_ratio(ratios[name]["ready_s"]),
        ]
        for name in ("ours", "traced")
    ]
    tool = f"wrk -t{load['threads']}" if load["tool"] == "wrk" else "python loadgen"
    print(
        f"\n### POST {PREDICT_PATH}: {tool} -c{load['connections']}, "
        f"{load['rounds']} alternating rounds x {load['duration_s']:g} s "
        f"(+{load['warmup_s']:g} s warm-up), medians over rounds\n"
    )
    headers = ["target", "req/s", "req/s range", "p50 ms", "p99 ms", "non-2xx", "errors"]
    print(markdown_table([*headers, "ready s"], rows))
    for name, target in THROUGHPUT_TARGETS.items():
        achieved = ratios[name]["rps"]
        verdict = "met" if achieved is not None and achieved >= target else "NOT met"
        print(f"\n{labels[name]}: throughput at least {target:.0%} of bare: {verdict}")
    print(f"span exports received: {data['trace_exports']}")
    print(f"\nuvicorn settings of every target (from the CLI): {data['uvicorn_kwargs_from_cli']}")
    print(data["bytecode_note"])
    if not data["answers_agree"]:
        print(f"WARNING: the two targets answered differently: {data['answers']}")
    return {"summary": per_target, "ratios_over_bare": ratios}


def main() -> int:
    args = parse_args()
    require_tool("uv")
    return run_main("bench_service", args, benchmark, report)


if __name__ == "__main__":
    raise SystemExit(main())

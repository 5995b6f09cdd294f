"""The generated service under its own load test at twice the expected traffic, vs. a bare app.

Generates a project with default answers and ``expected_rps`` from ``--expected-rps`` (or
takes ``--project``), then does what its README tells a user to do: ``make setup`` (which
writes an API key into ``.env``), ``make pipeline train promote`` (the first version becomes
the champion). Then, for ``--rounds``, one server at a time, rotating which goes first:

* ours: the generated service, ``uv run <slug> serve`` on a free port, reading the ``.env``
  that ``make setup`` wrote (API key included);
* bare: ``bare_app.py`` serving the champion's model file, under ``python -m uvicorn`` with
  the uvicorn settings the CLI uses, in the generated project's environment.

Each round starts the server, waits for a successful prediction, sends ``--warmup``
predictions one at a time, then runs the project's own load test against it,
``make loadtest URL=... DURATION=...`` (locust, headless, a constant total rate: twice the
expected traffic unless ``--rps``), and reads the verdict locust writes to
``reports/loadtest/summary.json``. The same command and rate for both targets; the
locustfile sends ``SERVICE_API_KEY`` as a bearer token, which the bare app ignores.
Only 127.0.0.1 is used. Every server started is stopped, also on errors and Ctrl-C.

Run: uv run python benchmarks/bench_loadtest.py [--expected-rps 20 --rounds 3 --duration 60]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
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
from bench_service import CAPTURE_UVICORN_ARGS, uvicorn_flags

READY_TIMEOUT_S = 120.0
SUMMARY = Path("reports/loadtest/summary.json")
TARGETS = ("ours", "bare")
LABELS = {"ours": "ours (`<slug> serve`)", "bare": "bare FastAPI, same model"}
#: The fields of the locustfile's summary that the table and the medians use.
MEASURES = ("achieved_rps", "p50_ms", "p99_ms", "error_rate")


# ----------------------------------------------------------------------------------------
# The generated project
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Project:
    path: Path
    slug: str
    expected_rps: int
    latency_slo_ms: int
    api_key: str
    model_dir: Path
    uvicorn_kwargs: dict[str, Any]


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=value`` lines of a ``.env`` file (no quoting, no expansion)."""
    values: dict[str, str] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep and not key.lstrip().startswith("#"):
                values[key.strip()] = value.strip().strip("'\"")
    return values


def champion_model(project: Path) -> Path:
    """The model folder of the registry's champion, which ``<slug> serve`` loads."""
    registry = project / "models" / "registry.json"
    try:
        champions = json.loads(registry.read_text())["champions"]
    except (OSError, ValueError, KeyError) as error:
        raise BenchError(f"cannot read the champion from {registry}: {error!r}") from error
    if not champions:
        raise BenchError(f"{registry} has no champion; run `make promote` in {project}")
    model_dir = project / "models" / str(champions[-1])
    if not (model_dir / "model.joblib").is_file():
        raise BenchError(f"no model file in {model_dir}")
    return model_dir


def prepare_project(path: Path, retrain: bool, env: dict[str, str]) -> Project:
    answers = yaml.safe_load((path / ".copier-answers.yml").read_text())
    slug, package = str(answers["project_slug"]), str(answers["package_name"])
    if answers.get("task", "classification") != "classification":
        raise BenchError("the bare app serves the demo classifier: needs task=classification")
    run_checked(["make", "setup"], path, env, "make setup")
    registry = path / "models" / "registry.json"
    if retrain or not registry.is_file():
        run_checked(["make", "pipeline", "train", "promote"], path, env, "make pipeline train")
    prefix = str(answers.get("env_prefix") or f"{package.upper()}_")
    keys = read_env_file(path / ".env").get(f"{prefix}API_KEYS", "")
    api_key = next((key.strip() for key in keys.split(",") if key.strip()), "")
    output = run_checked(
        ["uv", "run", "--no-sync", "python", "-c", CAPTURE_UVICORN_ARGS % {"package": package}],
        path,
        env,
        "reading the CLI's uvicorn settings",
    )
    return Project(
        path=path,
        slug=slug,
        expected_rps=int(answers["expected_rps"]),
        latency_slo_ms=int(answers["latency_slo_ms"]),
        api_key=api_key,
        model_dir=champion_model(path),
        uvicorn_kwargs=json.loads(output.split("BENCH_JSON ", 1)[1]),
    )


# ----------------------------------------------------------------------------------------
# Servers and the load test
# ----------------------------------------------------------------------------------------


def build_server(name: str, project: Project, scratch: Path, env: dict[str, str]) -> Process:
    port = free_port()
    if name == "ours":
        command = ["uv", "run", "--no-sync", project.slug, "serve", "--host", HOST]
        command += ["--port", str(port)]
        server_env = env
    else:
        command = ["uv", "run", "--no-sync", "python", "-m", "uvicorn", "bare_app:app"]
        command += ["--app-dir", str(BENCH_DIR), *uvicorn_flags(project.uvicorn_kwargs, port)]
        server_env = {**env, "BENCH_MODEL_PATH": str(project.model_dir / "model.joblib")}
    return Process(name, command, project.path, server_env, scratch / f"{name}.log", port=port)


def wait_ready(server: Process, headers: dict[str, str], warmup: int) -> float:
    """Seconds from start to the first successful prediction; then ``warmup`` more."""
    assert server.process is not None
    url = server.base_url + PREDICT_PATH
    body = {"features": FEATURES}
    deadline = time.monotonic() + READY_TIMEOUT_S
    with httpx.Client(timeout=5, trust_env=False, headers=headers) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise BenchError(
                    f"{server.name} exited with {server.process.returncode}:\n{server.log_tail()}"
                )
            try:
                response = client.post(url, json=body)
            except httpx.TransportError:
                time.sleep(0.1)
                continue
            if response.status_code == 200:
                ready_s = time.perf_counter() - server.started_at
                for _ in range(warmup):
                    client.post(url, json=body).raise_for_status()
                return ready_s
            if response.status_code != 503:  # 503: up, but the model is not loaded yet
                raise BenchError(
                    f"{server.name} answered {response.status_code}: {response.text[:500]}"
                )
            time.sleep(0.1)
    raise BenchError(f"{server.name} was not ready within {READY_TIMEOUT_S} s")


def loadtest_command(url: str, args: argparse.Namespace) -> list[str]:
    command = ["make", "loadtest", f"URL={url}", f"DURATION={args.duration}s"]
    return command + ([f"RPS={args.rps:g}"] if args.rps is not None else [])


def run_loadtest(
    project: Project, url: str, args: argparse.Namespace, env: dict[str, str], log: Path
) -> tuple[dict[str, Any], int]:
    """``make loadtest`` against ``url``: the locustfile's summary, and make's exit code.

    A non-zero exit is usually the load test's verdict "fail" (p99, errors or rate; make
    then exits 2), which is a result here, not an error; only a missing summary is.
    """
    summary = project.path / SUMMARY
    summary.unlink(missing_ok=True)
    command = loadtest_command(url, args)
    print(f"$ {' '.join(command)}", file=sys.stderr)
    with log.open("a") as output:
        output.write(f"\n$ {' '.join(command)}\n")
        output.flush()
        try:
            completed = subprocess.run(
                command,
                cwd=project.path,
                env={**env, "SERVICE_API_KEY": project.api_key},
                stdout=output,
                stderr=subprocess.STDOUT,
                timeout=args.duration + 180,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise BenchError(f"make loadtest did not finish; see {log}") from error
    if not summary.is_file():
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise BenchError(f"make loadtest wrote no {SUMMARY} (exit {completed.returncode}):\n{tail}")
    result: dict[str, Any] = json.loads(summary.read_text())
    return result, completed.returncode


# ----------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_project_arguments(parser)
    parser.add_argument(
        "--expected-rps",
        type=int,
        default=20,
        help="expected_rps answer of the generated project (default 20: the load test runs "
        "at 40 requests/s). Ignored with --project, which has its own.",
    )
    parser.add_argument(
        "--rps", type=float, help="Rate of the load test (default: the Makefile's, 2x expected)."
    )
    parser.add_argument("--rounds", type=int, default=3, help="Rounds per target (default 3).")
    parser.add_argument(
        "--duration", type=int, default=60, help="Seconds of each load test (default 60)."
    )
    parser.add_argument(
        "--warmup", type=int, default=20, help="Predictions, one at a time, before each round."
    )
    parser.add_argument("--keep", action="store_true", help="Keep the generated project.")
    add_keep_dont_write_bytecode(parser)
    args = parser.parse_args()
    if not 1 <= args.rounds <= 20 or not 1 <= args.duration <= 3600 or args.warmup < 0:
        parser.error("need 1 <= --rounds <= 20, 1 <= --duration <= 3600, --warmup >= 0")
    if args.expected_rps < 1 or (args.rps is not None and args.rps <= 0):
        parser.error("need --expected-rps >= 1 and --rps > 0")
    return args


def benchmark(args: argparse.Namespace, scratch: Path, processes: Processes) -> dict[str, Any]:
    load_at_start = os.getloadavg()
    env = child_env(keep_dont_write_bytecode=args.keep_dont_write_bytecode)
    project_path: Path = (
        args.project.resolve()
        if args.project
        else generate_project(scratch / "my-ai-service", {"expected_rps": str(args.expected_rps)})
    )
    project = prepare_project(project_path, args.retrain, env)
    if not project.api_key:
        print("no API key in .env: the load test sends no Authorization header", file=sys.stderr)
    print(f"model {project.model_dir}, uvicorn {project.uvicorn_kwargs}", file=sys.stderr)
    headers = {"Authorization": f"Bearer {project.api_key}"} if project.api_key else {}

    rounds: list[dict[str, Any]] = []
    commands: dict[str, list[str]] = {}
    for index in range(args.rounds):
        # Alternate which target goes first, so none always runs on a warmer machine.
        order = TARGETS if index % 2 == 0 else TARGETS[::-1]
        for name in order:
            server = build_server(name, project, scratch, env)
            commands[name] = server.command
            load_before = os.getloadavg()
            with processes.running(server):
                ready_s = wait_ready(server, headers, args.warmup)
                summary, exit_code = run_loadtest(
                    project, server.base_url, args, env, scratch / f"loadtest-{name}.log"
                )
            rounds.append(
                {
                    "target": name,
                    "round": index + 1,
                    "ready_s": ready_s,
                    "load_average_before": load_before,
                    "make_exit_code": exit_code,
                    "summary": summary,
                }
            )
            print(
                f"round {index + 1}/{args.rounds} {name}: {summary['achieved_rps']} of "
                f"{summary['target_rps']:g} req/s, p50 {summary['p50_ms']} ms, "
                f"p99 {summary['p99_ms']} ms, errors {summary['error_rate']:.2%}, "
                f"{summary['verdict']} (load average {load_before[0]:.1f})",
                file=sys.stderr,
            )
    first = rounds[0]["summary"]
    return {
        "project": str(project.path),
        "model": str(project.model_dir),
        "expected_rps": project.expected_rps,
        "latency_slo_ms": project.latency_slo_ms,
        "uvicorn_kwargs_from_cli": project.uvicorn_kwargs,
        "commands": commands,
        "load": {
            "command": loadtest_command("<URL>", args),
            "target_rps": first["target_rps"],
            "users": first["users"],
            "duration_s": args.duration,
            "rounds": args.rounds,
            "warmup_requests": args.warmup,
        },
        "bytecode_note": bytecode_note(args.keep_dont_write_bytecode),
        "load_average_at_benchmark_start": load_at_start,
        "rounds": rounds,
    }


def report(data: dict[str, Any]) -> dict[str, Any]:
    per_target: dict[str, dict[str, Any]] = {}
    for name in TARGETS:
        mine = [r for r in data["rounds"] if r["target"] == name]
        per_target[name] = {
            key: Summary.of([float(r["summary"][key] or 0) for r in mine]).as_dict()
            for key in (*MEASURES, "fallback_rate")
        }
        per_target[name]["ready_s"] = Summary.of([r["ready_s"] for r in mine]).as_dict()
        per_target[name]["passed"] = sum(r["summary"]["verdict"] == "pass" for r in mine)
        per_target[name]["rounds"] = len(mine)
        per_target[name]["reasons"] = sorted(
            {reason for r in mine for reason in r["summary"]["reasons"]}
        )
    ours, bare = per_target["ours"], per_target["bare"]
    ratios = {key: ratio(ours[key]["median"], bare[key]["median"]) for key in MEASURES}
    slo = float(data["latency_slo_ms"])

    def row(name: str) -> list[str]:
        target = per_target[name]
        p99 = target["p99_ms"]
        return [
            LABELS[name],
            f"{target['achieved_rps']['median']:.1f}",
            f"{target['p50_ms']['median']:.0f}",
            f"{p99['median']:.0f}",
            f"{p99['min']:.0f}-{p99['max']:.0f}",
            f"{target['error_rate']['median']:.2%}",
            f"{target['fallback_rate']['median']:.1%}",
            "met" if p99["median"] <= slo else "NOT met",
            f"{target['passed']}/{target['rounds']}",
        ]

    rows = [row(name) for name in TARGETS]
    rows.append(
        [
            "ratio ours/bare",
            fmt_ratio(ratios["achieved_rps"]),
            fmt_ratio(ratios["p50_ms"]),
            fmt_ratio(ratios["p99_ms"]),
            "",
            "",
            "",
            "",
            "",
        ]
    )
    load = data["load"]
    print(
        f"\n### make loadtest: {load['target_rps']:g} req/s (expected_rps "
        f"{data['expected_rps']} x 2) from {load['users']} locust users, "
        f"{load['rounds']} alternating rounds x {load['duration_s']} s, medians over rounds\n"
    )
    headers = ["target", "achieved req/s", "p50 ms", "p99 ms", "p99 range", "errors"]
    headers += ["fallbacks", f"p99 <= {slo:g} ms", "locust pass"]
    print(markdown_table(headers, rows))
    verdict = "met" if ours["p99_ms"]["median"] <= slo else "NOT met"
    print(
        f"\nours: p99 {ours['p99_ms']['median']:.0f} ms (median of {ours['rounds']}) against "
        f"the latency objective of {slo:g} ms at {load['target_rps']:g} req/s: {verdict}"
    )
    for name in TARGETS:
        if per_target[name]["reasons"]:
            print(f"{name}: locust failed the run for: {'; '.join(per_target[name]['reasons'])}")
    loads = [r["load_average_before"][0] for r in data["rounds"]]
    print(
        f"load average (1 min) before the rounds: median {Summary.of(loads).median:.1f}, "
        f"{min(loads):.1f}-{max(loads):.1f}, on {os.cpu_count()} CPUs"
    )
    print(f"uvicorn settings of both targets (from the CLI): {data['uvicorn_kwargs_from_cli']}")
    print(data["bytecode_note"])
    return {"summary_per_target": per_target, "ratios_ours_over_bare": ratios}


def main() -> int:
    args = parse_args()
    for tool in ("uv", "make"):
        require_tool(tool)
    return run_main("bench_loadtest", args, benchmark, report)


if __name__ == "__main__":
    raise SystemExit(main())

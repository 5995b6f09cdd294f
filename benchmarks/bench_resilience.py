"""Resilience of the generated service when its remote model misbehaves, and what it costs.

Generates a project with ``serving=inference_server`` (or takes ``--project``), trains the
demo model, and runs the generated test suite's fake KServe v2 server (``tests/fakes``) in
a process of its own, in the generated project's environment; the script switches its
behaviour between scenarios over the fake's stdin. Three figures, each next to a baseline
measured in the same run, interleaved with it, medians over ``--rounds``:

1. hang: the upstream never answers. ``POST /v1/predict`` of the service (``<slug> serve``,
   deadline ``--deadline-ms``, breaker out of the way) must answer 200 from the fallback
   with ``deadline_exceeded`` right at the deadline. Baselines: the deadline itself, and
   ``GET /healthz`` of the same service under the same load (the round-trip floor).
2. breaker: the upstream answers malformed JSON until the circuit breaker opens; then
   ``POST /v1/predict`` must not cost much more than ``GET /healthz`` (baseline). Also
   timed inside one process: ``PredictionService.predict`` with the breaker open vs. the
   fallback alone.
3. overhead: healthy upstream. In one process, closed-loop load through
   ``PredictionService.predict`` (deadline, breaker, retries, fallback chain) vs. the raw
   path (an httpx POST of the same ``encode(features)`` payload and ``adapter.decode``),
   alternating rounds. Once with the fake computing the model per request, as in the
   tests, and once with its answer cached, so that the client side is the bottleneck and
   the overhead shows in requests/s.

The same file runs the helpers inside the generated project's environment
(``uv run --no-sync python benchmarks/bench_resilience.py _worker ...``); they import only
the standard library, httpx and the generated package. Only 127.0.0.1 is used; every
process started runs in its own process group and is stopped, also on errors and Ctrl-C.

Run: uv run python benchmarks/bench_resilience.py [--rounds 3 --requests 200 --duration 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
from _common import (
    REPO_ROOT,
    Summary,
    bytecode_note,
    child_env,
    fmt_ratio,
    markdown_table,
    ratio,
    require_tool,
    write_results,
)
from loadgen import percentile

HOST = "127.0.0.1"
PREDICT_PATH = "/v1/predict"
HEALTHZ_PATH = "/healthz"
FEATURES = {
    "tenure_months": 8,
    "monthly_charges": 89.5,
    "support_tickets_90d": 3,
    "contract_type": "month_to_month",
    "payment_method": "invoice",
}
BODY = json.dumps({"features": FEATURES}, separators=(",", ":")).encode()
SCENARIOS = ("hang", "breaker", "overhead")
THIS_SCRIPT = Path(__file__).resolve()

TARGET_OVERSHOOT_MS = 20.0  # 1: p99 <= deadline + this
TARGET_BREAKER_P99_MS = 2.0  # 2: p99 below this
TARGET_OVERHEAD_RATIO = 0.95  # 3: req/s resilient / raw at least this

READY_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 15.0
SETUP_TIMEOUT_S = 900
CLIENT_TIMEOUT_S = 10.0
BREAKER_MAX_WARMUP = 50  # requests to open the breaker before giving up


class BenchError(RuntimeError):
    pass


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def latency_stats(latencies_s: Sequence[float]) -> dict[str, float]:
    """Percentiles in ms (nearest rank, as loadgen.py) of one batch of latencies."""
    ordered = sorted(latencies_s)
    return {
        "p50_ms": percentile(ordered, 0.50) * 1000,
        "p90_ms": percentile(ordered, 0.90) * 1000,
        "p99_ms": percentile(ordered, 0.99) * 1000,
        "max_ms": (ordered[-1] * 1000) if ordered else 0.0,
        "mean_ms": (sum(ordered) / len(ordered) * 1000) if ordered else 0.0,
    }


# ----------------------------------------------------------------------------------------
# Helpers that run inside the generated project's environment
# ----------------------------------------------------------------------------------------


def _project_modules(package: str) -> dict[str, Any]:
    """The generated package's modules (and the project root on sys.path for tests.fakes)."""
    sys.path.insert(0, str(Path.cwd()))
    names = {
        "settings": f"{package}.settings",
        "features": f"{package}.contracts.features",
        "kserve": f"{package}.serving.kserve_v2",
        "fallback": f"{package}.resilience.fallback",
        "chain": f"{package}.resilience.chain",
        "store": f"{package}.model_store",
    }
    return {key: importlib.import_module(name) for key, name in names.items()}


def worker_fake(args: argparse.Namespace) -> int:
    """Serve the trained model with tests/fakes' FakeKServe; obey commands read from stdin.

    Prints ``BENCH_URL <url>`` once listening. Each stdin line ``behave <mode> <cost>``
    (cost ``model``: predict_proba per request, as in the tests; ``cached``: the answer for
    an identical request is reused) switches the behaviour and is acknowledged with
    ``BENCH_OK``. End of stdin stops the server.
    """
    modules = _project_modules(args.package)
    fakes = importlib.import_module("tests.fakes.kserve_v2")
    settings = modules["settings"].Settings()
    estimator = modules["store"].load_model(settings.model_dir).estimator
    fake = fakes.FakeKServe(estimator, settings.inference_model, hang_s=args.hang_s)
    computed = fake._probabilities
    cache: dict[str, list[float]] = {}
    cached = threading.Event()

    def probabilities() -> list[float]:
        if not cached.is_set():
            return list(computed())
        key = json.dumps(fake.last_request.get("inputs"), sort_keys=True)
        if key not in cache:
            cache[key] = list(computed())
        return list(cache[key])

    fake._probabilities = probabilities
    fake.start()
    try:
        print(f"BENCH_URL {fake.url}", flush=True)
        for line in sys.stdin:
            words = line.split()
            if len(words) == 3 and words[0] == "behave" and words[2] in ("model", "cached"):
                fake.behave(words[1])
                if words[2] == "cached":
                    cached.set()
                else:
                    cached.clear()
                print(f"BENCH_OK {words[1]} {words[2]}", flush=True)
            elif words:
                print(f"BENCH_ERROR unknown command {line.strip()!r}", flush=True)
    finally:
        fake.stop()
    return 0


async def _build_service(modules: dict[str, Any], **overrides: Any) -> tuple[Any, Any, Any]:
    """Adapter, fallback and PredictionService as the app factory assembles them."""
    settings = modules["settings"].Settings(**overrides)
    adapter = modules["kserve"].build_adapter(settings)
    await adapter.start()
    fallback = modules["fallback"].build_fallback(settings)
    await fallback.start()
    service = modules["chain"].PredictionService(
        adapter,
        fallback,
        timeout_s=settings.request_timeout_s,
        confidence_threshold=settings.confidence_threshold,
    )
    return adapter, fallback, service


async def _breaker_inprocess(args: argparse.Namespace) -> dict[str, Any]:
    modules = _project_modules(args.package)
    features = modules["features"].Features.model_validate(FEATURES)
    adapter, fallback, service = await _build_service(
        modules, inference_url=args.url, breaker_failures=3, breaker_reset_s=3600.0
    )
    try:
        opened_after = None
        for attempt in range(1, BREAKER_MAX_WARMUP + 1):
            outcome = await service.predict(features)
            if outcome.fallback_reason == "breaker_open":
                opened_after = attempt
                break
        if opened_after is None:
            raise SystemExit(f"the breaker did not open within {BREAKER_MAX_WARMUP} predictions")
        operations: dict[str, Callable[[], Awaitable[Any]]] = {
            "predict_breaker_open": lambda: service.predict(features),
            "fallback_alone": lambda: fallback.respond(features),
        }
        for operation in operations.values():  # untimed warm-up
            for _ in range(min(args.requests, 200)):
                await operation()
        rounds: list[dict[str, Any]] = []
        reasons: Counter[str] = Counter()
        for index in range(args.rounds):
            order = list(operations) if index % 2 == 0 else list(reversed(operations))
            for name in order:
                samples: list[float] = []
                for _ in range(args.requests):
                    started = time.perf_counter()
                    outcome = await operations[name]()
                    samples.append(time.perf_counter() - started)
                    if name == "predict_breaker_open":
                        reasons[str(outcome.fallback_reason)] += 1
                ordered = sorted(samples)
                rounds.append(
                    {
                        "target": name,
                        "round": index + 1,
                        "n": len(samples),
                        "p50_us": percentile(ordered, 0.50) * 1e6,
                        "p99_us": percentile(ordered, 0.99) * 1e6,
                    }
                )
        return {"opened_after": opened_after, "fallback_reasons": dict(reasons), "rounds": rounds}
    finally:
        await adapter.close()


async def _closed_loop(
    operation: Callable[[], Awaitable[object]], concurrency: int, duration_s: float
) -> dict[str, Any]:
    """``concurrency`` tasks call ``operation`` back to back for ``duration_s`` seconds."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    cpu_started = time.process_time()
    started = time.perf_counter()
    stop_at = started + duration_s

    async def task() -> None:
        while time.perf_counter() < stop_at:
            began = time.perf_counter()
            try:
                await operation()
            except Exception as error:
                errors[type(error).__name__ + ": " + str(error)[:80]] += 1
                await asyncio.sleep(0.01)  # do not spin on a failing upstream
                continue
            latencies.append(time.perf_counter() - began)

    await asyncio.gather(*(task() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    cpu_s = time.process_time() - cpu_started
    done = len(latencies)
    return {
        "requests": done,
        "elapsed_s": elapsed,
        "rps": done / elapsed if elapsed else 0.0,
        "cpu_us_per_request": cpu_s / done * 1e6 if done else 0.0,
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        **latency_stats(latencies),
    }


class FellBackError(RuntimeError):
    """The resilient path answered from the fallback: not a like-for-like request."""


async def _overhead_inprocess(args: argparse.Namespace) -> dict[str, Any]:
    modules = _project_modules(args.package)
    features = modules["features"].Features.model_validate(FEATURES)
    encode = modules["kserve"].encode
    adapter, _, service = await _build_service(modules, inference_url=args.url)
    infer_path = f"/v2/models/{adapter.model_name}/infer"

    async def raw() -> Any:
        response = await adapter.client.post(infer_path, json=encode(features))
        if response.status_code != 200:
            raise RuntimeError(f"upstream answered {response.status_code}")
        return adapter.decode(response.json())

    async def resilient() -> Any:
        outcome = await service.predict(features)
        if outcome.fallback_reason is not None:
            raise FellBackError(str(outcome.fallback_reason))
        return outcome

    paths: dict[str, Callable[[], Awaitable[Any]]] = {"raw": raw, "resilient": resilient}
    try:
        first_raw, first_resilient = await raw(), await resilient()
        if first_raw.label != first_resilient.prediction:
            raise SystemExit(f"the paths disagree: {first_raw} vs {first_resilient}")
        for operation in paths.values():
            if args.warmup > 0:
                await _closed_loop(operation, args.concurrency, args.warmup)
        rounds: list[dict[str, Any]] = []
        for index in range(args.rounds):
            order = list(paths) if index % 2 == 0 else list(reversed(paths))
            for name in order:
                result = await _closed_loop(paths[name], args.concurrency, args.duration)
                rounds.append({"target": name, "round": index + 1, **result})
        return {
            "answer": {"label": first_raw.label, "confidence": first_raw.confidence},
            "breaker_state_after": adapter.upstream.breaker.state.value,
            "rounds": rounds,
        }
    finally:
        await adapter.close()


def worker_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench_resilience.py _worker")
    parser.add_argument("kind", choices=("fake", "breaker", "overhead"))
    parser.add_argument("--package", required=True)
    parser.add_argument("--url", default="")
    parser.add_argument("--hang-s", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    args = parser.parse_args(argv)
    if args.kind == "fake":
        return worker_fake(args)
    if not args.url.startswith(f"http://{HOST}:"):
        parser.error(f"--url must be http://{HOST}:<port>")
    run = _breaker_inprocess if args.kind == "breaker" else _overhead_inprocess
    print("BENCH_JSON " + json.dumps(asyncio.run(run(args))), flush=True)
    return 0


# ----------------------------------------------------------------------------------------
# Processes started by the benchmark
# ----------------------------------------------------------------------------------------


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
    pipes: bool = False  # stdin and stdout as pipes (the fake upstream)
    port: int = 0  # where it listens, for services
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
        """The rest of the next stdout line that starts with ``prefix``."""
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
        process = self.process
        if process is None:
            return
        if process.stdin is not None and not process.stdin.closed:
            with contextlib.suppress(OSError):
                process.stdin.close()  # the fake stops itself at the end of its stdin
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


@dataclass
class Processes:
    """Every process started, so they all get stopped whatever happens."""

    started: list[Process] = field(default_factory=list)

    @contextlib.contextmanager
    def running(self, process: Process) -> Iterator[Process]:
        self.started.append(process)
        process.start()
        try:
            yield process
        finally:
            process.stop()

    def stop_all(self) -> None:
        for process in reversed(self.started):
            process.stop()


# ----------------------------------------------------------------------------------------
# The generated project
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    args: argparse.Namespace
    project: Path
    slug: str
    package: str
    env_prefix: str
    env: dict[str, str]
    scratch: Path
    processes: Processes

    def uv_python(self, *arguments: str) -> list[str]:
        return ["uv", "run", "--no-sync", "python", *arguments]

    def worker(self, name: str, *arguments: str) -> list[str]:
        return self.uv_python(
            str(THIS_SCRIPT), "_worker", name, "--package", self.package, *arguments
        )

    def service_env(self, settings: dict[str, str]) -> dict[str, str]:
        return {**self.env, **{self.env_prefix + key: value for key, value in settings.items()}}


def run_checked(command: list[str], cwd: Path, env: dict[str, str], what: str) -> str:
    """Run a setup command; its output, or BenchError with the tail of it."""
    print(f"$ {' '.join(command)}", file=sys.stderr)
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


def generate(destination: Path) -> Path:
    from copier import run_copy

    print(f"generating the project (serving=inference_server) into {destination}", file=sys.stderr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DirtyLocalWarning while the template has edits
        run_copy(
            str(REPO_ROOT),
            destination,
            data={"serving": "inference_server"},
            defaults=True,
            vcs_ref="HEAD",
            quiet=True,
        )
    return destination


def prepare_project(
    args: argparse.Namespace, scratch: Path, processes: Processes, env: dict[str, str]
) -> Context:
    import yaml

    path = args.project.resolve() if args.project else generate(scratch / "my-ai-service")
    answers = yaml.safe_load((path / ".copier-answers.yml").read_text())
    if answers.get("serving") != "inference_server":
        raise BenchError(
            f"{path} was generated with serving={answers.get('serving')!r}; "
            "this benchmark needs serving=inference_server"
        )
    slug, package = str(answers["project_slug"]), str(answers["package_name"])
    run_checked(["uv", "sync"], path, env, "uv sync")
    has_model = any((path / "models").glob("v*/metadata.json"))
    if args.retrain or args.project is None or not has_model:
        run_checked(["uv", "run", "--no-sync", slug, "train"], path, env, "training")
    return Context(args, path, slug, package, package.upper() + "_", env, scratch, processes)


# ----------------------------------------------------------------------------------------
# The fake upstream and the service
# ----------------------------------------------------------------------------------------


class FakeUpstream:
    """The fake KServe v2 server in its own process, driven over its stdin."""

    def __init__(self, ctx: Context) -> None:
        self.process = Process(
            "fake upstream",
            ctx.worker("fake", "--hang-s", str(ctx.args.hang_s)),
            ctx.project,
            ctx.env,
            ctx.scratch / "fake.log",
            pipes=True,
        )
        self.url = ""

    def wait_ready(self) -> str:
        self.url = self.process.wait_line("BENCH_URL ", READY_TIMEOUT_S)
        if not self.url.startswith(f"http://{HOST}:"):
            raise BenchError(f"the fake upstream listens on {self.url}, not on {HOST}")
        return self.url

    def behave(self, mode: str, cost: str = "model") -> None:
        self.process.send(f"behave {mode} {cost}")
        self.process.wait_line(f"BENCH_OK {mode} {cost}", 10.0)
        print(f"fake upstream: {mode} ({cost})", file=sys.stderr)


def start_service(ctx: Context, name: str, settings: dict[str, str]) -> Process:
    port = free_port()
    command = ["uv", "run", "--no-sync", ctx.slug, "serve", "--host", HOST, "--port", str(port)]
    log = ctx.scratch / f"{name}.log"
    return Process(name, command, ctx.project, ctx.service_env(settings), log, port=port)


def wait_service(service: Process, fake_url: str) -> float:
    """Seconds from start until /healthz answers; checks the service calls the fake."""
    assert service.process is not None
    deadline = time.monotonic() + READY_TIMEOUT_S
    with httpx.Client(base_url=service.base_url, timeout=5, trust_env=False) as client:
        while time.monotonic() < deadline:
            if service.process.poll() is not None:
                raise BenchError(f"{service.name} exited:\n{service.log_tail()}")
            try:
                if client.get(HEALTHZ_PATH).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        else:
            raise BenchError(f"{service.name} was not up within {READY_TIMEOUT_S:g} s")
        ready_s = time.perf_counter() - service.started_at
        metadata = client.get("/v1/model").json()
    if metadata.get("serving") != "inference_server" or metadata.get("url") != fake_url:
        raise BenchError(f"{service.name} does not call the fake upstream: {metadata}")
    return ready_s


def run_worker(ctx: Context, name: str, arguments: list[str], timeout_s: float) -> dict[str, Any]:
    """Run an in-process helper in the generated environment; the JSON it prints."""
    log = ctx.scratch / f"worker-{name}.log"
    worker = Process(f"{name} helper", ctx.worker(name, *arguments), ctx.project, ctx.env, log)
    print(f"$ {' '.join(worker.command)}", file=sys.stderr)
    with ctx.processes.running(worker):
        code = worker.wait(timeout_s)
    text = log.read_text(errors="replace")
    marker = text.rfind("BENCH_JSON ")
    if code != 0 or marker < 0:
        raise BenchError(f"the {name} helper failed with exit code {code}:\n{worker.log_tail()}")
    result: dict[str, Any] = json.loads(text[marker:].split(" ", 1)[1].splitlines()[0])
    return result


# ----------------------------------------------------------------------------------------
# Load on the service, from this process
# ----------------------------------------------------------------------------------------


@dataclass
class Tally:
    latencies_s: list[float] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)
    transport_errors: int = 0


def _answer(response: httpx.Response) -> str:
    """``200 <fallback_reason>`` for predictions, else the status code (and error code)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.request.url.path != PREDICT_PATH:
        return str(response.status_code)
    if response.status_code == 200 and isinstance(body, dict):
        return f"200 {body.get('fallback_reason') or 'model'}"
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return f"{response.status_code} {code or ''}".strip()


async def http_batch(client: httpx.AsyncClient, path: str, n: int, concurrency: int) -> Tally:
    """``n`` requests to ``path`` (POST the example for predictions, else GET), closed loop."""
    tally = Tally()
    remaining = n
    headers = {"content-type": "application/json"}

    async def task() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            try:
                if path == PREDICT_PATH:
                    response = await client.post(path, content=BODY, headers=headers)
                else:
                    response = await client.get(path)
            except httpx.HTTPError:
                tally.transport_errors += 1
                await asyncio.sleep(0.01)
                continue
            tally.latencies_s.append(time.perf_counter() - started)
            tally.answers[_answer(response)] += 1

    await asyncio.gather(*(task() for _ in range(concurrency)))
    return tally


async def measure_http(
    url: str, requests: int, concurrency: int, rounds: int, warmup: int, label: str
) -> list[dict[str, Any]]:
    """Alternating batches of predictions and health checks on one running service."""
    paths = {"predict": PREDICT_PATH, "healthz": HEALTHZ_PATH}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    results: list[dict[str, Any]] = []
    async with httpx.AsyncClient(
        base_url=url, limits=limits, timeout=CLIENT_TIMEOUT_S, trust_env=False
    ) as client:
        for path in paths.values():  # untimed: connections, first-call costs
            await http_batch(client, path, warmup, concurrency)
        for index in range(rounds):
            # Alternate which goes first, so neither always runs on a warmer machine.
            order = list(paths) if index % 2 == 0 else list(reversed(paths))
            for name in order:
                tally = await http_batch(client, paths[name], requests, concurrency)
                stats = latency_stats(tally.latencies_s)
                results.append(
                    {
                        "target": name,
                        "round": index + 1,
                        "n": len(tally.latencies_s),
                        "answers": dict(tally.answers),
                        "transport_errors": tally.transport_errors,
                        **stats,
                    }
                )
                print(
                    f"{label} round {index + 1}/{rounds} {name}: p50 {stats['p50_ms']:.2f} ms, "
                    f"p99 {stats['p99_ms']:.2f} ms, answers {dict(tally.answers)}",
                    file=sys.stderr,
                )
    return results


# ----------------------------------------------------------------------------------------
# Scenarios
# ----------------------------------------------------------------------------------------


def scenario_hang(ctx: Context, fake: FakeUpstream) -> dict[str, Any]:
    args = ctx.args
    fake.behave("hang")
    settings = {
        "INFERENCE_URL": fake.url,
        "REQUEST_TIMEOUT_MS": str(args.deadline_ms),
        "BREAKER_FAILURES": "1000000",  # every request waits on the upstream
    }
    with ctx.processes.running(start_service(ctx, "service-hang", settings)) as service:
        ready_s = wait_service(service, fake.url)
        rounds = asyncio.run(
            measure_http(
                service.base_url,
                args.requests,
                args.hang_concurrency,
                args.rounds,
                warmup=args.hang_concurrency,
                label="hang",
            )
        )
        command = service.command
    return {
        "service_command": command,
        "service_settings": {ctx.env_prefix + k: v for k, v in settings.items()},
        "deadline_ms": args.deadline_ms,
        "concurrency": args.hang_concurrency,
        "requests_per_round": args.requests,
        "ready_s": ready_s,
        "rounds": rounds,
    }


def open_breaker(service: Process) -> int:
    """Predictions until the answer says ``breaker_open``; how many it took."""
    with httpx.Client(base_url=service.base_url, timeout=CLIENT_TIMEOUT_S, trust_env=False) as c:
        for attempt in range(1, BREAKER_MAX_WARMUP + 1):
            response = c.post(
                PREDICT_PATH, content=BODY, headers={"content-type": "application/json"}
            )
            if _answer(response) == "200 breaker_open":
                return attempt
            if response.status_code != 200:
                raise BenchError(f"prediction answered {response.status_code}: {response.text}")
    raise BenchError(f"the breaker did not open within {BREAKER_MAX_WARMUP} predictions")


def scenario_breaker(ctx: Context, fake: FakeUpstream) -> dict[str, Any]:
    args = ctx.args
    fake.behave("malformed_json")
    settings = {"INFERENCE_URL": fake.url, "BREAKER_FAILURES": "3", "BREAKER_RESET_S": "3600"}
    with ctx.processes.running(start_service(ctx, "service-breaker", settings)) as service:
        ready_s = wait_service(service, fake.url)
        opened_after = open_breaker(service)
        print(f"breaker open after {opened_after} predictions", file=sys.stderr)
        rounds = asyncio.run(
            measure_http(
                service.base_url,
                args.fast_requests,
                args.breaker_concurrency,
                args.rounds,
                warmup=min(args.fast_requests, 200),
                label="breaker",
            )
        )
        command = service.command
    in_process = run_worker(
        ctx,
        "breaker",
        ["--url", fake.url, "--rounds", str(args.rounds), "--requests", str(args.fast_requests)],
        timeout_s=READY_TIMEOUT_S + 60,
    )
    return {
        "service_command": command,
        "service_settings": {ctx.env_prefix + k: v for k, v in settings.items()},
        "concurrency": args.breaker_concurrency,
        "requests_per_round": args.fast_requests,
        "opened_after": opened_after,
        "ready_s": ready_s,
        "rounds": rounds,
        "in_process": in_process,
    }


def scenario_overhead(ctx: Context, fake: FakeUpstream) -> dict[str, Any]:
    args = ctx.args
    arguments = ["--url", fake.url, "--rounds", str(args.rounds)]
    arguments += ["--concurrency", str(args.concurrency), "--duration", str(args.duration)]
    arguments += ["--warmup", str(args.warmup)]
    budget_s = READY_TIMEOUT_S + 2 * (args.warmup + args.rounds * (args.duration + 5))
    variants: dict[str, Any] = {}
    for cost in ("model", "cached"):
        fake.behave("ok", cost)
        variants[cost] = run_worker(ctx, "overhead", arguments, timeout_s=budget_s)
        for result in variants[cost]["rounds"]:
            print(
                f"overhead ({cost}) round {result['round']}/{args.rounds} {result['target']}: "
                f"{result['rps']:.0f} req/s, client CPU {result['cpu_us_per_request']:.0f} us/req, "
                f"errors {result['errors']}",
                file=sys.stderr,
            )
    return {
        "concurrency": args.concurrency,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "variants": variants,
    }


RUNNERS: dict[str, Callable[[Context, FakeUpstream], dict[str, Any]]] = {
    "hang": scenario_hang,
    "breaker": scenario_breaker,
    "overhead": scenario_overhead,
}


def benchmark(args: argparse.Namespace, scratch: Path, processes: Processes) -> dict[str, Any]:
    env = child_env(keep_dont_write_bytecode=args.keep_dont_write_bytecode)
    ctx = prepare_project(args, scratch, processes, env)
    fake = FakeUpstream(ctx)
    results: dict[str, Any] = {}
    with processes.running(fake.process):
        fake.wait_ready()
        print(f"fake upstream at {fake.url}", file=sys.stderr)
        for name in SCENARIOS:
            if name in args.scenarios:
                results[name] = RUNNERS[name](ctx, fake)
    return {
        "project": str(ctx.project),
        "fake_command": fake.process.command,
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "bytecode_note": bytecode_note(args.keep_dont_write_bytecode),
        "scenarios": results,
    }


# ----------------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------------


def _of(rounds: list[dict[str, Any]], target: str, key: str) -> Summary:
    return Summary.of([r[key] for r in rounds if r["target"] == target])


def _answers(rounds: list[dict[str, Any]], target: str) -> Counter[str]:
    total: Counter[str] = Counter()
    for r in rounds:
        if r["target"] == target:
            total.update(r["answers"])
            total["transport error"] += r["transport_errors"]
    return +total  # drop zero counts


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def _fmt_answers(answers: Counter[str]) -> str:
    return ", ".join(f"{name} x{count}" for name, count in answers.most_common())


def report(data: dict[str, Any]) -> dict[str, Any]:
    scenarios = data["scenarios"]
    headline: list[list[str]] = []
    details: list[list[str]] = []
    summary: dict[str, Any] = {}
    notes: list[str] = []

    def latency_detail(label: str, rounds: list[dict[str, Any]], target: str) -> None:
        p99 = _of(rounds, target, "p99_ms")
        details.append(
            [
                label,
                f"{_of(rounds, target, 'p50_ms').median:.2f}",
                f"{p99.median:.2f}",
                f"{p99.min:.2f}-{p99.max:.2f}",
                f"{_of(rounds, target, 'max_ms').median:.2f}",
                str(sum(r["n"] for r in rounds if r["target"] == target)),
                _fmt_answers(_answers(rounds, target)),
            ]
        )

    if "hang" in scenarios:
        hang = scenarios["hang"]
        rounds, deadline = hang["rounds"], hang["deadline_ms"]
        p50, p99 = _of(rounds, "predict", "p50_ms"), _of(rounds, "predict", "p99_ms")
        floor = _of(rounds, "healthz", "p99_ms")
        answers = _answers(rounds, "predict")
        total = sum(answers.values())
        unexpected = total - answers["200 deadline_exceeded"]
        overshoot = p99.median - deadline
        met = overshoot <= TARGET_OVERSHOOT_MS
        headline.append(
            [
                f"1. upstream hangs: POST {PREDICT_PATH} p99 (c={hang['concurrency']})",
                f"{p99.median:.1f} ms (p50 {p50.median:.1f})",
                f"deadline {deadline} ms; GET {HEALTHZ_PATH} p99 {floor.median:.2f} ms",
                f"{overshoot:+.1f} ms over the deadline",
                f"<= deadline + {TARGET_OVERSHOOT_MS:g} ms",
                _verdict(met),
                f"{unexpected} of {total}",
            ]
        )
        latency_detail(f"1. hang: POST {PREDICT_PATH}", rounds, "predict")
        latency_detail(f"1. hang: GET {HEALTHZ_PATH}", rounds, "healthz")
        summary["hang"] = {
            "predict_p50_ms": p50.as_dict(),
            "predict_p99_ms": p99.as_dict(),
            "healthz_p99_ms": floor.as_dict(),
            "deadline_ms": deadline,
            "overshoot_p99_ms": overshoot,
            "answers": dict(answers),
            "unexpected_answers": unexpected,
            "target": {"overshoot_ms_at_most": TARGET_OVERSHOOT_MS, "met": met},
        }

    if "breaker" in scenarios:
        breaker = scenarios["breaker"]
        rounds = breaker["rounds"]
        p50, p99 = _of(rounds, "predict", "p50_ms"), _of(rounds, "predict", "p99_ms")
        base50, base99 = _of(rounds, "healthz", "p50_ms"), _of(rounds, "healthz", "p99_ms")
        answers = _answers(rounds, "predict")
        total = sum(answers.values())
        unexpected = total - answers["200 breaker_open"]
        met = p99.median < TARGET_BREAKER_P99_MS
        headline.append(
            [
                f"2. breaker open: POST {PREDICT_PATH} p99 (c={breaker['concurrency']})",
                f"{p99.median:.2f} ms (p50 {p50.median:.2f})",
                f"GET {HEALTHZ_PATH} p99 {base99.median:.2f} ms (p50 {base50.median:.2f})",
                f"{fmt_ratio(ratio(p99.median, base99.median))} p99, "
                f"+{p50.median - base50.median:.2f} ms p50",
                f"p99 < {TARGET_BREAKER_P99_MS:g} ms",
                _verdict(met),
                f"{unexpected} of {total}",
            ]
        )
        latency_detail(f"2. breaker open: POST {PREDICT_PATH}", rounds, "predict")
        latency_detail(f"2. breaker open: GET {HEALTHZ_PATH}", rounds, "healthz")
        inproc = breaker["in_process"]["rounds"]
        in_process = {
            name: {
                "p50_us": _of(inproc, name, "p50_us").as_dict(),
                "p99_us": _of(inproc, name, "p99_us").as_dict(),
            }
            for name in ("predict_breaker_open", "fallback_alone")
        }
        notes.append(
            "2. in one process (no HTTP): PredictionService.predict with the breaker open "
            f"p50 {in_process['predict_breaker_open']['p50_us']['median']:.0f} us, "
            f"p99 {in_process['predict_breaker_open']['p99_us']['median']:.0f} us; "
            f"the fallback alone p50 {in_process['fallback_alone']['p50_us']['median']:.0f} us, "
            f"p99 {in_process['fallback_alone']['p99_us']['median']:.0f} us "
            f"(breaker opened after {breaker['in_process']['opened_after']} predictions; "
            f"over HTTP after {breaker['opened_after']})."
        )
        summary["breaker"] = {
            "predict_p50_ms": p50.as_dict(),
            "predict_p99_ms": p99.as_dict(),
            "healthz_p50_ms": base50.as_dict(),
            "healthz_p99_ms": base99.as_dict(),
            "ratio_p99_predict_over_healthz": ratio(p99.median, base99.median),
            "answers": dict(answers),
            "unexpected_answers": unexpected,
            "in_process": in_process,
            "target": {"p99_ms_below": TARGET_BREAKER_P99_MS, "met": met},
        }

    overhead_rows: list[list[str]] = []
    if "overhead" in scenarios:
        overhead = scenarios["overhead"]
        summary["overhead"] = {}
        labels = {"model": "model per request", "cached": "cached answer"}
        for cost, variant in overhead["variants"].items():
            rounds = variant["rounds"]
            rps = {name: _of(rounds, name, "rps") for name in ("raw", "resilient")}
            cpu = {name: _of(rounds, name, "cpu_us_per_request") for name in ("raw", "resilient")}
            errors = {
                name: sum(r["errors"] for r in rounds if r["target"] == name)
                for name in ("raw", "resilient")
            }
            rps_ratio = ratio(rps["resilient"].median, rps["raw"].median)
            cpu_ratio = ratio(cpu["resilient"].median, cpu["raw"].median)
            met = rps_ratio is not None and rps_ratio >= TARGET_OVERHEAD_RATIO
            headline.append(
                [
                    f"3. healthy upstream, {labels[cost]}: req/s (c={overhead['concurrency']})",
                    f"{rps['resilient'].median:.0f} via PredictionService.predict",
                    f"{rps['raw'].median:.0f} raw httpx POST + decode",
                    f"{fmt_ratio(rps_ratio)} req/s; client CPU/req {fmt_ratio(cpu_ratio)}",
                    f">= {TARGET_OVERHEAD_RATIO:.2f}x",
                    _verdict(met),
                    f"{errors['resilient'] + errors['raw']} errors",
                ]
            )
            for name, label in (("raw", "raw httpx + decode"), ("resilient", "resilient")):
                mine = [r for r in rounds if r["target"] == name]
                overhead_rows.append(
                    [
                        f"{labels[cost]}: {label}",
                        f"{rps[name].median:.0f}",
                        f"{rps[name].min:.0f}-{rps[name].max:.0f}",
                        f"{cpu[name].median:.0f}",
                        f"{Summary.of([r['p50_ms'] for r in mine]).median:.2f}",
                        f"{Summary.of([r['p99_ms'] for r in mine]).median:.2f}",
                        str(errors[name]),
                    ]
                )
            overhead_rows.append(
                [
                    f"{labels[cost]}: ratio resilient/raw",
                    fmt_ratio(rps_ratio),
                    "",
                    fmt_ratio(cpu_ratio),
                    "",
                    "",
                    "",
                ]
            )
            summary["overhead"][cost] = {
                "rps": {name: s.as_dict() for name, s in rps.items()},
                "cpu_us_per_request": {name: s.as_dict() for name, s in cpu.items()},
                "ratio_rps_resilient_over_raw": rps_ratio,
                "ratio_cpu_resilient_over_raw": cpu_ratio,
                "errors": errors,
                "target": {"ratio_at_least": TARGET_OVERHEAD_RATIO, "met": met},
            }

    options = data["options"]
    print(
        f"\n### Resilience with a remote model: {options['rounds']} alternating rounds, "
        "medians over rounds\n"
    )
    headers = ["figure", "measured", "baseline, same run", "difference", "target", "", "off"]
    print(markdown_table(headers, headline))
    if details:
        print("\n#### Latency at the client (httpx over loopback), medians over rounds\n")
        print(
            markdown_table(
                ["scenario: request", "p50 ms", "p99 ms", "p99 range", "max ms", "n", "answers"],
                details,
            )
        )
    if overhead_rows:
        print(
            f"\n#### Healthy upstream, in one process: {options['concurrency']} tasks x "
            f"{options['duration']:g} s per round (+{options['warmup']:g} s warm-up)\n"
        )
        headers = ["upstream / path", "req/s", "range", "client CPU us/req", "p50 ms", "p99 ms"]
        print(markdown_table([*headers, "errors"], overhead_rows))
    print()
    for note in notes:
        print(note)
    print(
        "Latencies of 1. and 2. are measured at the client, over loopback, and include the "
        "client's own cost; the service does not expose its time per request. "
        "'off' counts answers other than 200 with the expected fallback_reason."
    )
    print(data["bytecode_note"])
    return {"summary": summary}


# ----------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------


def _scenarios(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = sorted(set(names) - set(SCENARIOS))
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(SCENARIOS)}")
    return names


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, help="Use this generated project (default: new).")
    parser.add_argument(
        "--retrain", action="store_true", help="Train even if --project has a model."
    )
    parser.add_argument("--rounds", type=int, default=3, help="Rounds per figure (default 3).")
    parser.add_argument(
        "--scenarios",
        type=_scenarios,
        default=list(SCENARIOS),
        help=f"Comma-separated subset of {','.join(SCENARIOS)} (default: all).",
    )
    group = parser.add_argument_group("1. upstream hangs")
    group.add_argument("--deadline-ms", type=int, default=300, help="Service deadline (300).")
    group.add_argument("--requests", type=int, default=200, help="Predictions per round (200).")
    group.add_argument("--hang-concurrency", type=int, default=8, help="Clients (default 8).")
    group = parser.add_argument_group("2. breaker open")
    group.add_argument(
        "--fast-requests", type=int, default=1000, help="Requests per round and kind (1000)."
    )
    group.add_argument(
        "--breaker-concurrency", type=int, default=1, help="Clients (default 1: latency)."
    )
    group = parser.add_argument_group("3. overhead on a healthy upstream")
    group.add_argument("--concurrency", type=int, default=8, help="Asyncio tasks (default 8).")
    group.add_argument("--duration", type=float, default=5, help="Seconds per round (5).")
    group.add_argument("--warmup", type=float, default=1, help="Seconds of warm-up per path (1).")
    parser.add_argument("--keep", action="store_true", help="Keep the generated project and logs.")
    parser.add_argument(
        "--keep-dont-write-bytecode",
        action="store_true",
        help="Pass PYTHONDONTWRITEBYTECODE on to the generated project (default: drop it).",
    )
    args = parser.parse_args()
    if not 1 <= args.rounds <= 50 or not 0 < args.duration <= 600 or args.warmup < 0:
        parser.error("need 1 <= --rounds <= 50, 0 < --duration <= 600, --warmup >= 0")
    if not 10 <= args.deadline_ms <= 10_000:
        parser.error("need 10 <= --deadline-ms <= 10000")
    if not (1 <= args.requests <= 100_000 and 1 <= args.fast_requests <= 100_000):
        parser.error("need 1 <= --requests, --fast-requests <= 100000")
    # The service sheds load past max_in_flight (100 by default): stay below it.
    if not all(1 <= c <= 64 for c in (args.hang_concurrency, args.breaker_concurrency)):
        parser.error("need 1 <= --hang-concurrency, --breaker-concurrency <= 64")
    if not 1 <= args.concurrency <= 256:
        parser.error("need 1 <= --concurrency <= 256")
    args.hang_s = max(60.0, args.deadline_ms / 100)  # the fake's hang: far past the deadline
    return args


def main() -> int:
    if sys.argv[1:2] == ["_worker"]:
        return worker_main(sys.argv[2:])
    args = parse_args()
    require_tool("uv")
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    processes = Processes()
    scratch = Path(tempfile.mkdtemp(prefix="bench-resilience-"))
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
    print(f"\nresults: {write_results('bench_resilience', {**data, **summary})}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

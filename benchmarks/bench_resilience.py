"""Resilience of the generated service when its remote model misbehaves, and what it costs.

Generates a project with ``serving=inference_server`` (or takes ``--project``), trains the
demo model, and runs the generated test suite's fake KServe v2 server (``tests/fakes``) in
a process of its own, in the generated project's environment; the script switches its
behaviour between scenarios over the fake's stdin. Three figures, each next to a baseline
measured in the same run, interleaved with it, medians over rounds:

1. hang: the upstream never answers. ``POST /v1/predict`` of the service (``<slug> serve``,
   deadline ``--deadline-ms``, breaker out of the way), from a few clients started
   staggered over one deadline, must answer 200 from the fallback with
   ``deadline_exceeded`` right at the deadline. Baselines: the deadline itself and
   ``GET /healthz`` of the same service, one request at a time (the round-trip floor).
   Also in one process: ``PredictionService.predict`` vs. a bare ``asyncio.timeout``.
2. breaker: the upstream answers malformed JSON until the circuit breaker opens; then
   ``POST /v1/predict`` vs. ``GET /healthz`` of the same service, one request at a time.
   Also in one process: ``PredictionService.predict`` with the breaker open vs. the
   fallback alone.
3. overhead: healthy upstream. In one process, closed-loop load through
   ``PredictionService.predict`` (deadline, breaker, retries, fallback chain) vs. the raw
   path (an httpx POST of the same ``encode(features)`` payload and ``adapter.decode``),
   in many short alternating rounds; once with the fake computing the model per request,
   as in the tests, and once with its answer cached, so that the client is the bottleneck
   and the overhead shows in requests/s. Then the CPU per call of the chain around an
   instant model (no I/O), and the objects it leaves in reference cycles.

Figures 1 and 2 are timed at the client, over loopback, with a minimal keep-alive HTTP/1.1
client (``--client httpx`` to compare: httpx costs more per request than the breaker-open
path does). The same file runs the helpers inside the generated project's environment
(``uv run --no-sync python benchmarks/bench_resilience.py _worker ...``); they import only
the standard library, httpx and the generated package. Only 127.0.0.1 is used; every
process started runs in its own process group and is stopped, also on errors and Ctrl-C.

Run: uv run python benchmarks/bench_resilience.py [--rounds 3 --overhead-rounds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib
import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from _common import (
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
from loadgen import percentile

HEALTHZ_PATH = "/healthz"
BODY = json.dumps({"features": FEATURES}, separators=(",", ":")).encode()
SCENARIOS = ("hang", "breaker", "overhead")
THIS_SCRIPT = Path(__file__).resolve()

TARGET_OVERSHOOT_MS = 20.0  # 1: p99 <= deadline + this
TARGET_BREAKER_P99_MS = 2.0  # 2: p99 below this
TARGET_OVERHEAD_RATIO = 0.95  # 3: req/s resilient / raw at least this

READY_TIMEOUT_S = 120.0
CLIENT_TIMEOUT_S = 10.0
BREAKER_MAX_WARMUP = 50  # requests to open the breaker before giving up


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
    store = importlib.import_module(f"{args.package}.model_store")
    settings = modules["settings"].Settings()
    estimator = store.load_model(settings.model_dir).estimator
    fake = fakes.FakeKServe(estimator, settings.inference_model)
    fake.hang_s = args.hang_s
    computed = fake.probabilities
    cache: dict[str, list[float]] = {}
    cached = threading.Event()

    def probabilities(features: dict[str, Any]) -> list[float]:
        if not cached.is_set():
            return list(computed(features))
        key = json.dumps(features, sort_keys=True)
        if key not in cache:
            cache[key] = list(computed(features))
        return list(cache[key])

    fake.probabilities = probabilities
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


async def _timed_batch(
    operation: Callable[[], Awaitable[object]], n: int, concurrency: int, stagger_s: float
) -> list[float]:
    """Seconds each of ``n`` calls took, from ``concurrency`` tasks started staggered."""
    samples: list[float] = []
    remaining = n

    async def task(index: int) -> None:
        nonlocal remaining
        await asyncio.sleep(index * stagger_s / concurrency)
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            await operation()
            samples.append(time.perf_counter() - started)

    await asyncio.gather(*(task(index) for index in range(concurrency)))
    return samples


async def _alternate(
    operations: Mapping[str, Callable[[], Awaitable[object]]],
    args: argparse.Namespace,
    stagger_s: float = 0.0,
) -> list[dict[str, Any]]:
    """Batches of each operation, alternating which goes first; latencies per batch."""
    for operation in operations.values():  # untimed warm-up
        await _timed_batch(operation, min(args.requests, 20), args.concurrency, stagger_s)
    rounds: list[dict[str, Any]] = []
    for index in range(args.rounds):
        names = list(operations)
        for name in names if index % 2 == 0 else names[::-1]:
            samples = await _timed_batch(
                operations[name], args.requests, args.concurrency, stagger_s
            )
            stats = latency_stats(samples)
            rounds.append({"target": name, "round": index + 1, "n": len(samples), **stats})
    return rounds


async def _hang_inprocess(args: argparse.Namespace) -> dict[str, Any]:
    """PredictionService.predict over a hanging upstream vs. a bare asyncio.timeout."""
    modules = _project_modules(args.package)
    features = modules["features"].Features.model_validate(FEATURES)
    deadline_s = args.deadline_ms / 1000
    adapter, _, service = await _build_service(
        modules,
        inference_url=args.url,
        request_timeout_ms=args.deadline_ms,
        breaker_failures=1_000_000,
    )
    reasons: Counter[str] = Counter()

    async def predict() -> None:
        outcome = await service.predict(features)
        reasons[str(outcome.fallback_reason)] += 1

    async def timeout_alone() -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(deadline_s):
                await asyncio.sleep(deadline_s * 100)

    try:
        operations = {"predict_upstream_hangs": predict, "timeout_alone": timeout_alone}
        rounds = await _alternate(operations, args, stagger_s=deadline_s)
    finally:
        await adapter.close()
    return {"fallback_reasons": dict(reasons), "rounds": rounds}


async def _breaker_inprocess(args: argparse.Namespace) -> dict[str, Any]:
    """PredictionService.predict with the breaker open vs. the fallback alone."""
    modules = _project_modules(args.package)
    features = modules["features"].Features.model_validate(FEATURES)
    adapter, fallback, service = await _build_service(
        modules, inference_url=args.url, breaker_failures=3, breaker_reset_s=3600.0
    )
    reasons: Counter[str] = Counter()

    async def predict() -> None:
        outcome = await service.predict(features)
        reasons[str(outcome.fallback_reason)] += 1

    async def fallback_alone() -> None:
        await fallback.respond(features)

    try:
        opened_after = None
        for attempt in range(1, BREAKER_MAX_WARMUP + 1):
            outcome = await service.predict(features)
            if outcome.fallback_reason == "breaker_open":
                opened_after = attempt
                break
        if opened_after is None:
            raise SystemExit(f"the breaker did not open within {BREAKER_MAX_WARMUP} predictions")
        operations = {"predict_breaker_open": predict, "fallback_alone": fallback_alone}
        rounds = await _alternate(operations, args)
    finally:
        await adapter.close()
    return {"opened_after": opened_after, "fallback_reasons": dict(reasons), "rounds": rounds}


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
        breaker_state = adapter.upstream.breaker.state.value
        layers = await _layers_cost(adapter, service, features, encode, first_raw)
        return {
            "answer": {"label": first_raw.label, "confidence": first_raw.confidence},
            "breaker_state_after": breaker_state,
            "rounds": rounds,
            "layers_without_io": layers,
        }
    finally:
        await adapter.close()


async def _layers_cost(
    adapter: Any, service: Any, features: Any, encode: Any, prediction: Any
) -> dict[str, float]:
    """CPU per call of the chain (deadline, breaker, retries, outcome) around an instant model.

    The adapter's HTTP call is replaced by a coroutine that returns ``prediction`` at once;
    the baseline is that coroutine plus ``encode``, what the raw path does besides I/O.
    Sequential calls, alternating blocks, the median block.
    """

    async def instant(payload: object) -> Any:
        return prediction

    async def bare() -> Any:
        return await instant(encode(features))

    adapter._infer = instant  # on the instance: KServeV2Adapter.predict calls self._infer
    operations: dict[str, Callable[[], Awaitable[Any]]] = {
        "chain": lambda: service.predict(features),
        "bare": bare,
    }
    per_call: dict[str, list[float]] = {name: [] for name in operations}
    try:
        for block in range(-1, 6):  # block -1: warm-up
            for name in operations if block % 2 == 0 else reversed(operations):
                started = time.process_time()
                for _ in range(2000):
                    await operations[name]()
                if block >= 0:
                    per_call[name].append((time.process_time() - started) / 2000 * 1e6)
        # Objects only the cyclic GC can free (reference cycles) left behind per call.
        garbage: dict[str, float] = {}
        for name, operation in operations.items():
            gc.collect()
            gc.disable()
            try:
                for _ in range(1000):
                    await operation()
            finally:
                garbage[name] = gc.collect() / 1000
                gc.enable()
    finally:
        del adapter._infer
    chain, bare_us = Summary.of(per_call["chain"]).median, Summary.of(per_call["bare"]).median
    return {
        "chain_us": chain,
        "bare_us": bare_us,
        "layers_us": chain - bare_us,
        "cycle_garbage_per_call": garbage["chain"] - garbage["bare"],
    }


def worker_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench_resilience.py _worker")
    parser.add_argument("kind", choices=("fake", "hang", "breaker", "overhead"))
    parser.add_argument("--package", required=True)
    parser.add_argument("--url", default="")
    parser.add_argument("--hang-s", type=float, default=60.0)
    parser.add_argument("--deadline-ms", type=int, default=300)
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
    runs = {"hang": _hang_inprocess, "breaker": _breaker_inprocess}
    run = runs.get(args.kind, _overhead_inprocess)
    print("BENCH_JSON " + json.dumps(asyncio.run(run(args))), flush=True)
    return 0


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


def prepare_project(
    args: argparse.Namespace, scratch: Path, processes: Processes, env: dict[str, str]
) -> Context:
    import yaml

    path = (
        args.project.resolve()
        if args.project
        else generate_project(scratch / "my-ai-service", {"serving": "inference_server"})
    )
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
        # Training reads the newest dataset, which the pipeline makes from the sample data.
        run_checked(["uv", "run", "--no-sync", slug, "pipeline"], path, env, "pipeline")
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


class TransportError(Exception):
    """No HTTP response: refused, reset, closed or timed out."""


class RawHttp:
    """HTTP/1.1 keep-alive on one connection, parsing only the status and Content-Length.

    httpx spends about 1.3 ms per request of its own on a 2-core machine (p99 several ms),
    more than the breaker-open path it is supposed to measure; this costs ~0.1 ms.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        host = f"host: {HOST}:{port}\r\n"
        post = f"content-type: application/json\r\ncontent-length: {len(BODY)}\r\n"
        self.requests = {
            PREDICT_PATH: f"POST {PREDICT_PATH} HTTP/1.1\r\n{host}{post}\r\n".encode() + BODY,
            HEALTHZ_PATH: f"GET {HEALTHZ_PATH} HTTP/1.1\r\n{host}\r\n".encode(),
        }

    async def request(self, path: str) -> tuple[int, bytes]:
        try:
            if self.reader is None or self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
            self.writer.write(self.requests[path])
            head = await self.reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            fields = dict(
                line.split(b":", 1) for line in head.lower().split(b"\r\n")[1:] if b":" in line
            )
            body = await self.reader.readexactly(int(fields[b"content-length"]))
        except (OSError, EOFError, KeyError, ValueError, asyncio.LimitOverrunError) as error:
            await self.close()  # EOFError: asyncio.IncompleteReadError
            raise TransportError(repr(error)) from error
        if fields.get(b"connection", b"").strip() == b"close":
            await self.close()
        return status, body

    async def close(self) -> None:
        writer, self.reader, self.writer = self.writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


class HttpxHttp:
    """The same interface over a shared httpx.AsyncClient (``--client httpx``)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def request(self, path: str) -> tuple[int, bytes]:
        try:
            if path == PREDICT_PATH:
                headers = {"content-type": "application/json"}
                response = await self.client.post(path, content=BODY, headers=headers)
            else:
                response = await self.client.get(path)
        except httpx.HTTPError as error:
            raise TransportError(repr(error)) from error
        return response.status_code, response.content

    async def close(self) -> None:
        """The shared client is closed by its owner."""


def _answer(path: str, status: int, body: bytes) -> str:
    """``200 <fallback_reason>`` (or ``200 model``) for predictions, else the status."""
    if path != PREDICT_PATH:
        return str(status)
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    if status == 200 and isinstance(answer, dict):
        return f"200 {answer.get('fallback_reason') or 'model'}"
    error = answer.get("error") if isinstance(answer, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return f"{status} {code or ''}".strip()


@dataclass(frozen=True)
class Load:
    """``requests`` to ``path`` from ``concurrency`` closed-loop clients.

    With ``stagger_s``, client ``i`` starts ``i * stagger_s / concurrency`` later: requests
    that all take about the deadline then arrive evenly spread instead of in bursts.
    """

    path: str
    requests: int
    concurrency: int
    stagger_s: float = 0.0


@dataclass
class Tally:
    latencies_s: list[float] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)
    transport_errors: int = 0


async def http_batch(
    connect: Callable[[], RawHttp | HttpxHttp], load: Load, requests: int
) -> Tally:
    tally = Tally()
    remaining = requests

    async def client(index: int) -> None:
        nonlocal remaining
        connection = connect()
        await asyncio.sleep(index * load.stagger_s / load.concurrency)
        try:
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                try:
                    async with asyncio.timeout(CLIENT_TIMEOUT_S):
                        status, body = await connection.request(load.path)
                except (TransportError, TimeoutError):
                    await connection.close()
                    tally.transport_errors += 1
                    await asyncio.sleep(0.01)
                    continue
                tally.latencies_s.append(time.perf_counter() - started)
                tally.answers[_answer(load.path, status, body)] += 1
        finally:
            await connection.close()

    await asyncio.gather(*(client(index) for index in range(load.concurrency)))
    return tally


async def measure_http(
    service: Process, loads: dict[str, Load], rounds: int, kind: str, label: str
) -> list[dict[str, Any]]:
    """Alternating batches of each load on one running service; latencies per batch."""
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    results: list[dict[str, Any]] = []
    async with httpx.AsyncClient(
        base_url=service.base_url, limits=limits, timeout=CLIENT_TIMEOUT_S, trust_env=False
    ) as shared:

        def connect() -> RawHttp | HttpxHttp:
            return RawHttp(service.port) if kind == "raw" else HttpxHttp(shared)

        for load in loads.values():  # untimed: connections, first-call costs
            await http_batch(connect, load, min(load.requests, max(50, 4 * load.concurrency)))
        for index in range(rounds):
            # Alternate which goes first, so neither always runs on a warmer machine.
            order = list(loads) if index % 2 == 0 else list(reversed(loads))
            for name in order:
                load = loads[name]
                tally = await http_batch(connect, load, load.requests)
                stats = latency_stats(tally.latencies_s)
                results.append(
                    {
                        "target": name,
                        "round": index + 1,
                        "path": load.path,
                        "concurrency": load.concurrency,
                        "stagger_s": load.stagger_s,
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
        loads = {
            "predict": Load(
                PREDICT_PATH, args.requests, args.hang_concurrency, args.deadline_ms / 1000
            ),
            "healthz": Load(HEALTHZ_PATH, args.requests, 1),  # the floor: one at a time
        }
        rounds = asyncio.run(measure_http(service, loads, args.rounds, args.client, "hang"))
        command = service.command
    in_process_requests = max(20, args.requests // 4)  # 0.3 s each: fewer than over HTTP
    arguments = ["--url", fake.url, "--deadline-ms", str(args.deadline_ms)]
    arguments += ["--rounds", str(args.rounds), "--requests", str(in_process_requests)]
    arguments += ["--concurrency", str(args.hang_concurrency)]
    per_round_s = 2 * in_process_requests * args.deadline_ms / 1000 / args.hang_concurrency
    in_process = run_worker(
        ctx, "hang", arguments, timeout_s=READY_TIMEOUT_S + (args.rounds + 1) * 2 * per_round_s
    )
    return {
        "service_command": command,
        "service_settings": {ctx.env_prefix + k: v for k, v in settings.items()},
        "deadline_ms": args.deadline_ms,
        "concurrency": args.hang_concurrency,
        "requests_per_round": args.requests,
        "ready_s": ready_s,
        "rounds": rounds,
        "in_process": in_process,
    }


def open_breaker(service: Process) -> int:
    """Predictions until the answer says ``breaker_open``; how many it took."""
    with httpx.Client(base_url=service.base_url, timeout=CLIENT_TIMEOUT_S, trust_env=False) as c:
        for attempt in range(1, BREAKER_MAX_WARMUP + 1):
            response = c.post(
                PREDICT_PATH, content=BODY, headers={"content-type": "application/json"}
            )
            if _answer(PREDICT_PATH, response.status_code, response.content) == "200 breaker_open":
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
        loads = {
            name: Load(path, args.fast_requests, args.breaker_concurrency)
            for name, path in (("predict", PREDICT_PATH), ("healthz", HEALTHZ_PATH))
        }
        rounds = asyncio.run(measure_http(service, loads, args.rounds, args.client, "breaker"))
        command = service.command
    in_process = run_worker(
        ctx,
        "breaker",
        [
            *("--url", fake.url, "--rounds", str(args.rounds)),
            *("--requests", str(args.fast_requests)),
            *("--concurrency", str(args.breaker_concurrency)),
        ],
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
    rounds = args.overhead_rounds
    arguments = ["--url", fake.url, "--rounds", str(rounds)]
    arguments += ["--concurrency", str(args.concurrency), "--duration", str(args.duration)]
    arguments += ["--warmup", str(args.warmup)]
    budget_s = READY_TIMEOUT_S + 60 + 2 * (args.warmup + rounds * (args.duration + 5))
    variants: dict[str, Any] = {}
    for cost in ("model", "cached"):
        fake.behave("ok", cost)
        variants[cost] = run_worker(ctx, "overhead", arguments, timeout_s=budget_s)
        for result in variants[cost]["rounds"]:
            print(
                f"overhead ({cost}) round {result['round']}/{rounds} {result['target']}: "
                f"{result['rps']:.0f} req/s, client CPU {result['cpu_us_per_request']:.0f} us/req, "
                f"errors {result['errors']}",
                file=sys.stderr,
            )
    return {
        "concurrency": args.concurrency,
        "rounds": rounds,
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


InProcess = dict[str, dict[str, dict[str, float]]]  # target -> p50_ms/p99_ms -> Summary


def _in_process(rounds: list[dict[str, Any]], targets: Sequence[str]) -> InProcess:
    """p50 and p99 summaries of the in-process helper's rounds, per target."""
    return {
        name: {key: _of(rounds, name, key).as_dict() for key in ("p50_ms", "p99_ms")}
        for name in targets
    }


def _p50_p99(stats: InProcess, target: str, show: Callable[[float], str]) -> str:
    """``p50 <show(median)>, p99 <show(median)>`` of one target of ``_in_process``."""
    p50, p99 = stats[target]["p50_ms"]["median"], stats[target]["p99_ms"]["median"]
    return f"p50 {show(p50)}, p99 {show(p99)}"


def report(data: dict[str, Any]) -> dict[str, Any]:
    scenarios = data["scenarios"]
    headline: list[list[str]] = []
    details: list[list[str]] = []
    summary: dict[str, Any] = {}
    notes: list[str] = []

    def latency_detail(label: str, rounds: list[dict[str, Any]], target: str) -> None:
        p99 = _of(rounds, target, "p99_ms")
        concurrency = next(r["concurrency"] for r in rounds if r["target"] == target)
        details.append(
            [
                label,
                str(concurrency),
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
                f"deadline {deadline} ms; GET {HEALTHZ_PATH} p99 {floor.median:.2f} ms (c=1)",
                f"{overshoot:+.1f} ms over the deadline",
                f"<= deadline + {TARGET_OVERSHOOT_MS:g} ms",
                _verdict(met),
                f"{unexpected} of {total}",
            ]
        )
        inproc = hang["in_process"]["rounds"]
        in_process_hang = _in_process(inproc, ("predict_upstream_hangs", "timeout_alone"))

        def over(ms: float) -> str:
            return f"{ms - deadline:+.1f} ms"

        notes.append(
            "1. in one process (no HTTP, same clients): PredictionService.predict over the "
            f"hanging upstream {_p50_p99(in_process_hang, 'predict_upstream_hangs', over)} "
            "past the deadline; asyncio.timeout around asyncio.sleep alone "
            f"{_p50_p99(in_process_hang, 'timeout_alone', over)} "
            f"(n={next(r['n'] for r in inproc)} per round)."
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
            "in_process": in_process_hang,
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
        in_process = _in_process(
            breaker["in_process"]["rounds"], ("predict_breaker_open", "fallback_alone")
        )

        def us(ms: float) -> str:
            return f"{ms * 1000:.0f} us"

        notes.append(
            "2. in one process (no HTTP): PredictionService.predict with the breaker open "
            f"{_p50_p99(in_process, 'predict_breaker_open', us)}; "
            f"the fallback alone {_p50_p99(in_process, 'fallback_alone', us)} "
            "(the breaker opened after "
            f"{breaker['in_process']['opened_after']} predictions; over HTTP after "
            f"{breaker['opened_after']})."
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
            by_round = {(r["round"], r["target"]): r for r in rounds}
            paired = Summary.of(
                [
                    by_round[(index, "resilient")]["rps"] / by_round[(index, "raw")]["rps"]
                    for index in sorted({r["round"] for r in rounds})
                    if by_round[(index, "raw")]["rps"]
                ]
            )
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
                    f"paired {paired.median:.2f}x ({paired.min:.2f}-{paired.max:.2f})",
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
                "ratio_rps_paired_per_round": paired.as_dict(),
                "layers_without_io_us": variant["layers_without_io"],
                "errors": errors,
                "target": {"ratio_at_least": TARGET_OVERHEAD_RATIO, "met": met},
            }

    if "overhead" in scenarios:
        variants = scenarios["overhead"]["variants"]
        layers = [variant["layers_without_io"] for variant in variants.values()]
        raw_cpu = [summary["overhead"][cost]["cpu_us_per_request"]["raw"] for cost in variants]
        notes.append(
            "3. the resilience layers alone (deadline, breaker, retries, outcome around an "
            "instant model, no I/O) cost "
            + " / ".join(f"{layer['layers_us']:.0f} us" for layer in layers)
            + " of CPU per call (model / cached run), against "
            + " / ".join(f"{cpu['median']:.0f} us" for cpu in raw_cpu)
            + " of client CPU per request of the raw path; each call leaves "
            + " / ".join(f"{layer['cycle_garbage_per_call']:.0f}" for layer in layers)
            + " objects in reference cycles, which only the cyclic GC frees."
        )

    options = data["options"]
    rounds_note = f"{options['rounds']} alternating rounds"
    if "overhead" in scenarios:
        rounds_note += f" (3.: {options['overhead_rounds']})"
    print(f"\n### Resilience with a remote model: {rounds_note}, medians over rounds\n")
    headers = ["figure", "measured", "baseline, same run", "difference", "target", "verdict"]
    print(markdown_table([*headers, "unexpected"], headline))
    if details:
        client = "httpx" if options["client"] == "httpx" else "a minimal keep-alive client"
        print(f"\n#### Latency at the client ({client}, loopback), medians over rounds\n")
        headers = ["scenario: request", "clients", "p50 ms", "p99 ms", "p99 range", "max ms"]
        print(markdown_table([*headers, "n", "answers"], details))
    if overhead_rows:
        print(
            f"\n#### Healthy upstream, in one process: {options['concurrency']} tasks x "
            f"{options['duration']:g} s per round, {options['overhead_rounds']} rounds per path "
            f"(+{options['warmup']:g} s warm-up)\n"
        )
        headers = ["upstream / path", "req/s", "range", "client CPU us/req", "p50 ms", "p99 ms"]
        print(markdown_table([*headers, "errors"], overhead_rows))
    print()
    for note in notes:
        print(note)
    print(
        "Latencies of 1. and 2. are measured at the client, over loopback, and include the "
        "client's own cost; the service does not expose its time per request. In 1. the "
        "clients start staggered over one deadline, so requests arrive spread out, not in "
        "bursts. "
        "'unexpected': answers other than 200 with the expected fallback_reason (1., 2.), "
        "requests that failed or fell back (3.)."
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
    add_project_arguments(parser)
    parser.add_argument("--rounds", type=int, default=3, help="Rounds per figure (default 3).")
    parser.add_argument(
        "--scenarios",
        type=_scenarios,
        default=list(SCENARIOS),
        help=f"Comma-separated subset of {','.join(SCENARIOS)} (default: all).",
    )
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="HTTP client of 1. and 2.: a minimal keep-alive client (default) or httpx.",
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
    group.add_argument(
        "--overhead-rounds", type=int, default=8, help="Rounds per path (8; short, many)."
    )
    group.add_argument("--duration", type=float, default=2, help="Seconds per round (2).")
    group.add_argument("--warmup", type=float, default=1, help="Seconds of warm-up per path (1).")
    parser.add_argument("--keep", action="store_true", help="Keep the generated project and logs.")
    add_keep_dont_write_bytecode(parser)
    args = parser.parse_args()
    if not (1 <= args.rounds <= 50 and 1 <= args.overhead_rounds <= 50):
        parser.error("need 1 <= --rounds, --overhead-rounds <= 50")
    if not 0 < args.duration <= 600 or args.warmup < 0:
        parser.error("need 0 < --duration <= 600, --warmup >= 0")
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
    return run_main("bench_resilience", args, benchmark, report)


if __name__ == "__main__":
    raise SystemExit(main())

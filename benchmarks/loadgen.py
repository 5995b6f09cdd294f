"""Closed-loop HTTP load generator: the fallback of bench_service.py when wrk is missing.

``--connections`` workers share one httpx AsyncClient (one connection each) and POST the
same JSON body back to back until ``--duration`` seconds have passed. Prints one line,
``BENCH_JSON {...}``, with the same fields bench_service.py reads from its wrk script.

It is far slower than wrk: one Python process may saturate its own core before the
server does, so prefer wrk for absolute numbers (ratios from the same run stay useful).

Run: uv run python benchmarks/loadgen.py --url http://127.0.0.1:8000/v1/predict --body '{...}'
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx


@dataclass
class Tally:
    latencies_s: list[float] = field(default_factory=list)
    status_errors: int = 0
    timeout_errors: int = 0
    other_errors: int = 0


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list; 0.0 when it is empty."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


async def worker(
    client: httpx.AsyncClient, url: str, body: bytes, deadline: float, tally: Tally
) -> None:
    headers = {"content-type": "application/json"}
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            response = await client.post(url, content=body, headers=headers)
        except httpx.TimeoutException:
            tally.timeout_errors += 1
            continue
        except httpx.HTTPError:
            tally.other_errors += 1
            await asyncio.sleep(0.01)  # do not spin on a refused connection
            continue
        tally.latencies_s.append(time.perf_counter() - started)
        if not 200 <= response.status_code < 400:
            tally.status_errors += 1


async def run(url: str, body: bytes, connections: int, duration_s: float, timeout_s: float) -> str:
    tally = Tally()
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=timeout_s, trust_env=False) as client:
        started = time.perf_counter()
        deadline = started + duration_s
        await asyncio.gather(
            *(worker(client, url, body, deadline, tally) for _ in range(connections))
        )
        elapsed = time.perf_counter() - started
    latencies = sorted(tally.latencies_s)
    result = {
        "requests": len(latencies),
        "duration_us": elapsed * 1e6,
        "connect_errors": 0,
        "read_errors": tally.other_errors,
        "write_errors": 0,
        "status_errors": tally.status_errors,
        "timeout_errors": tally.timeout_errors,
        "p50_us": percentile(latencies, 0.50) * 1e6,
        "p90_us": percentile(latencies, 0.90) * 1e6,
        "p99_us": percentile(latencies, 0.99) * 1e6,
        "mean_us": (sum(latencies) / len(latencies) * 1e6) if latencies else 0.0,
        "max_us": (latencies[-1] * 1e6) if latencies else 0.0,
    }
    return "BENCH_JSON " + json.dumps(result)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--body", required=True, help="JSON body to POST.")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0, help="Seconds of load.")
    parser.add_argument("--timeout", type=float, default=10.0, help="Per-request timeout, s.")
    args = parser.parse_args()
    if urlsplit(args.url).hostname != "127.0.0.1":
        parser.error("only http://127.0.0.1 targets are allowed")
    if args.connections < 1 or not 0 < args.duration <= 3600:
        parser.error("--connections must be >= 1 and --duration in (0, 3600]")
    body = json.dumps(json.loads(args.body)).encode()
    print(asyncio.run(run(args.url, body, args.connections, args.duration, args.timeout)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

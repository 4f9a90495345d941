"""API throughput and latency at concurrency 32, one uvicorn worker.

Starts the server in a subprocess on 127.0.0.1, then loads, in the same run and
for two workloads (the 40-person scenario suite cycled, and the heaviest single
case: a 10-year-old living alone, 4 rules, 9 interventions):
  /bench/echo                  validation only (baseline)
  /v1/assessments              the product route (async def, engine called directly)
  /bench/assess-threadpool     the same scoring in a def route (threadpool)
and prints requests/s, p50/p99 and the ratios. Targets (issue 2): scoring ≥ 0.7×
the echo endpoint, ≥ 1,000 req/s, p99 ≤ 50 ms on a 2-core machine.

    python benchmarks/api.py [--seconds 5] [--concurrency 32] [--log access.jsonl]

Metrics (``/metrics``) and the request-id middleware are always on; ``--log`` also
writes one JSON access line per request.
"""

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.loadgen import run_load  # noqa: E402
from models.examples import examples  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, log: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, "LIUSHOU_LOG_LEVEL": "warning"}
    if log is not None:  # one JSON access line per request, written to the file
        env |= {"LIUSHOU_LOG_LEVEL": "info", "LIUSHOU_BENCH_LOG": "1"}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "benchmarks.api_app:create_bench_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    stderr = log.open("w") if log is not None else None
    process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=stderr)
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("server did not start")


def workloads() -> dict[str, list[dict]]:
    """The scenario suite (40 realistic persons, cycled) and its heaviest single case."""
    scenarios = [
        case["input"]
        for path in sorted((ROOT / "fixtures" / "scenarios").glob("*.yaml"))
        for case in yaml.safe_load(path.read_text("utf-8"))
    ]
    return {"scenario mix": scenarios, "critical child": [examples()["child_lives_alone"]]}


def measure(port: int, bodies: list[dict], args) -> dict:
    results = {}
    for path in ("/bench/echo", "/v1/assessments", "/bench/assess-threadpool"):
        asyncio.run(run_load("127.0.0.1", port, path, bodies, args.concurrency, 1.0))  # warm-up
        results[path] = asyncio.run(
            run_load("127.0.0.1", port, path, bodies, args.concurrency, args.seconds)
        )
    return results


def report(name: str, results: dict) -> dict:
    echo, scoring, threadpool = (results[p] for p in results)
    figures = {
        "workload": name,
        "scoring_rps": round(scoring.rps),
        "echo_rps": round(echo.rps),
        "scoring_over_echo": round(scoring.rps / echo.rps, 3),
        "threadpool_over_async": round(threadpool.rps / scoring.rps, 3),
        "scoring_p50_ms": round(scoring.percentile(0.5), 2),
        "scoring_p99_ms": round(scoring.percentile(0.99), 2),
    }
    figures["targets_met"] = (
        figures["scoring_over_echo"] >= 0.7
        and scoring.rps >= 1000
        and figures["scoring_p99_ms"] <= 50
    )
    print(f"-- {name}")
    for result in results.values():
        print(result.line())
    print(
        f"ratio scoring/echo {figures['scoring_over_echo']} (target >= 0.7), "
        f"threadpool/async {figures['threadpool_over_async']} (> 1 would favour def routes), "
        f"targets met: {figures['targets_met']}"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--log", type=Path, help="serve with JSON access logs into this file")
    args = parser.parse_args()
    port = free_port()
    server = start_server(port, args.log)
    try:
        measured = {name: measure(port, bodies, args) for name, bodies in workloads().items()}
    finally:
        server.terminate()
        server.wait(timeout=20)
    print(
        f"concurrency {args.concurrency}, {args.seconds:.0f} s per route, one worker, "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"
    )
    figures = [report(name, results) for name, results in measured.items()]
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()

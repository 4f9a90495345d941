"""API throughput and latency at concurrency 32, one uvicorn worker.

Starts the server in a subprocess on 127.0.0.1, then loads, in the same run:
  /bench/echo                  validation only (baseline)
  /v1/assessments              the product route (async def, engine called directly)
  /bench/assess-threadpool     the same scoring in a def route (threadpool)
and prints requests/s, p50/p99 and the ratios. Targets (issue 2): scoring ≥ 0.7×
the echo endpoint, ≥ 1,000 req/s, p99 ≤ 50 ms on a 2-core machine.

    python benchmarks/api.py [--seconds 5] [--concurrency 32]
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.loadgen import run_load  # noqa: E402
from fixtures import examples  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    env = {**os.environ, "LIUSHOU_LOG_LEVEL": "warning"}
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
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    port = free_port()
    server = start_server(port)
    person = examples()["child_lives_alone"]
    try:
        results = {}
        for path in ("/bench/echo", "/v1/assessments", "/bench/assess-threadpool"):
            asyncio.run(run_load("127.0.0.1", port, path, person, args.concurrency, 1.0))  # warm-up
            results[path] = asyncio.run(
                run_load("127.0.0.1", port, path, person, args.concurrency, args.seconds)
            )
    finally:
        server.terminate()
        server.wait(timeout=20)
    print(
        f"concurrency {args.concurrency}, {args.seconds:.0f} s per route, one worker, "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"
    )
    for result in results.values():
        print(result.line())
    echo, scoring, threadpool = (results[p] for p in results)
    figures = {
        "scoring_rps": round(scoring.rps),
        "echo_rps": round(echo.rps),
        "scoring_over_echo": round(scoring.rps / echo.rps, 3),
        "threadpool_over_async": round(threadpool.rps / scoring.rps, 3),
        "scoring_p50_ms": round(scoring.percentile(0.5), 2),
        "scoring_p99_ms": round(scoring.percentile(0.99), 2),
    }
    print("ratio scoring/echo      ", figures["scoring_over_echo"], "(target ≥ 0.7)")
    print(
        "ratio threadpool/async  ",
        figures["threadpool_over_async"],
        "(> 1 would favour def routes)",
    )
    print(
        "targets met:",
        figures["scoring_over_echo"] >= 0.7
        and scoring.rps >= 1000
        and scoring.percentile(0.99) <= 50,
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

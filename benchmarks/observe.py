"""What request ids, access logs and metrics cost per request, in one process.

The same app is called directly over ASGI (no network, no load generator, so the
machine's noise hits every variant alike), in interleaved rounds:
  bare      the app without service.observe (no request id, no metrics, no access log)
  observed  with it, access log filtered out (LIUSHOU_LOG_LEVEL=warning)
  logged    with it, one JSON access line per request written (to /dev/null)
for GET /healthz and POST /v1/assessments (a 10-year-old living alone: 4 rules), and
prints µs per request (median of the rounds) and the ratio to ``bare``.

    python benchmarks/observe.py [--requests 2000] [--rounds 5]
"""

import argparse
import asyncio
import contextlib
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fixtures import examples  # noqa: E402
from rules.assess import Assessor  # noqa: E402
from service.app import create_app  # noqa: E402
from service.logs import JsonLines  # noqa: E402
from service.observe import Observe  # noqa: E402
from service.settings import Settings  # noqa: E402


def build(assessor, observed: bool):
    settings = Settings(database_url=f"sqlite:///{tempfile.mkdtemp()}/b.db")
    app = create_app(settings, assessor=assessor)
    if not observed:
        app.user_middleware = [m for m in app.user_middleware if m.cls is not Observe]
    return app


def request(method: str, path: str, body: bytes = b""):
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 5000),
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
    }

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    return scope, receive


async def run(app, method, path, body, n: int) -> float:
    statuses = []

    async def send(message):
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    started = time.perf_counter()
    for _ in range(n):
        scope, receive = request(method, path, body)
        await app(scope, receive, send)
    elapsed = time.perf_counter() - started
    assert set(statuses) == {200}, set(statuses)
    return elapsed / n * 1e6


def logging_to_devnull(on: bool) -> None:
    root = logging.getLogger()
    handler = logging.FileHandler("/dev/null")
    handler.setFormatter(JsonLines())
    root.handlers[:] = [handler] if on else []
    root.setLevel(logging.INFO if on else logging.WARNING)


async def main(args) -> None:
    assessor = Assessor.build()
    apps = {"bare": build(assessor, False), "observed": build(assessor, True)}
    apps["logged"] = apps["observed"]
    body = json.dumps(examples()["child_lives_alone"]).encode()
    routes = {
        "GET /healthz": ("GET", "/healthz", b""),
        "POST /v1/assessments": ("POST", "/v1/assessments", body),
    }
    times = {(r, v): [] for r in routes for v in apps}
    async with contextlib.AsyncExitStack() as stack:
        for app in {id(a): a for a in apps.values()}.values():
            await stack.enter_async_context(app.router.lifespan_context(app))
        await rounds(apps, routes, times, args)
    logging_to_devnull(False)
    for route in routes:
        bare = statistics.median(times[route, "bare"])
        for variant in apps:
            us = statistics.median(times[route, variant])
            print(f"{route:<22} {variant:<9} {us:8.1f} µs/request   ratio to bare {us / bare:.3f}")


async def rounds(apps, routes, times, args) -> None:
    for _ in range(args.rounds):
        for route, (method, path, payload) in routes.items():
            for variant, app in apps.items():
                logging_to_devnull(variant == "logged")
                await run(app, method, path, payload, 200)  # warm-up
                times[route, variant].append(await run(app, method, path, payload, args.requests))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    asyncio.run(main(parser.parse_args()))

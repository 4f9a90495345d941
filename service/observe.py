"""Every request, seen once (a pure ASGI middleware, outermost):

- a request id: the caller's ``X-Request-ID`` if it is a short token, else a new one;
  returned in ``X-Request-ID`` and on every log line written for the request;
- one JSON log line: method, route template (never the raw path: it can hold ids),
  status, duration;
- the request counters and latency histogram (``service.metrics``);
- an error no handler answered: logged with its traceback, answered as a 500 problem
  with the request id and nothing else.
"""

import functools
import itertools
import json
import logging
import re
import secrets
import time

from service import metrics
from service.logs import request_id
from service.problems import PROBLEM_TYPE

log = logging.getLogger("liushou.access")
_TOKEN = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
HEADER = b"x-request-id"
# A new id: this process's random prefix and a counter (unique, and no syscall a request)
_PROCESS, _COUNTER = secrets.token_hex(8), itertools.count()


def route_of(scope) -> str:
    """The matched route's template (``/v1/reviews/{review_id}``), or ``unmatched``."""
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


class Observe:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given = dict(scope.get("headers", [])).get(HEADER, b"").decode("latin-1")
        rid = given if given and _TOKEN.match(given) else f"{_PROCESS}{next(_COUNTER):08x}"
        token = request_id.set(rid)
        started, status = time.perf_counter(), [0]

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message["headers"] = [*message.get("headers", []), (HEADER, rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error", extra={"route": route_of(scope), "request_id": rid})
            if status[0]:
                raise  # the response had begun: nothing can be said any more
            status[0] = 500
            await _internal_error(send, rid)
        finally:
            self._done(scope, status[0], time.perf_counter() - started, rid)
            request_id.reset(token)

    def _done(self, scope, status: int, seconds: float, rid: str) -> None:
        route, method = route_of(scope), scope["method"]
        counter, latency = _series(method, route, status)
        counter.inc()
        latency.observe(seconds)
        if not log.isEnabledFor(logging.INFO):
            return
        log.info(
            "%s %s %d",
            method,
            route,
            status,
            extra={
                "route": route,
                "method": method,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
                "request_id": rid,
            },
        )


@functools.lru_cache(maxsize=4096)  # routes are templates: a bounded set of series
def _series(method: str, route: str, status: int):
    return (
        metrics.REQUESTS.labels(method=method, route=route, status=str(status)),
        metrics.LATENCY.labels(method=method, route=route),
    )


async def _internal_error(send, rid: str) -> None:
    body = json.dumps(
        {
            "type": "about:blank",
            "title": "Internal error",
            "status": 500,
            "detail": "the error is logged under this request id",
            "request_id": rid,
        }
    ).encode()
    headers = [
        (b"content-type", PROBLEM_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [*headers, (HEADER, rid.encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})

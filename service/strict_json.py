"""JSON bodies read strictly: a duplicate key or too many keys is a 422, before validation.

``json.loads`` keeps the last of two equal keys without a word, and a body of 60,000
unknown keys costs seconds of error reporting. Routes that take JSON use
``StrictJSONRoute`` (FastAPI's documented custom-route pattern):

    router = APIRouter(prefix="/v1/assessments", route_class=StrictJSONRoute)

>>> loads_strict(b'{"age": 1, "age": 2}')
Traceback (most recent call last):
...
service.strict_json.JSONShapeError: duplicate key `age`
"""

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

MAX_OBJECT_KEYS = 100  # the largest person model has 42 fields
MAX_TOTAL_KEYS = 100_000  # a full batch of 1,000 well-formed persons stays well under
MAX_KEY_SHOWN = 40  # characters of a key quoted in an error
OFF_LOOP_BYTES = 64 * 1024  # bodies from this size are parsed in a worker thread


class JSONShapeError(ValueError):
    """The body is JSON, but of a shape refused before validation."""


def loads_strict(body: bytes) -> Any:
    """``json.loads`` refusing duplicate keys, objects over MAX_OBJECT_KEYS keys and bodies
    over MAX_TOTAL_KEYS keys in all."""
    seen = 0

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict:
        nonlocal seen
        seen += len(pairs)
        if len(pairs) > MAX_OBJECT_KEYS:
            raise JSONShapeError(f"an object has {len(pairs)} keys; the limit is {MAX_OBJECT_KEYS}")
        if seen > MAX_TOTAL_KEYS:
            raise JSONShapeError(f"the body has over {MAX_TOTAL_KEYS} keys")
        out = dict(pairs)
        if len(out) != len(pairs):
            raise JSONShapeError(f"duplicate key `{_first_duplicate(pairs)[:MAX_KEY_SHOWN]}`")
        return out

    try:
        return json.loads(body, object_pairs_hook=pairs_hook)
    except RecursionError:  # nesting deeper than the interpreter's stack: a 422, not a 500
        raise JSONShapeError("the body nests arrays or objects too deeply") from None


def _first_duplicate(pairs: list[tuple[str, Any]]) -> str:
    keys: set[str] = set()
    for key, _ in pairs:
        if key in keys:
            return key
        keys.add(key)
    return ""


class StrictJSONRequest(Request):
    """A request whose ``json()`` is the body read by ``loads_strict`` (once)."""

    parsed: Any = None

    async def json(self) -> Any:
        return self.parsed


def _is_json(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    # no content type: FastAPI may read the body as JSON too, so it is read strictly
    return kind in ("", "application/json") or kind.endswith("+json")


class StrictJSONRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            if not _is_json(request):
                return await handler(request)
            strict = StrictJSONRequest(request.scope, request.receive)
            body = await strict.body()
            if body:
                try:  # a large body is parsed off the event loop
                    parsed = (
                        loads_strict(body)
                        if len(body) < OFF_LOOP_BYTES
                        else await run_in_threadpool(loads_strict, body)
                    )
                except JSONShapeError as exc:
                    raise RequestValidationError(
                        [{"loc": ("body",), "msg": str(exc), "type": "json_shape"}]
                    ) from None
                except ValueError as exc:  # JSONDecodeError, or bad UTF-8
                    raise RequestValidationError(
                        [
                            {
                                "loc": ("body",),
                                "msg": f"not valid JSON ({exc})",
                                "type": "json_invalid",
                            }
                        ]
                    ) from None
                strict.parsed = parsed
            return await handler(strict)

        return strict_handler

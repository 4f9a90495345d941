"""Errors as ``application/problem+json`` (RFC 9457), with field errors (``loc``, ``msg``).

Input values are never echoed back in field errors: they may be personal data.
"""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy import exc as db_errors
from starlette.exceptions import HTTPException as StarletteHTTPException

from models.person import INPUT_MODELS, error_message
from rules.errors import EngineError, did_you_mean

PROBLEM_TYPE = "application/problem+json"


class FieldErrorOut(BaseModel):
    loc: list[str]
    msg: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem document; limit fields appear on 413s."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldErrorOut] | None = None


def _documented(description: str) -> dict:
    return {
        "description": description,
        "content": {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


# Declared on every route, so that the OpenAPI document tells the whole truth.
RESPONSES = {
    400: _documented("Body is not valid JSON"),
    404: _documented("Not found"),
    413: _documented("Request body or batch over its limit"),
    422: _documented("Invalid input: field errors name each field (`loc`) and the reason (`msg`)"),
    500: _documented("Internal error (never caused by input)"),
    503: _documented("Not ready"),
}


def problem(
    status: int, title: str, detail: str = "", errors: list | None = None, **extra
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_TYPE)


MAX_FIELD_ERRORS = 20  # per record: the rest are counted, not listed
MAX_SUGGESTIONS = 3  # "Did you mean …?" for the first few unknown fields only
MAX_MESSAGE = 300  # characters of a message


def field_errors(errors: list[dict], prefix: tuple = ()) -> list[dict]:
    """Pydantic errors as ``{"loc", "msg", "type"}``; a bad ``category`` tag names ``category``.

    At most MAX_FIELD_ERRORS, then one saying how many more: reporting costs little
    however many unknown keys a body holds. No message repeats the input."""
    out, suggested = [], 0
    for error in errors[:MAX_FIELD_ERRORS]:
        loc = list(prefix) + [str(part)[:64] for part in error.get("loc", ())]
        kind = error.get("type", "value_error")
        msg = error_message(error)
        if kind in ("union_tag_invalid", "union_tag_not_found"):
            loc.append("category")
        if kind == "extra_forbidden":
            suggested += 1
            msg = f"unknown field `{loc[-1]}`." + (
                _suggest(loc) if suggested <= MAX_SUGGESTIONS else ""
            )
        out.append({"loc": loc, "msg": msg[:MAX_MESSAGE], "type": kind})
    if len(errors) > MAX_FIELD_ERRORS:
        more = len(errors) - MAX_FIELD_ERRORS
        out.append(
            {"loc": list(prefix), "msg": f"and {more} more error(s)", "type": "too_many_errors"}
        )
    return out


def _suggest(loc: list[str]) -> str:
    """Suggest a field of the person's category for a misspelt one."""
    model = next((INPUT_MODELS[part] for part in loc if part in INPUT_MODELS), None)
    return did_you_mean(loc[-1], model.model_fields) if model else ""


class ProblemError(Exception):
    """Raise from a route to answer with a problem document."""

    def __init__(
        self, status: int, title: str, detail: str = "", headers: dict | None = None, **extra
    ):
        self.status, self.title, self.detail, self.extra = status, title, detail, extra
        self.headers = headers or {}


def install(app: FastAPI) -> None:
    """Register the handlers, and the Problem schema in the OpenAPI components."""
    _add_problem_schema(app)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = field_errors(exc.errors())
        where = ", ".join(".".join(e["loc"][1:] or e["loc"]) for e in errors[:5])
        return problem(422, "Invalid input", f"{len(errors)} field error(s): {where}", errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        return problem(exc.status_code, _title(exc.status_code), str(exc.detail))

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError):
        response = problem(exc.status, exc.title, exc.detail, **exc.extra)
        response.headers.update(exc.headers)
        return response

    for kind in DATABASE_DOWN:
        app.add_exception_handler(kind, _database_down)

    @app.exception_handler(EngineError)
    async def _engine(request: Request, exc: EngineError):
        return problem(500, "Rules engine failure", "the assessment could not be computed")


# The database cannot be reached or is busy: say so, and when to try again. (An
# IntegrityError or a ProgrammingError is a bug, not an outage: those stay 500s.)
DATABASE_DOWN = (
    db_errors.OperationalError,
    db_errors.InterfaceError,
    db_errors.DisconnectionError,
    db_errors.TimeoutError,
)
RETRY_AFTER_S = 5


async def _database_down(request: Request, exc: Exception):
    from service import metrics

    metrics.DATABASE_ERRORS.inc()
    logging.getLogger("liushou.store").error("database unavailable: %s", type(exc).__name__)
    response = problem(
        503, "Database unavailable", "the review store cannot be reached; try again shortly"
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _add_problem_schema(app: FastAPI) -> None:
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components["Problem"] = Problem.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
            components["FieldErrorOut"] = components["Problem"].pop("$defs")["FieldErrorOut"]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi

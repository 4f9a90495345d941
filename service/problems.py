"""Errors as ``application/problem+json`` (RFC 9457), with field errors (``loc``, ``msg``).

The one place where liushou's errors become problem documents: ``as_problem`` maps
each kind of the tree (models/errors.py) to its status, title and fields, and one
handler answers every ``LiushouError`` a route lets through — routes do not catch
them (the web pages call ``as_problem`` too, for their own pages). Input values are
never echoed back in field errors: they may be personal data.
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

from evaluation.overrides import OverrideError
from models.errors import LiushouError
from models.person import INPUT_MODELS, error_message
from models.sheets.files import SheetError, SheetTooLarge
from rules.errors import EngineError, PeriodError, UnknownRule, did_you_mean

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


class ProblemError(LiushouError):
    """Raise from a route to answer with a problem document (what only HTTP knows of:
    keys, roles, limits of a request); the domain's errors go through ``as_problem``."""

    def __init__(
        self, status: int, title: str, detail: str = "", headers: dict | None = None, **extra
    ):
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra
        self.headers = headers or {}


def as_problem(exc: LiushouError) -> ProblemError:
    """Each kind of error as the problem it answers with (the one translation)."""
    from service.store import ReviewNotFound  # the delivery layer's own kinds
    from service.tasks import TaskConflict, TaskError, TaskForbidden, TaskInvalid, TaskNotFound
    from service.tasks_xlsx import TaskSheetError

    detail = str(exc)
    match exc:
        case ProblemError():
            return exc
        case SheetTooLarge():
            return ProblemError(
                413, "Spreadsheet too large", detail, limit=exc.limit, limit_value=exc.value
            )
        case TaskSheetError():
            return ProblemError(422, "Unreadable tasks sheet", detail)
        case SheetError():
            return ProblemError(422, "Unreadable spreadsheet", detail)
        case OverrideError():
            errors = [{"loc": [exc.where, exc.parameter], "msg": detail, "type": "override"}]
            return ProblemError(422, "Override refused", detail, errors=errors)
        case PeriodError():
            return ProblemError(422, "No values in force", detail)
        case UnknownRule():
            return ProblemError(404, "Unknown rule", detail)
        case ReviewNotFound():
            return ProblemError(404, "Unknown review", detail)
        case TaskNotFound():
            return ProblemError(404, "Unknown task", detail)
        case TaskForbidden():
            return ProblemError(403, "Not allowed", detail)
        case TaskConflict():
            return ProblemError(
                409, "Task changed meanwhile", detail, current_version=exc.current_version
            )
        case TaskInvalid():
            errors = [{"loc": ["body", exc.field], "msg": exc.reason, "type": "value_error"}]
            return ProblemError(422, "Invalid input", detail, errors=errors)
        case TaskError():
            return ProblemError(400, "Task refused", detail)
        case EngineError():
            return ProblemError(500, "Rules engine failure", "the assessment could not be computed")
    # rules or a model refused at start, never on a request: a bug if one gets here
    return ProblemError(500, "Internal error", "the request could not be completed")


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

    @app.exception_handler(LiushouError)
    async def _problem(request: Request, exc: LiushouError):
        found = as_problem(exc)
        if found.status >= 500:
            logging.getLogger("liushou").error("%s: %s", type(exc).__name__, found.title)
        response = problem(found.status, found.title, found.detail, **found.extra)
        response.headers.update(found.headers)
        return response

    for kind in DATABASE_DOWN:
        app.add_exception_handler(kind, _database_down)


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

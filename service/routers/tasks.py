"""Follow-up tasks and their supervision (四(四)): thin routes over service.tasks.

The clock is a dependency (``service.deps.get_clock``), so tests freeze it with
``app.dependency_overrides``; the task rules are built once in the lifespan.
"""

import io
from typing import Annotated, Literal

from fastapi import (
    APIRouter,
    Body,
    File,
    Header,
    Path,
    Query,
    Response,
    UploadFile,
)
from pydantic import BaseModel, Field
from sqlmodel import Session

from service import tasks as tk
from service.access import TaskCaller
from service.deps import ClockDep, SessionDep, TaskRulesDep
from service.problems import ProblemError, _documented
from service.responses import Supervision, TaskOut, TaskPage, TasksImported
from service.routers.templates import XLSX
from service.supervision import render_supervision_html, supervision, write_supervision_xlsx
from service.tasks_xlsx import EXPORT_LIMIT, import_tasks, write_tasks

CHANGE_RESPONSES = {
    403: _documented("This key's role may not change tasks (analyst keys read only)"),
    409: _documented(
        "The task changed since it was read: `current_version` given, nothing written"
    ),
    428: _documented("No version: send If-Match with the ETag, or `version` in the body"),
}
router = APIRouter(tags=["tasks"])
TaskId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the task's id")]
Period = Annotated[str | None, Query(pattern=r"^\d{4}Q[1-4]$", examples=["2026Q4"])]
Text = Annotated[str | None, Query(max_length=64)]


def _filters(status, overdue, department, township, village, review) -> tk.TaskFilters:
    return tk.TaskFilters(status, overdue, department, township, village, review)


@router.get(
    "/v1/tasks",
    summary="The caller's tasks, soonest due first (paged)",
    response_model=TaskPage,
    response_model_exclude_unset=True,  # a task's history comes with GET /v1/tasks/{id} only
)
def list_tasks(
    session: SessionDep,
    caller: TaskCaller,
    rules: TaskRulesDep,
    clock: ClockDep,
    status: Annotated[Literal[tk.LIST_STATUSES], Query()] = "active",  # type: ignore[valid-type]
    overdue: Annotated[bool | None, Query()] = None,
    department: Text = None,
    township: Text = None,
    village: Text = None,
    review: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=tk.MAX_LIMIT)] = 50,
    after: Annotated[
        str | None, Query(max_length=30, description="`next` of the last page")
    ] = None,
) -> dict:
    filters = _filters(status, overdue, department, township, village, review)
    page = tk.list_tasks(
        session, caller, rules, now_ts=clock(), filters=filters, limit=limit, after=after
    )
    return {"items": page.items, "next": page.next}


@router.get(
    "/v1/tasks.xlsx",
    summary="My open tasks as a spreadsheet (status column with a dropdown)",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "the tasks"}},
)
def export_tasks(
    session: SessionDep, caller: TaskCaller, rules: TaskRulesDep, clock: ClockDep
) -> Response:
    buffer = io.BytesIO()
    items = tk.iter_tasks(session, caller, rules, now_ts=clock(), cap=EXPORT_LIMIT)
    write_tasks(items, buffer)
    return Response(buffer.getvalue(), media_type=XLSX)


@router.post(
    "/v1/tasks/import",
    summary="Apply a filled-in tasks spreadsheet, row by row",
    response_model=TasksImported,
)
def import_tasks_sheet(
    session: SessionDep,
    caller: TaskCaller,
    rules: TaskRulesDep,
    clock: ClockDep,
    file: Annotated[UploadFile, File(description="tasks.xlsx as downloaded, statuses changed")],
) -> dict:
    outcome = import_tasks(session, caller, rules, file.file.read(), now_ts=clock())
    return outcome.as_dict()


@router.get(
    "/v1/tasks/{task_id}",
    summary="A task with its history (ETag: its version)",
    response_model=TaskOut,
    response_model_exclude_unset=True,
)
def get_task(
    task_id: TaskId,
    session: SessionDep,
    response: Response,
    caller: TaskCaller,
    rules: TaskRulesDep,
    clock: ClockDep,
) -> dict:
    task = tk.get_task(session, caller, rules, task_id, now_ts=clock())
    response.headers["ETag"] = f'"{task["version"]}"'
    return task


class TaskChange(BaseModel):
    model_config = {"extra": "forbid"}
    status: Literal["open", "in_progress", "done", "not_needed"]
    note: str | None = Field(None, max_length=tk.MAX_NOTE)
    version: int | None = Field(None, ge=1, description="or send If-Match with the ETag")


def _version(change: TaskChange, if_match: str | None) -> int:
    if if_match is not None:
        text = if_match.strip().removeprefix("W/").strip('"')
        if not text.isdigit() or len(text) > 9:
            raise ProblemError(422, "Invalid input", "If-Match: must be the task's ETag")
        if change.version is not None and change.version != int(text):
            raise ProblemError(422, "Invalid input", "version and If-Match disagree")
        return int(text)
    if change.version is None:
        raise ProblemError(
            428, "Version required", "send the version read (body `version` or If-Match)"
        )
    return change.version


@router.patch(
    "/v1/tasks/{task_id}",
    summary="Change a task's status, with a note (stale version: 409, nothing written)",
    responses=CHANGE_RESPONSES,
    response_model=TaskOut,
    response_model_exclude_unset=True,
)
def patch_task(
    task_id: TaskId,
    session: SessionDep,
    response: Response,
    caller: TaskCaller,
    rules: TaskRulesDep,
    clock: ClockDep,
    change: Annotated[TaskChange, Body()],
    if_match: Annotated[str | None, Header(max_length=40)] = None,
) -> dict:
    version = _version(change, if_match)
    task = tk.update_task(
        session, caller, rules, task_id,
        status=change.status, note=change.note, version=version, now_ts=clock(),
    )  # fmt: skip
    response.headers["ETag"] = f'"{task["version"]}"'
    return task


def _report(session: Session, caller, rules, clock, period) -> dict:
    return supervision(session, caller, rules, now_ts=clock(), period=period)


@router.get(
    "/v1/supervision",
    summary="Supervision (四(四)): per department and township",
    response_model=Supervision,
)
def get_supervision(
    session: SessionDep,
    caller: TaskCaller,
    rules: TaskRulesDep,
    clock: ClockDep,
    period: Period = None,
) -> dict:
    return _report(session, caller, rules, clock, period)


@router.get(
    "/v1/supervision.xlsx",
    summary="Supervision as a spreadsheet",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "the report"}},
)
def get_supervision_xlsx(
    session: SessionDep,
    caller: TaskCaller,
    rules: TaskRulesDep,
    clock: ClockDep,
    period: Period = None,
) -> Response:
    report = _report(session, caller, rules, clock, period)
    return Response(write_supervision_xlsx(report), media_type=XLSX)


@router.get(
    "/v1/supervision.html",
    summary="Supervision as a page with charts",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}}},
)
def get_supervision_html(
    session: SessionDep,
    caller: TaskCaller,
    rules: TaskRulesDep,
    clock: ClockDep,
    period: Period = None,
) -> Response:
    report = _report(session, caller, rules, clock, period)
    return Response(render_supervision_html(report), media_type="text/html")

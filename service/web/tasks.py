"""Follow-up tasks: my open and overdue tasks (filterable), one task with its history and
the form to mark it done or not needed with a note, the supervision report (四(四)).

Thin pages over service.tasks and service.supervision, the functions GET/PATCH
/v1/tasks and GET /v1/supervision call, with the same scope (another village's or
department's task is a 404) and the same optimistic concurrency: the form carries
the version it was read at, and a stale change is refused with the task shown again.
"""

import re
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from sqlmodel import Session
from starlette.responses import Response

from service import tasks as tk
from service.report_html import COLOURS, bar_chart
from service.routers.templates import XLSX
from service.supervision import supervision, write_supervision_xlsx
from service.web.pages import Caller, PageError, PostedForm, page, see_other
from service.web.reviews import BEIJING, review_id

router = APIRouter(include_in_schema=False)
STATUS_ZH = {
    "open": "未开始",
    "in_progress": "办理中",
    "done": "已办结",
    "not_needed": "无需办理",
    "escalated": "已升级督办",
    "resolved_by_review": "复核后解除",
}
LIST_ZH = {
    "active": "未办结",
    "escalated": "已升级督办",
    "done": "已办结",
    "not_needed": "无需办理",
    "all": "全部",
}
CHANGE_ZH = {"in_progress": "办理中", "done": "已办结", "not_needed": "无需办理（须写明原因）"}
EVENT_ZH = {"carried_over": "转入下一季度复核（此人仍有此项风险）", "note": "备注"}
TASKS_LISTED = 100
PERIOD = re.compile(r"^\d{4}Q[1-4]$")


def _rules(request: Request) -> tk.TaskRules:
    return request.app.state.task_rules


def _when(text: str | None) -> str:
    if not text:
        return ""
    return datetime.fromisoformat(text).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def _shown(request: Request, task: dict) -> dict:
    """A task with what a page shows of it in words: action, departments, times."""
    ruleset = request.app.state.assessor.ruleset
    departments = {d.code: d.zh for d in ruleset.departments.values()}
    action = ruleset.actions.get(task["action"])
    return task | {
        "title_zh": action.title if action else task["action"],
        "department_zh": departments.get(task["department"], task["department"]),
        "cooperating_zh": [departments.get(c, c) for c in task["cooperating"]],
        "escalated_zh": departments.get(task["escalated_to"], task["escalated_to"])
        if task.get("escalated_to")
        else None,
        "due": _when(task["due_at"]),
        "status_zh": STATUS_ZH.get(task["status"], task["status"]),
    }


def _filters(status: str, overdue: str, village: str, review: str) -> tk.TaskFilters:
    return tk.TaskFilters(
        status=status if status in LIST_ZH else "active",
        overdue=True if overdue == "yes" else None,
        village=village[:64] or None,
        review=review_id(review) if review else None,
    )


@router.get("/tasks")
def task_list(
    request: Request,
    caller: Caller,
    status: str = "active",
    overdue: str = "",
    village: str = "",
    review: str = "",
    after: str = "",
):
    filters = _filters(status, overdue, village, review)
    with Session(request.app.state.store) as session:
        try:
            found = tk.list_tasks(
                session,
                caller,
                _rules(request),
                now_ts=tk.now(),
                filters=filters,
                limit=TASKS_LISTED,
                after=after[:30] or None,
            )
        except tk.TaskError:
            raise PageError(400, "无法筛选", "筛选条件有误，请返回重选。") from None
    query = {"status": filters.status, "overdue": "yes" if filters.overdue else ""}
    query |= {"village": filters.village or "", "review": review}
    return page(
        request,
        "tasks.html",
        caller,
        tasks=[_shown(request, t) for t in found.items],
        next_after=found.next,
        query=query,
        list_zh=LIST_ZH,
    )


def _task(request: Request, caller, text: str) -> dict:
    number = review_id(text)  # the same id rule: 1 … 2**31 - 1, else a 404 page
    with Session(request.app.state.store) as session:
        try:
            return tk.get_task(session, caller, _rules(request), number, now_ts=tk.now())
        except tk.TaskNotFound:
            raise PageError(404, "找不到此页面", "没有这项任务，或您的密钥无权查看。") from None


def _task_page(request, caller, task: dict, status: int = 200, **context):
    history = [
        e
        | {
            "at_zh": _when(e["at"]),
            "what_zh": EVENT_ZH.get(e["kind"]) or STATUS_ZH.get(e["to_status"] or "", e["kind"]),
        }
        for e in task.get("history", [])
    ]
    return page(
        request,
        "task.html",
        caller,
        status,
        task=_shown(request, task),
        history=history,
        may_update=tk.may_update(caller),
        change_zh=CHANGE_ZH,
        values=context.pop("values", {}),
        errors=context.pop("errors", {}),
        **context,
    )


@router.get("/tasks/{task}")
def task_page(request: Request, caller: Caller, task: str):
    return _task_page(request, caller, _task(request, caller, task))


@router.post("/tasks/{task}")
def change_task(request: Request, caller: Caller, task: str, form: PostedForm):
    current = _task(request, caller, task)
    values = {k: str(form.get(k) or "")[: tk.MAX_NOTE + 1] for k in ("status", "note", "version")}
    errors = {}
    if values["status"] not in CHANGE_ZH and values["status"] != "open":
        errors["status"] = "请选择办理情况"
    if not values["version"].isdigit() or len(values["version"]) > 9:
        errors["status"] = "页面已过期，请刷新后重新填写"
    if errors:
        return _task_page(request, caller, current, 400, values=values, errors=errors)
    with Session(request.app.state.store) as session:
        try:
            tk.update_task(
                session, caller, _rules(request), current["id"],
                status=values["status"], note=values["note"],
                version=int(values["version"]), now_ts=tk.now(),
            )  # fmt: skip
        except tk.TaskForbidden:
            raise PageError(403, "没有权限", "分析人员的密钥只能查看任务，不能修改。") from None
        except tk.TaskConflict:
            latest = _task(request, caller, task)
            errors = {"status": "这项任务刚被别人修改过，下面是最新情况；请核对后再提交"}
            return _task_page(request, caller, latest, 409, values=values, errors=errors)
        except tk.TaskInvalid as exc:
            message = "选择“无需办理”时请写明原因" if exc.field == "note" else exc.reason
            errors = {exc.field if exc.field in ("status", "note") else "status": message}
            return _task_page(request, caller, current, 400, values=values, errors=errors)
    return see_other(f"/tasks/{current['id']}")


def _period(text: str) -> str | None:
    if not text:
        return None
    if not PERIOD.match(text):
        raise PageError(400, "期次有误", "期次的格式应为 年份 + Q + 季度，例如 2026Q4。")
    return text


def _report(request: Request, caller, period: str) -> dict:
    with Session(request.app.state.store) as session:
        return supervision(session, caller, _rules(request), now_ts=tk.now(), period=period)


@router.get("/supervision")
def supervision_page(request: Request, caller: Caller, period: str = ""):
    report = _report(request, caller, _period(period))
    ruleset = request.app.state.assessor.ruleset
    departments = {d.code: d.zh for d in ruleset.departments.values()}
    for row in report["by_department"]:
        row["department_zh"] = departments.get(row["department"], row["department"])
    charts = [
        bar_chart(
            "逾期任务：按牵头部门",
            [
                (r["department_zh"], r["overdue"], COLOURS["critical"])
                for r in report["by_department"]
            ],
        ),
        bar_chart(
            "逾期任务：按乡镇",
            [
                (str(r["township"]), r["overdue"], COLOURS["critical"])
                for r in report["by_township"]
            ],
        ),
    ]
    return page(
        request,
        "supervision.html",
        caller,
        report=report,
        period=period if report["period"] else "",
        as_of=_when(report["as_of"]),
        charts=charts,
    )


@router.get("/supervision.xlsx")
def supervision_xlsx(request: Request, caller: Caller, period: str = ""):
    report = _report(request, caller, _period(period))
    name = f"supervision-{period or 'all'}-{datetime.now(UTC):%Y%m%d}.xlsx"
    return Response(
        write_supervision_xlsx(report),
        media_type=XLSX,
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )

"""Village committees: the template, the quarter's upload, its result, the action list.

The upload runs the same functions as POST /v1/reviews (models.sheets.files.sheet_chunks,
service.review.review, service.store.save_review); the pages read a review through
the same scope check and report data as GET /v1/reviews/{id}/… (another village's
review is a 404, by URL too). The store keeps no names or identity numbers, so
every list shows them masked.
"""

import io
import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zipfile import BadZipFile

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session, select
from starlette.responses import Response

from models.review_tables import Review
from models.sheets.explain import explain, kind_zh
from models.sheets.files import SheetError, SheetLimits, SheetTooLarge, sheet_chunks
from service.access import may_see
from service.problems import as_problem
from service.report_data import LEVEL_ZH, stored_report
from service.report_xlsx import CHANGE_ZH, write_report
from service.review import PERIOD
from service.review import review as run_review
from service.routers.templates import XLSX
from service.store import ReviewNotFound, changes_since_previous, save_review, visible_review
from service.web.errors import sheet_too_large_zh
from service.web.pages import Caller, PageError, PostedForm, Role, from_problem, page, see_other
from service.web.review_data import page_actions, page_problems

router = APIRouter(include_in_schema=False)
Uploader = Role("system", "village")
BEIJING = timezone(timedelta(hours=8), "北京时间")
LISTED = 500  # rows of a list on a page; the XLSX report has the rest
REVIEWS_LISTED = 200
SUFFIXES = (".xlsx", ".xlsm", ".csv")
UPLOAD_PATH = "/reviews/new"


def review_id(text: str) -> int:
    """A review id from the URL; anything else is a 404 page (never a 422 document)."""
    if not re.fullmatch(r"[1-9]\d{0,9}", text) or int(text) > 2**31 - 1:
        raise PageError(404, "找不到此页面", "没有这条记录。")
    return int(text)


def this_quarter(today: date | None = None) -> str:
    today = today or date.today()
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"


@router.get("/reviews")
def reviews(request: Request, caller: Caller):
    statement = select(Review).order_by(Review.id.desc()).limit(REVIEWS_LISTED)
    if caller.role == "village":
        statement = statement.where(
            Review.township == caller.township, Review.village == caller.village
        )
    with Session(request.app.state.store) as session:
        found = [r for r in session.exec(statement) if may_see(caller, r.township, r.village)]
    return page(request, "reviews.html", caller, reviews=found, shown=_shown)


@router.get("/reviews/new")
async def upload_form(request: Request, caller: Uploader):
    return page(request, "upload.html", caller, values={"period": this_quarter()}, errors={})


@router.post(UPLOAD_PATH)
async def upload(request: Request, caller: Uploader, form: PostedForm):
    upload = form.get("file")
    values = {k: str(form.get(k) or "").strip()[:64] for k in ("township", "village", "period")}
    if caller.role == "village":  # a village key reviews its own village, whatever is posted
        values["township"], values["village"] = caller.township, caller.village
    errors = _upload_errors(values, upload)
    if errors:
        return page(request, "upload.html", caller, 400, values=values, errors=errors)
    data = await upload.read()
    try:
        saved = await run_in_threadpool(_review_and_store, request, data, upload.filename, values)
    except SheetTooLarge as exc:  # over LIUSHOU_MAX_REVIEW_ROWS or a sheet's other limits
        errors = {"file": sheet_too_large_zh(exc)}
        return page(request, "upload.html", caller, 413, values=values, errors=errors)
    except (SheetError, BadZipFile):  # BadZipFile: not yet a SheetError in models.sheets.files
        errors = {"file": "无法读取此文件：请用模板填写，另存为 .xlsx，或 UTF-8 编码的 .csv"}
        return page(request, "upload.html", caller, 422, values=values, errors=errors)
    return see_other(f"/reviews/{saved.id}")


def _upload_errors(values: dict[str, str], upload) -> dict[str, str]:
    errors = {}
    if not values["township"]:
        errors["township"] = "请填写乡镇"
    if not values["village"]:
        errors["village"] = "请填写村（居）"
    if not PERIOD.match(values["period"]):
        errors["period"] = "期次的格式应为 年份 + Q + 季度，例如 2026Q4"
    if upload is None or isinstance(upload, str) or not upload.filename:
        errors["file"] = "请选择本季度的名单文件"
    elif Path(upload.filename).suffix.lower() not in SUFFIXES:
        errors["file"] = "文件应为 .xlsx 或 .csv"
    return errors


def _review_and_store(request: Request, data: bytes, filename: str, values: dict) -> Review:
    """As POST /v1/reviews: read the sheet in pieces, review it, store it in one go."""
    state = request.app.state
    limits = SheetLimits(rows=state.settings.max_review_rows)  # as POST /v1/reviews
    chunks = sheet_chunks(data, filename, limits=limits)
    result = run_review(chunks, state.assessor, **values)
    secret = state.settings.person_key_secret.get_secret_value().encode()
    saved, _ = save_review(state.store, result, state.assessor.ruleset, secret)
    return saved


def _found(request: Request, caller, text: str) -> Review:
    """The review, if this key may see it (the API's scope check), else a 404 page."""
    try:
        with Session(request.app.state.store) as session:
            return visible_review(session, caller, review_id(text))
    except ReviewNotFound as exc:
        raise from_problem(as_problem(exc)) from None


@router.get("/reviews/{review}")
def review_page(request: Request, caller: Caller, review: str):
    found = _found(request, caller, review)
    with Session(request.app.state.store) as session:
        problems = page_problems(session, found.id, LISTED)
        changes = changes_since_previous(session, found)
        _, _, departments = page_actions(session, found.id, None, limit=0)
    counts = {k: getattr(found, k) for k in ("rows_in", "scored", "rejected", *LEVEL_ZH)}
    uploaded = _utc(found.created_at).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    return page(
        request,
        "review.html",
        caller,
        review=found,
        counts=counts,
        departments=departments,
        problems=problems,
        change_counts=changes.counts(),
        change_lists={k: changes.entries(k, LISTED) for k in CHANGE_ZH},
        change_zh=CHANGE_ZH,
        kind_zh=kind_zh,
        explain=explain,
        shown=_shown,
        uploaded=uploaded,
    )


def _utc(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)  # SQLite keeps no zone


@router.get("/reviews/{review}/actions")
def actions_page(request: Request, caller: Caller, review: str, level: str = ""):
    found = _found(request, caller, review)
    level = level if level in LEVEL_ZH else ""
    with Session(request.app.state.store) as session:
        rows, total, _ = page_actions(session, found.id, level or None, LISTED)
    created = _utc(found.created_at)
    return page(
        request,
        "actions.html",
        caller,
        review=found,
        actions=[_action(row, created) for row in rows],
        total=total,
        level=level,
        shown=_shown,
    )


def _action(row: list, created: datetime) -> dict:
    number, person_id, name, id_masked, level, what, department, hours, mandatory = row[:9]
    due = created + timedelta(hours=int(hours or 0))
    return {
        "row": number,
        "who": " ".join(x for x in (name, person_id) if x) or f"第 {number} 行",
        "id_masked": id_masked,
        "level": level,
        "what": what,
        "department": department,
        "deadline": hours,
        "due": due.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M"),
        "mandatory": mandatory == "是",
        "clauses": row[9],
    }


@router.get("/reviews/{review}/report.xlsx")
def report_xlsx(request: Request, caller: Caller, review: str):
    found = _found(request, caller, review)
    buffer = io.BytesIO()
    with Session(request.app.state.store) as session:  # as GET …/report.xlsx
        write_report(stored_report(session, caller, found.id), buffer)
    name = f"review-{found.id}-{found.period}.xlsx"  # no place name: headers are ASCII
    return Response(
        buffer.getvalue(),
        media_type=XLSX,
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


def _shown(review: Review) -> str:
    return f"{review.township}{review.village} {review.period}"

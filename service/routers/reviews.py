"""Village quarterly reviews: upload a spreadsheet, read the results back."""

import io
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Path, Query, Request, Response, UploadFile
from sqlmodel import Session, select

from models.review_tables import Review, ReviewProblem, ReviewPublic
from service.access import ReviewCaller, may_see
from service.problems import ProblemError
from service.report_data import from_store
from service.report_html import render_html
from service.report_xlsx import write_report
from service.review import review as run_review
from service.routers.templates import XLSX
from service.sheets import SheetError, sheet_chunks
from service.store import changes_since_previous, records_of, save_review
from service.task_store import TaskCounts

router = APIRouter(prefix="/v1/reviews", tags=["reviews"])
Level = Literal["low", "medium", "high", "critical"]
ReviewId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the review's id")]


def _visible(request: Request, caller, review_id: int) -> Review:
    with Session(request.app.state.store) as session:
        review = session.get(Review, review_id)
    if review is None or not may_see(caller, review.township, review.village):
        raise ProblemError(404, "Unknown review", f"no review {review_id} visible to this key")
    return review


@router.post("", summary="Review a village's list (multipart: file, township, village, period)")
def create_review(
    request: Request,
    caller: ReviewCaller,
    file: Annotated[UploadFile, File(description="people.xlsx or people.csv")],
    township: Annotated[str, Form(max_length=64)],
    village: Annotated[str, Form(max_length=64)],
    period: Annotated[str, Form(pattern=r"^\d{4}Q[1-4]$", examples=["2026Q4"])],
) -> dict:
    if not may_see(caller, township, village):
        raise ProblemError(403, "Not your village", "a village key reviews its own village only")
    state = request.app.state
    try:
        chunks = sheet_chunks(file.file.read(), file.filename or "upload")
        result = run_review(
            chunks, state.assessor, township=township, village=village, period=period
        )
    except SheetError as exc:
        raise ProblemError(422, "Unreadable spreadsheet", str(exc)) from None
    secret = state.settings.person_key_secret.get_secret_value().encode()
    tasks = TaskCounts()
    review, changes = save_review(
        state.store, result, state.assessor.ruleset, secret, task_counts=tasks
    )
    return {
        "review": ReviewPublic.model_validate(review, from_attributes=True).model_dump(mode="json"),
        "changes": changes.counts(),
        "tasks": vars(tasks),
        "rejected_rows": [
            {"row": p.row, "column": p.column, "reason": p.reason} for p in result.rejected
        ],
    }


@router.get("/{review_id}", summary="A review's summary")
def get_review(review_id: ReviewId, request: Request, caller: ReviewCaller) -> ReviewPublic:
    return ReviewPublic.model_validate(_visible(request, caller, review_id), from_attributes=True)


@router.get("/{review_id}/records", summary="The scored records (masked), optionally of one level")
def get_records(
    review_id: ReviewId,
    request: Request,
    caller: ReviewCaller,
    level: Annotated[Level | None, Query()] = None,
) -> list[dict]:
    _visible(request, caller, review_id)
    with Session(request.app.state.store) as session:
        records = records_of(session, review_id, level)
    return [r.model_dump(exclude={"id", "review_id"}) for r in records]


@router.get(
    "/{review_id}/changes", summary="New, gone, up, down, still critical since last quarter"
)
def get_changes(review_id: ReviewId, request: Request, caller: ReviewCaller) -> dict:
    review = _visible(request, caller, review_id)
    with Session(request.app.state.store) as session:
        changes = changes_since_previous(session, review)
    return {
        "counts": changes.counts(),
        "new": changes.new,
        "gone": changes.gone,
        "up": changes.up,
        "down": changes.down,
        "still_critical": changes.still_critical,
    }


def _villages(session: Session, caller, review: Review) -> dict[str, dict[str, int]]:
    """Level counts of the newest review of each village of the township, same period,
    among the villages this key may see."""
    statement = (
        select(Review)
        .where(Review.township == review.township, Review.period == review.period)
        .order_by(Review.id)
    )
    newest = {
        r.village: r for r in session.exec(statement) if may_see(caller, r.township, r.village)
    }
    levels = ("critical", "high", "medium", "low")
    return {name: {k: getattr(r, k) for k in levels} for name, r in newest.items()}


def _report_data(request: Request, caller, review_id: int):
    review = _visible(request, caller, review_id)
    with Session(request.app.state.store) as session:
        villages = _villages(session, caller, review)
        records = records_of(session, review_id)
        problems = list(
            session.exec(select(ReviewProblem).where(ReviewProblem.review_id == review_id))
        )
        changes = changes_since_previous(session, review)
    data = from_store(review, records, problems, changes)
    data.villages = villages
    return data


@router.get(
    "/{review_id}/report.xlsx",
    summary="The review report (XLSX)",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "the report"}},
)
def get_report_xlsx(review_id: ReviewId, request: Request, caller: ReviewCaller) -> Response:
    buffer = io.BytesIO()
    write_report(_report_data(request, caller, review_id), buffer)
    return Response(buffer.getvalue(), media_type=XLSX)


@router.get(
    "/{review_id}/report.html",
    summary="The review report (HTML with charts)",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}}},
)
def get_report_html(review_id: ReviewId, request: Request, caller: ReviewCaller) -> Response:
    return Response(render_html(_report_data(request, caller, review_id)), media_type="text/html")

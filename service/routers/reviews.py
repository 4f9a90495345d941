"""Village quarterly reviews: upload a spreadsheet, read the results back."""

import io
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Path, Query, Request, Response, UploadFile
from fastapi.responses import StreamingResponse
from sqlmodel import Session, select

from models.review_tables import Review, ReviewProblem, ReviewPublic
from models.sheets.files import SheetError, SheetLimits, SheetTooLarge, sheet_batches
from service import metrics
from service.access import ReviewCaller, may_see
from service.audit import note
from service.export import EXPORT_TYPES, export_lines
from service.problems import ProblemError
from service.report_data import from_store
from service.report_html import render_html
from service.report_xlsx import write_report
from service.reviewing import review_file
from service.routers.templates import XLSX
from service.store import changes_since_previous, problems_of, records_of

router = APIRouter(prefix="/v1/reviews", tags=["reviews"])
Level = Literal["low", "medium", "high", "critical"]
ReviewId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the review's id")]
MAX_PAGE = 1000  # records or problems per page
REJECTED_SHOWN = 100  # rejected rows in the upload's answer; the rest: /problems
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"at most {MAX_PAGE}")]
After = Annotated[int, Query(ge=0, le=2**31 - 1, description="the cursor of the previous page")]


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
    limits = SheetLimits(rows=state.settings.max_review_rows)
    secret = state.settings.person_key_secret.get_secret_value().encode()
    try:
        batches = sheet_batches(file.file.read(), file.filename or "upload", limits=limits)
        done = review_file(  # as `liushou review`: streamed, stored in one transaction
            batches,
            state.assessor,
            township=township,
            village=village,
            period=period,
            engine=state.store,
            secret=secret,
        )
    except SheetTooLarge as exc:
        raise ProblemError(
            413, "Spreadsheet too large", str(exc), limit=exc.limit, limit_value=exc.value
        ) from None
    except SheetError as exc:
        raise ProblemError(422, "Unreadable spreadsheet", str(exc)) from None
    review, summary = done.review, done.summary
    _count(summary)
    note(
        state.store,
        caller,
        "upload",
        review_id=review.id,
        rows=summary.rows_in,
        route="POST /v1/reviews",
    )
    rejected = summary.first_rejected[:REJECTED_SHOWN]
    return {
        "review": ReviewPublic.model_validate(review, from_attributes=True).model_dump(mode="json"),
        "changes": done.changes.counts(),
        "tasks": vars(done.tasks),
        "rejected_rows": [{"row": p.row, "column": p.column, "reason": p.reason} for p in rejected],
        "rejected_rows_listed": len(rejected),
        "problems": f"/v1/reviews/{review.id}/problems",
    }


def _count(summary) -> None:
    metrics.REVIEW_ROWS.labels(outcome="scored").inc(summary.scored)
    metrics.REVIEW_ROWS.labels(outcome="rejected").inc(summary.rejected)
    for (category, level), n in sorted(summary.by_category.items()):
        metrics.count_assessment(category, level, int(n))


@router.get("/{review_id}", summary="A review's summary")
def get_review(review_id: ReviewId, request: Request, caller: ReviewCaller) -> ReviewPublic:
    return ReviewPublic.model_validate(_visible(request, caller, review_id), from_attributes=True)


@router.get(
    "/{review_id}/records",
    summary="A page of the scored records (masked), optionally of one level",
    description=f"At most {MAX_PAGE} records, in sheet row order. When there are more, the "
    "`Link` header (rel=next) and `X-Next-After` give the cursor of the next page "
    "(`after`); the whole review streams from `/records.csv` or `/records.ndjson`.",
)
def get_records(
    review_id: ReviewId,
    request: Request,
    response: Response,
    caller: ReviewCaller,
    level: Annotated[Level | None, Query()] = None,
    limit: Limit = MAX_PAGE,
    after: After = 0,
) -> list[dict]:
    _visible(request, caller, review_id)
    with Session(request.app.state.store) as session:
        records = records_of(session, review_id, level, after=after, limit=limit + 1)
    more, records = len(records) > limit, records[:limit]
    if more:
        cursor = records[-1].row
        query = f"limit={limit}&after={cursor}" + (f"&level={level}" if level else "")
        response.headers["Link"] = f'</v1/reviews/{review_id}/records?{query}>; rel="next"'
        response.headers["X-Next-After"] = str(cursor)
    note(
        request.app.state.store,
        caller,
        "read",
        review_id=review_id,
        rows=len(records),
        route="GET /v1/reviews/{review_id}/records",
    )
    return [r.model_dump(exclude={"id", "review_id"}) for r in records]


@router.get(
    "/{review_id}/records.{kind}",
    summary="Every scored record (masked), streamed as CSV or NDJSON",
    response_class=StreamingResponse,
    responses={200: {"content": {t: {} for t in EXPORT_TYPES.values()}}},
)
def export_records(
    review_id: ReviewId,
    kind: Annotated[Literal["csv", "ndjson"], Path(description="csv or ndjson")],
    request: Request,
    caller: ReviewCaller,
) -> StreamingResponse:
    review = _visible(request, caller, review_id)
    note(
        request.app.state.store,
        caller,
        "export",
        review_id=review_id,
        rows=review.scored,
        route="GET /v1/reviews/{review_id}/records.{kind}",
    )
    return StreamingResponse(
        export_lines(request.app.state.store, review_id, kind),
        media_type=EXPORT_TYPES[kind],
        headers={"Content-Disposition": f'attachment; filename="review-{review_id}.{kind}"'},
    )


@router.get("/{review_id}/problems", summary="A page of the review's data problems")
def get_problems(
    review_id: ReviewId,
    request: Request,
    response: Response,
    caller: ReviewCaller,
    limit: Limit = MAX_PAGE,
    after: After = 0,
) -> list[dict]:
    _visible(request, caller, review_id)
    with Session(request.app.state.store) as session:
        problems = problems_of(session, review_id, after=after, limit=limit + 1)
    more, problems = len(problems) > limit, problems[:limit]
    if more:
        cursor = problems[-1].id
        link = f"/v1/reviews/{review_id}/problems?limit={limit}&after={cursor}"
        response.headers["Link"] = f'<{link}>; rel="next"'
        response.headers["X-Next-After"] = str(cursor)
    return [
        {"id": p.id, "kind": p.kind, "row": p.row, "column": p.column, "reason": p.reason}
        for p in problems
    ]


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
    note(
        request.app.state.store,
        caller,
        "report",
        review_id=review_id,
        route="GET /v1/reviews/{review_id}/report.xlsx",
    )
    return Response(buffer.getvalue(), media_type=XLSX)


@router.get(
    "/{review_id}/report.html",
    summary="The review report (HTML with charts)",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}}},
)
def get_report_html(review_id: ReviewId, request: Request, caller: ReviewCaller) -> Response:
    page = render_html(_report_data(request, caller, review_id))
    note(
        request.app.state.store,
        caller,
        "report",
        review_id=review_id,
        route="GET /v1/reviews/{review_id}/report.html",
    )
    return Response(page, media_type="text/html")

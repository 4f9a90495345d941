"""Village quarterly reviews: upload a spreadsheet, read the results back."""

import io
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Path, Query, Response, UploadFile
from fastapi.responses import StreamingResponse

from models.review_tables import ReviewPublic
from models.sheets.files import SheetLimits, sheet_batches
from service import metrics
from service.access import ReviewCaller, may_see
from service.audit import note
from service.deps import AssessorDep, SessionDep, SettingsDep, StoreDep
from service.export import EXPORT_TYPES, export_lines
from service.problems import ProblemError
from service.report_data import stored_report
from service.report_html import render_html
from service.report_xlsx import write_report
from service.responses import ChangesOut, ProblemRow, RecordPublic, ReviewCreated
from service.reviewing import review_file
from service.routers.templates import XLSX
from service.store import changes_since_previous, problems_of, records_of, visible_review

router = APIRouter(prefix="/v1/reviews", tags=["reviews"])
Level = Literal["low", "medium", "high", "critical"]
ReviewId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the review's id")]
MAX_PAGE = 1000  # records or problems per page
REJECTED_SHOWN = 100  # rejected rows in the upload's answer; the rest: /problems
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"at most {MAX_PAGE}")]
After = Annotated[int, Query(ge=0, le=2**31 - 1, description="the cursor of the previous page")]


@router.post(
    "",
    response_model=ReviewCreated,
    summary="Review a village's list (multipart: file, township, village, period)",
)
def create_review(
    caller: ReviewCaller,
    assessor: AssessorDep,
    settings: SettingsDep,
    store: StoreDep,
    file: Annotated[UploadFile, File(description="people.xlsx or people.csv")],
    township: Annotated[str, Form(max_length=64)],
    village: Annotated[str, Form(max_length=64)],
    period: Annotated[str, Form(pattern=r"^\d{4}Q[1-4]$", examples=["2026Q4"])],
) -> dict:
    if not may_see(caller, township, village):
        raise ProblemError(403, "Not your village", "a village key reviews its own village only")
    limits = SheetLimits(rows=settings.max_review_rows)
    secret = settings.person_key_secret.get_secret_value().encode()
    batches = sheet_batches(file.file.read(), file.filename or "upload", limits=limits)
    done = review_file(  # as `liushou review`: streamed, stored in one transaction
        batches,
        assessor,
        township=township,
        village=village,
        period=period,
        engine=store,
        secret=secret,
    )
    review, summary = done.review, done.summary
    _count(summary)
    note(
        store,
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
def get_review(review_id: ReviewId, session: SessionDep, caller: ReviewCaller) -> ReviewPublic:
    review = visible_review(session, caller, review_id)
    return ReviewPublic.model_validate(review, from_attributes=True)


@router.get(
    "/{review_id}/records",
    summary="A page of the scored records (masked), optionally of one level",
    description=f"At most {MAX_PAGE} records, in sheet row order. When there are more, the "
    "`Link` header (rel=next) and `X-Next-After` give the cursor of the next page "
    "(`after`); the whole review streams from `/records.csv` or `/records.ndjson`.",
    response_model=list[RecordPublic],
)
def get_records(
    review_id: ReviewId,
    session: SessionDep,
    store: StoreDep,
    response: Response,
    caller: ReviewCaller,
    level: Annotated[Level | None, Query()] = None,
    limit: Limit = MAX_PAGE,
    after: After = 0,
) -> list[dict]:
    visible_review(session, caller, review_id)
    records = records_of(session, review_id, level, after=after, limit=limit + 1)
    more, records = len(records) > limit, records[:limit]
    if more:
        cursor = records[-1].row
        query = f"limit={limit}&after={cursor}" + (f"&level={level}" if level else "")
        response.headers["Link"] = f'</v1/reviews/{review_id}/records?{query}>; rel="next"'
        response.headers["X-Next-After"] = str(cursor)
    note(
        store,
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
    session: SessionDep,
    store: StoreDep,
    caller: ReviewCaller,
) -> StreamingResponse:
    review = visible_review(session, caller, review_id)
    note(
        store,
        caller,
        "export",
        review_id=review_id,
        rows=review.scored,
        route="GET /v1/reviews/{review_id}/records.{kind}",
    )
    return StreamingResponse(
        export_lines(store, review_id, kind),
        media_type=EXPORT_TYPES[kind],
        headers={"Content-Disposition": f'attachment; filename="review-{review_id}.{kind}"'},
    )


@router.get(
    "/{review_id}/problems",
    summary="A page of the review's data problems",
    response_model=list[ProblemRow],
)
def get_problems(
    review_id: ReviewId,
    session: SessionDep,
    response: Response,
    caller: ReviewCaller,
    limit: Limit = MAX_PAGE,
    after: After = 0,
) -> list[dict]:
    visible_review(session, caller, review_id)
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
    "/{review_id}/changes",
    summary="New, gone, up, down, still critical since last quarter",
    response_model=ChangesOut,
)
def get_changes(review_id: ReviewId, session: SessionDep, caller: ReviewCaller) -> dict:
    review = visible_review(session, caller, review_id)
    changes = changes_since_previous(session, review)
    return {
        "counts": changes.counts(),
        "new": changes.new,
        "gone": changes.gone,
        "up": changes.up,
        "down": changes.down,
        "still_critical": changes.still_critical,
    }


@router.get(
    "/{review_id}/report.xlsx",
    summary="The review report (XLSX)",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "the report"}},
)
def get_report_xlsx(
    review_id: ReviewId, session: SessionDep, store: StoreDep, caller: ReviewCaller
) -> Response:
    buffer = io.BytesIO()
    write_report(stored_report(session, caller, review_id), buffer)
    note(
        store,
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
def get_report_html(
    review_id: ReviewId, session: SessionDep, store: StoreDep, caller: ReviewCaller
) -> Response:
    page = render_html(stored_report(session, caller, review_id))
    note(
        store,
        caller,
        "report",
        review_id=review_id,
        route="GET /v1/reviews/{review_id}/report.html",
    )
    return Response(page, media_type="text/html")

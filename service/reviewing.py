"""A review from a file to the store and the report, streamed: what ``liushou review`` and
``POST /v1/reviews`` both run.

    done = review_file(batches, assessor, township=…, village=…, period=…,
                       engine=engine, secret=secret)

``batches`` come from ``models.sheets.files.sheet_batches``; each is scored, written
to the store (``service.store.ReviewWriter``, one transaction), to the report
(``service.report_data.ReportCollector``) and, if asked, to a Parquet file of results
(``service.bulk.ResultsParquet``) before the next is read (``service.review.run_review``).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.changes import Changes
from models.review_tables import Review
from service.bulk import ResultsParquet
from service.report_data import ReportCollector, ReportData
from service.review import ReviewSummary, run_review
from service.store import ReviewWriter
from service.task_store import TaskCounts


@dataclass
class ReviewDone:
    summary: ReviewSummary
    report: ReportData
    review: Review | None = None  # the stored review (None without a store)
    changes: Changes | None = None
    tasks: TaskCounts = field(default_factory=TaskCounts)


def review_file(
    batches: Iterable,
    assessor: Any,
    *,
    township: str,
    village: str,
    period: str,
    engine=None,
    secret: bytes = b"",
    show_personal: bool = False,
    out_parquet: Path | None = None,
    progress=None,
) -> ReviewDone:
    """Score, store (when ``engine`` is given), report and optionally write Parquet, in one
    pass over the batches; nothing is stored if anything fails."""
    report = ReportCollector(show_personal)
    sinks: list = [report]
    parquet = ResultsParquet(out_parquet) if out_parquet else None
    if parquet:
        sinks.append(parquet)
    tasks = TaskCounts()
    place = {"township": township, "village": village, "period": period}
    try:
        if engine is None:
            summary = run_review(batches, assessor, **place, sinks=sinks, progress=progress)
            return ReviewDone(summary, report.data(summary), tasks=tasks)
        with ReviewWriter(
            engine, township, village, period, assessor.ruleset, secret, task_counts=tasks
        ) as writer:
            sinks.append(writer)
            summary = run_review(batches, assessor, **place, sinks=sinks, progress=progress)
            stored, changes = writer.finish(summary.counts())
        return ReviewDone(summary, report.data(summary, changes), stored, changes, tasks)
    finally:
        if parquet:
            parquet.close()

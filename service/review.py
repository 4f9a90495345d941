"""A village's quarterly review from its spreadsheet: score everyone, report the rest.

``rows_in == scored + rejected`` always; duplicates (不重报) are rejected rows too.
The store and the changes since last quarter come with the review store.

    result = review(frame, assessor, township="寿春镇", village="城东村", period="2026Q4")
"""

import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from models.quality import Quality, check_quality, split_duplicates
from models.sheet import Problem, Record, read_rows

PERIOD = re.compile(r"^\d{4}Q[1-4]$")


@dataclass
class Scored:
    record: Record
    assessment: dict[str, Any]


@dataclass
class ReviewResult:
    township: str
    village: str
    period: str
    rows_in: int
    scored: list[Scored] = field(default_factory=list)
    rejected: list[Problem] = field(default_factory=list)
    quality: Quality = field(default_factory=Quality)
    ignored_columns: list[str] = field(default_factory=list)

    def problem_lists(self) -> list[tuple[str, list[Problem]]]:
        """Every data problem, by kind: rejected rows first, then the quality lists."""
        quality = self.quality
        return [
            ("rejected row", self.rejected),
            ("duplicate", quality.duplicates),
            ("invalid identity number", quality.invalid_ids),
            ("age contradicts category", quality.age_conflicts),
            ("missing value", quality.missing_values),
        ]

    def counts(self) -> dict[str, int]:
        levels = {"critical": 0, "high": 0, "medium": 0, "low": 0}
        for item in self.scored:
            levels[str(item.assessment["risk_level"])] += 1
        return {
            "rows_in": self.rows_in,
            "scored": len(self.scored),
            "rejected": len(self.rejected),
            **levels,
        }


def review(
    frame: pd.DataFrame,
    assessor: Any,
    *,
    township: str,
    village: str,
    period: str,
    progress=None,
) -> ReviewResult:
    if not PERIOD.match(period):
        raise ValueError(f"period {period!r} must look like 2026Q4")
    read = read_rows(frame, progress)
    kept, duplicates = split_duplicates(read.records)
    persons = [record.person for record in kept]
    assessments = assessor.assess_many(persons)
    result = ReviewResult(
        township,
        village,
        period,
        read.rows_in,
        [Scored(r, a) for r, a in zip(kept, assessments, strict=True)],
        sorted(read.rejected + duplicates, key=lambda p: p.row),
        ignored_columns=read.ignored_columns,
    )
    gaps = {
        s.record.row: [g["field"] for g in s.assessment["data_gaps"]]
        for s in result.scored
        if s.assessment["data_gaps"]
    }
    result.quality = check_quality(kept, read.rejected, duplicates, gaps)
    assert result.rows_in == len(result.scored) + len(result.rejected), "a row was lost"
    return result

"""A village's quarterly review from its spreadsheet: score everyone, report the rest.

``rows_in == scored + rejected`` always; duplicates (不重报) are rejected rows too.
The store and the changes since last quarter come with the review store.

    result = review(frame, assessor, township="寿春镇", village="城东村", period="2026Q4")
"""

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from models.identity import mask_id_number, mask_name
from models.quality import Quality, check_quality, split_duplicates
from models.sheets.rows import Problem, merge_blank_runs
from models.sheets.table import read_table
from rules.adapter import release_free_memory
from rules.assess_bulk import Assessed, assess_table
from rules.fact_table import fact_table
from rules.facts import category_ages

PERIOD = re.compile(r"^\d{4}Q[1-4]$")
PEOPLE_COLUMNS = ["row", "person_id", "name", "id_number", "category", "age", "assessment_date"]
MASKED = ["name_masked", "id_masked"]  # added once: the store and the reports share them


@dataclass
class ReviewResult:
    township: str
    village: str
    period: str
    rows_in: int
    people: pd.DataFrame  # the scored rows, in sheet order: PEOPLE_COLUMNS + MASKED
    facts: pd.DataFrame  # their encoded facts (rules.fact_table), same order
    assessed: Assessed  # their levels, patterns and model blocks, same order
    rejected: list[Problem] = field(default_factory=list)
    quality: Quality = field(default_factory=Quality)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def scored(self) -> int:
        return len(self.people)

    @property
    def rejected_rows(self) -> int:
        """Rows rejected (a problem can stand for a run of blank rows)."""
        return sum(p.rows for p in self.rejected)

    @cached_property
    def levels(self) -> np.ndarray:
        """Each scored person's level, as text (worked out once: counts, store and reports
        all read it)."""
        return np.array([str(level) for level in self.assessed.level], dtype=object)

    def assessment(self, i: int) -> dict[str, Any]:
        """What the review keeps of the i-th scored person (an Assessment's review fields)."""
        pattern = self.assessed.patterns[self.assessed.pattern[i]]
        return {
            "risk_level": self.assessed.level[i],
            "score": pattern.score,
            "rule_ids": list(pattern.rule_ids),
            "interventions": pattern.interventions,
            "data_gaps": pattern.data_gaps,
            "model": self.assessed.model[i] if self.assessed.model else None,
        }

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
        levels = pd.Series(self.levels).value_counts()
        return {
            "rows_in": self.rows_in,
            "scored": self.scored,
            "rejected": self.rejected_rows,
            **{name: int(levels.get(name, 0)) for name in ("critical", "high", "medium", "low")},
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
    chunks = [frame] if isinstance(frame, pd.DataFrame) else frame
    rows_in, people, facts, rejected, ignored = 0, [], [], [], []
    for chunk in chunks:  # a large CSV comes in pieces: only its people and facts are kept
        read = read_table(chunk, progress, first=rows_in)
        rows_in += read.rows_in
        people.append(read.table[PEOPLE_COLUMNS])
        facts.append(fact_table(read.table, assessor.ruleset))
        rejected[-1:] = merge_blank_runs(rejected[-1:] + read.rejected)  # blank runs: one each
        ignored = ignored or read.ignored_columns
        del read
        release_free_memory()  # each piece's cells are garbage now
    table = pd.concat(people, ignore_index=True) if people else pd.DataFrame(columns=PEOPLE_COLUMNS)
    keep, duplicates = split_duplicates(table)
    kept = table[keep].reset_index(drop=True)
    # dtype=object: pandas would infer "str" and turn None into NaN
    kept["name_masked"] = pd.Series([mask_name(n) for n in kept["name"]], dtype=object)
    kept["id_masked"] = pd.Series([mask_id_number(n) for n in kept["id_number"]], dtype=object)
    facts = pd.concat(facts, ignore_index=True)[keep].reset_index(drop=True)
    assessed = assess_table(
        assessor.ruleset, facts, kept["assessment_date"].to_numpy(), model=assessor.model
    )
    result = ReviewResult(
        township,
        village,
        period,
        rows_in,
        kept,
        facts,
        assessed,
        sorted(rejected + duplicates, key=lambda p: p.row),
        ignored_columns=ignored,
    )
    fields = [[g["field"] for g in p.data_gaps] for p in assessed.patterns]
    with_gaps = np.array([bool(f) for f in fields] + [False])
    rows = result.people["row"].to_numpy()
    chosen = np.flatnonzero(with_gaps[assessed.pattern]) if len(kept) else []
    gaps = [(rows[i], fields[assessed.pattern[i]]) for i in chosen]
    bounds = category_ages(assessor.ruleset.values)
    result.quality = check_quality(kept, rejected, duplicates, gaps, bounds)
    assert result.rows_in == result.scored + result.rejected_rows, "a row was lost"
    return result

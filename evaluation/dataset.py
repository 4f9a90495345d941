"""Labelled people as the model sees them: features, outcome, subgroups, the rules' score.

From a spreadsheet (CSV or XLSX with an ``outcome`` column of 0/1, read and
validated exactly as a village review reads it) or from validated persons.
Rows the review would reject, and rows without a 0/1 outcome, are left out and
counted in ``skipped``.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evaluation import features
from models.sheets.labelled import read
from models.sheets.table import persons_table
from rules.assess_bulk import assess_table
from rules.fact_table import fact_table

AGE_BANDS = {
    "child": ((0, "0-5"), (6, "6-11"), (12, "12-17")),
    "elder": ((0, "<70"), (70, "70-79"), (80, "80+")),
}


@dataclass
class Dataset:
    X: np.ndarray
    y: np.ndarray
    groups: pd.DataFrame  # sex, age band, township
    rule_score: np.ndarray  # the points total of the rules
    rule_rank: np.ndarray  # level rank * 1000 + points: the rules' own ordering
    sha256: str
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (sheet row, reason)

    def __len__(self) -> int:
        return len(self.y)

    def take(self, rows: np.ndarray) -> "Dataset":
        return Dataset(
            self.X[rows],
            self.y[rows],
            self.groups.iloc[rows].reset_index(drop=True),
            self.rule_score[rows],
            self.rule_rank[rows],
            self.sha256,
        )


def from_persons(persons: list, outcomes, assessor: Any, sha256: str = "") -> Dataset:
    """From validated persons: the same as ``from_table`` of their table."""
    return from_table(persons_table(persons), outcomes, assessor, sha256)


def age_band(category: str, age: int | None) -> str:
    if age is None or category not in AGE_BANDS:
        return f"{category} unknown"
    label = [name for low, name in AGE_BANDS[category] if age >= low][-1]
    return f"{category} {label}"


def from_table(table: pd.DataFrame, outcomes, assessor: Any, sha256: str = "") -> Dataset:
    """The same, from a column-wise table (models.sheets.table): no person objects."""
    facts = fact_table(table, assessor.ruleset)
    assessed = assess_table(assessor.ruleset, facts, table["assessment_date"].to_numpy())
    score = assessed.score().astype(float)
    rank = np.array([level.rank for level in assessed.level], dtype=float)
    category, age = table["category"].to_numpy(), table["age"].to_numpy()
    return Dataset(
        X=features.matrix(facts),
        y=np.asarray(outcomes, dtype=np.int8),
        groups=pd.DataFrame(
            {
                "sex": [s or "unknown" for s in table["sex"]],
                "age_band": [age_band(c, a) for c, a in zip(category, age, strict=True)],
                "township": [t or "unknown" for t in table["township"]],
            }
        ),
        rule_score=score,
        rule_rank=rank * 1000 + score,
        sha256=sha256,
    )


def from_sheet(path: str | Path, assessor: Any) -> Dataset:
    """Read a labelled sheet; the data hash is the sha256 of the file's bytes."""
    sheet = read(path, require_outcome=True)
    dataset = from_table(sheet.table, sheet.outcomes, assessor, sheet.sha256)
    dataset.skipped = sheet.rejected
    return dataset

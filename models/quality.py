"""Data quality of a village list (3.4: 不重报、不漏报、不错报), each problem in its own list.

Worked out column-wise on the table of accepted rows (``models.sheets.table``).

>>> q = check_quality(pd.DataFrame({"row": [], "category": [], "age": []}))
>>> q.duplicates, q.age_conflicts
([], [])
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models import reasons
from models.sheets.rows import Problem, column_label


@dataclass
class Quality:
    duplicates: list[Problem] = field(default_factory=list)
    invalid_ids: list[Problem] = field(default_factory=list)
    age_conflicts: list[Problem] = field(default_factory=list)
    missing_values: list[Problem] = field(default_factory=list)


def split_duplicates(table: pd.DataFrame) -> tuple[np.ndarray, list[Problem]]:
    """Which rows to keep (the first row of each identity number), and the later rows as
    duplicates (不重报)."""
    numbers = table["id_number"]
    later = (numbers.notna() & numbers.duplicated(keep="first")).to_numpy()
    if not later.any():
        return ~later, []
    first_row = table[~later & numbers.notna().to_numpy()].set_index("id_number")["row"]
    duplicates = [
        Problem(
            int(row),
            column_label("id_number"),
            reasons.DUPLICATE_ID(first=first_row[number]),
        )
        for row, number in zip(table["row"][later], numbers[later], strict=True)
    ]
    return ~later, duplicates


def gaps_of(rows: np.ndarray, codes: np.ndarray, patterns: Sequence) -> list[tuple[int, list[str]]]:
    """The ``gaps`` check_quality takes: (sheet row, fields) of each person whose pattern
    (``patterns[codes[i]]``, a rules.assess_bulk Pattern; code -1: none) has data gaps, in
    the order of ``rows``: what service.review._piece and the Spark review both give it."""
    fields = [[g["field"] for g in p.data_gaps] for p in patterns]
    with_gaps = np.array([bool(f) for f in fields] + [False])
    chosen = np.flatnonzero(with_gaps[codes]) if len(rows) else np.zeros(0, np.int64)
    return [(rows[i], fields[codes[i]]) for i in chosen]


def check_quality(
    table: pd.DataFrame,
    rejected: Sequence[Problem] = (),
    duplicates: Sequence[Problem] = (),
    gaps: Sequence[tuple[int, list[str]]] = (),
    category_ages: dict[str, tuple[int, int]] | None = None,
) -> Quality:
    """``gaps``: (sheet row, fields) of the people whose safety-relevant values are unknown;
    ``category_ages``: {category: (lowest, highest)}, from the parameters
    (rules.facts.category_ages); an age outside contradicts the category (a warning: the
    person is still scored)."""
    quality = Quality(duplicates=list(duplicates))
    quality.invalid_ids = [
        p for p in rejected if "id_number" in p.column and "identity" in p.reason
    ]
    category = table["category"].to_numpy()
    age = pd.to_numeric(table["age"].astype(object), errors="coerce").to_numpy(float)
    for name, (low, high) in (category_ages or {}).items():
        wrong = (category == name) & ~np.isnan(age) & ((age < low) | (age > high))
        quality.age_conflicts += [
            Problem(
                int(row),
                column_label("age"),
                reasons.AGE_CONTRADICTS_CATEGORY(age=int(a), category=name, low=low, high=high),
            )
            for row, a in zip(table["row"].to_numpy()[wrong], age[wrong], strict=True)
        ]
    quality.age_conflicts.sort(key=lambda p: p.row)
    labels: dict[tuple, str] = {}
    needed = reasons.NEEDED_UNKNOWN()
    for row, fields in gaps:
        key = tuple(fields)
        if key not in labels:
            labels[key] = reasons.SEPARATOR.join(column_label(f) for f in fields)
        quality.missing_values.append(Problem(int(row), labels[key], needed))
    return quality

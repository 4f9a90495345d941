"""A population for analysis: its facts column-wise, who each row is (masked), where, outcomes.

Built from validated persons (a spreadsheet or an inline list) or from a stored
review (whose records keep their facts, never names or numbers). Facts are taken
once; the only facts that depend on a tunable parameter (income as a percentage
of the subsistence line) are recomputed column-wise for each proposal by
``facts_for``.

>>> cohort = from_persons(persons, ruleset)                        # doctest: +SKIP
>>> cohort.facts_for(apply(ruleset, {"income.subsistence_line": 4200}))  # doctest: +SKIP
"""

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models.identity import mask_id_number, mask_name
from models.sheets.table import persons_table
from rules.assess_bulk import gap_bits
from rules.fact_table import PCT_OF_LINE, fact_table, pct_of_line
from rules.loader import RuleSet, period_groups
from rules.vectorized import CATEGORIES


@dataclass
class Cohort:
    facts: pd.DataFrame  # encoded (rules.vectorized.fact_frame), one row per person
    people: pd.DataFrame  # row, person_id, name, id_number (masked), township, village
    gaps: np.ndarray  # bool: a value a safety rule needs is unknown (verify_data)
    outcome: np.ndarray | None
    sha256: str
    days: np.ndarray  # datetime64[D]: each person's assessment date (parameters as of it)

    def __len__(self) -> int:
        return len(self.facts)

    def facts_for(self, ruleset: RuleSet) -> pd.DataFrame:
        """The facts under ``ruleset`` (its overrides included), each person at the values
        in force on their assessment date: the percentages of the subsistence line, the
        only derived facts a tunable parameter moves, recomputed column-wise (a test
        perturbs every tunable parameter against rules.facts.build_fact, so another
        cannot hide)."""
        frame = self.facts.copy(deep=False)
        category = frame["category"].to_numpy()
        for start, rows in period_groups(ruleset, self.days):
            values = ruleset.values_at(start)
            for derived, (income, categories) in PCT_OF_LINE.items():
                if income not in frame:
                    continue
                applies = np.isin(category[rows], [CATEGORIES.index(c) for c in categories])
                money = frame[income].to_numpy()[rows]
                if len(rows) == len(frame):
                    frame[derived] = pct_of_line(money, applies, values)
                else:
                    column = frame[derived].to_numpy().copy()
                    column[rows] = pct_of_line(money, applies, values)
                    frame[derived] = column
        return frame


def from_persons(
    persons: list, ruleset: RuleSet, outcome=None, rows=None, source: bytes | None = None
) -> Cohort:
    """``rows``: each person's sheet row (default 1, 2, …); ``source``: the bytes hashed."""
    sha256 = hashlib.sha256(source).hexdigest() if source is not None else ""
    return from_table(persons_table(persons, rows), ruleset, outcome, sha256)


def from_table(table: pd.DataFrame, ruleset: RuleSet, outcome=None, sha256: str = "") -> Cohort:
    """From a column-wise table (models.sheets.table): facts by rules.fact_table."""
    frame = fact_table(table, ruleset)
    people = pd.DataFrame(
        {
            "row": table["row"].to_numpy(),
            "person_id": table["person_id"].to_numpy(),
            "name": [mask_name(n) for n in table["name"]],
            "id_number": [mask_id_number(n) for n in table["id_number"]],
            "township": [t or "" for t in table["township"]],
            "village": [v or "" for v in table["village"]],
        },
        dtype=object,
    )
    days = np.asarray(table["assessment_date"].to_numpy(), dtype="datetime64[D]")
    return Cohort(
        frame, people, _gaps(frame, ruleset), _outcome(outcome), sha256 or _hash(frame), days
    )


def from_records(records: list, review: Any, facts: pd.DataFrame, ruleset: RuleSet) -> Cohort:
    """A stored review's records (service.store, in row order) and the facts they were
    scored on (``service.store.facts_of``, same order)."""
    frame = facts.reset_index(drop=True)
    people = pd.DataFrame(
        {
            "row": [r.row for r in records],
            "person_id": [r.person_id for r in records],
            "name": [r.name_masked for r in records],
            "id_number": [r.id_masked for r in records],
            "township": review.township,
            "village": review.village,
        }
    )
    # a stored review keeps no assessment dates: its people were assessed when it was stored
    days = np.full(len(frame), np.datetime64(review.created_at.date(), "D"))
    return Cohort(frame, people, _gaps(frame, ruleset), None, _hash(frame), days)


def _gaps(frame: pd.DataFrame, ruleset: RuleSet) -> np.ndarray:
    """As rules.assess: a value a safety rule of the person's category needs is unknown."""
    return gap_bits(ruleset, frame)[0] != 0


def _outcome(outcome) -> np.ndarray | None:
    return None if outcome is None else np.asarray(outcome, dtype=np.int8)


def _hash(frame: pd.DataFrame) -> str:
    """The facts' sha256 (column names and values, in order)."""
    digest = hashlib.sha256()
    for name in frame.columns:
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(frame[name].to_numpy()).tobytes())
    return digest.hexdigest()

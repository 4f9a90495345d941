"""What a review report shows, built from a fresh review or from the store.

A county-sized review has millions of person-actions: the lists are ordered
column-wise (numpy) and cut at a limit — the most urgent first — with the
number left out said in the report; the counts are always whole. A village
never comes near the limits.
"""

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from sqlmodel import Session

from models.changes import Changes
from models.enums import RiskLevel
from service.settings import ApiKey
from service.store import (
    all_problems,
    changes_since_previous,
    records_of,
    village_levels,
    visible_review,
)

# Rows a report lists (xlsxwriter writes ~200,000 cells/s here; a village is far below)
ACTION_LIMIT = 50_000  # action-list rows (most urgent first)
CHANGE_LIMIT = 20_000  # rows per kind of change
PROBLEM_LIMIT = 20_000  # data-problem rows
LEVEL_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
# most urgent first; the words are RiskLevel.zh's (models/enums.py)
LEVEL_ZH = {level.value: level.zh for level in sorted(RiskLevel, key=lambda v: -v.rank)}


@dataclass
class ReportData:
    township: str
    village: str
    period: str
    counts: dict[str, int]
    actions: list[list] = field(default_factory=list)  # ACTION_HEADERS rows, most urgent first
    actions_total: int = 0
    departments: dict[str, int] = field(default_factory=dict)  # person-actions per department
    problems: list[tuple] = field(default_factory=list)  # (kind, row, column, reason)
    changes: Changes | None = None
    ignored_columns: list[str] = field(default_factory=list)
    # {village: {level: count}} for the township's villages reviewed in the same period
    villages: dict[str, dict[str, int]] = field(default_factory=dict)


def from_result(result, show_personal: bool = False, changes: Changes | None = None) -> ReportData:
    """From a review just run; names and numbers masked unless ``show_personal``."""
    people = result.people
    shown = ("name", "id_number") if show_personal else ("name_masked", "id_masked")
    names, numbers = (people[c].to_numpy() for c in shown)
    actions, total, departments = action_list(
        people["row"].to_numpy(),
        people["person_id"].to_numpy(),
        names,
        numbers,
        result.levels,
        result.assessed.pattern,
        [p.interventions for p in result.assessed.patterns],
    )
    problems = [
        (kind, p.row, p.column, p.reason) for kind, items in result.problem_lists() for p in items
    ]
    return ReportData(
        result.township,
        result.village,
        result.period,
        result.counts(),
        actions,
        total,
        departments,
        problems,
        changes,
        result.ignored_columns,
    )


def stored_report(session: Session, caller: ApiKey, review_id: int) -> ReportData:
    """The report of a stored review this key may see (ReviewNotFound otherwise), with the
    township's other villages of the same period beside it."""
    review = visible_review(session, caller, review_id)
    records = records_of(session, review_id)
    changes = changes_since_previous(session, review)
    data = from_store(review, records, all_problems(session, review_id), changes)
    data.villages = village_levels(session, caller, review)
    return data


def from_store(review, records, problems, changes: Changes | None) -> ReportData:
    """From stored rows: masked always (the store keeps no names or numbers)."""
    counts = {
        k: getattr(review, k)
        for k in ("rows_in", "scored", "rejected", "critical", "high", "medium", "low")
    }

    def column(name):
        return np.array([getattr(r, name) for r in records], dtype=object)

    actions, total, departments = action_list(
        column("row"),
        column("person_id"),
        column("name_masked"),
        column("id_masked"),
        column("risk_level"),
        np.arange(len(records)),
        [r.interventions for r in records],
    )
    return ReportData(
        review.township,
        review.village,
        review.period,
        counts,
        actions,
        total,
        departments,
        [(p.kind, p.row, p.column, p.reason) for p in problems],
        changes,
    )


def action_list(rows, person_ids, names, numbers, levels, pattern, pattern_actions, limit=None):
    """One row per person and intervention, the most urgent first: level, then mandatory
    reports, then deadline, then sheet row. Returns (rows up to ``limit``, how many in
    all, person-actions per department)."""
    limit = ACTION_LIMIT if limit is None else limit
    sizes = np.array([len(a) for a in pattern_actions] + [0], dtype=np.int64)
    flat = [a for actions in pattern_actions for a in actions]
    per_person = sizes[pattern] if len(pattern) else np.zeros(0, dtype=np.int64)
    total = int(per_person.sum())
    people = np.bincount(pattern, minlength=len(pattern_actions)) if len(pattern) else []
    departments: Counter = Counter()
    for k, actions in enumerate(pattern_actions):
        for action in actions:
            departments[action["department_zh"]] += int(people[k])
    if total == 0:
        return [], 0, dict(departments.most_common())
    person = np.repeat(np.arange(len(pattern)), per_person)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    within = np.arange(total) - np.repeat(np.cumsum(per_person) - per_person, per_person)
    index = starts[pattern[person]] + within  # each person-action's action in ``flat``
    mandatory = np.array([a["mandatory_report"] for a in flat], dtype=bool)[index]
    deadline = np.array([a["deadline_hours"] for a in flat], dtype=np.int64)[index]
    urgency = np.array([LEVEL_ORDER[str(v)] for v in levels], dtype=np.int64)[person]
    order = np.lexsort((np.asarray(rows, dtype=np.int64)[person], deadline, ~mandatory, urgency))
    out = []
    for k in order[:limit]:
        i, action = person[k], flat[index[k]]
        out.append(
            [
                int(rows[i]),
                person_ids[i] or "",
                names[i] or "",
                numbers[i] or "",
                LEVEL_ZH[str(levels[i])],
                action["title_zh"],
                action["department_zh"],
                action["deadline_hours"],
                "是" if action["mandatory_report"] else "否",
                ", ".join(action["clauses"]),
                ", ".join(action["rule_ids"]),
            ]
        )
    return out, total, dict(departments.most_common())

"""What a review report shows, built from a fresh review or from the store.

A county-sized review has millions of person-actions: the lists are ordered
column-wise (numpy) and cut at a limit — the most urgent first — with the
number left out said in the report; the counts are always whole. A village
never comes near the limits.
"""

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from models.changes import Changes

# Rows a report lists (xlsxwriter writes ~200,000 cells/s here; a village is far below)
ACTION_LIMIT = 50_000  # action-list rows (most urgent first)
CHANGE_LIMIT = 20_000  # rows per kind of change
PROBLEM_LIMIT = 20_000  # data-problem rows
LEVEL_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
LEVEL_ZH = {"critical": "紧急", "high": "高", "medium": "中", "low": "低"}


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
    problems_total: int | None = None  # when ``problems`` holds only the first of each kind

    @property
    def problem_count(self) -> int:
        return len(self.problems) if self.problems_total is None else self.problems_total


def from_result(result, show_personal: bool = False, changes: Changes | None = None) -> ReportData:
    """From a review just run; names and numbers masked unless ``show_personal``."""
    from service.review import whole_piece  # the review builds on this module's limits

    collector = ReportCollector(show_personal)
    collector.add(whole_piece(result))
    return collector.data(result, changes)


class ReportCollector:
    """A review's report built piece by piece (service.review.run_review's report sink),
    keeping only what the report shows: the ACTION_LIMIT most urgent person-actions so
    far, the first PROBLEM_LIMIT problems of each kind, and whole counts."""

    def __init__(self, show_personal: bool = False):
        self.shown = ("name", "id_number") if show_personal else ("name_masked", "id_masked")
        self.actions: list[list] = []
        self.total = 0
        self.departments: Counter = Counter()
        self.problems: dict[str, list[tuple]] = {}
        self.problems_total = 0

    def add(self, piece) -> None:
        people = piece.people
        names, numbers = (people[c].to_numpy() for c in self.shown)
        patterns = piece.patterns.patterns
        used = np.unique(piece.codes) if len(piece.codes) else np.zeros(0, np.int64)
        local = np.searchsorted(used, piece.codes)  # the piece's patterns only
        actions, total, departments = action_list(
            people["row"].to_numpy(),
            people["person_id"].to_numpy(),
            names,
            numbers,
            piece.levels,
            local,
            [patterns[k].interventions for k in used],
        )
        self.total += total
        self.departments.update(departments)
        if actions:
            merged = self.actions + actions  # stable: earlier rows first among equals
            merged.sort(key=_urgency)
            self.actions = merged[:ACTION_LIMIT]
        for kind, items in piece.problems.items():
            kept = self.problems.setdefault(kind, [])
            kept += [(kind, p.row, p.column, p.reason) for p in items[: PROBLEM_LIMIT - len(kept)]]
            self.problems_total += len(items)

    def data(self, summary, changes: Changes | None = None) -> ReportData:
        """``summary``: anything with township, village, period, counts() and
        ignored_columns (a ReviewSummary or a ReviewResult)."""
        return ReportData(
            summary.township,
            summary.village,
            summary.period,
            summary.counts(),
            self.actions,
            self.total,
            dict(self.departments.most_common()),
            [p for items in self.problems.values() for p in items],
            changes,
            summary.ignored_columns,
            problems_total=self.problems_total,
        )


_RANK_ZH = {zh: LEVEL_ORDER[level] for level, zh in LEVEL_ZH.items()}


def _urgency(row: list) -> tuple:
    """An action-list row's place: level, mandatory reports first, deadline, sheet row."""
    return (_RANK_ZH[row[4]], row[8] != "是", row[7], row[0])


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

"""What a review report shows, built from a fresh review or from the store.

A county-sized review has millions of person-actions: the lists are ordered
column-wise (numpy) and cut at a limit — the most urgent first — with the
number left out said in the report; the counts are always whole. A village
never comes near the limits.
"""

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlmodel import Session

from models.changes import Changes
from models.enums import RiskLevel
from service.settings import ApiKey
from service.store import (
    changes_since_previous,
    problems_of,
    records_of,
    village_levels,
    visible_review,
)

# Rows a report lists (a fixed cost once full: benchmarks/report.py; a village is far below)
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
    far (as columns, made into rows once, by ``data``), the first PROBLEM_LIMIT problems
    of each kind, and whole counts."""

    def __init__(self, show_personal: bool = False):
        self.shown = ("name", "id_number") if show_personal else ("name_masked", "id_masked")
        # the kept person-actions: row, person_id, name, number, level, action (_rows)
        self.kept = [np.zeros(0, dtype=object) for _ in range(6)]
        self.keys = np.zeros((0, 4), dtype=np.int64)  # their sort keys (_ranked)
        self.total = 0
        self.departments: Counter = Counter()
        self.problems: dict[str, list[tuple]] = {}
        self.problems_total = 0

    def add(self, piece) -> None:
        people = piece.people
        local = piece.assessed  # the piece's own patterns
        rows = people["row"].to_numpy()
        actions = [p.interventions for p in local.patterns]
        worst = self.keys[-1] if len(self.keys) == ACTION_LIMIT else None  # the list is full
        ranked = _ranked(rows, piece.levels, local.pattern, actions, worst)
        self.total += ranked.total
        self.departments.update(ranked.departments)
        chosen = np.arange(min(ACTION_LIMIT, len(ranked.keys)))
        if worst is not None and len(chosen):  # only what can still enter
            chosen = chosen[_before(ranked.keys[chosen], worst)]
        if len(chosen):
            who = ranked.person[chosen]
            names, numbers = (people[c].to_numpy(dtype=object)[who] for c in self.shown)
            made = [
                rows[who].astype(object),
                people["person_id"].to_numpy(dtype=object)[who],
                names,
                numbers,
                np.asarray(piece.levels, dtype=object)[who],
                ranked.action[chosen],
            ]
            keys = np.concatenate([self.keys, ranked.keys[chosen]])
            order = np.lexsort(keys.T[::-1])[:ACTION_LIMIT]  # stable: earlier pieces first
            self.kept = [
                np.concatenate([k, m])[order] for k, m in zip(self.kept, made, strict=True)
            ]
            self.keys = keys[order]
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
            _rows(*self.kept),
            self.total,
            dict(self.departments.most_common()),
            [p for items in self.problems.values() for p in items],
            changes,
            summary.ignored_columns,
            problems_total=self.problems_total,
        )


def stored_report(session: Session, caller: ApiKey, review_id: int) -> ReportData:
    """The report of a stored review this key may see (ReviewNotFound otherwise), with the
    township's other villages of the same period beside it."""
    review = visible_review(session, caller, review_id)
    records = records_of(session, review_id)
    changes = changes_since_previous(session, review)
    data = from_store(review, records, problems_of(session, review_id, limit=None), changes)
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
    ranked = _ranked(rows, levels, pattern, pattern_actions)
    who = ranked.person[:limit]
    out = _rows(
        *(np.asarray(c, dtype=object)[who] for c in (rows, person_ids, names, numbers, levels)),
        ranked.action[:limit],
    )
    return out, ranked.total, ranked.departments


@dataclass
class _Ranking:
    total: int
    departments: dict[str, int]
    # with ``worst`` (``_ranked``): the candidates' person-actions only, counts still whole
    person: np.ndarray  # each person-action's person, most urgent first
    action: np.ndarray  # its action (an intervention dict, object), same order
    keys: np.ndarray  # (n, 4) int64: level rank, not mandatory, deadline, sheet row


def _ranked(rows, levels, pattern, pattern_actions, worst=None) -> _Ranking:
    """Every person-action, most urgent first, with the whole counts. With ``worst`` (the
    key of the last person-action a full list keeps), only the people whose level sorts
    no later than that key's are ranked: nobody else's actions could enter the list
    (``total`` and ``departments`` still count everyone)."""
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
        empty = np.zeros((0, 4), dtype=np.int64)
        nothing = np.zeros(0, dtype=object)
        return _Ranking(0, dict(departments.most_common()), np.zeros(0, np.int64), nothing, empty)
    ranks = _level_ranks(levels)
    ranked = np.arange(len(pattern)) if worst is None else np.flatnonzero(ranks <= worst[0])
    each = per_person[ranked]
    person = np.repeat(ranked, each)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    within = np.arange(len(person)) - np.repeat(np.cumsum(each) - each, each)
    index = starts[pattern[person]] + within  # each person-action's action in ``flat``
    mandatory = np.array([a["mandatory_report"] for a in flat], dtype=bool)[index]
    deadline = np.array([a["deadline_hours"] for a in flat], dtype=np.int64)[index]
    urgency = ranks[person]
    sheet_rows = np.asarray(rows, dtype=np.int64)[person]
    order = np.lexsort((sheet_rows, deadline, ~mandatory, urgency))
    keys = np.stack([urgency, (~mandatory).astype(np.int64), deadline, sheet_rows], axis=1)
    return _Ranking(
        total,
        dict(departments.most_common()),
        person[order],
        _objects(flat)[index[order]],
        keys[order],
    )


def _level_ranks(levels) -> np.ndarray:
    """Each level's LEVEL_ORDER (texts or RiskLevels), looked up once per distinct level."""
    codes, uniques = pd.factorize(np.asarray(levels, dtype=object), use_na_sentinel=False)
    return np.array([LEVEL_ORDER[str(v)] for v in uniques], dtype=np.int64)[codes]


def _rows(rows, person_ids, names, numbers, levels, actions) -> list[list]:
    """The action list's rows (ACTION_HEADERS), one per person-action, from its columns."""
    return [
        [
            int(row),
            person_id or "",
            name or "",
            number or "",
            LEVEL_ZH[str(level)],
            action["title_zh"],
            action["department_zh"],
            action["deadline_hours"],
            "是" if action["mandatory_report"] else "否",
            ", ".join(action["clauses"]),
            ", ".join(action["rule_ids"]),
        ]
        for row, person_id, name, number, level, action in zip(
            rows, person_ids, names, numbers, levels, actions, strict=True
        )
    ]


def _objects(items: list) -> np.ndarray:
    """A 1-d object array of ``items`` (dicts), whatever they hold."""
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _before(keys: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Which rows of ``keys`` sort before the key ``last`` (lexicographically)."""
    before = np.zeros(len(keys), dtype=bool)
    equal = np.ones(len(keys), dtype=bool)
    for j in range(keys.shape[1]):
        before |= equal & (keys[:, j] < last[j])
        equal &= keys[:, j] == last[j]
    return before

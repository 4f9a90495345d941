"""What the review pages list, read column-wise from the store and cut at the page's limit.

A page lists the first rows only (the XLSX report has every one), so it reads no ORM
objects: a county-sized review's page costs one column query and the report's own
ordering (service.report_data.action_list), not the whole report.

    actions, total, departments = page_actions(session, review_id, level="critical", limit=500)
    problems = page_problems(session, review_id, limit=500)
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from models.review_tables import ReviewPattern, ReviewProblem, ReviewRecord
from service.report_data import action_list
from service.store import records_of

REJECTED_KINDS = ("rejected row", "duplicate")
# listed with the rejected rows already (models.quality takes them from the rejections)
LISTED_ELSEWHERE = ("invalid identity number",)
ACTION_COLUMNS = ("row", "person_id", "name_masked", "id_masked", "risk_level", "pattern")


def page_actions(session: Session, review_id: int, level: str | None, limit: int):
    """(the first ``limit`` person-actions, most urgent first, how many in all, person-actions
    per department), of one level or all."""
    table = ReviewRecord.__table__
    statement = sa.select(*(table.c[c] for c in ACTION_COLUMNS)).where(
        table.c.review_id == review_id
    )
    if level:
        statement = statement.where(table.c.risk_level == level)
    rows = session.connection().execute(statement).all()
    frame = pd.DataFrame(rows, columns=list(ACTION_COLUMNS), dtype=object)
    if frame["pattern"].isna().any():  # stored before shared patterns (revision 0002)
        return _from_records(session, review_id, level, limit)
    shared = ReviewPattern.__table__.c
    statement = sa.select(shared.pattern, shared.interventions).where(shared.review_id == review_id)
    patterns = dict(session.connection().execute(statement).all())  # no ORM objects
    codes = sorted(patterns)
    position = {code: i for i, code in enumerate(codes)}
    pattern = np.array([position[p] for p in frame["pattern"]], dtype=np.int64)
    return action_list(
        *(frame[c].to_numpy() for c in ACTION_COLUMNS[:5]),
        pattern,
        [patterns[c] for c in codes],
        limit=limit,
    )


def _from_records(session: Session, review_id: int, level: str | None, limit: int):
    records = records_of(session, review_id, level)

    def column(name):
        return np.array([getattr(r, name) for r in records], dtype=object)

    return action_list(
        *(column(c) for c in ACTION_COLUMNS[:5]),
        np.arange(len(records)),
        [r.interventions for r in records],
        limit=limit,
    )


@dataclass
class PageProblems:
    rejected: list[tuple]  # (kind, row, column, reason), by row
    rejected_total: int
    others: list[tuple]
    others_total: int


def page_problems(session: Session, review_id: int, limit: int) -> PageProblems:
    table = ReviewProblem.__table__
    mine = table.c.review_id == review_id
    statement = sa.select(table.c.kind, sa.func.count()).where(mine).group_by(table.c.kind)
    counts = {kind: n for kind, n in session.connection().execute(statement)}

    def first(kinds, inside: bool) -> list[tuple]:
        chosen = table.c.kind.in_(kinds) if inside else table.c.kind.not_in(kinds)
        statement = (
            sa.select(table.c.kind, table.c.row, table.c.column, table.c.reason)
            .where(mine, chosen)
            .order_by(table.c.row, table.c.id)
            .limit(limit)
        )
        return [tuple(r) for r in session.connection().execute(statement)]

    hidden = (*REJECTED_KINDS, *LISTED_ELSEWHERE)
    return PageProblems(
        first(REJECTED_KINDS, True),
        sum(counts.get(k, 0) for k in REJECTED_KINDS),
        first(hidden, False),
        sum(n for k, n in counts.items() if k not in hidden),
    )

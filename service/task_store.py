"""Tasks created with a review, in its transaction: written in bulk, carried over.

Called by ``service.store.save_review``; the lists and updates are in service.tasks.
A county's review makes about two million tasks. They are made by the database itself,
one ``INSERT … SELECT`` a piece: the piece's records (``review_record``, written just
before, each naming its pattern) joined with the review's task templates by pattern
(a temporary table ``task_template``: each pattern's interventions, a few thousand
rows), so that no task passes through Python at all (SQLite and PostgreSQL alike).
Tasks an earlier review's active task already stands for (carried over) are left out
through a second temporary table of (row, position) pairs. ``benchmarks/tasks.py``
measures both stores.
"""

from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa

from models.review_tables import Review
from models.task_tables import Task
from service.tasks import ACTIVE_TERM, T

TASK_INSERT = (
    "review_id",
    "last_review_id",
    "township",
    "village",
    "row",
    "person_key",
    "person_id",
    "name_masked",
    "risk_level",
    "action",
    "department",
    "cooperating",
    "clause",
    "deadline_hours",
    "created_ts",
    "due_ts",
    "status",
    "version",
    "updated_ts",
)
EVENT_INSERT = (
    "task_id",
    "at_ts",
    "actor",
    "role",
    "kind",
    "from_status",
    "to_status",
    "review_id",
    "note",
)
_TEMPORARY = sa.MetaData()  # the writer's own tables, never migrated: see TaskWriter
TASK_TEMPLATE = sa.Table(
    "task_template",
    _TEMPORARY,
    sa.Column("pattern", sa.Integer, primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("action", sa.String),
    sa.Column("department", sa.String),
    sa.Column("cooperating", sa.String),
    sa.Column("clause", sa.String),
    sa.Column("deadline_hours", sa.Integer),
    sa.Column("due_ts", sa.BigInteger),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)
TASK_SKIP = sa.Table(
    "task_skip",
    _TEMPORARY,
    sa.Column("row", sa.Integer, primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)
TEMPLATE_INSERT = tuple(TASK_TEMPLATE.c.keys())  # (pattern, position, *a template)
SKIP_INSERT = tuple(TASK_SKIP.c.keys())


@dataclass
class PieceTasks:
    """What ``TaskWriter.write`` needs of a piece: the task_template rows of its new
    patterns, the (row, position) pairs carried over (not made again), how many tasks
    are due, and the statement's values (none for a piece without people)."""

    templates: list[tuple]
    skip: list[tuple[int, int]]
    due: int
    values: dict


@dataclass
class TaskCounts:
    created: int = 0
    carried_over: int = 0
    resolved_by_review: int = 0


class Templates:
    """The review's task templates: the distinct ones, (action, department, cooperating,
    clause, hours, due_ts) — the same few interventions recur in thousands of patterns,
    each template is made once — and each of the review's patterns' templates, by the
    pattern's number (service.review.Patterns): a few bytes a pattern."""

    def __init__(self, created_ts: int):
        self.created_ts = created_ts
        self.distinct: list[tuple] = []
        self.numbers: dict[tuple, int] = {}  # what a template is made of -> its number
        self.sizes = np.zeros(0, dtype=np.int64)  # each pattern's number of templates
        self.starts = np.zeros(0, dtype=np.int64)  # where they start in ``chosen``
        self.chosen = np.zeros(0, dtype=np.int64)  # their numbers, pattern after pattern
        self._table = np.zeros((0, 6), dtype=object)

    def add(self, new) -> list[tuple]:
        """``new``: (number, pattern) of the patterns first seen, numbered on from the last.
        Returns their rows of ``task_template`` (TEMPLATE_INSERT): each pattern's
        interventions in order, by position."""
        sizes, chosen, rows = [], [], []
        for number, pattern in new:
            if number != len(self.sizes) + len(sizes):
                raise ValueError(f"pattern {number} comes out of turn")
            sizes.append(len(pattern.interventions))
            made = [self._number(i) for i in pattern.interventions]
            rows += [(number, at, *self.distinct[t]) for at, t in enumerate(made)]
            chosen += made
        if sizes:
            self.sizes = np.concatenate([self.sizes, np.array(sizes, dtype=np.int64)])
            self.chosen = np.concatenate([self.chosen, np.array(chosen, dtype=np.int64)])
            self.starts = np.cumsum(self.sizes) - self.sizes
        return rows

    def _number(self, i: dict) -> int:
        what = (i["action"], i["department"], tuple(i["cooperating"]), i["clause"])
        what += (i["deadline_hours"],)
        number = self.numbers.get(what)
        if number is None:
            hours = int(i["deadline_hours"])
            cooperating = "," + ",".join(i["cooperating"]) + "," if i["cooperating"] else ""
            made = (i["action"], i["department"], cooperating, i["clause"], hours)
            number = self.numbers[what] = len(self.distinct)
            self.distinct.append((*made, self.created_ts + hours * 3600))
        return number

    def count(self, codes) -> int:
        """How many tasks people with these patterns have."""
        return int(self.sizes[np.asarray(codes, dtype=np.int64)].sum())

    def expand(self, codes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every task of people with these patterns (``codes``: each person's pattern
        number), person by person and each person's in intervention order: its person
        (index into ``codes``), its template (number) and its position in the pattern."""
        codes = np.asarray(codes, dtype=np.int64)
        each = self.sizes[codes]  # each person's number of tasks
        person = np.repeat(np.arange(len(codes)), each)
        within = np.arange(len(person)) - np.repeat(np.cumsum(each) - each, each)
        return person, self.chosen[self.starts[codes[person]] + within], within

    def table(self) -> np.ndarray:
        """The distinct templates as an object array, one row each."""
        if len(self._table) != len(self.distinct):
            self._table = np.empty((len(self.distinct), 6), dtype=object)
            self._table[:] = self.distinct
        return self._table


def _previous_active(connection, review) -> dict[tuple[str, str], tuple[int, str]]:
    """The village's active tasks from earlier reviews: (person key, action) -> (id, status)."""
    earlier = sa.select(Review.id).where(
        Review.township == review.township,
        Review.village == review.village,
        Review.id != review.id,
    )
    statement = sa.select(T.id, T.person_key, T.action, T.status).where(
        T.last_review_id.in_(earlier), ACTIVE_TERM, T.person_key.is_not(None)
    )
    return {(r.person_key, r.action): (r.id, r.status) for r in connection.execute(statement)}


class TaskWriter:
    """Every intervention of the review's people becomes a task, in the review's
    transaction (``connection``), made by the database piece by piece from the piece's
    records (``add``). An active task of an earlier review of the village, for a person
    still found needing the same action, is carried over (linked to this review, not
    duplicated); one whose person is in this review but no longer needs the action is
    closed as ``resolved_by_review``. Both are in the history. What is kept across
    pieces is bounded by the village's earlier active tasks, not by this review: those
    tasks, the ones matched, and which of their people this review has (and the
    review's task templates, in Python and in ``task_template``)."""

    def __init__(self, connection, review):
        self.connection, self.review = connection, review
        self.created_ts = int(review.created_at.timestamp())
        self.previous = _previous_active(connection, review)
        self.people = {key for key, _ in self.previous}
        self.counts, self.matched, self.present = TaskCounts(), [], set()
        self.templates = Templates(self.created_ts)
        for table in (TASK_TEMPLATE, TASK_SKIP):  # the connection's own, gone on rollback
            table.create(connection)
        self.insert = sa.text(_insert_sql(skip=False))
        self.insert_skipping = sa.text(_insert_sql(skip=True))

    def prepare(self, people, codes, new) -> "PieceTasks":
        """A piece's tasks as the database will make them, worked out in the scoring's
        thread (no database: ``write`` does that, in the store's). ``people``: the piece's
        records (service.store.record_frame: row, person_key, …); ``codes``: each person's
        pattern, the review's number of it (service.review.Patterns); ``new``: the
        patterns first seen in this piece, with their numbers."""
        templates = self.templates.add(new)
        if not len(people):
            return PieceTasks(templates, [], 0, {})
        rows = people["row"].to_numpy(dtype=np.int64)
        skip: list[tuple[int, int]] = []
        if self.previous:
            keys = people["person_key"].to_numpy(dtype=object)
            self.present |= self.people & set(keys.tolist())
            person, template, position = self.templates.expand(codes)
            again = self._carried(keys, person, template)
            skip = list(zip(rows[person[again]].tolist(), position[again].tolist(), strict=True))
        values = {
            "review": int(self.review.id),
            "township": self.review.township,
            "village": self.review.village,
            "ts": self.created_ts,
            "first": int(rows.min()),
            "last": int(rows.max()),
        }
        return PieceTasks(templates, skip, self.templates.count(codes) - len(skip), values)

    def write(self, piece: "PieceTasks") -> None:
        """The piece's tasks made (after its records are written): its new templates, the
        pairs to leave out, one ``INSERT … SELECT``, checked against the count due."""
        from service.store import _bulk

        _bulk(self.connection, TASK_TEMPLATE, TEMPLATE_INSERT, piece.templates)
        if not piece.values:
            return
        _bulk(self.connection, TASK_SKIP, SKIP_INSERT, piece.skip)
        insert = self.insert_skipping if piece.skip else self.insert
        done = self.connection.execute(insert, piece.values)
        if piece.skip:
            self.connection.execute(sa.delete(TASK_SKIP))
        if done.rowcount != piece.due:  # the piece's records, every one, and no other
            raise RuntimeError(f"{done.rowcount} tasks made where {piece.due} were due")
        self.counts.created += done.rowcount

    def _carried(self, keys, person, template) -> np.ndarray:
        """Which tasks an earlier review's active task (same person, same action) already
        stands for: those are matched (carried over), not made again."""
        actions = self.templates.table()[:, 0]
        pairs = list(zip(keys[person].tolist(), actions[template].tolist(), strict=True))
        previous = self.previous
        again = np.fromiter((pair in previous for pair in pairs), dtype=bool, count=len(pairs))
        self.matched += [pairs[i] for i in np.flatnonzero(again)]
        return again

    def finish(self) -> TaskCounts:
        if self.previous:
            _follow_up(
                self.connection,
                self.review,
                self.previous,
                self.matched,
                self.present,
                self.counts,
            )
        for table in (TASK_TEMPLATE, TASK_SKIP):
            table.drop(self.connection)
        return self.counts


def _insert_sql(skip: bool) -> str:
    """A piece's tasks, made by the database: its records (the rows ``first``–``last``
    of the review) joined with their patterns' templates, person by person in sheet
    order and each person's in intervention order (the order of the task ids); with
    ``skip``, less the (row, position) pairs in ``task_skip``."""
    names = ", ".join(f'"{c}"' for c in TASK_INSERT)
    unless = (
        'AND NOT EXISTS (SELECT 1 FROM task_skip s WHERE s."row" = r."row" '
        "AND s.position = t.position) "
        if skip
        else ""
    )
    return (
        f"INSERT INTO task ({names}) "
        'SELECT :review, :review, :township, :village, r."row", r.person_key, r.person_id, '
        "r.name_masked, r.risk_level, t.action, t.department, t.cooperating, t.clause, "
        "t.deadline_hours, :ts, t.due_ts, 'open', 1, :ts "
        "FROM review_record r JOIN task_template t ON t.pattern = r.pattern "
        'WHERE r.review_id = :review AND r."row" BETWEEN :first AND :last '
        f'{unless}ORDER BY r."row", t.position'
    )


def _follow_up(connection, review, previous, matched, present, counts: TaskCounts) -> None:
    """Carry over the matched tasks; resolve those of present people no longer matched."""
    from service.store import _bulk

    carried = sorted({previous[m][0] for m in matched})
    kept = set(carried)
    resolved = [
        (task_id, status)
        for (key, _), (task_id, status) in previous.items()
        if key in present and task_id not in kept
    ]
    ts, actor = int(review.created_at.timestamp()), f"review {review.id}"
    _update_many(connection, carried, last_review_id=review.id)
    _update_many(
        connection,
        [i for i, _ in resolved],
        status="resolved_by_review",
        resolved_by_review=review.id,
        closed_ts=ts,
        updated_ts=ts,
        version=T.version + 1,
    )
    events = [(i, ts, actor, "system", "carried_over", None, None, review.id, "") for i in carried]
    events += [
        (i, ts, actor, "system", "resolved_by_review", s, "resolved_by_review", review.id, "")
        for i, s in resolved
    ]
    _bulk(connection, "task_event", EVENT_INSERT, events)
    counts.carried_over, counts.resolved_by_review = len(carried), len(resolved)


def _update_many(connection, ids: list[int], **values) -> None:
    """The same change to many tasks, a few thousand ids a statement."""
    for start in range(0, len(ids), 5_000):
        chunk = ids[start : start + 5_000]
        connection.execute(sa.update(Task.__table__).where(T.id.in_(chunk)).values(**values))

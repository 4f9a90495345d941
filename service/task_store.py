"""Tasks created with a review, in its transaction: written in bulk, carried over.

Called by ``service.store.save_review``; the lists and updates are in service.tasks.
A county's review makes about two million tasks, so they go straight to the driver,
worked out as columns (numpy: each task's person and template, no Python code per
task): SQLite ``executemany`` with the review's constants written once into the
statement, PostgreSQL ``COPY`` fed with text assembled per person (an intervention's
part of the line is made once per pattern). ``benchmarks/tasks.py`` measures both.
"""

from dataclasses import dataclass
from itertools import repeat

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
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
CHUNK = 50_000


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

    def add(self, new) -> None:
        """``new``: (number, pattern) of the patterns first seen, numbered on from the last."""
        sizes, chosen = [], []
        for number, pattern in new:
            if number != len(self.sizes) + len(sizes):
                raise ValueError(f"pattern {number} comes out of turn")
            sizes.append(len(pattern.interventions))
            chosen += [self._number(i) for i in pattern.interventions]
        if sizes:
            self.sizes = np.concatenate([self.sizes, np.array(sizes, dtype=np.int64)])
            self.chosen = np.concatenate([self.chosen, np.array(chosen, dtype=np.int64)])
            self.starts = np.cumsum(self.sizes) - self.sizes

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

    def expand(self, codes) -> tuple[np.ndarray, np.ndarray]:
        """Every task of people with these patterns (``codes``: each person's pattern
        number), person by person and each person's in intervention order: its person
        (index into ``codes``) and its template (number)."""
        codes = np.asarray(codes, dtype=np.int64)
        each = self.sizes[codes]  # each person's number of tasks
        person = np.repeat(np.arange(len(codes)), each)
        within = np.arange(len(person)) - np.repeat(np.cumsum(each) - each, each)
        return person, self.chosen[self.starts[codes[person]] + within]

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


def create_for_review(connection, review, people, levels, patterns) -> TaskCounts:
    """Every intervention of the review's people becomes a task (``TaskWriter`` fed the
    whole review as one piece)."""
    writer = TaskWriter(connection, review)
    writer.add(people, levels, people["pattern"].to_numpy(), list(enumerate(patterns)))
    return writer.finish()


class TaskWriter:
    """Every intervention of the review's people becomes a task, in the review's
    transaction (``connection``), written in bulk piece by piece. An active task of an
    earlier review of the village, for a person still found needing the same action, is
    carried over (linked to this review, not duplicated); one whose person is in this
    review but no longer needs the action is closed as ``resolved_by_review``. Both are
    in the history. What is kept across pieces is bounded by the village's earlier
    active tasks, not by this review: those tasks, the ones matched, and which of their
    people this review has (and the few distinct task templates)."""

    def __init__(self, connection, review):
        self.connection, self.review = connection, review
        self.created_ts = int(review.created_at.timestamp())
        self.previous = _previous_active(connection, review)
        self.people = {key for key, _ in self.previous}
        self.counts, self.matched, self.present = TaskCounts(), [], set()
        self.templates = Templates(self.created_ts)

    def add(self, people, levels, codes, new) -> None:
        """``people``: the piece's record frame (row, person_key, person_id, name_masked);
        ``levels``: each person's level; ``codes``: each person's pattern, the review's
        number of it (service.review.Patterns); ``new``: the patterns first seen in this
        piece, with their numbers. The tasks are worked out as columns (numpy: no Python
        code per task)."""
        self.templates.add(new)
        keys = people["person_key"].to_numpy(dtype=object)
        if self.previous:
            self.present |= self.people & set(keys.tolist())
        person, template = self.templates.expand(codes)
        if self.previous:
            person, template = self._not_carried(keys, person, template)
        self.counts.created += len(person)
        if not len(person):
            return
        persons = [
            people["row"].to_numpy(dtype=object),
            keys,
            people["person_id"].to_numpy(dtype=object),
            people["name_masked"].to_numpy(dtype=object),
            np.asarray(levels, dtype=object),
        ]
        if self.connection.dialect.name == "postgresql":
            _copy(self.connection, self.review, persons, person, self.templates, template)
        else:
            _executemany(self.connection, self.review, persons, person, self.templates, template)

    def _not_carried(self, keys, person, template):
        """The tasks left to create: those an earlier review's active task (same person,
        same action) does not already stand for (those are matched: carried over)."""
        actions = self.templates.table()[:, 0]
        pairs = list(zip(keys[person].tolist(), actions[template].tolist(), strict=True))
        previous = self.previous
        again = np.fromiter((pair in previous for pair in pairs), dtype=bool, count=len(pairs))
        self.matched += [pairs[i] for i in np.flatnonzero(again)]
        return person[~again], template[~again]

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
        return self.counts


def _executemany(connection, review, persons, person, templates: Templates, template) -> None:
    """SQLite: the review's numbers are written into the statement once (ints only), the
    rest bound per row (13 values instead of 19: binding is a third of the time), the
    rows zipped from columns (no Python code per row)."""
    rid, ts = int(review.id), int(templates.created_ts)
    values = f"{rid}, {rid}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {ts}, ?, 'open', 1, {ts}"
    names = ", ".join(f'"{c}"' for c in TASK_INSERT)
    table = templates.table()
    columns = [c[person].tolist() for c in persons]
    columns += [table[template, j].tolist() for j in range(table.shape[1])]
    rows = zip(repeat(review.township), repeat(review.village), *columns, strict=False)
    cursor = connection.connection.driver_connection.cursor()
    cursor.executemany(f"INSERT INTO task ({names}) VALUES ({values})", rows)


def _text(value) -> str:
    return "\\N" if value is None else str(value).translate(COPY_ESCAPES)


def _copy(connection, review, persons, person, templates: Templates, template) -> None:
    """PostgreSQL: COPY in text form, each line the person's part (made once per person
    with tasks) and the template's part (made once per template)."""
    head = "\t".join(_text(v) for v in (review.id, review.id, review.township, review.village))
    starts = np.flatnonzero(np.diff(person, prepend=-1))  # each person's first task
    who = person[starts]
    prefixes = [
        head + "\t" + "\t".join(map(_text, values)) + "\t"
        for values in zip(*(c[who].tolist() for c in persons), strict=True)
    ]
    ts = templates.created_ts
    tails = [
        f"{a}\t{d}\t{c}\t{clause}\t{hours}\t{ts}\t{due}\topen\t1\t{ts}\n"
        for a, d, c, clause, hours, due in ([_text(v) for v in t] for t in templates.distinct)
    ]
    heads = np.repeat(np.array(prefixes, dtype=object), np.diff(starts, append=len(person)))
    tails_ = np.array(tails, dtype=object)
    names = ", ".join(f'"{c}"' for c in TASK_INSERT)
    driver = connection.connection.driver_connection
    with driver.cursor().copy(f"COPY task ({names}) FROM STDIN") as copy:
        for at in range(0, len(person), CHUNK):  # str + str, element by element
            lines = heads[at : at + CHUNK] + tails_[template[at : at + CHUNK]]
            copy.write("".join(lines.tolist()))


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

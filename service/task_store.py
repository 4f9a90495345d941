"""Tasks created with a review, in its transaction: written in bulk, carried over.

Called by ``service.store.save_review``; the lists and updates are in service.tasks.
A county's review makes about two million tasks, so they go straight to the driver:
SQLite ``executemany`` with the review's constants written once into the statement,
PostgreSQL ``COPY`` fed with text assembled per person (an intervention's part of
the line is made once per pattern). ``benchmarks/tasks.py`` measures both.
"""

from dataclasses import dataclass

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


def _templates(patterns, created_ts: int) -> list[list[tuple]]:
    """Each pattern's tasks: (action, department, cooperating, clause, hours, due_ts)."""
    return [
        [
            (
                i["action"],
                i["department"],
                "," + ",".join(i["cooperating"]) + "," if i["cooperating"] else "",
                i["clause"],
                int(i["deadline_hours"]),
                created_ts + int(i["deadline_hours"]) * 3600,
            )
            for i in p.interventions
        ]
        for p in patterns
    ]


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
    writer.add(people, levels, patterns, people["pattern"].to_numpy())
    return writer.finish()


class TaskWriter:
    """Every intervention of the review's people becomes a task, in the review's
    transaction (``connection``), written in bulk piece by piece. An active task of an
    earlier review of the village, for a person still found needing the same action, is
    carried over (linked to this review, not duplicated); one whose person is in this
    review but no longer needs the action is closed as ``resolved_by_review``. Both are
    in the history. What is kept across pieces is bounded by the village's earlier
    active tasks, not by this review: those tasks, the ones matched, and which of their
    people this review has."""

    def __init__(self, connection, review):
        self.connection, self.review = connection, review
        self.created_ts = int(review.created_at.timestamp())
        self.previous = _previous_active(connection, review)
        self.people = {key for key, _ in self.previous}
        self.counts, self.matched, self.present = TaskCounts(), [], set()

    def add(self, people, levels, patterns, codes) -> None:
        """``people``: the piece's record frame (row, person_key, person_id, name_masked);
        ``levels``: each person's level; ``patterns`` and ``codes``: the piece's patterns
        and each person's index into them."""
        templates = _templates(patterns, self.created_ts)
        previous, counts, matched = self.previous, self.counts, self.matched
        if previous:
            self.present |= self.people & set(people["person_key"])

        def new_tasks():
            """(person's values, task template) of every task to create."""
            columns = [
                people[c].tolist() for c in ("row", "person_key", "person_id", "name_masked")
            ]
            for *person, k in zip(*columns, levels, codes.tolist(), strict=True):
                key = person[1]
                for tail in templates[k]:
                    if previous and (key, tail[0]) in previous:
                        matched.append((key, tail[0]))
                        continue
                    counts.created += 1
                    yield person, tail

        if self.connection.dialect.name == "postgresql":
            _copy(self.connection, self.review, self.created_ts, new_tasks())
        else:
            _executemany(self.connection, self.review, self.created_ts, new_tasks())

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


def _executemany(connection, review, created_ts: int, tasks) -> None:
    """SQLite: the review's numbers are written into the statement once (ints only), the
    rest bound per row (13 values instead of 19: binding is a third of the time)."""
    rid, ts = int(review.id), int(created_ts)
    values = f"{rid}, {rid}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {ts}, ?, 'open', 1, {ts}"
    names = ", ".join(f'"{c}"' for c in TASK_INSERT)
    place = (review.township, review.village)
    rows = ((*place, *person, *tail) for person, tail in tasks)
    cursor = connection.connection.driver_connection.cursor()
    cursor.executemany(f"INSERT INTO task ({names}) VALUES ({values})", rows)


def _text(value) -> str:
    return "\\N" if value is None else str(value).translate(COPY_ESCAPES)


def _copy(connection, review, created_ts: int, tasks) -> None:
    """PostgreSQL: COPY in text form, each line the person's part (made once per person)
    and the template's part (made once per template)."""
    head = "\t".join(_text(v) for v in (review.id, review.id, review.township, review.village))
    tails: dict[int, str] = {}
    names = ", ".join(f'"{c}"' for c in TASK_INSERT)
    driver = connection.connection.driver_connection
    with driver.cursor().copy(f"COPY task ({names}) FROM STDIN") as copy:
        lines, last, prefix = [], None, ""
        for person, tail in tasks:
            if person is not last:
                last, prefix = person, head + "\t" + "\t".join(_text(v) for v in person)
            text = tails.get(id(tail))
            if text is None:
                a, d, c, clause, hours, due = (_text(v) for v in tail)
                text = tails[id(tail)] = (
                    f"{a}\t{d}\t{c}\t{clause}\t{hours}\t{created_ts}\t{due}\topen\t1\t{created_ts}\n"
                )
            lines.append(f"{prefix}\t{text}")
            if len(lines) >= CHUNK:
                copy.write("".join(lines))
                lines.clear()
        if lines:
            copy.write("".join(lines))


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

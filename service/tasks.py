"""Follow-up tasks: created with each stored review, listed, updated, escalated (4.4).

Plain functions over a SQLModel ``Session`` and a caller (``service.settings.ApiKey``),
for the API, the CLI and the web pages alike; no FastAPI here. Times are Unix seconds
(``now_ts``), always passed in, so tests freeze the clock by passing a number.

    rules = TaskRules.build(assessor.ruleset)
    page = list_tasks(session, caller, rules, now_ts=now(), status="active", limit=50)
    task = get_task(session, caller, rules, task_id, now_ts=now())          # with history
    task = update_task(session, caller, rules, task_id, status="done", note="已报警",
                       version=task["version"], now_ts=now())              # TaskConflict if stale

Who sees what (``scope``): ``system`` and ``analyst`` keys every task; a ``village`` key
its village's tasks; a ``department`` key (optionally limited to a township) the tasks
its department leads or cooperates on, and, for ``township_government`` and
``county_civil_affairs``, the critical tasks escalated to it. A task outside the
caller's scope does not exist for it (TaskNotFound, a 404). ``analyst`` keys only read.

Errors (all ``TaskError``)::

    TaskError
    ├── TaskNotFound      no such task visible to this caller
    ├── TaskForbidden     the caller's role may not change tasks
    ├── TaskConflict      the version given is not the task's (someone changed it first)
    └── TaskInvalid       a field is wrong: .field names it, the message says why
"""

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from models.errors import LiushouError
from models.review_tables import Review
from models.task_tables import (
    ACTIVE,
    ACTIVE_SQL,
    CLOSED,
    CRITICAL_ACTIVE_SQL,
    CRITICAL_SQL,
    STATUSES,
    Task,
    TaskEvent,
)
from rules.errors import did_you_mean
from rules.escalation import COUNTY, TOWNSHIP, Escalation, EscalationRules, load_escalation

SETTABLE = ("open", "in_progress", "done", "not_needed")
LIST_STATUSES = ("active", "all", *STATUSES)
MAX_LIMIT = 500
MAX_NOTE = 2000
CURSOR = re.compile(r"^(-?\d{1,12})\.(\d{1,12})$")
T = Task.__table__.c
ACTIVE_TERM = sa.text(ACTIVE_SQL)  # literal, so that the partial indexes apply
CRITICAL_TERM = sa.text(CRITICAL_SQL)
CRITICAL_ACTIVE_TERM = sa.text(CRITICAL_ACTIVE_SQL)  # the critical tasks' own index


class TaskError(LiushouError):
    """Base of the task errors."""


class TaskNotFound(TaskError):
    pass


class TaskForbidden(TaskError):
    pass


class TaskConflict(TaskError):
    def __init__(self, task_id: int, current_version: int):
        super().__init__(
            f"task {task_id} was changed by someone else (now version {current_version}): "
            "read it again and re-apply your change"
        )
        self.current_version = current_version


class TaskInvalid(TaskError):
    def __init__(self, field_name: str, reason: str):
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


def now() -> int:
    """The current time as Unix seconds (the clock the API and CLI pass in)."""
    return int(time.time())


@dataclass(frozen=True)
class TaskRules:
    """What reading tasks needs of the rules: the escalation delays (4.4), and the
    actions each department leads or cooperates on (a department's tasks are found
    through the per-action index: one index range per action)."""

    escalation: EscalationRules
    actions: tuple[str, ...] = ()
    parties: dict[str, tuple[str, ...]] = field(default_factory=dict)  # department -> actions

    @classmethod
    def build(cls, ruleset: Any, data_dir=None) -> "TaskRules":
        parties: dict[str, list[str]] = {}
        for code, action in ruleset.actions.items():
            for department in dict.fromkeys((action.department, *action.cooperating)):
                parties.setdefault(department, []).append(code)
        return cls(
            load_escalation(data_dir),
            tuple(ruleset.actions),
            {d: tuple(a) for d, a in parties.items()},
        )

    def at(self, now_ts: int) -> Escalation:
        return self.escalation.at(datetime.fromtimestamp(now_ts, UTC).date())


def check_department_keys(keys, ruleset: Any) -> None:
    """A department key must name a department of the rules (ValueError otherwise, at
    start-up: a mistyped code would silently see nothing)."""
    for key in keys:
        if key.role == "department" and key.department not in ruleset.departments:
            hint = did_you_mean(key.department, ruleset.departments)
            raise ValueError(f"API key {key.key_id}: unknown department `{key.department}`.{hint}")


# --- who sees what ---------------------------------------------------------------------


def _party(department: str, rules: TaskRules) -> list:
    """Tasks a department leads or cooperates on: one branch per action it takes part in."""
    actions = rules.parties.get(department, ())
    return [sa.and_(T.action == a, _takes_part(department)) for a in actions] or [sa.false()]


def _takes_part(department: str):
    """The department leads the task or cooperates on it (the exact test; the branches
    of ``_party`` only add the action, for the index)."""
    return sa.or_(T.department == department, T.cooperating.like(f"%,{department},%"))


def _every(rules: TaskRules) -> list:
    return [T.action == a for a in rules.actions]


def _escalated(department: str, rules: TaskRules, now_ts: int) -> list:
    """Critical active tasks escalated to this department at ``now_ts`` (Escalation.level)."""
    esc = rules.at(now_ts)
    delay = {TOWNSHIP: esc.township_after_s, COUNTY: esc.county_total_s}.get(department)
    if delay is None:
        return []
    return [sa.and_(CRITICAL_ACTIVE_TERM, T.due_ts <= _cutoff(now_ts, delay))]


def _cutoff(now_ts: int, delay_s: int) -> int:
    """The latest due time escalated at ``now_ts``: overdue (strictly before now) and at
    least ``delay_s`` late, as Escalation.level."""
    return min(now_ts - delay_s, now_ts - 1)


def scope(caller, rules: TaskRules, now_ts: int) -> list | None:
    """The caller's tasks as a list of SQL branches (their OR), or None for every task."""
    if caller.role in ("system", "analyst"):
        return None
    if caller.role == "village":
        return [sa.and_(T.township == caller.township, T.village == caller.village)]
    if caller.role == "department":
        branches = _party(caller.department, rules)
        branches += _escalated(caller.department, rules, now_ts)
        if caller.township:
            branches = [sa.and_(b, T.township == caller.township) for b in branches]
        return branches
    return [sa.false()]


def may_update(caller) -> bool:
    return caller.role in ("system", "village", "department")


# --- reading ---------------------------------------------------------------------------


@dataclass
class TaskFilters:
    """The list filters; each is checked (TaskInvalid names the field)."""

    status: str = "active"
    overdue: bool | None = None
    department: str | None = None
    township: str | None = None
    village: str | None = None
    review: int | None = None

    def check(self) -> "TaskFilters":
        if self.status not in LIST_STATUSES:
            raise TaskInvalid("status", f"must be one of {', '.join(LIST_STATUSES)}")
        return self


def _status_terms(status: str, esc: Escalation, now_ts: int) -> list:
    if status == "all":
        return []
    if status in ("active", "escalated"):
        terms = [ACTIVE_TERM]
        if status == "escalated":
            terms += [CRITICAL_TERM, T.due_ts <= _cutoff(now_ts, esc.township_after_s)]
        return terms
    terms = [T.status == status]
    return [ACTIVE_TERM, *terms] if status in ACTIVE else terms


def _filter_terms(filters: TaskFilters, rules: TaskRules, now_ts: int) -> list:
    terms = _status_terms(filters.status, rules.at(now_ts), now_ts)
    if filters.overdue is True:
        terms += [ACTIVE_TERM, T.due_ts < now_ts]
    elif filters.overdue is False:
        terms.append(sa.or_(T.status.in_(CLOSED), T.due_ts >= now_ts))
    for name in ("township", "village"):
        if getattr(filters, name):
            terms.append(T[name] == getattr(filters, name))
    if filters.review is not None:
        terms.append(sa.or_(T.review_id == filters.review, T.last_review_id == filters.review))
    if filters.department:
        terms.append(_takes_part(filters.department))
    return terms


def parse_cursor(after: str | None) -> tuple[int, int] | None:
    """``after`` is the ``next`` of the previous page: ``"<due_ts>.<id>"``."""
    if after is None:
        return None
    match = CURSOR.match(after)
    if not match:
        raise TaskInvalid("after", "must be the `next` value of the previous page")
    return int(match[1]), int(match[2])


@dataclass
class Page:
    items: list[dict]
    next: str | None  # pass as ``after`` for the next page; None on the last one


def _driving(connection, caller, filters: TaskFilters, rules: TaskRules, now_ts: int) -> list:
    """Branches whose OR is what the caller may see (narrowed by the filters when the
    caller sees everything), each walking one index range in due order: a village's
    reviews, or actions. Lists of closed tasks have no index to walk: one query then."""
    branches = scope(caller, rules, now_ts)
    if filters.status not in ("active", "escalated", *ACTIVE) and filters.overdue is not True:
        return [sa.true() if branches is None else sa.or_(*branches)]
    place = None
    if caller.role == "village":
        place = (caller.township, caller.village)
    elif branches is None and filters.township and filters.village:
        place = (filters.township, filters.village)
    if place:
        reviews = sa.select(Review.id).where(
            Review.township == place[0], Review.village == place[1]
        )
        here = sa.and_(T.township == place[0], T.village == place[1])
        ids = connection.execute(reviews).scalars().all()
        return [sa.and_(T.last_review_id == r, here) for r in ids] or [sa.false()]
    if branches is None and filters.status == "escalated" and not filters.department:
        branches = [CRITICAL_ACTIVE_TERM]
    if branches is None:
        branches = _party(filters.department, rules) if filters.department else _every(rules)
    return branches


def list_tasks(
    session: Session,
    caller,
    rules: TaskRules,
    *,
    now_ts: int,
    filters: TaskFilters | None = None,
    limit: int = 50,
    after: str | None = None,
) -> Page:
    """The caller's tasks matching ``filters``, soonest due first, ``limit`` per page."""
    filters = (filters or TaskFilters()).check()
    if not 1 <= limit <= MAX_LIMIT:
        raise TaskInvalid("limit", f"must be between 1 and {MAX_LIMIT}")
    cursor = parse_cursor(after)
    terms = _filter_terms(filters, rules, now_ts)  # each branch lies within the scope
    if cursor:
        terms.append(sa.tuple_(T.due_ts, T.id) > sa.tuple_(*cursor))
    connection = session.connection()
    keys = [
        sa.select(T.due_ts, T.id).where(branch, *terms).order_by(T.due_ts, T.id).limit(limit + 1)
        for branch in _driving(connection, caller, filters, rules, now_ts)
    ]
    if len(keys) > 1:  # one statement: each branch's first page, then the first of them all
        union = sa.union(*(sa.select(k.subquery()) for k in keys)).subquery()
        keys = [sa.select(union).order_by(union.c.due_ts, union.c.id).limit(limit + 1)]
    ids = [i for _, i in connection.execute(keys[0])]
    found = {r.id: r for r in connection.execute(sa.select(Task.__table__).where(T.id.in_(ids)))}
    rows = [found[i] for i in ids if i in found]
    esc = rules.at(now_ts)
    items = [public(r, esc, now_ts) for r in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    return Page(items, f"{last.due_ts}.{last.id}" if last else None)


def iter_tasks(session: Session, caller, rules: TaskRules, *, now_ts: int, filters=None, cap=None):
    """Every matching task, page after page (exports); at most ``cap``."""
    after, count = None, 0
    while True:
        page = list_tasks(
            session, caller, rules, now_ts=now_ts, filters=filters, limit=MAX_LIMIT, after=after
        )
        for item in page.items:
            if cap is not None and count >= cap:
                return
            count += 1
            yield item
        if page.next is None:
            return
        after = page.next


def _visible_row(session: Session, caller, rules: TaskRules, task_id: int, now_ts: int):
    statement = sa.select(Task.__table__).where(T.id == task_id)
    allowed = scope(caller, rules, now_ts)
    if allowed is not None:
        statement = statement.where(sa.or_(*allowed))
    row = session.connection().execute(statement).first()
    if row is None:
        raise TaskNotFound(f"no task {task_id} visible to this key")
    return row


def get_task(session: Session, caller, rules: TaskRules, task_id: int, *, now_ts: int) -> dict:
    """One task with its history, oldest change first; TaskNotFound outside the scope."""
    row = _visible_row(session, caller, rules, task_id, now_ts)
    events = session.connection().execute(
        sa.select(TaskEvent.__table__)
        .where(TaskEvent.__table__.c.task_id == task_id)
        .order_by(TaskEvent.__table__.c.id)
    )
    return {**public(row, rules.at(now_ts), now_ts), "history": [_event(e) for e in events]}


def iso(ts: int | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat()


def public(row, esc: Escalation, now_ts: int) -> dict:
    """A task as callers see it: the stored fields, and overdue/escalation worked out now."""
    active = row.status in ACTIVE
    escalated_to = (
        esc.level(row.due_ts, now_ts) if active and row.risk_level == "critical" else None
    )
    return {
        "id": row.id,
        "version": row.version,
        "status": "escalated" if escalated_to else row.status,
        "stored_status": row.status,
        "overdue": active and row.due_ts < now_ts,
        "escalated_to": escalated_to,
        "review_id": row.review_id,
        "last_review_id": row.last_review_id,
        "township": row.township,
        "village": row.village,
        "row": row.row,
        "person_key": row.person_key,
        "person_id": row.person_id,
        "name_masked": row.name_masked,
        "risk_level": row.risk_level,
        "action": row.action,
        "department": row.department,
        "cooperating": [c for c in row.cooperating.split(",") if c],
        "clause": row.clause,
        "deadline_hours": row.deadline_hours,
        "deadline_class": deadline_class(row.deadline_hours),
        "created_at": iso(row.created_ts),
        "due_at": iso(row.due_ts),
        "updated_at": iso(row.updated_ts),
        "closed_at": iso(row.closed_ts),
        "reason": row.reason,
        "resolved_by_review": row.resolved_by_review,
    }


def _event(row) -> dict:
    return {
        "at": iso(row.at_ts),
        "actor": row.actor,
        "role": row.role,
        "kind": row.kind,
        "from_status": row.from_status,
        "to_status": row.to_status,
        "review_id": row.review_id,
        "note": row.note,
    }


DEADLINE_CLASSES = ((0, "immediate"), (24, "within_1_day"), (168, "within_7_days"))


def deadline_class(hours: int) -> str:
    """``immediate`` (立即/第一时间), ``within_1_day``, ``within_7_days``, ``longer``."""
    for limit, name in DEADLINE_CLASSES:
        if hours <= limit:
            return name
    return "longer"


# --- changing --------------------------------------------------------------------------


def check_change(status: Any, note: Any) -> tuple[str, str]:
    """The status and note of an update, checked (TaskInvalid names the field)."""
    if status not in SETTABLE:
        why = "is worked out from the due time (4.4), not set" if status == "escalated" else ""
        raise TaskInvalid("status", why or f"must be one of {', '.join(SETTABLE)}")
    note = "" if note is None else note
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise TaskInvalid("note", f"must be text of at most {MAX_NOTE} characters")
    if status == "not_needed" and not note.strip():
        raise TaskInvalid("note", "a task marked not_needed needs the reason in the note")
    return status, note.strip()


def update_task(
    session: Session,
    caller,
    rules: TaskRules,
    task_id: int,
    *,
    status: Any,
    note: Any = None,
    version: int,
    now_ts: int,
) -> dict:
    """Change a task's status (with a note), if ``version`` is still its version; commits.

    Raises TaskNotFound (outside the scope), TaskForbidden (analyst), TaskInvalid,
    TaskConflict (stale version: nothing is written, the caller re-reads and retries)."""
    row = _visible_row(session, caller, rules, task_id, now_ts)
    if not may_update(caller):
        raise TaskForbidden("an analyst key reads tasks only")
    status, note = check_change(status, note)
    if status == row.status and not note:
        raise TaskInvalid("status", f"the task is already {status}; add a note to comment")
    change = {"version": T.version + 1, "updated_ts": now_ts}
    if status != row.status:  # a note alone keeps the closing time and the reason
        change |= {
            "status": status,
            "closed_ts": now_ts if status in CLOSED else None,
            "reason": note if status == "not_needed" else None,
        }
    result = session.connection().execute(
        sa.update(Task.__table__).where(T.id == task_id, T.version == version).values(**change)
    )
    if result.rowcount != 1:
        session.rollback()
        current = session.connection().execute(sa.select(T.version).where(T.id == task_id))
        raise TaskConflict(task_id, current.scalar_one())
    session.connection().execute(
        sa.insert(TaskEvent.__table__).values(
            task_id=task_id,
            at_ts=now_ts,
            actor=getattr(caller, "key_id", "open"),
            role=caller.role,
            kind="status" if status != row.status else "note",
            from_status=row.status,
            to_status=status,
            note=note,
        )
    )
    session.commit()
    return get_task(session, caller, rules, task_id, now_ts=now_ts)


def flagged_villages(session: Session, caller, rules: TaskRules, *, now_ts: int) -> list[dict]:
    """Villages with overdue critical tasks (四(四) supervision), most such tasks first."""
    terms = [ACTIVE_TERM, CRITICAL_ACTIVE_TERM, T.due_ts < now_ts]
    allowed = scope(caller, rules, now_ts)
    if allowed is not None:
        terms.append(sa.or_(*allowed))
    statement = (
        sa.select(T.township, T.village, sa.func.count().label("n"), sa.func.min(T.due_ts))
        .where(*terms)
        .group_by(T.township, T.village)
    )
    rows = session.connection().execute(statement).all()
    return [
        {"township": t, "village": v, "overdue_critical": n, "oldest_due_at": iso(due)}
        for t, v, n, due in sorted(rows, key=lambda r: (-r[2], r[0], r[1]))
    ]


def day_of(ts: int) -> date:
    return datetime.fromtimestamp(ts, UTC).date()

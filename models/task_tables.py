"""Follow-up tasks (SQLModel): every intervention of a stored review, tracked to done.

A task is one action for one person of a review: who leads it (``department``),
who helps (``cooperating``), the clause it carries out, and when it is due. Its
``history`` (``task_event``) is append-only: every change of status, with who made
it (key id and role), when, from what to what, and the note. Times are whole
seconds since 1970-01-01 UTC (``*_ts``): one compact, comparable form on SQLite and
PostgreSQL, written in bulk by the driver.

No name or identity number: the person is ``person_key`` (the keyed hash the review
records use) and the sheet ``row`` of the review that created the task.

Statuses stored: ``open``, ``in_progress`` (ACTIVE: work remains), ``done``,
``not_needed`` (with its reason), ``resolved_by_review`` (the next quarter's review
no longer finds it). ``escalated`` is never stored: it is worked out when read
(service.tasks), so that no background job can fall behind.
"""

from sqlalchemy import BigInteger, Column, Index, text
from sqlmodel import Field, SQLModel

ACTIVE = ("open", "in_progress")
CLOSED = ("done", "not_needed", "resolved_by_review")
STORED_STATUSES = ACTIVE + CLOSED
STATUSES = (*STORED_STATUSES, "escalated")
ACTIVE_SQL = "status IN ('open', 'in_progress')"
CRITICAL_SQL = "risk_level = 'critical'"
CRITICAL_ACTIVE_SQL = f"{ACTIVE_SQL} AND {CRITICAL_SQL}"


def _open_index(name: str, *columns: str, where: str = ACTIVE_SQL) -> Index:
    """A partial index over active tasks only: the lists people ask for, small and sorted
    by due time (closed tasks never weigh on them). Two serve every list: by the review
    that last found the task (a village's tasks: its few reviews), and by action (an
    action has one lead department, so a department's tasks are those of the actions it
    leads or cooperates on). service.tasks walks one index range per review or action.
    A third, over the critical people's active tasks only (a quarter of them), serves
    escalation and the flagged villages. Each index costs about a second of writing a
    county's review: there are no more."""
    return Index(name, *columns, sqlite_where=text(where), postgresql_where=text(where))


class Task(SQLModel, table=True):
    __tablename__ = "task"
    __table_args__ = (
        _open_index("ix_task_open_review", "last_review_id", "due_ts", "id"),
        _open_index("ix_task_open_action", "action", "due_ts", "id"),
        _open_index("ix_task_open_critical", "due_ts", "id", where=CRITICAL_ACTIVE_SQL),
    )
    id: int | None = Field(default=None, primary_key=True)
    # no foreign key: tasks are written only in their review's transaction, and checking
    # two million keys cost PostgreSQL seconds of a county's review
    review_id: int = Field(description="the review that created it")
    last_review_id: int = Field(description="the newest review that still found it")
    township: str = Field(max_length=64)
    village: str = Field(max_length=64)
    row: int = Field(description="the person's sheet row in the creating review")
    person_key: str | None = Field(default=None, max_length=64)
    person_id: str | None = Field(default=None, max_length=128, description="the village's own id")
    name_masked: str | None = Field(default=None, max_length=64)
    risk_level: str = Field(max_length=8, description="the person's level when created")
    action: str = Field(max_length=64)
    department: str = Field(max_length=64, description="the lead department")
    cooperating: str = Field(
        default="", max_length=512, description="comma-wrapped codes: ',school,village_committee,'"
    )
    clause: str = Field(max_length=16)
    deadline_hours: int
    created_ts: int = Field(sa_column=Column(BigInteger, nullable=False))
    due_ts: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: str = Field(default="open", max_length=24)
    version: int = Field(default=1, description="raised by every change (optimistic locking)")
    updated_ts: int = Field(sa_column=Column(BigInteger, nullable=False))
    closed_ts: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    reason: str | None = Field(default=None, max_length=2000, description="why not needed")
    resolved_by_review: int | None = Field(default=None, description="the review that closed it")


class TaskEvent(SQLModel, table=True):
    """One change of a task; rows are only ever added."""

    __tablename__ = "task_event"
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    at_ts: int = Field(sa_column=Column(BigInteger, nullable=False))
    actor: str = Field(max_length=64, description="key id (sha256 prefix) or 'review N'")
    role: str = Field(max_length=16)
    kind: str = Field(max_length=24, description="status, carried_over, resolved_by_review")
    from_status: str | None = Field(default=None, max_length=24)
    to_status: str | None = Field(default=None, max_length=24)
    review_id: int | None = None
    note: str = Field(default="", max_length=2000)

"""Follow-up tasks: every intervention of a stored review, with an append-only history.

- ``task``: one action for one person of a review (person key, never a name or
  number), lead and cooperating departments, clause, due time, status, version.
  Times are Unix seconds. Partial indexes over active tasks only (open,
  in_progress), each sorted by due time: by the review that last found the task
  (a village's tasks), by action (a department's tasks are those of the actions
  it leads or cooperates on), and over the critical people's tasks (escalation).
  No foreign key on review_id: tasks are written in their review's transaction
  only (models.task_tables).
- ``task_event``: every change of a task (who, when, from, to, note).

Revision ID: 0004
Revises: 0002 (re-chained after 0003 when merged)
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0002"

ACTIVE = "status IN ('open', 'in_progress')"
CRITICAL = f"{ACTIVE} AND risk_level = 'critical'"
INDEXES = {
    "ix_task_open_review": (["last_review_id", "due_ts", "id"], ACTIVE),
    "ix_task_open_action": (["action", "due_ts", "id"], ACTIVE),
    "ix_task_open_critical": (["due_ts", "id"], CRITICAL),
}


def _text(length: int, nullable: bool = False) -> dict:
    return {"type_": sqlmodel.AutoString(length=length), "nullable": nullable}


def upgrade() -> None:
    op.create_table(
        "task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("last_review_id", sa.Integer(), nullable=False),
        sa.Column("township", **_text(64)),
        sa.Column("village", **_text(64)),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("person_key", **_text(64, True)),
        sa.Column("person_id", **_text(128, True)),
        sa.Column("name_masked", **_text(64, True)),
        sa.Column("risk_level", **_text(8)),
        sa.Column("action", **_text(64)),
        sa.Column("department", **_text(64)),
        sa.Column("cooperating", **_text(512)),
        sa.Column("clause", **_text(16)),
        sa.Column("deadline_hours", sa.Integer(), nullable=False),
        sa.Column("created_ts", sa.BigInteger(), nullable=False),
        sa.Column("due_ts", sa.BigInteger(), nullable=False),
        sa.Column("status", **_text(24)),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_ts", sa.BigInteger(), nullable=False),
        sa.Column("closed_ts", sa.BigInteger(), nullable=True),
        sa.Column("reason", **_text(2000, True)),
        sa.Column("resolved_by_review", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    for name, (columns, where) in INDEXES.items():
        op.create_index(
            name, "task", columns, sqlite_where=sa.text(where), postgresql_where=sa.text(where)
        )
    op.create_table(
        "task_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("at_ts", sa.BigInteger(), nullable=False),
        sa.Column("actor", **_text(64)),
        sa.Column("role", **_text(16)),
        sa.Column("kind", **_text(24)),
        sa.Column("from_status", **_text(24, True)),
        sa.Column("to_status", **_text(24, True)),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("note", **_text(2000)),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_task_event_task_id", "task_event", ["task_id"])


def downgrade() -> None:
    op.drop_index("ix_task_event_task_id", "task_event")
    op.drop_table("task_event")
    for name in INDEXES:
        op.drop_index(name, "task")
    op.drop_table("task")

"""The audit trail, append-only; records indexed by sheet row (paged reads).

- ``audit_event``: who (key id, role) did what (upload, read, export, report, unmask)
  to which review, how many rows, when. Triggers refuse UPDATE and DELETE.
- ``ix_review_record_review_row`` on review_record (review_id, row): a page of
  ``/records?after=`` is an index range, not a sort of the whole review.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"

_REFUSE_SQLITE = """
CREATE TRIGGER audit_event_no_{what} BEFORE {WHAT} ON audit_event
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END
"""
_REFUSE_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$ LANGUAGE plpgsql
"""
_REFUSE_PG = """
CREATE TRIGGER audit_event_no_{what} BEFORE {WHAT} ON audit_event
FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()
"""


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("route", sa.String(length=128), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_event_at", "audit_event", ["at"])
    op.create_index("ix_audit_event_review_id", "audit_event", ["review_id"])
    op.create_index("ix_review_record_review_row", "review_record", ["review_id", "row"])
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(_REFUSE_PG_FUNCTION)
    for what in ("update", "delete"):
        template = _REFUSE_PG if postgres else _REFUSE_SQLITE
        op.execute(template.format(what=what, WHAT=what.upper()))


def downgrade() -> None:
    op.drop_index("ix_review_record_review_row", table_name="review_record")
    op.drop_table("audit_event")  # its triggers go with it
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")

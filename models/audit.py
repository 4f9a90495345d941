"""The audit trail (PIPL: minors' data is sensitive): who did what to which review, when.

Append-only: the code only inserts, and the store refuses UPDATE and DELETE on the
table (triggers, migration 0003). No personal data: the key's id (the start of its
sha256) and role, the action, the review, the number of rows.
"""

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

ACTIONS = ("upload", "read", "export", "report", "unmask")


class AuditEventBase(SQLModel):
    at: datetime = Field(
        default_factory=lambda: datetime.now(UTC),
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True),
    )
    key_id: str = Field(max_length=16, description="the first 12 hex digits of the key's sha256")
    role: str = Field(max_length=16)
    action: str = Field(max_length=16, description="upload, read, export, report or unmask")
    review_id: int | None = Field(default=None, index=True)
    rows: int | None = Field(default=None, description="records or rows concerned")
    route: str = Field(default="", max_length=128, description="the route template or command")
    request_id: str | None = Field(default=None, max_length=64)


class AuditEvent(AuditEventBase, table=True):
    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)


class AuditEventPublic(AuditEventBase):
    id: int

"""The review store's tables (SQLModel): reviews, their records and their problems.

No name or identity number is stored: a person is known by ``person_key``, a
keyed hash (HMAC-SHA256) of the identity number, and shown masked. Each record
keeps the facts it was scored on, so that analysts can simulate a parameter
change on a stored review.
"""

from datetime import UTC, datetime

from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field, SQLModel


class ReviewBase(SQLModel):
    township: str = Field(index=True, max_length=64)
    village: str = Field(index=True, max_length=64)
    period: str = Field(index=True, max_length=6)
    ruleset_version: str = Field(max_length=32)
    ruleset_sha256: str = Field(max_length=64)
    rows_in: int
    scored: int
    rejected: int
    critical: int
    high: int
    medium: int
    low: int


class Review(ReviewBase, table=True):
    __tablename__ = "review"
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(
        default_factory=lambda: datetime.now(UTC),
        sa_column=Column(DateTime(timezone=True), nullable=False),
    )


class ReviewPublic(ReviewBase):
    id: int
    created_at: datetime


class ReviewRecord(SQLModel, table=True):
    __tablename__ = "review_record"
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    row: int
    person_key: str | None = Field(default=None, index=True, max_length=64)
    person_id: str | None = Field(default=None, max_length=128)
    name_masked: str | None = Field(default=None, max_length=64)
    id_masked: str | None = Field(default=None, max_length=32)
    category: str = Field(max_length=8)
    risk_level: str = Field(index=True, max_length=8)
    score: int
    rule_ids: list = Field(default_factory=list, sa_column=Column(JSON))
    interventions: list = Field(default_factory=list, sa_column=Column(JSON))
    data_gaps: list = Field(default_factory=list, sa_column=Column(JSON))
    # the facts the record was scored on (rules.facts: no name, number, place or date);
    # null for reviews stored before revision 0002
    facts: dict | None = Field(default=None, sa_column=Column(JSON))


class ReviewProblem(SQLModel, table=True):
    __tablename__ = "review_problem"
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    kind: str = Field(max_length=32)
    row: int | None = None
    column: str = Field(default="", max_length=512)
    reason: str = Field(default="", max_length=2000)

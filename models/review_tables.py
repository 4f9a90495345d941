"""The review store's tables (SQLModel): reviews, their records and their problems.

No name or identity number is stored: a person is known by ``person_key``, a
keyed hash (HMAC-SHA256) of the identity number, and shown masked. A review
keeps the facts its people were scored on, so that analysts can simulate a
parameter change on a stored review.
"""

from datetime import UTC, datetime

from sqlalchemy import JSON, Column, DateTime, Index, LargeBinary
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
    __table_args__ = (
        Index("ix_review_record_review_level", "review_id", "risk_level"),
        Index("ix_review_record_review_row", "review_id", "row"),  # pages by row (0003)
    )
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id")
    row: int
    person_key: str | None = Field(default=None, max_length=64)
    person_id: str | None = Field(default=None, max_length=128)
    name_masked: str | None = Field(default=None, max_length=64)
    id_masked: str | None = Field(default=None, max_length=32)
    category: str = Field(max_length=8)
    risk_level: str = Field(max_length=8)
    score: int
    rule_ids: list = Field(default_factory=list, sa_column=Column(JSON))
    interventions: list = Field(default_factory=list, sa_column=Column(JSON))
    data_gaps: list = Field(default_factory=list, sa_column=Column(JSON))
    # since revision 0002 the three lists above live in review_pattern, shared
    pattern: int | None = None


class ReviewPattern(SQLModel, table=True):
    """What people of a review with the same category, findings and unknown values share."""

    __tablename__ = "review_pattern"
    review_id: int = Field(foreign_key="review.id", primary_key=True)
    pattern: int = Field(primary_key=True)
    rule_ids: list = Field(default_factory=list, sa_column=Column(JSON))
    interventions: list = Field(default_factory=list, sa_column=Column(JSON))
    data_gaps: list = Field(default_factory=list, sa_column=Column(JSON))


class ReviewFacts(SQLModel, table=True):
    """The facts a review's people were scored on (rules.facts: no name, number, place
    or date), one compressed blob per review in record order (service.facts_blob)."""

    __tablename__ = "review_facts"
    review_id: int = Field(foreign_key="review.id", primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class ReviewFactsPart(SQLModel, table=True):
    """The facts of a streamed review's second and later batches, in order (``part`` 1, 2,
    …): a review's facts are its ReviewFacts blob followed by these (revision 0005)."""

    __tablename__ = "review_facts_part"
    review_id: int = Field(foreign_key="review.id", primary_key=True)
    part: int = Field(primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class ReviewProblem(SQLModel, table=True):
    __tablename__ = "review_problem"
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    kind: str = Field(max_length=32)
    row: int | None = None
    column: str = Field(default="", max_length=512)
    reason: str = Field(default="", max_length=2000)

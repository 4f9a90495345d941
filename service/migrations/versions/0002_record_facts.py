"""Reviews keep their facts (for simulations) and share their patterns (for size).

- ``review_facts``: one row per review, the encoded facts its people were scored on
  (no personal data), compressed (service.facts_blob).
- ``review_pattern``: the rule ids, interventions and data gaps shared by people with
  the same category, findings and unknown values, written once per review;
  ``review_record.pattern`` points at it (the record's own JSON columns stay empty).
  Records written before this revision keep their JSON columns and no pattern.
- One index on review_record (review_id, risk_level) instead of three.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "review_facts",
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["review_id"], ["review.id"]),
        sa.PrimaryKeyConstraint("review_id"),
    )
    op.create_table(
        "review_pattern",
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("pattern", sa.Integer(), nullable=False),
        sa.Column("rule_ids", sa.JSON(), nullable=True),
        sa.Column("interventions", sa.JSON(), nullable=True),
        sa.Column("data_gaps", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["review_id"], ["review.id"]),
        sa.PrimaryKeyConstraint("review_id", "pattern"),
    )
    with op.batch_alter_table("review_record") as batch:
        batch.add_column(sa.Column("pattern", sa.Integer(), nullable=True))
    # One index serves what is asked of records (a review's, optionally of one level); the
    # index on person_key cost 60 % of writing a million records and served no query.
    for column in ("review_id", "person_key", "risk_level"):
        op.drop_index(f"ix_review_record_{column}", "review_record")
    op.create_index("ix_review_record_review_level", "review_record", ["review_id", "risk_level"])


def downgrade() -> None:
    op.drop_index("ix_review_record_review_level", "review_record")
    for column in ("review_id", "person_key", "risk_level"):
        op.create_index(f"ix_review_record_{column}", "review_record", [column])
    with op.batch_alter_table("review_record") as batch:
        batch.drop_column("pattern")
    op.drop_table("review_pattern")
    op.drop_table("review_facts")

"""The review store: reviews, their records and their problems.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "review",
        sa.Column("township", sqlmodel.AutoString(length=64), nullable=False),
        sa.Column("village", sqlmodel.AutoString(length=64), nullable=False),
        sa.Column("period", sqlmodel.AutoString(length=6), nullable=False),
        sa.Column("ruleset_version", sqlmodel.AutoString(length=32), nullable=False),
        sa.Column("ruleset_sha256", sqlmodel.AutoString(length=64), nullable=False),
        sa.Column("rows_in", sa.Integer(), nullable=False),
        sa.Column("scored", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("critical", sa.Integer(), nullable=False),
        sa.Column("high", sa.Integer(), nullable=False),
        sa.Column("medium", sa.Integer(), nullable=False),
        sa.Column("low", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("township", "village", "period"):
        op.create_index(f"ix_review_{column}", "review", [column])
    op.create_table(
        "review_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("person_key", sqlmodel.AutoString(length=64), nullable=True),
        sa.Column("person_id", sqlmodel.AutoString(length=128), nullable=True),
        sa.Column("name_masked", sqlmodel.AutoString(length=64), nullable=True),
        sa.Column("id_masked", sqlmodel.AutoString(length=32), nullable=True),
        sa.Column("category", sqlmodel.AutoString(length=8), nullable=False),
        sa.Column("risk_level", sqlmodel.AutoString(length=8), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("rule_ids", sa.JSON(), nullable=True),
        sa.Column("interventions", sa.JSON(), nullable=True),
        sa.Column("data_gaps", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["review_id"], ["review.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("review_id", "person_key", "risk_level"):
        op.create_index(f"ix_review_record_{column}", "review_record", [column])
    op.create_table(
        "review_problem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.AutoString(length=32), nullable=False),
        sa.Column("row", sa.Integer(), nullable=True),
        sa.Column("column", sqlmodel.AutoString(length=512), nullable=False),
        sa.Column("reason", sqlmodel.AutoString(length=2000), nullable=False),
        sa.ForeignKeyConstraint(["review_id"], ["review.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_review_problem_review_id", "review_problem", ["review_id"])


def downgrade() -> None:
    op.drop_table("review_problem")
    op.drop_table("review_record")
    op.drop_table("review")

"""A streamed review's facts, one blob per batch.

- ``review_facts_part``: the encoded facts of a review's second and later batches
  (service.facts_blob, compressed), in order; ``review_facts`` keeps the first batch
  (a village's list is one batch, as before). A review's facts are the first blob
  followed by its parts (service.store.facts_of).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.create_table(
        "review_facts_part",
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["review_id"], ["review.id"]),
        sa.PrimaryKeyConstraint("review_id", "part"),
    )


def downgrade() -> None:
    op.drop_table("review_facts_part")

"""Each review record keeps the facts it was scored on (no personal data), for simulations.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.add_column("review_record", sa.Column("facts", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("review_record", "facts")

"""submissions traceparent

The W3C traceparent of the work that queued a row: the render continues the trace of the Send that queued it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08 01:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('submissions') as batch_op:
        batch_op.add_column(sa.Column('traceparent', sqlmodel.sql.sqltypes.AutoString(length=55), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('submissions') as batch_op:
        batch_op.drop_column('traceparent')

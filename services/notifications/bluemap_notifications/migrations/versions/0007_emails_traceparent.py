"""emails traceparent

The W3C traceparent of the work that queued a row: the dispatcher continues the trace of the event that queued the email.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 01:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('emails') as batch_op:
        batch_op.add_column(sa.Column('traceparent', sqlmodel.sql.sqltypes.AutoString(length=55), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('emails') as batch_op:
        batch_op.drop_column('traceparent')

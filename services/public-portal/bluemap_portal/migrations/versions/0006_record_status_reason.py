"""record status reason: the public record shows why it was resolved or restored

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 01:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('portal_records') as batch:
        batch.add_column(sa.Column('status_reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('portal_records') as batch:
        batch.drop_column('status_reason')

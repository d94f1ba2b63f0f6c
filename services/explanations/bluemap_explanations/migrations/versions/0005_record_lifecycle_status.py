"""record lifecycle status: the workspace shows resolved / restored with the reason, as the public page does

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 01:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import bluemap_shared.db
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('explainable_records') as batch:
        batch.add_column(sa.Column('record_status', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch.add_column(sa.Column('status_reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True))
        batch.add_column(sa.Column('status_changed_at', bluemap_shared.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('explainable_records') as batch:
        batch.drop_column('status_changed_at')
        batch.drop_column('status_reason')
        batch.drop_column('record_status')

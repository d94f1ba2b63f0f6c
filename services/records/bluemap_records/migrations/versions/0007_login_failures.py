"""login failures

Failed logins per account and per client address, shared by every replica: they throttle the token endpoint.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 22:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bluemap_shared.db

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('login_failures',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failed_at', bluemap_shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('blocked_until', bluemap_shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key')
    )


def downgrade() -> None:
    op.drop_table('login_failures')

"""responsiveness calendar

China's working-day calendar for the responsiveness statistics, and when each explanation was sent
for review (ExplanationPublished.submitted_at).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 01:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bluemap_shared.db
from bluemap_portal.dashboard.working_days import calendar_rows

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    calendar = op.create_table(
        'portal_working_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('ordinal', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day'),
    )
    op.bulk_insert(calendar, list(calendar_rows()))
    with op.batch_alter_table('portal_explanations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submitted_at', bluemap_shared.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('portal_explanations', schema=None) as batch_op:
        batch_op.drop_column('submitted_at')
    op.drop_table('portal_working_days')

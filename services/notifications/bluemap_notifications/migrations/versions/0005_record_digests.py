"""record digests

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 21:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bluemap_shared.db

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('record_digests',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('audience', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('recipient_id', sa.Uuid(), nullable=False),
    sa.Column('import_id', sa.Uuid(), nullable=False),
    sa.Column('enterprise_id', sa.Uuid(), nullable=False),
    sa.Column('enterprise_name', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('enterprise_name_en', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('opened_by_event_id', sa.Uuid(), nullable=False),
    sa.Column('opened_at', bluemap_shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_item_at', bluemap_shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', bluemap_shared.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('email_id', sa.Uuid(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('record_digests', schema=None) as batch_op:
        batch_op.create_index('ix_record_digests_open_quiet', ['last_item_at'], unique=False, postgresql_where=sa.text('closed_at IS NULL'), sqlite_where=sa.text('closed_at IS NULL'))
        batch_op.create_index('uq_record_digests_open', ['tenant_id', 'audience', 'recipient_id', 'import_id'], unique=True, postgresql_where=sa.text('closed_at IS NULL'), sqlite_where=sa.text('closed_at IS NULL'))

    op.create_table('record_digest_items',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('audience', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('recipient_id', sa.Uuid(), nullable=False),
    sa.Column('import_id', sa.Uuid(), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('cause_event_id', sa.Uuid(), nullable=False),
    sa.Column('digest_id', sa.Uuid(), nullable=True),
    sa.Column('record_type', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('explainable', sa.Boolean(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('source_title', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('issuing_authority', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('source_url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('explanation_due_on', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'audience', 'recipient_id', 'record_id', name='uq_record_digest_items_record')
    )
    with op.batch_alter_table('record_digest_items', schema=None) as batch_op:
        batch_op.create_index('ix_record_digest_items_digest', ['digest_id'], unique=False)
        batch_op.create_index('ix_record_digest_items_unclaimed', ['tenant_id', 'audience', 'recipient_id', 'import_id'], unique=False, postgresql_where=sa.text('digest_id IS NULL'), sqlite_where=sa.text('digest_id IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('record_digest_items', schema=None) as batch_op:
        batch_op.drop_index('ix_record_digest_items_unclaimed', postgresql_where=sa.text('digest_id IS NULL'), sqlite_where=sa.text('digest_id IS NULL'))
        batch_op.drop_index('ix_record_digest_items_digest')
    op.drop_table('record_digest_items')
    with op.batch_alter_table('record_digests', schema=None) as batch_op:
        batch_op.drop_index('uq_record_digests_open', postgresql_where=sa.text('closed_at IS NULL'), sqlite_where=sa.text('closed_at IS NULL'))
        batch_op.drop_index('ix_record_digests_open_quiet', postgresql_where=sa.text('closed_at IS NULL'), sqlite_where=sa.text('closed_at IS NULL'))
    op.drop_table('record_digests')

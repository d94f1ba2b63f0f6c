"""tenant registry

Tenants as data: names, hostnames, language, mail sender, staff email, brand and status of each tenant.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 01:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bluemap_shared.db

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('tenants',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name_zh', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('name_en', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('hostnames', sa.JSON(), nullable=False),
    sa.Column('default_language', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('mail_sender_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('mail_sender_address', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('staff_email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
    sa.Column('logo_url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('brand_colour', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('suspended_reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', bluemap_shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', bluemap_shared.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('tenants')

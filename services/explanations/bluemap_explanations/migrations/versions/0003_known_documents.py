"""known documents: whose each stored document is, so an explanation names only its enterprise's

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('explanation_documents',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('document_id', sa.Uuid(), nullable=False),
    sa.Column('enterprise_id', sa.Uuid(), nullable=True),
    sa.PrimaryKeyConstraint('tenant_id', 'document_id')
    )


def downgrade() -> None:
    op.drop_table('explanation_documents')

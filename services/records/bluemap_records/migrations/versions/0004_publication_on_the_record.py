"""publication on the record

The record keeps its publication (published_at, and now published_by); the status history keeps
the transitions after it. A bulk import no longer writes a history row per record.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 04:00:00.000000
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
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    op.execute(
        "UPDATE records SET published_by = (SELECT h.actor FROM record_status_history h "
        "WHERE h.record_id = records.id AND h.\"trigger\" = 'published' ORDER BY h.id LIMIT 1)"
    )
    op.execute("DELETE FROM record_status_history WHERE \"trigger\" = 'published'")


def downgrade() -> None:
    # Only the types enterprises need not explain are ever 'published', and they never leave it.
    op.execute(
        "INSERT INTO record_status_history (tenant_id, record_id, previous_status, status, \"trigger\", actor, "
        "changed_at) SELECT tenant_id, id, NULL, CASE status WHEN 'published' THEN 'published' "
        "ELSE 'awaiting_explanation' END, 'published', published_by, published_at FROM records"
    )
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_column('published_by')

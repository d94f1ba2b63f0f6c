"""render state, not workflow: a submission keeps its PDF's render job; its workflow is explanations'

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 01:10:00.000000

Old statuses become a render state and, where a reviewer had decided the scan, the review's outcome:
received -> pending; rendered, signed -> rendered (a signed scan keeps waiting as a pending document);
published -> rendered + published; failed -> failed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bluemap_shared.migrations import create_index_concurrently

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('submissions') as batch:
        batch.add_column(sa.Column('render_state', sa.String(length=16), server_default='pending', nullable=False))
        batch.add_column(sa.Column('review_outcome', sa.String(length=16), nullable=True))
    op.execute(
        "UPDATE submissions SET render_state = CASE status WHEN 'received' THEN 'pending' WHEN 'failed' THEN 'failed' "
        "ELSE 'rendered' END, review_outcome = CASE status WHEN 'published' THEN 'published' ELSE NULL END"
    )
    with op.batch_alter_table('submissions') as batch:
        batch.drop_index('ix_submissions_due')
        batch.drop_column('status')
    # Last: on PostgreSQL it commits what came before and builds without blocking the render loop's writes.
    create_index_concurrently('ix_submissions_due', 'submissions', ['render_state', 'next_render_at'])


def downgrade() -> None:
    with op.batch_alter_table('submissions') as batch:
        batch.add_column(sa.Column('status', sa.String(length=16), server_default='received', nullable=False))
    op.execute(
        "UPDATE submissions SET status = CASE WHEN review_outcome = 'published' THEN 'published' "
        "WHEN render_state = 'pending' THEN 'received' WHEN render_state = 'failed' THEN 'failed' "
        "WHEN EXISTS (SELECT 1 FROM documents d WHERE d.submission_id = submissions.id "
        "AND d.kind = 'signed-explanation' AND d.status = 'pending') THEN 'signed' ELSE 'rendered' END"
    )
    with op.batch_alter_table('submissions') as batch:
        batch.drop_index('ix_submissions_due')
        batch.drop_column('review_outcome')
        batch.drop_column('render_state')
    create_index_concurrently('ix_submissions_due', 'submissions', ['status', 'next_render_at'])

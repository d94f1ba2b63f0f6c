"""submission owns the workflow: one transition table, the whole-submission review, in-flight rows moved

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 01:10:00.000000

The old model had four statuses here (sent, pdf_rendered, signed, reviewed) and let reviewers decide
explanations one by one. Each old row becomes a state of the new table:
- reviewed, nothing rejected: published; reviewed with a rejection: returned.
- sent, pdf_rendered, signed with a rejected explanation: returned (its other explanations go back
  to the enterprise too, as a new review would send them); without one: unchanged.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REJECTED = (
    "EXISTS (SELECT 1 FROM explanation_submission_items i WHERE i.submission_id = explanation_submissions.id "
    "AND i.tenant_id = explanation_submissions.tenant_id AND i.outcome = 'rejected')"
)


def upgrade() -> None:
    with op.batch_alter_table('explanation_submissions') as batch:
        batch.add_column(sa.Column('reviewed_by', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('scan_decision', sa.String(length=10), nullable=True))
        batch.add_column(sa.Column('scan_comment', sa.Text(), nullable=True))
        batch.add_column(sa.Column('review_comment', sa.Text(), nullable=True))
    op.execute(f"UPDATE explanation_submissions SET status = 'returned' WHERE {_REJECTED}")
    op.execute("UPDATE explanation_submissions SET status = 'published' WHERE status = 'reviewed'")
    # Explanations still waiting in a returned submission go back to the enterprise with it.
    op.execute(
        "UPDATE explanation_submission_items SET outcome = 'returned' WHERE outcome = 'pending' AND submission_id IN "
        "(SELECT id FROM explanation_submissions WHERE status = 'returned')"
    )
    op.execute(
        "UPDATE explanations SET status = 'draft' WHERE status IN ('submitted', 'under_review') AND submission_id IN "
        "(SELECT id FROM explanation_submissions WHERE status = 'returned')"
    )


def downgrade() -> None:
    op.execute("UPDATE explanation_submissions SET status = 'reviewed' WHERE status IN ('published', 'returned')")
    op.execute("UPDATE explanation_submissions SET status = 'signed' WHERE status = 'under_review'")
    op.execute("UPDATE explanation_submission_items SET outcome = 'rejected' WHERE outcome = 'returned'")
    with op.batch_alter_table('explanation_submissions') as batch:
        batch.drop_column('review_comment')
        batch.drop_column('scan_comment')
        batch.drop_column('scan_decision')
        batch.drop_column('reviewed_by')

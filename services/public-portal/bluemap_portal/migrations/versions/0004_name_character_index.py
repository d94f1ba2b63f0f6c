"""name character index

A word of one character (化, 鑫) has no character pair, so the bigram index of 0003 cannot answer
it, and a character few or no names hold read every enterprise. This index holds each name's
characters (string_to_array(name, NULL), a built-in function). PostgreSQL only; SQLite scans.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 07:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(
        'CREATE INDEX ix_portal_enterprises_name_chars ON portal_enterprises USING gin (string_to_array(name, NULL))'
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.drop_index('ix_portal_enterprises_name_chars', table_name='portal_enterprises')

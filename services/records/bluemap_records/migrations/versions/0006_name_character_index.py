"""name character index

A word of one character (化, 鑫) has no character pair, so the bigram index of 0005 cannot answer
it, and a character few or no names hold read the whole directory. This index holds each name's
characters (string_to_array(name, NULL), a built-in function). PostgreSQL only; SQLite scans.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 07:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('CREATE INDEX ix_enterprises_name_chars ON enterprises USING gin (string_to_array(name, NULL))')


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.drop_index('ix_enterprises_name_chars', table_name='enterprises')

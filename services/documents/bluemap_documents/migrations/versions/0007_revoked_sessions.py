"""revoked sessions

Sessions records revoked (SessionsRevoked): their tokens are refused.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 01:10:00.000000
"""

from collections.abc import Sequence

from bluemap_shared.migrations import create_revoked_sessions_table, drop_revoked_sessions_table

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_revoked_sessions_table()


def downgrade() -> None:
    drop_revoked_sessions_table()

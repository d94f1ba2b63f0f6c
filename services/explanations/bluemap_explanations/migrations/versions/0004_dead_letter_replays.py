"""dead letter replays

Dead letters record their replay: when, who, how, why and what came of it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08 01:30:00.000000
"""

from collections.abc import Sequence

from bluemap_shared.migrations import add_dead_letter_replay_columns, drop_dead_letter_replay_columns

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    add_dead_letter_replay_columns()


def downgrade() -> None:
    drop_dead_letter_replay_columns()

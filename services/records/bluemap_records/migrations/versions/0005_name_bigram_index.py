"""name bigram index

Chinese names are searched by two-character words (永安, 化工), which hold no trigram: the trigram
index could not answer them, and a word few names hold read the whole directory. The index holds
each name's character pairs instead (bluemap_name_bigrams), which answers any word of two
characters or more. PostgreSQL only; SQLite scans.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 04:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Pairs repeat in a name (永安…永安); GIN keeps each key of a row once, and DISTINCT doubled the cost.
FUNCTION = """
CREATE OR REPLACE FUNCTION bluemap_name_bigrams(name text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT ARRAY(SELECT substr(name, i, 2) FROM generate_series(1, char_length(name) - 1) AS i) $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(FUNCTION)
    op.execute('CREATE INDEX ix_enterprises_name_bigrams ON enterprises USING gin (bluemap_name_bigrams(name))')
    op.drop_index('ix_enterprises_name_trgm', table_name='enterprises')


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.create_index('ix_enterprises_name_trgm', 'enterprises', ['name'], unique=False, postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})
    op.drop_index('ix_enterprises_name_bigrams', table_name='enterprises')
    op.execute('DROP FUNCTION bluemap_name_bigrams(text)')

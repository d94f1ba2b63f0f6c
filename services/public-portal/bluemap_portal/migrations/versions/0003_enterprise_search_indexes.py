"""enterprise search indexes

The public search scanned every enterprise: a name substring (LIKE '%...%', ILIKE on the English
name) can use no B-tree. Chinese names get a GIN index on their character pairs
(bluemap_name_bigrams: two-character words hold no trigram), English names a trigram index, and
results come in name order from a B-tree on (tenant_id, name, id). The GIN indexes are PostgreSQL
only; SQLite scans.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 05:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The records service's migration 0005 creates the same function in its own database.
FUNCTION = """
CREATE OR REPLACE FUNCTION bluemap_name_bigrams(name text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT ARRAY(SELECT substr(name, i, 2) FROM generate_series(1, char_length(name) - 1) AS i) $$
"""


def upgrade() -> None:
    with op.batch_alter_table('portal_enterprises', schema=None) as batch_op:
        batch_op.create_index('ix_portal_enterprises_tenant_name', ['tenant_id', 'name', 'id'], unique=False)
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    op.execute(FUNCTION)
    op.execute(
        'CREATE INDEX ix_portal_enterprises_name_bigrams ON portal_enterprises USING gin (bluemap_name_bigrams(name))'
    )
    op.create_index('ix_portal_enterprises_name_en_trgm', 'portal_enterprises', ['name_en'], unique=False, postgresql_using='gin', postgresql_ops={'name_en': 'gin_trgm_ops'})


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_portal_enterprises_name_en_trgm', table_name='portal_enterprises')
        op.drop_index('ix_portal_enterprises_name_bigrams', table_name='portal_enterprises')
        op.execute('DROP FUNCTION bluemap_name_bigrams(text)')
    with op.batch_alter_table('portal_enterprises', schema=None) as batch_op:
        batch_op.drop_index('ix_portal_enterprises_tenant_name')

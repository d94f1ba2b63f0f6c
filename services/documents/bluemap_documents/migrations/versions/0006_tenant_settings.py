"""tenant settings

This service's copy of the tenant registry's settings (fed by TenantConfigured and TenantSuspended).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 01:10:00.000000
"""

from collections.abc import Sequence

from bluemap_shared.migrations import create_tenant_settings_table, drop_tenant_settings_table

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_tenant_settings_table()


def downgrade() -> None:
    drop_tenant_settings_table()

"""Offboarding finds every tenant row: each table of each service has tenant_id, or is declared tenant-free."""

import pytest

from bluemap_shared.runtime import tenant_data_of

PACKAGES = ["bluemap_records", "bluemap_explanations", "bluemap_documents", "bluemap_notifications", "bluemap_portal"]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_table_is_tenant_scoped_or_declared_free(package: str) -> None:
    data = tenant_data_of(package)
    assert "inbox_messages" in {table.name for table in data.tables}
    # Parents first, so deleting in reverse never trips a foreign key.
    seen: set[str] = set()
    for table in data.tables:
        parents = {fk.column.table.name for fk in table.foreign_keys} & {t.name for t in data.tables}
        assert parents <= seen, f"{table.name} comes before its parents {parents - seen}"
        seen.add(table.name)

"""The portal's command line: migrate on its own database, serve the API and the site."""

from pathlib import Path

import pytest
import sqlalchemy as sa

from bluemap_portal.__main__ import main


def test_migrate_creates_the_read_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = tmp_path / "portal.db"
    monkeypatch.setenv("BLUEMAP_PORTAL_DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    main(["migrate"])
    tables = set(sa.inspect(sa.create_engine(f"sqlite:///{database}")).get_table_names())
    assert {"portal_enterprises", "portal_records", "inbox_messages", "alembic_version"} <= tables


def test_unknown_command_is_refused() -> None:
    with pytest.raises(SystemExit):
        main(["unknown"])

"""Without a font for Chinese text the documents service is not ready, and says what to install."""

from pathlib import Path

import httpx
import pytest

from bluemap_documents.bootstrap import bootstrap
from bluemap_documents.settings import DocumentsSettings
from bluemap_documents.submissions.fonts import NoCjkFont, cjk_font_family
from bluemap_shared.messaging.transport import InProcessTransport


@pytest.fixture
def no_fonts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """fontconfig as on a fresh machine without font packages: one empty font folder."""
    (tmp_path / "fonts").mkdir()
    config = tmp_path / "fonts.conf"
    config.write_text(
        f'<?xml version="1.0"?><fontconfig><dir>{tmp_path / "fonts"}</dir>'
        f"<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>"
    )
    monkeypatch.setenv("FONTCONFIG_FILE", str(config))


async def test_the_machine_has_a_cjk_font() -> None:
    assert "CJK" in await cjk_font_family()


@pytest.mark.usefixtures("no_fonts")
async def test_without_a_cjk_font_the_check_names_the_package() -> None:
    with pytest.raises(NoCjkFont, match="apt-get install fonts-noto-cjk"):
        await cjk_font_family()


@pytest.mark.usefixtures("no_fonts")
async def test_without_a_cjk_font_documents_is_not_ready(tmp_path: Path) -> None:
    service = bootstrap(DocumentsSettings(data_dir=tmp_path, environment="test"), InProcessTransport())
    await service.runtime.migrate()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app), base_url="http://d") as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert "fonts-noto-cjk" in response.json()["checks"]["cjk-font"]

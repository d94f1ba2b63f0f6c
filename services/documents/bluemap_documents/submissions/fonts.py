"""The PDFs' Chinese text needs a CJK font; without one WeasyPrint draws boxes, silently."""

import asyncio
import shutil

import structlog

log = structlog.get_logger()

# What a fresh Debian machine needs (deploy/local/apt-packages-run.txt installs both).
CJK_FONT_PACKAGE = "fonts-noto-cjk"
FONTCONFIG_PACKAGE = "fontconfig"


class NoCjkFont(RuntimeError):
    """Rendering would print boxes instead of Chinese."""


class CjkFontCheck:
    """A readiness check: fontconfig must know a font covering Chinese; a found font is remembered."""

    def __init__(self) -> None:
        self._found: str | None = None

    async def __call__(self) -> None:
        if self._found is None:
            self._found = await cjk_font_family()
            log.info("documents.cjk_font_found", family=self._found)


async def cjk_font_family() -> str:
    """The family of a font fontconfig finds for Chinese text; NoCjkFont with the fix when there is none."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        raise NoCjkFont(f"fc-list not found: install the Debian packages {FONTCONFIG_PACKAGE} and {CJK_FONT_PACKAGE}")
    process = await asyncio.create_subprocess_exec(
        fc_list, ":lang=zh", "family", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    out, _ = await process.communicate()
    families = sorted({line.split(",")[0].strip() for line in out.decode(errors="replace").splitlines() if line})
    if not families:
        raise NoCjkFont(
            "no font for Chinese text is installed, so PDFs would show boxes: "
            f"apt-get install {CJK_FONT_PACKAGE} (or another CJK font fontconfig finds)"
        )
    preferred = [f for f in families if f.startswith("Noto Sans CJK")]
    return (preferred or families)[0]

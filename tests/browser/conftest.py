"""Browser tests (Playwright on the system's Chromium): each suite keeps its fixtures to itself.

public_site/ has the public pages on a fed portal; walkthrough_support.py the embedded default for the
workspace and console walkthroughs (test_walkthrough*.py).
"""

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

NODE_PREFIX = Path(__file__).resolve().parents[2] / ".cache" / "node"
AXE = NODE_PREFIX / "node_modules" / "axe-core" / "axe.min.js"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives a real browser (Chromium through Playwright)")


@pytest.fixture(scope="session")
def axe_source() -> Iterator[str]:
    """axe-core's script, installed from npm into .cache/node/ when it is not there yet."""
    if not AXE.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is needed once to install axe-core into .cache/node/")
        NODE_PREFIX.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--prefix", str(NODE_PREFIX), "--no-audit", "--no-fund", "--silent", "axe-core@4"],
            check=True,
            timeout=300,
        )
    yield AXE.read_text(encoding="utf-8")

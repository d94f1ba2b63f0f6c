"""Browser tests (Playwright on the system's Chromium): each suite keeps its fixtures to itself.

public_site/ has the public pages on a fed portal; walkthrough_support.py the embedded default for the
workspace and console walkthroughs (test_walkthrough*.py).
"""

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives a real browser (Chromium through Playwright)")

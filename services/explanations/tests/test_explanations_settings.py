"""Unit tests of the explanations settings."""

import pytest

from bluemap_explanations.settings import ExplanationsSettings


def test_defaults_and_environment_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ExplanationsSettings().port == 8102
    monkeypatch.setenv("BLUEMAP_EXPLANATIONS_PORT", "9102")
    monkeypatch.setenv("BLUEMAP_RECORDS_PORT", "1")
    assert ExplanationsSettings().port == 9102

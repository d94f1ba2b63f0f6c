"""Fixtures for every test in the repository live in the bluemap_shared.testing plugin."""

pytest_plugins = ["bluemap_shared.testing"]

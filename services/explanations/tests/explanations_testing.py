"""Helpers of the explanations tests (a module name of its own: pytest puts every tests folder on sys.path)."""

from dataclasses import dataclass

import httpx

from bluemap_explanations.bootstrap import ExplanationsService


@dataclass
class Running:
    service: ExplanationsService
    client: httpx.AsyncClient

"""Integration event contracts and their CloudEvents envelope."""

from bluemap_shared.events.catalog import CATALOG, TOPICS
from bluemap_shared.events.envelope import Envelope, IntegrationEvent, Message, PoisonMessage, decode

__all__ = ["CATALOG", "TOPICS", "Envelope", "IntegrationEvent", "Message", "PoisonMessage", "decode"]

"""Outbox, inbox, dead letters and the transports that carry events between services."""

from bluemap_shared.messaging.inbox import EventConsumer
from bluemap_shared.messaging.models import MESSAGING_TABLES, DeadLetter, InboxMessage, OutboxMessage
from bluemap_shared.messaging.outbox import OutboxRelay, emit, emit_batch, emit_many
from bluemap_shared.messaging.transport import InProcessTransport, KafkaTransport, Transport

__all__ = [
    "MESSAGING_TABLES",
    "DeadLetter",
    "EventConsumer",
    "InProcessTransport",
    "InboxMessage",
    "KafkaTransport",
    "OutboxMessage",
    "OutboxRelay",
    "Transport",
    "emit",
    "emit_batch",
    "emit_many",
]

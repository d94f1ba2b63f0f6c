"""Helpers of the notifications tests: the test token issuer and a real HTTP server's state."""

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from bluemap_shared.events.catalog import EnterpriseRegistered, EnterpriseSnapshot
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.testing import TokenIssuer

if TYPE_CHECKING:
    from bluemap_notifications.bootstrap import NotificationsService

ISSUER = TokenIssuer()

Start = Callable[..., Any]


@dataclass
class FileServer:
    """A real HTTP server on 127.0.0.1 serving bytes at paths; it can fail the first requests of a path."""

    base_url: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def serve(self, path: str, content: bytes, *, fail_first: int = 0) -> str:
        with self.lock:
            self.files[path] = content
            self.failures[path] = fail_first
        return self.base_url + path

    def answer(self, path: str) -> tuple[int, bytes]:
        with self.lock:
            self.hits[path] = self.hits.get(path, 0) + 1
            if self.failures.get(path, 0) > 0:
                self.failures[path] -= 1
                return 503, b"try again later"
            content = self.files.get(path)
        return (404, b"not found") if content is None else (200, content)


async def register_enterprise(svc: "NotificationsService", enterprise_id: UUID, *, tenant: str = "ipe") -> None:
    """Deliver the EnterpriseRegistered the records service would send: the enterprise joins the tenant's contacts."""
    event = EnterpriseRegistered(
        enterprise=EnterpriseSnapshot(
            enterprise_id=enterprise_id, uscc="91610000220522613X", name="陕西永安兴庆门业有限公司"
        )
    )
    envelope = Envelope(data=event, tenant_id=tenant, source="/bluemap/records", subject=event.subject())
    await svc.runtime.consumer.process(envelope.to_message())

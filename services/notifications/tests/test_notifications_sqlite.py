"""The notifications service on SQLite, the embedded default, with a mailer that records."""

from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path
from uuid import uuid4

from sqlmodel import select

from bluemap_notifications.bootstrap import bootstrap
from bluemap_notifications.emails.models import Email
from bluemap_notifications.settings import NotificationsSettings
from bluemap_shared.auth import StaticJwks, TokenVerifier
from bluemap_shared.events.catalog import EnterpriseSnapshot, RecordPublished
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.messaging import InProcessTransport
from bluemap_shared.runtime import running
from bluemap_shared.testing import eventually


class RecordingMailer:
    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    async def send(self, message: EmailMessage) -> None:
        self.sent.append(message)


async def test_queue_and_send_on_sqlite(tmp_path: Path) -> None:
    event = RecordPublished(
        record_id=uuid4(),
        enterprise=EnterpriseSnapshot(
            enterprise_id=uuid4(),
            uscc="91610000220522613X",
            name="陕西永安兴庆门业有限公司",
            registered_emails=["ehs@example.com"],
        ),
        record_type="accident",
        explainable=True,
        year=2021,
        source_title="事故调查报告",
        issuing_authority="应急管理局",
        issued_on=date(2021, 5, 6),
        published_at=datetime.now(UTC),
        explanation_due_on=date(2021, 5, 20),
    )
    item = Envelope(data=event, tenant_id="ipe", source="/bluemap/records", subject=event.subject())
    mailer = RecordingMailer()
    settings = NotificationsSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'notifications.db'}", send_poll_interval=0.05, log_json=False
    )
    verifier = TokenVerifier(StaticJwks({"keys": []}), issuer="bluemap", audience="bluemap")
    svc = bootstrap(settings, InProcessTransport(), token_verifier=verifier, mailer=mailer)
    async with running(svc.runtime):
        await svc.runtime.consumer.process(item.to_message())
        await svc.runtime.consumer.process(item.to_message())

        async def sent() -> Email | None:
            async with svc.runtime.sessionmaker() as session:
                email = (await session.exec(select(Email))).one_or_none()
            return email if email is not None and email.status == "sent" else None

        email = await eventually(sent, timeout=10)
    assert len(mailer.sent) == 1
    assert mailer.sent[0]["Message-ID"] == f"<{email.id}@bluemap>"
    assert "事故" in str(mailer.sent[0]["Subject"])

"""The notifications service on SQLite, the embedded default, with a mailer that records."""

import asyncio
import hashlib
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from uuid import UUID, uuid4

import httpx
from notifications_testing import ISSUER, FileServer, register_enterprise
from sqlmodel import select

from bluemap_notifications.bootstrap import bootstrap
from bluemap_notifications.clock import china_today
from bluemap_notifications.deadlines.scheduler import ReminderScheduler
from bluemap_notifications.digests import service as digests
from bluemap_notifications.emails.models import Email
from bluemap_notifications.settings import NotificationsSettings
from bluemap_shared.auth import StaticJwks, TokenVerifier
from bluemap_shared.db import utcnow
from bluemap_shared.events.catalog import EnterpriseSnapshot, PdfRendered, RecordPublished
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
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'notifications.db'}",
        send_poll_interval=0.05,
        digest_quiet_seconds=0.2,
        digest_poll_interval=0.05,
        log_json=False,
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


async def test_pdf_and_reminders_on_sqlite(tmp_path: Path, file_server: FileServer) -> None:
    enterprise_id = uuid4()
    content = b"%PDF-1.7\n" + uuid4().bytes * 64
    url = file_server.serve(f"/sqlite/{uuid4()}.pdf", content)
    today = china_today()
    company = EnterpriseSnapshot(
        enterprise_id=enterprise_id, uscc="91610000220522613X", name="企业", registered_emails=["ehs@example.com"]
    )
    record = RecordPublished(
        record_id=uuid4(),
        enterprise=company,
        record_type="accident",
        explainable=True,
        year=2024,
        source_title="事故调查报告",
        issuing_authority="应急管理局",
        issued_on=today,
        published_at=datetime.now(UTC),
        explanation_due_on=today + timedelta(days=14),
    )
    digest = hashlib.sha256(content).hexdigest()
    rendered = PdfRendered(
        document_id=uuid4(),
        submission_id=uuid4(),
        enterprise_id=enterprise_id,
        language="zh",
        document_number="BM-1",
        verification_code=digest,
        filename="公开说明.pdf",
        size=len(content),
        sha256=digest,
        download_url=url,
        download_expires_at=datetime.now(UTC) + timedelta(hours=1),
        rendered_at=datetime.now(UTC),
    )
    mailer = RecordingMailer()
    settings = NotificationsSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'notifications.db'}",
        send_poll_interval=0.05,
        digest_quiet_seconds=0.2,
        digest_poll_interval=0.05,
        log_json=False,
    )
    verifier = TokenVerifier(StaticJwks({"keys": []}), issuer="bluemap", audience="bluemap")
    svc = bootstrap(settings, InProcessTransport(), token_verifier=verifier, mailer=mailer)
    async with running(svc.runtime):
        for event in (record, rendered, rendered):
            item = Envelope(data=event, tenant_id="ipe", source="/bluemap/test", subject=event.subject())
            await svc.runtime.consumer.process(item.to_message())
        ahead = ReminderScheduler(
            svc.runtime.sessionmaker,
            portal_base_url="http://p",
            wake_dispatcher=svc.dispatcher.wake,
            today=lambda: today + timedelta(days=11),
        )
        assert await ahead.run_due() == 1
        assert await ahead.run_due() == 0

        async def all_sent() -> list[Email]:
            async with svc.runtime.sessionmaker() as session:
                emails = list((await session.exec(select(Email))).all())
            return emails if len(emails) == 3 and all(e.status == "sent" for e in emails) else []

        await eventually(all_sent, timeout=10)
    assert len(mailer.sent) == 3
    [with_pdf] = [m for m in mailer.sent if "BM-1" in str(m["Subject"])]
    assert [a.get_content() for a in with_pdf.iter_attachments()] == [content]
    assert any("还有3天" in str(m["Subject"]) for m in mailer.sent)


async def test_follows_and_live_chat_on_sqlite(tmp_path: Path) -> None:
    settings = NotificationsSettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'n.db'}", log_json=False)
    svc = bootstrap(settings, InProcessTransport(), token_verifier=ISSUER.verifier, mailer=RecordingMailer())
    enterprise_id = uuid4()
    staff = ISSUER.staff("ipe", enterprise_id)
    follower = ISSUER.headers("ipe", ["brand"], subject="buyer", email="buyer@example.com")
    async with running(svc.runtime):
        await register_enterprise(svc, enterprise_id)
        transport = httpx.ASGITransport(app=svc.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://n") as client:
            followed = await client.post("/v1/follows", json={"enterprise_id": str(enterprise_id)}, headers=follower)
            assert followed.status_code == 201, followed.text
            assert len((await client.get("/v1/follows", headers=follower)).json()) == 1
            opened = await client.post("/v1/conversations", json={"body": "你好"}, headers=staff)
            assert opened.status_code == 201, opened.text
            path = f"/v1/conversations/{opened.json()['id']}/messages"
            assert (await client.post(path, json={"body": "再问"}, headers=staff)).status_code == 201
            assert [m["id"] for m in (await client.get(path, headers=staff)).json()] == [1, 2]
            assert len((await client.get("/v1/conversations", headers=staff)).json()) == 1


async def test_digests_on_sqlite(tmp_path: Path) -> None:
    company = EnterpriseSnapshot(
        enterprise_id=uuid4(), uscc="91610000220522613X", name="企业", registered_emails=["ehs@example.com"]
    )
    imports = [uuid4(), uuid4()]

    def record(title: str, import_id: UUID) -> Envelope[RecordPublished]:
        event = RecordPublished(
            record_id=uuid4(),
            enterprise=company,
            record_type="accident",
            explainable=True,
            year=2024,
            source_title=title,
            issuing_authority="应急管理局",
            issued_on=date(2024, 5, 6),
            published_at=datetime.now(UTC),
            explanation_due_on=date(2024, 5, 20),
            import_id=import_id,
        )
        return Envelope(data=event, tenant_id="ipe", source="/bluemap/records", subject=event.subject())

    envelopes = [record(f"第{n}次导入的记录{i}", imports[n]) for i in range(3) for n in (0, 1)]
    mailer = RecordingMailer()
    settings = NotificationsSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'n.db'}",
        send_poll_interval=0.05,
        digest_quiet_seconds=0.3,
        digest_poll_interval=600,  # the test closes the windows, however slow the machine
        log_json=False,
    )
    svc = bootstrap(settings, InProcessTransport(), token_verifier=ISSUER.verifier, mailer=mailer)
    async with running(svc.runtime):
        for envelope in envelopes:
            await svc.runtime.consumer.process(envelope.to_message())
            await svc.runtime.consumer.process(envelope.to_message())
        async with svc.runtime.sessionmaker() as session, session.begin():
            replayed = [Envelope(data=e.data, tenant_id="ipe", source=e.source, subject=e.subject) for e in envelopes]
            assert await digests.gather_published(session, replayed, now=utcnow()) == 0
        await asyncio.sleep(0.4)
        assert await svc.digests.close_due() == 2

        async def sent() -> list[Email]:
            async with svc.runtime.sessionmaker() as session:
                emails = list((await session.exec(select(Email))).all())
            return emails if len(emails) == 2 and all(e.status == "sent" for e in emails) else []

        await eventually(sent, timeout=10)
        assert await svc.digests.close_due() == 0
    assert len(mailer.sent) == 2
    assert all("新公开记录3条" in str(m["Subject"]) for m in mailer.sent)
    bodies = [m.get_body(("plain",)).get_content() for m in mailer.sent]  # type: ignore[union-attr]
    for n in (0, 1):
        [body] = [text for text in bodies if f"第{n}次导入" in text]
        assert all(f"第{n}次导入的记录{i}" in body for i in range(3))
        assert f"第{1 - n}次导入" not in body

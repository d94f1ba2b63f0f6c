"""The notifications service on real PostgreSQL and a real SMTP server (Mailpit)."""

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from email.message import EmailMessage
from typing import Any
from uuid import UUID, uuid4

import aiosmtplib
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlmodel import select

from bluemap_notifications.bootstrap import NotificationsService, bootstrap
from bluemap_notifications.digests import service as digests
from bluemap_notifications.emails.dispatcher import Mailer
from bluemap_notifications.emails.models import Email
from bluemap_notifications.settings import NotificationsSettings
from bluemap_shared.auth import StaticJwks, TokenVerifier
from bluemap_shared.db import utcnow
from bluemap_shared.events.catalog import EnterpriseSnapshot, RecordPublished
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.mail import SmtpMailer
from bluemap_shared.messaging import InboxMessage, InProcessTransport, OutboxMessage
from bluemap_shared.runtime import running
from bluemap_shared.testing import Mailpit, eventually

pytestmark = pytest.mark.integration

_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_JWK = {**jwt.algorithms.RSAAlgorithm.to_jwk(_KEY.public_key(), as_dict=True), "kid": "test", "alg": "RS256"}
VERIFIER = TokenVerifier(StaticJwks({"keys": [_JWK]}), issuer="bluemap", audience="bluemap")


def token(*, tenant: str = "ipe", roles: tuple[str, ...] = ("admin",)) -> str:
    now = int(time.time())
    claims = {"iss": "bluemap", "aud": "bluemap", "sub": "u1", "iat": now, "exp": now + 600}
    claims |= {"tenant_id": tenant, "roles": list(roles)}
    return jwt.encode(claims, _KEY, algorithm="RS256", headers={"kid": "test"})


def unique_address() -> str:
    return f"ehs-{uuid4().hex[:12]}@example.com"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def record_published(emails: list[str], *, tenant: str = "ipe", **changes: Any) -> Envelope[RecordPublished]:
    enterprise = EnterpriseSnapshot(
        enterprise_id=uuid4(),
        uscc="91610000220522613X",
        name="陕西永安兴庆门业有限公司",
        name_en="Shaanxi Yongan Xingqing Door Co., Ltd.",
        registered_emails=emails,
    )
    fields: dict[str, Any] = {
        "record_id": uuid4(),
        "enterprise": enterprise,
        "record_type": "environmental_supervision",
        "explainable": True,
        "year": 2020,
        "source_title": "关于对强化监督定点帮扶发现问题进行督办的函(西安)",
        "issuing_authority": "中华人民共和国生态环境部",
        "issued_on": date(2020, 2, 20),
        "published_at": datetime.now(UTC),
        "explanation_due_on": date(2020, 3, 13),
    } | changes
    event = RecordPublished.model_validate(fields)
    return Envelope(data=event, tenant_id=tenant, source="/bluemap/records", subject=event.subject())


Start = Callable[..., Any]


@pytest.fixture
def start(create_database: Callable[[str], Awaitable[str]], servers: dict[str, str]) -> Callable[..., Any]:
    """Context manager factory: a running notifications service on a fresh database."""

    @asynccontextmanager
    async def started(*, mailer: Mailer | None = None, **overrides: Any) -> AsyncIterator[NotificationsService]:
        fields: dict[str, Any] = {
            "database_url": await create_database("notifications"),
            "smtp_host": servers["BLUEMAP_SMTP_HOST"],
            "smtp_port": int(servers["BLUEMAP_SMTP_PORT"]),
            "portal_base_url": "https://portal.example.org",
            "send_backoff_seconds": 0.05,
            "send_poll_interval": 0.1,
            # Digest windows close quickly here; their own tests set what they need.
            "digest_quiet_seconds": 0.2,
            "digest_poll_interval": 0.05,
            "log_json": False,
        }
        settings = NotificationsSettings(**(fields | overrides))
        svc = bootstrap(settings, InProcessTransport(), token_verifier=VERIFIER, mailer=mailer)
        async with running(svc.runtime):
            yield svc

    return started


async def emails_of(svc: NotificationsService) -> list[Email]:
    async with svc.runtime.sessionmaker() as session:
        return list((await session.exec(select(Email).order_by(Email.created_at))).all())


async def outbox_types(svc: NotificationsService) -> list[str]:
    async with svc.runtime.sessionmaker() as session:
        return [row.event_type for row in (await session.exec(select(OutboxMessage))).all()]


def api(svc: NotificationsService) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=svc.app), base_url="http://notifications")


async def test_record_published_sends_one_email_in_chinese_and_english(start: Start, mailpit: Mailpit) -> None:
    address = unique_address()
    envelope = record_published([address])
    async with start() as svc:
        await svc.runtime.consumer.process(envelope.to_message())

        found = await mailpit.wait_for(address)
        assert len(found) == 1
        message = await mailpit.message(found[0]["ID"])
        assert "环境监管记录" in message["Subject"]
        assert "Environmental Supervision Records" in message["Subject"]
        text = message["Text"]
        assert "关于对强化监督定点帮扶发现问题进行督办的函(西安)" in text
        assert "发布机关：中华人民共和国生态环境部" in text
        assert "2020年3月13日前" in text
        assert f"https://portal.example.org/enterprises/{envelope.data.enterprise.enterprise_id}" in text
        assert text.index("蔚蓝地图数据库") < text.index("The Blue Map Database")
        assert [to["Address"] for to in message["To"]] == [address]
        assert message["From"]["Address"] == "noreply@bluemap.example.org"

        emails = await eventually(lambda: _sent(svc))
        email = emails[0]
        assert message["MessageID"] == f"{email.id}@bluemap"
        assert email.cause_event_id == envelope.id
        assert email.attempts == 1
        assert email.sent_at is not None
        assert "org.bluemap.notifications.email-sent.v1" in await outbox_types(svc)

        async with api(svc) as client:
            headers = {"Authorization": f"Bearer {token()}"}
            listed = (await client.get("/v1/emails", params={"status": "sent"}, headers=headers)).json()
            assert [e["id"] for e in listed] == [str(email.id)]
            assert listed[0]["purpose"] == "record-published"
            detail = (await client.get(f"/v1/emails/{email.id}", headers=headers)).json()
            assert detail["status"] == "sent"
            assert "中华人民共和国生态环境部" in detail["body_text"]


async def _sent(svc: NotificationsService) -> list[Email]:
    emails = await emails_of(svc)
    return emails if emails and all(e.status == "sent" for e in emails) else []


async def test_the_same_event_twice_sends_one_email(start: Start, mailpit: Mailpit) -> None:
    address = unique_address()
    envelope = record_published([address, address])
    async with start() as svc:
        await svc.runtime.consumer.process(envelope.to_message())
        await svc.runtime.consumer.process(envelope.to_message())
        await mailpit.wait_for(address)
        await eventually(lambda: _sent(svc))

        # Second layer: even past the inbox, the items' unique key refuses the record again.
        async with svc.runtime.sessionmaker() as session, session.begin():
            again = await digests.gather_published(session, [envelope], now=utcnow())
        assert again == 0

        await svc.dispatcher.dispatch_due()  # would send a wrongly queued second email now
        assert len(await mailpit.messages(address)) == 1
        emails = await emails_of(svc)
        assert len(emails) == 1
        assert emails[0].recipients == [address]


async def test_no_registered_address_means_no_email(start: Start) -> None:
    envelope = record_published([])
    async with start() as svc:
        await svc.runtime.consumer.process(envelope.to_message())
        assert await emails_of(svc) == []
        async with svc.runtime.sessionmaker() as session:
            inbox = (await session.exec(select(InboxMessage))).all()
        assert [(row.event_id, row.outcome) for row in inbox] == [(envelope.id, "handled")]


async def test_smtp_down_keeps_the_email_pending_with_its_error(start: Start) -> None:
    address = unique_address()
    async with start(smtp_port=closed_port(), send_backoff_seconds=60.0) as svc:
        async with api(svc) as client:
            ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text  # SMTP is no readiness check: mail waits

        await svc.runtime.consumer.process(record_published([address]).to_message())

        async def tried_once() -> Email | None:
            emails = await emails_of(svc)
            return emails[0] if emails and emails[0].attempts == 1 else None

        email = await eventually(tried_once)
        assert email.status == "pending"
        assert email.last_error
        assert email.next_attempt_at > datetime.now(UTC)
        assert email.sent_at is None


async def test_smtp_down_gives_up_after_max_attempts(start: Start, mailpit: Mailpit) -> None:
    address = unique_address()
    async with start(smtp_port=closed_port(), send_max_attempts=3, send_backoff_seconds=0.02) as svc:
        await svc.runtime.consumer.process(record_published([address]).to_message())

        async def failed() -> Email | None:
            emails = await emails_of(svc)
            return emails[0] if emails and emails[0].status == "failed" else None

        email = await eventually(failed)
        assert email.attempts == 3
        assert email.last_error
        assert "org.bluemap.notifications.email-failed.v1" in await outbox_types(svc)
        async with svc.runtime.sessionmaker() as session:
            row = (await session.exec(select(OutboxMessage))).one()
        assert b'"outcome":"gave-up"' in row.payload
        assert await mailpit.messages(address) == []


async def test_mail_waits_for_smtp_to_come_back(start: Start, servers: dict[str, str], mailpit: Mailpit) -> None:
    address = unique_address()
    mailer = SmtpMailer(servers["BLUEMAP_SMTP_HOST"], closed_port())
    async with start(mailer=mailer, send_backoff_seconds=0.05, send_max_attempts=50) as svc:
        await svc.runtime.consumer.process(record_published([address]).to_message())

        async def retried() -> bool:
            emails = await emails_of(svc)
            return bool(emails) and emails[0].attempts >= 2 and emails[0].status == "pending"

        await eventually(retried)
        mailer.port = int(servers["BLUEMAP_SMTP_PORT"])  # the SMTP server is back

        assert len(await mailpit.wait_for(address)) == 1
        email = (await eventually(lambda: _sent(svc)))[0]
        assert email.attempts >= 3
        assert email.last_error  # the earlier failure stays on record


class GatheringMailer:
    """An SMTP server that holds each message until `together` are in flight at once, then takes them all."""

    def __init__(self, together: int) -> None:
        self.together = together
        self.in_flight = 0
        self.most_in_flight = 0
        self.recipients: list[str] = []
        self._all_there = asyncio.Event()

    async def send(self, message: EmailMessage) -> None:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if self.in_flight >= self.together:
            self._all_there.set()
        try:
            # One at a time, the first message would wait here for good: the test times out.
            await asyncio.wait_for(self._all_there.wait(), timeout=10)
            self.recipients.append(str(message["To"]))
        finally:
            self.in_flight -= 1


async def test_emails_are_sent_several_at_once_and_each_once(start: Start) -> None:
    mailer = GatheringMailer(together=4)
    addresses = [unique_address() for _ in range(12)]
    # Two replicas' dispatchers, four senders each, on the same table: SKIP LOCKED keeps them apart.
    # Their digests close together (the closers' own loops wait), so all twelve are due at once.
    async with start(mailer=mailer, send_concurrency=4, digest_poll_interval=600) as first:
        database_url = first.runtime.settings.database_url
        async with start(mailer=mailer, send_concurrency=4, digest_poll_interval=600, database_url=database_url):
            for address in addresses:
                await first.runtime.consumer.process(record_published([address]).to_message())
            await asyncio.sleep(0.3)  # quiet for longer than digest_quiet_seconds
            assert await first.digests.close_due() == len(addresses)

            async def all_sent() -> bool:
                emails = await _sent(first)
                return len(emails) == len(addresses)

            await eventually(all_sent, timeout=30)
    assert mailer.most_in_flight >= 4
    assert sorted(mailer.recipients) == sorted(addresses)


class RejectingMailer:
    """An SMTP server that refuses every recipient for good (550)."""

    def __init__(self) -> None:
        self.calls = 0

    async def send(self, message: EmailMessage) -> None:
        self.calls += 1
        raise aiosmtplib.SMTPRecipientsRefused(
            [aiosmtplib.SMTPRecipientRefused(550, "5.1.1 no such mailbox", str(message["To"]))]
        )


async def test_permanent_rejection_fails_at_once(start: Start) -> None:
    mailer = RejectingMailer()
    async with start(mailer=mailer, send_max_attempts=8) as svc:
        await svc.runtime.consumer.process(record_published([unique_address()]).to_message())

        async def failed() -> Email | None:
            emails = await emails_of(svc)
            return emails[0] if emails and emails[0].status == "failed" else None

        email = await eventually(failed)
        assert email.attempts == 1
        assert mailer.calls == 1
        assert "550" in (email.last_error or "")
        async with svc.runtime.sessionmaker() as session:
            row = (await session.exec(select(OutboxMessage))).one()
        assert row.event_type == "org.bluemap.notifications.email-failed.v1"
        assert b'"outcome":"rejected"' in row.payload


async def test_api_is_for_operators_of_the_tenant(start: Start) -> None:
    rejecting = RejectingMailer()
    async with start(mailer=rejecting) as svc:
        await svc.runtime.consumer.process(record_published([unique_address()], tenant="ipe").to_message())
        await svc.runtime.consumer.process(record_published([unique_address()], tenant="other").to_message())
        await eventually(lambda: _all_failed(svc, 2))
        async with api(svc) as client:
            assert (await client.get("/v1/emails")).status_code == 401
            enterprise = {"Authorization": f"Bearer {token(roles=('enterprise',))}"}
            assert (await client.get("/v1/emails", headers=enterprise)).status_code == 403

            reviewer = {"Authorization": f"Bearer {token(roles=('reviewer',))}"}
            listed = (await client.get("/v1/emails", headers=reviewer)).json()
            assert [e["tenant_id"] for e in listed] == ["ipe"]
            assert (await client.get("/v1/emails", params={"status": "sent"}, headers=reviewer)).json() == []
            assert (await client.get("/v1/emails", params={"purpose": "other"}, headers=reviewer)).json() == []
            bad = await client.get("/v1/emails", params={"status": "lost"}, headers=reviewer)
            assert bad.status_code == 422
            assert bad.headers["content-type"] == "application/problem+json"

            other_id = next(e.id for e in await emails_of(svc) if e.tenant_id == "other")
            missing = await client.get(f"/v1/emails/{other_id}", headers=reviewer)
            assert missing.status_code == 404
            assert missing.json()["type"].endswith("/not-found")
            assert (await client.get(f"/v1/emails/{UUID(int=1)}", headers=reviewer)).status_code == 404


async def _all_failed(svc: NotificationsService, count: int) -> bool:
    emails = await emails_of(svc)
    return len(emails) == count and all(e.status == "failed" for e in emails)

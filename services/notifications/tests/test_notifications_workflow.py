"""The disclosure workflow's emails on real PostgreSQL, a real SMTP server (Mailpit) and a real HTTP server."""

import asyncio
import hashlib
import os
import socket
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from notifications_testing import ISSUER, FileServer, Start
from sqlmodel import select

from bluemap_notifications.bootstrap import NotificationsService
from bluemap_notifications.clock import china_today
from bluemap_notifications.contacts.models import EnterpriseContact
from bluemap_notifications.deadlines import service as deadlines
from bluemap_notifications.deadlines.models import DeadlineReminder
from bluemap_notifications.deadlines.scheduler import ReminderScheduler
from bluemap_notifications.emails.models import Email, EmailAttachment
from bluemap_shared.events.catalog import (
    DocumentPublished,
    DocumentRejected,
    EnterpriseRegistered,
    EnterpriseSnapshot,
    EnterpriseUpdated,
    ExplanationPublished,
    ExplanationRejected,
    PdfRendered,
    RecordPublished,
    RecordRetracted,
    RecordStatusChanged,
    RecordUpdated,
)
from bluemap_shared.events.envelope import Envelope, IntegrationEvent
from bluemap_shared.mail import SmtpMailer
from bluemap_shared.messaging import OutboxMessage
from bluemap_shared.testing import Mailpit, eventually

pytestmark = pytest.mark.integration

NAME = "陕西永安兴庆门业有限公司"
TITLE = "关于对强化监督定点帮扶发现问题进行督办的函(西安)"


def unique_address() -> str:
    return f"ehs-{uuid4().hex[:12]}@example.com"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def envelope(event: IntegrationEvent, *, tenant: str = "ipe", time: datetime | None = None) -> Envelope[Any]:
    return Envelope(
        data=event, tenant_id=tenant, source="/bluemap/test", subject=event.subject(), time=time or datetime.now(UTC)
    )


def snapshot(enterprise_id: UUID, emails: list[str], **changes: Any) -> EnterpriseSnapshot:
    fields: dict[str, Any] = {
        "enterprise_id": enterprise_id,
        "uscc": "91610000220522613X",
        "name": NAME,
        "name_en": "Shaanxi Yongan Xingqing Door Co., Ltd.",
        "registered_emails": emails,
    }
    return EnterpriseSnapshot.model_validate(fields | changes)


def pdf_bytes() -> bytes:
    return b"%PDF-1.7\n% public explanation\n" + os.urandom(2048) + b"\n%%EOF\n"


def pdf_rendered(
    enterprise_id: UUID, url: str, content: bytes, *, submission_id: UUID | None = None, **changes: Any
) -> PdfRendered:
    fields: dict[str, Any] = {
        "document_id": uuid4(),
        "submission_id": submission_id or uuid4(),
        "enterprise_id": enterprise_id,
        "language": "zh",
        "document_number": "BM-2024-000123",
        "verification_code": hashlib.sha256(content).hexdigest(),
        "filename": "公开说明-BM-2024-000123.pdf",
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "download_url": url,
        "download_expires_at": datetime.now(UTC) + timedelta(hours=1),
        "rendered_at": datetime.now(UTC),
    }
    return PdfRendered.model_validate(fields | changes)


def record_published(enterprise: EnterpriseSnapshot, due_on: date | None, **changes: Any) -> RecordPublished:
    fields: dict[str, Any] = {
        "record_id": uuid4(),
        "enterprise": enterprise,
        "record_type": "environmental_supervision",
        "explainable": True,
        "year": 2024,
        "source_title": TITLE,
        "issuing_authority": "中华人民共和国生态环境部",
        "issued_on": date(2024, 2, 20),
        "published_at": datetime.now(UTC),
        "explanation_due_on": due_on,
    }
    return RecordPublished.model_validate(fields | changes)


async def feed(svc: NotificationsService, *envelopes: Envelope[Any]) -> None:
    for item in envelopes:
        await svc.runtime.consumer.process(item.to_message())


async def emails_of(svc: NotificationsService, purpose: str | None = None) -> list[Email]:
    async with svc.runtime.sessionmaker() as session:
        query = select(Email).order_by(Email.created_at)
        if purpose is not None:
            query = query.where(Email.purpose == purpose)
        return list((await session.exec(query)).all())


async def sent(svc: NotificationsService, purpose: str, count: int = 1) -> list[Email]:
    emails = await emails_of(svc, purpose)
    return emails if len(emails) == count and all(e.status == "sent" for e in emails) else []


async def attachments_of(mailpit: Mailpit, message_id: str) -> list[tuple[str, bytes]]:
    """The attachments of a message as Mailpit received it, parsed from the raw bytes."""
    async with httpx.AsyncClient(timeout=10) as client:
        raw = await client.get(f"{mailpit.api}/api/v1/message/{message_id}/raw")
    raw.raise_for_status()
    parsed = message_from_bytes(raw.content, policy=policy.default)
    return [(part.get_filename() or "", part.get_content()) for part in parsed.iter_attachments()]  # type: ignore[attr-defined]


async def test_pdf_rendered_emails_the_pdf_once_with_what_to_do(
    start: Start, mailpit: Mailpit, file_server: FileServer
) -> None:
    address = unique_address()
    enterprise_id, submission_id = uuid4(), uuid4()
    content = pdf_bytes()
    path = f"/dl/{uuid4()}.pdf"
    url = file_server.serve(path, content)
    rendered = envelope(pdf_rendered(enterprise_id, url, content, submission_id=submission_id))
    async with start() as svc:
        await feed(svc, envelope(EnterpriseRegistered(enterprise=snapshot(enterprise_id, [address, address]))))
        await feed(svc, rendered, rendered)
        # The same submission announced again under another event (a second rendering): still one email.
        await feed(svc, envelope(pdf_rendered(enterprise_id, url, content, submission_id=submission_id)))

        [found] = await mailpit.wait_for(address)
        [email] = await eventually(lambda: sent(svc, "explanation-pdf"))
        await svc.dispatcher.dispatch_due()
        assert len(await mailpit.messages(address)) == 1

        assert email.cause_event_id == submission_id
        assert email.recipients == [address]
        message = await mailpit.message(found["ID"])
        assert [a["FileName"] for a in message["Attachments"]] == ["公开说明-BM-2024-000123.pdf"]
        assert await attachments_of(mailpit, found["ID"]) == [("公开说明-BM-2024-000123.pdf", content)]
        text = message["Text"]
        assert text.index("打印") < text.index("签字或加盖企业公章") < text.index("扫描") < text.index("上传公开说明")
        assert text.index("上传公开说明") < text.index("Upload Public Explanation")
        assert "https://portal.example.org/workspace" in text
        assert "BM-2024-000123" in message["Subject"]
        assert file_server.hits[path] == 1

        async with svc.runtime.sessionmaker() as session:
            [attachment] = (await session.exec(select(EmailAttachment))).all()
        assert attachment.source_url is None  # the capability is forgotten once sent
        assert attachment.sha256 == hashlib.sha256(content).hexdigest()

        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=svc.app), base_url="http://n") as client:
            headers = ISSUER.headers("ipe", ["admin"])
            detail = (await client.get(f"/v1/emails/{email.id}", headers=headers)).json()
        assert detail["attachments"] == [
            {
                "filename": "公开说明-BM-2024-000123.pdf",
                "content_type": "application/pdf",
                "size": len(content),
                "sha256": hashlib.sha256(content).hexdigest(),
            }
        ]
        assert detail["status"] == "sent"
        assert detail["enterprise_id"] == str(enterprise_id)


async def test_a_failing_download_is_retried_like_smtp(start: Start, mailpit: Mailpit, file_server: FileServer) -> None:
    address = unique_address()
    enterprise_id = uuid4()
    content = pdf_bytes()
    path = f"/dl/{uuid4()}.pdf"
    url = file_server.serve(path, content, fail_first=2)
    async with start(send_backoff_seconds=0.05, send_max_attempts=10) as svc:
        await feed(
            svc,
            envelope(EnterpriseRegistered(enterprise=snapshot(enterprise_id, [address]))),
            envelope(pdf_rendered(enterprise_id, url, content)),
        )
        [found] = await mailpit.wait_for(address)
        [email] = await eventually(lambda: sent(svc, "explanation-pdf"))
    assert email.attempts == 3
    assert "HTTP 503" in (email.last_error or "")
    assert file_server.hits[path] == 3
    assert await attachments_of(mailpit, found["ID"]) == [("公开说明-BM-2024-000123.pdf", content)]


async def test_smtp_down_then_up_delivers_the_pdf(
    start: Start, servers: dict[str, str], mailpit: Mailpit, file_server: FileServer
) -> None:
    address = unique_address()
    enterprise_id = uuid4()
    content = pdf_bytes()
    url = file_server.serve(f"/dl/{uuid4()}.pdf", content)
    mailer = SmtpMailer(servers["BLUEMAP_SMTP_HOST"], closed_port())
    async with start(mailer=mailer, send_backoff_seconds=0.05, send_max_attempts=50) as svc:
        await feed(
            svc,
            envelope(EnterpriseRegistered(enterprise=snapshot(enterprise_id, [address]))),
            envelope(pdf_rendered(enterprise_id, url, content)),
        )

        async def retried() -> bool:
            emails = await emails_of(svc)
            return bool(emails) and emails[0].attempts >= 2 and emails[0].status == "pending"

        await eventually(retried)
        assert await mailpit.messages(address) == []
        mailer.port = int(servers["BLUEMAP_SMTP_PORT"])  # the SMTP server is back

        [found] = await mailpit.wait_for(address)
        [email] = await eventually(lambda: sent(svc, "explanation-pdf"))
    assert email.attempts >= 3
    assert email.last_error
    assert await attachments_of(mailpit, found["ID"]) == [("公开说明-BM-2024-000123.pdf", content)]


async def test_pdf_before_the_enterprise_is_known_waits_for_its_address(
    start: Start, mailpit: Mailpit, file_server: FileServer
) -> None:
    address = unique_address()
    enterprise_id = uuid4()
    content = pdf_bytes()
    url = file_server.serve(f"/dl/{uuid4()}.pdf", content)
    async with start(send_backoff_seconds=0.05, send_max_attempts=100) as svc:
        await feed(svc, envelope(pdf_rendered(enterprise_id, url, content)))

        async def waiting() -> Email | None:
            emails = await emails_of(svc)
            return emails[0] if emails and emails[0].attempts >= 1 else None

        email = await eventually(waiting)
        assert email.status == "pending"
        assert email.recipients == []
        assert "no registered email address" in (email.last_error or "")

        # The enterprise's own event, on another topic, arrives late.
        await feed(svc, envelope(EnterpriseRegistered(enterprise=snapshot(enterprise_id, [address]))))
        [found] = await mailpit.wait_for(address)
        [email] = await eventually(lambda: sent(svc, "explanation-pdf"))
    assert email.recipients == [address]
    assert await attachments_of(mailpit, found["ID"]) == [("公开说明-BM-2024-000123.pdf", content)]


async def test_an_expired_download_link_fails_for_good(start: Start, file_server: FileServer) -> None:
    enterprise_id = uuid4()
    content = pdf_bytes()
    url = file_server.serve(f"/dl/{uuid4()}.pdf", content)
    expired = pdf_rendered(enterprise_id, url, content, download_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    async with start() as svc:
        await feed(
            svc,
            envelope(EnterpriseRegistered(enterprise=snapshot(enterprise_id, [unique_address()]))),
            envelope(expired),
        )

        async def failed() -> Email | None:
            emails = await emails_of(svc)
            return emails[0] if emails and emails[0].status == "failed" else None

        email = await eventually(failed)
        assert email.attempts == 1
        assert "expired" in (email.last_error or "")
        async with svc.runtime.sessionmaker() as session:
            outbox = (await session.exec(select(OutboxMessage))).all()
            attachment = (await session.exec(select(EmailAttachment))).one()
        assert [row.event_type for row in outbox] == ["org.bluemap.notifications.email-failed.v1"]
        assert b'"outcome":"rejected"' in outbox[0].payload
        assert attachment.source_url is None


async def test_reviews_reach_the_enterprise_with_the_comment(start: Start, mailpit: Mailpit) -> None:
    address = unique_address()
    enterprise_id = uuid4()
    company = snapshot(enterprise_id, [address])
    record = record_published(company, date(2024, 3, 5))
    now = datetime.now(UTC)
    rejected = ExplanationRejected(
        explanation_id=uuid4(),
        submission_id=uuid4(),
        record_id=record.record_id,
        enterprise_id=enterprise_id,
        comment="整改措施不具体，请补充完成时间。",
        reviewed_by="reviewer-1",
        rejected_at=now,
    )
    published = ExplanationPublished(
        explanation_id=rejected.explanation_id,
        submission_id=uuid4(),
        record_id=record.record_id,
        enterprise_id=enterprise_id,
        violation="v",
        reasons="r",
        corrective_actions="c",
        reviewed_by="reviewer-1",
        published_at=now,
    )
    document_rejected = DocumentRejected(
        document_id=uuid4(),
        enterprise_id=enterprise_id,
        kind="signed-explanation",
        filename="签章公开说明.pdf",
        comment="未加盖公章，请重新上传。",
        reviewed_by="reviewer-1",
        rejected_at=now,
    )
    document_published = DocumentPublished(
        document_id=uuid4(),
        enterprise_id=enterprise_id,
        kind="signed-explanation",
        filename="签章公开说明-2.pdf",
        content_type="application/pdf",
        size=10,
        sha256="ab" * 32,
        verification_code="cd" * 32,
        reviewed_by="reviewer-1",
        published_at=now,
    )
    async with start() as svc:
        items = [envelope(e) for e in (record, rejected, document_rejected, published, document_published)]
        await feed(svc, *items, *items)
        found = await mailpit.wait_for(address, count=5)
        await eventually(lambda: _all_sent(svc, 5))
        subjects = {m["Subject"]: m["ID"] for m in found}
        assert len(subjects) == 5

        [explanation_id] = [i for s, i in subjects.items() if "公开说明未通过审核" in s]
        text = (await mailpit.message(explanation_id))["Text"]
        assert "审核意见：整改措施不具体，请补充完成时间。" in text
        assert "Reviewer's comment: 整改措施不具体" in text
        assert TITLE in text  # the record, known from RecordPublished
        assert "“发送公开说明”" in text

        [document_id] = [i for s, i in subjects.items() if "上传的文件未通过审核" in s]
        text = (await mailpit.message(document_id))["Text"]
        assert "未加盖公章，请重新上传。" in text
        assert "签章公开说明.pdf" in text
        assert any("公开说明已发布" in s for s in subjects)
        assert any("文件已公开" in s for s in subjects)
        purposes = sorted(e.purpose for e in await emails_of(svc))
    assert purposes == [
        "document-published",
        "document-rejected",
        "explanation-published",
        "explanation-rejected",
        "record-published",
    ]
    assert len(await mailpit.messages(address)) == 5


async def _all_sent(svc: NotificationsService, count: int) -> bool:
    emails = await emails_of(svc)
    return len(emails) == count and all(e.status == "sent" for e in emails)


async def test_contacts_take_the_newest_addresses_and_stay_within_their_tenant(
    start: Start, mailpit: Mailpit, file_server: FileServer
) -> None:
    old, new, other = unique_address(), unique_address(), unique_address()
    enterprise_id = uuid4()
    now = datetime.now(UTC)
    content = pdf_bytes()
    url = file_server.serve(f"/dl/{uuid4()}.pdf", content)
    async with start() as svc:
        await feed(
            svc,
            envelope(EnterpriseRegistered(enterprise=snapshot(enterprise_id, [old])), time=now - timedelta(hours=2)),
            envelope(
                EnterpriseUpdated(enterprise=snapshot(enterprise_id, [new], name="新名称公司"), status="active"),
                time=now - timedelta(hours=1),
            ),
            # An older snapshot (a record event delayed in flight) must not bring the old address back.
            envelope(record_published(snapshot(enterprise_id, [old]), None), time=now - timedelta(hours=3)),
            # Another tenant with the same enterprise id has its own contact.
            envelope(EnterpriseRegistered(enterprise=snapshot(enterprise_id, [other])), tenant="other"),
            envelope(pdf_rendered(enterprise_id, url, content)),
            envelope(pdf_rendered(enterprise_id, url, content), tenant="other"),
        )
        await mailpit.wait_for(new)
        await mailpit.wait_for(other)
        await eventually(lambda: sent(svc, "explanation-pdf", count=2))
        async with svc.runtime.sessionmaker() as session:
            contacts = {c.tenant_id: c for c in (await session.exec(select(EnterpriseContact))).all()}
    assert contacts["ipe"].registered_emails == [new]
    assert contacts["ipe"].name == "新名称公司"
    assert contacts["ipe"].status == "active"
    assert contacts["other"].registered_emails == [other]
    [to_new] = await mailpit.messages(new)
    assert "新名称公司：" in (await mailpit.message(to_new["ID"]))["Text"]
    assert len(await mailpit.messages(other)) == 1
    assert len(await mailpit.messages(old)) == 1  # only the record-published email, from the record's own snapshot


async def test_reminders_go_out_once_while_the_record_awaits_explanation(
    start: Start, create_database: Any, mailpit: Mailpit
) -> None:
    today = china_today()
    due = today + timedelta(days=10)
    addresses = {name: unique_address() for name in ("awaiting", "moved_on", "retracted", "postponed")}
    companies = {name: snapshot(uuid4(), [address]) for name, address in addresses.items()}
    records = {name: record_published(company, due) for name, company in companies.items()}
    now = datetime.now(UTC)
    database_url = await create_database("notifications")
    overrides = {"database_url": database_url, "reminder_poll_interval": 3600.0}
    async with start(**overrides) as first, start(**overrides) as second:
        postponed = records["postponed"]
        await feed(
            first,
            *(envelope(r) for r in records.values()),
            envelope(
                RecordStatusChanged(
                    record_id=records["moved_on"].record_id,
                    enterprise_id=companies["moved_on"].enterprise_id,
                    previous_status="awaiting_explanation",
                    status="explanation_submitted",
                    changed_at=now,
                )
            ),
            envelope(
                RecordRetracted(
                    record_id=records["retracted"].record_id,
                    enterprise_id=companies["retracted"].enterprise_id,
                    reason="published in error",
                    retracted_at=now,
                )
            ),
            envelope(
                RecordUpdated(
                    **postponed.model_dump(exclude={"published_at", "explanation_due_on"}),
                    revision=1,
                    updated_at=now,
                    explanation_due_on=due + timedelta(days=7),
                )
            ),
        )
        for address in addresses.values():
            await mailpit.wait_for(address)  # the record-published emails

        def scheduler(svc: NotificationsService, day: date) -> ReminderScheduler:
            return ReminderScheduler(
                svc.runtime.sessionmaker,
                portal_base_url="https://portal.example.org",
                wake_dispatcher=svc.dispatcher.wake,
                today=lambda: day,
            )

        async def run_day(day: date) -> None:
            # Two replicas race for the same reminders, twice each.
            for _ in range(2):
                await asyncio.gather(scheduler(first, day).run_due(), scheduler(second, day).run_due())

        await run_day(due - timedelta(days=4))  # nothing is due yet
        assert await emails_of(first, "deadline-reminder") == []

        await run_day(due - timedelta(days=3))
        [ahead] = await eventually(lambda: sent(first, "deadline-reminder"))
        later = due + timedelta(days=7)
        for day in (due, due + timedelta(days=1), later - timedelta(days=3), later, later + timedelta(days=30)):
            await run_day(day)
        reminders = await eventually(lambda: sent(first, "deadline-reminder", count=4))

        async with first.runtime.sessionmaker() as session:
            rows = (await session.exec(select(DeadlineReminder))).all()
        await first.dispatcher.dispatch_due()
        await second.dispatcher.dispatch_due()

    awaiting, postponed_id = companies["awaiting"].enterprise_id, companies["postponed"].enterprise_id
    assert sorted(str(e.enterprise_id) for e in reminders) == sorted([str(awaiting)] * 2 + [str(postponed_id)] * 2)
    messages = await mailpit.messages(addresses["awaiting"])
    assert len(messages) == 3  # the record's publication, 3 days ahead, on the day
    subjects = sorted(m["Subject"] for m in messages)
    assert any("说明截止还有3天" in s for s in subjects)
    assert any("今天是说明截止日" in s for s in subjects)
    ahead_text = (await mailpit.message(next(m["ID"] for m in messages if "还有3天" in m["Subject"])))["Text"]
    assert "10个工作日" in ahead_text
    assert f"{due.year}年{due.month}月{due.day}日" in ahead_text
    assert ahead.cause_event_id in {r.id for r in rows}
    assert len(await mailpit.messages(addresses["moved_on"])) == 1
    # The publication, and the word that it was withdrawn (no reminder).
    retracted_subjects = [m["Subject"] for m in await mailpit.messages(addresses["retracted"])]
    assert len(retracted_subjects) == 2
    assert any("withdrawn" in s for s in retracted_subjects)
    assert len(await mailpit.messages(addresses["postponed"])) == 3

    by_record: dict[UUID, dict[tuple[str, date], str]] = {}
    for row in rows:
        by_record.setdefault(row.record_id, {})[(row.kind, row.due_on)] = row.status
    assert by_record[records["awaiting"].record_id] == {("ahead", due): "queued", ("due-day", due): "queued"}
    assert set(by_record[records["moved_on"].record_id].values()) == {"cancelled"}
    assert set(by_record[records["retracted"].record_id].values()) == {"cancelled"}
    # The postponed record's old deadline is void; the new one's reminders were sent on their days.
    assert by_record[records["postponed"].record_id] == {
        ("ahead", due): "cancelled",
        ("due-day", due): "cancelled",
        ("ahead", later): "queued",
        ("due-day", later): "queued",
    }


async def test_resolve_restore_and_retract_each_email_the_enterprise_with_the_reason_and_restore_reminds_anew(
    start: Start, mailpit: Mailpit
) -> None:
    address = unique_address()
    company = snapshot(uuid4(), [address])
    today = china_today()
    record = record_published(company, today - timedelta(days=30))  # its first deadline long gone
    withdrawn = record_published(company, today + timedelta(days=5))
    new_due = today + timedelta(days=14)
    now = datetime.now(UTC)

    def moved(previous: str, status: str, reason: str | None, at: datetime, due: date | None) -> Envelope[Any]:
        change = RecordStatusChanged(
            record_id=record.record_id,
            enterprise_id=company.enterprise_id,
            previous_status=previous,
            status=status,
            reason=reason,
            changed_at=at,
            explanation_due_on=due,
        )
        return envelope(change)

    async with start(reminder_poll_interval=3600.0) as svc:
        restored = moved("resolved", "restored", "复查发现未整改 / not fixed", now, new_due)
        await feed(
            svc,
            envelope(record),
            envelope(withdrawn),
            moved("under_review", "explained", None, now - timedelta(minutes=2), None),  # no email of its own
            moved("explained", "resolved", "第三方审核确认已整改", now - timedelta(minutes=1), None),
            restored,
            restored,  # redelivered: one email
            envelope(
                RecordRetracted(
                    record_id=withdrawn.record_id,
                    enterprise_id=company.enterprise_id,
                    reason="误发布 / published in error",
                    retracted_at=now,
                )
            ),
        )
        lifecycle = await eventually(lambda: sent(svc, "record-lifecycle", count=3))
        async with svc.runtime.sessionmaker() as session:
            reminders = (
                await session.exec(select(DeadlineReminder).where(DeadlineReminder.record_id == record.record_id))
            ).all()
            tracked = await deadlines.get_record(session, "ipe", record.record_id)
    assert len(lifecycle) == 3
    messages = await mailpit.wait_for(address, count=3)  # resolve, restore, retract (publications go in a digest)
    texts = {m["Subject"]: (await mailpit.message(m["ID"]))["Text"] for m in messages}
    [resolved_text] = [t for s, t in texts.items() if "resolved" in s]
    assert "第三方审核确认已整改" in resolved_text
    [restored_text] = [t for s, t in texts.items() if "restored" in s]
    assert "复查发现未整改 / not fixed" in restored_text
    assert f"{new_due.year}年{new_due.month}月{new_due.day}日" in restored_text  # the new deadline
    [retracted_text] = [t for s, t in texts.items() if "withdrawn" in s]
    assert "误发布 / published in error" in retracted_text
    # The restore's deadline is the record's now, and it has reminders of its own.
    assert tracked is not None
    assert (tracked.status, tracked.explanation_due_on) == ("restored", new_due)
    assert {(r.kind, r.due_on) for r in reminders} == {("ahead", new_due), ("due-day", new_due)}

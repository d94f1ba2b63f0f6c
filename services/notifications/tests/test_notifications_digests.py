"""Digests on real PostgreSQL and Mailpit: one email per recipient and window, once, whatever arrives twice."""

import asyncio
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from notifications_testing import ISSUER, Start
from sqlmodel import col, func, select

from bluemap_notifications.bootstrap import NotificationsService
from bluemap_notifications.digests import closer as closer_module
from bluemap_notifications.digests import service as digests
from bluemap_notifications.digests.models import DigestItem, RecordDigest
from bluemap_notifications.emails.models import Email
from bluemap_notifications.emails.rendering import render_record_published
from bluemap_shared.db import utcnow
from bluemap_shared.events.catalog import EnterpriseRegistered, EnterpriseSnapshot, RecordPublished
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.testing import Mailpit, eventually

pytestmark = pytest.mark.integration

ISSUED = date(2020, 2, 20)


def address(kind: str = "ehs") -> str:
    return f"{kind}-{uuid4().hex[:12]}@example.com"


def enterprise(emails: list[str], enterprise_id: UUID | None = None) -> EnterpriseSnapshot:
    return EnterpriseSnapshot(
        enterprise_id=enterprise_id or uuid4(),
        uscc="91610000220522613X",
        name="陕西永安兴庆门业有限公司",
        name_en="Shaanxi Yongan Xingqing Door Co., Ltd.",
        registered_emails=emails,
    )


def published(
    company: EnterpriseSnapshot,
    title: str,
    *,
    import_id: UUID | None,
    due: date | None = date(2020, 3, 13),
    **changes: Any,
) -> Envelope[RecordPublished]:
    fields: dict[str, Any] = {
        "record_id": uuid4(),
        "enterprise": company,
        "record_type": "environmental_supervision",
        "explainable": True,
        "year": 2020,
        "source_title": title,
        "issuing_authority": "中华人民共和国生态环境部",
        "issued_on": ISSUED,
        "published_at": datetime.now(UTC),
        "explanation_due_on": due,
        "import_id": import_id,
    } | changes
    event = RecordPublished.model_validate(fields)
    return Envelope(data=event, tenant_id="ipe", source="/bluemap/records", subject=event.subject())


def again(envelope: Envelope[RecordPublished]) -> Envelope[RecordPublished]:
    """The same record under a new event id, as a replay of the topic would bring it."""
    return Envelope(data=envelope.data, tenant_id=envelope.tenant_id, source=envelope.source, subject=envelope.subject)


async def emails_of(svc: NotificationsService) -> list[Email]:
    async with svc.runtime.sessionmaker() as session:
        return list((await session.exec(select(Email).order_by(col(Email.created_at)))).all())


async def count(svc: NotificationsService, model: type[Any]) -> int:
    async with svc.runtime.sessionmaker() as session:
        return int((await session.exec(select(func.count()).select_from(model))).one())


async def known(svc: NotificationsService, company: EnterpriseSnapshot) -> None:
    """The enterprise joins the tenant's contacts (followable), told before any of the test's records."""
    registered = EnterpriseRegistered(enterprise=company)
    envelope = Envelope(
        data=registered,
        tenant_id="ipe",
        source="/bluemap/records",
        subject=registered.subject(),
        time=datetime(2000, 1, 1, tzinfo=UTC),
    )
    await svc.runtime.consumer.process(envelope.to_message())


async def texts(mailpit: Mailpit, to: str, expected: int) -> list[dict[str, Any]]:
    found = await mailpit.wait_for(to, count=expected)
    assert len(found) == expected, found
    return [await mailpit.message(m["ID"]) for m in found]


async def test_two_imports_give_each_recipient_one_email_per_import(start: Start, mailpit: Mailpit) -> None:
    to, follower = address(), address("follower")
    company = enterprise([to])
    first_import, second_import = uuid4(), uuid4()
    first = [published(company, f"第一批记录{i}", import_id=first_import, due=date(2020, 3, 10 + i)) for i in range(3)]
    second = [published(company, f"第二批记录{i}", import_id=second_import, due=date(2020, 4, 1 + i)) for i in range(2)]
    # The windows close when the test says (after the quiet period), however slow the machine.
    async with start(digest_poll_interval=600) as svc:
        await known(svc, company)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=svc.app), base_url="http://n") as client:
            headers = ISSUER.headers("ipe", ["brand"], subject="buyer", email=follower)
            body = {"enterprise_id": str(company.enterprise_id)}
            assert (await client.post("/v1/follows", json=body, headers=headers)).status_code == 201
        # The two imports interleave; the first arrives as one batch (the batch handler's call), the second
        # one event at a time through the consumer.
        async with svc.runtime.sessionmaker() as session, session.begin():
            assert await digests.gather_published(session, first[:2], now=utcnow()) == 4  # enterprise + follower
        await svc.runtime.consumer.process(second[0].to_message())
        async with svc.runtime.sessionmaker() as session, session.begin():
            assert await digests.gather_published(session, first[2:], now=utcnow()) == 2
        await svc.runtime.consumer.process(second[1].to_message())
        await asyncio.sleep(0.3)
        assert await svc.digests.close_due() == 4  # two imports, to the enterprise and to its follower

        messages = await texts(mailpit, to, 2)
        of_first = next(m for m in messages if "第一批记录0" in m["Text"])
        of_second = next(m for m in messages if "第二批记录0" in m["Text"])
        assert "新公开记录3条" in of_first["Subject"]
        assert "3 new records published" in of_first["Subject"]
        assert "新公开记录2条" in of_second["Subject"]
        for i in range(3):
            assert f"第一批记录{i}" in of_first["Text"]
            assert f"第二批记录{i}" not in of_first["Text"]
            assert f"说明截止日期：2020年3月{10 + i}日" in of_first["Text"]
            assert f"Explanation due by: 2020-03-{10 + i}" in of_first["Text"]
        for i in range(2):
            assert f"第二批记录{i}" in of_second["Text"]
            assert f"第一批记录{i}" not in of_second["Text"]
            assert f"说明截止日期：2020年4月{1 + i}日" in of_second["Text"]
        assert "最早为2020年3月10日" in of_first["Text"]
        assert f"https://portal.example.org/enterprises/{company.enterprise_id}" in of_first["Text"]

        followed = await texts(mailpit, follower, 2)
        assert sorted("有3条新的" in m["Subject"] for m in followed) == [False, True]
        assert sorted("有2条新的" in m["Subject"] for m in followed) == [False, True]
        assert all("陕西永安兴庆门业有限公司" in m["Subject"] for m in followed)

        emails = await eventually(lambda: _all_sent(svc, 4))
        # Each email's cause is the first event of its window: one of that window's records.
        assert {e.cause_event_id for e in emails} <= {e.id for e in first + second}
        assert len({(e.purpose, e.cause_event_id) for e in emails}) == 4
        assert await count(svc, DigestItem) == 10


async def _all_sent(svc: NotificationsService, expected: int) -> list[Email]:
    emails = await emails_of(svc)
    return emails if len(emails) == expected and all(e.status == "sent" for e in emails) else []


async def test_redelivered_and_replayed_events_change_nothing(start: Start, mailpit: Mailpit) -> None:
    to = address()
    company = enterprise([to])
    batch = [published(company, "导入的记录", import_id=uuid4())]
    batch += [published(company, f"逐条记录{i}", import_id=None) for i in range(3)]
    async with start(digest_poll_interval=600) as svc:
        for envelope in batch:
            await svc.runtime.consumer.process(envelope.to_message())
            await svc.runtime.consumer.process(envelope.to_message())  # the inbox absorbs it
        async with svc.runtime.sessionmaker() as session, session.begin():
            # Past the inbox, while the windows are open: the items' key refuses each record.
            assert await digests.gather_published(session, [again(e) for e in batch], now=utcnow()) == 0
        await asyncio.sleep(0.3)
        assert await svc.digests.close_due() == 2

        messages = await texts(mailpit, to, 2)
        assert sorted(m["Subject"].startswith("【蔚蓝地图】新公开记录3条") for m in messages) == [False, True]
        await eventually(lambda: _all_sent(svc, 2))

        # After the windows closed: a replay opens no window and queues nothing.
        for envelope in batch:
            await svc.runtime.consumer.process(again(envelope).to_message())
        await asyncio.sleep(0.3)
        assert await svc.digests.close_due() == 0
        await svc.dispatcher.dispatch_due()
        assert len(await mailpit.messages(to)) == 2
        assert await count(svc, RecordDigest) == 2
        assert await count(svc, DigestItem) == 4


async def test_one_record_reads_as_the_single_alert(start: Start, mailpit: Mailpit) -> None:
    to = address()
    envelope = published(enterprise([to]), "关于对强化监督定点帮扶发现问题进行督办的函(西安)", import_id=uuid4())
    async with start() as svc:
        await svc.runtime.consumer.process(envelope.to_message())
        [message] = await texts(mailpit, to, 1)
        [email] = await eventually(lambda: _all_sent(svc, 1))
    alert = render_record_published(envelope.data, portal_base_url="https://portal.example.org")
    assert (email.purpose, email.cause_event_id) == ("record-published", envelope.id)
    assert (email.subject, email.body_text, email.body_html) == (alert.subject, alert.body_text, alert.body_html)
    assert message["Subject"] == alert.subject
    assert "2020年3月13日前" in message["Text"]


async def test_a_close_that_does_not_commit_is_done_again_once(
    start: Start, mailpit: Mailpit, monkeypatch: pytest.MonkeyPatch
) -> None:
    to = address()
    company = enterprise([to])
    records = [published(company, f"记录{i}", import_id=None) for i in range(2)]

    async def dies_once(name: str) -> None:
        if name == "digest.before_close_commit":
            monkeypatch.undo()
            raise RuntimeError("killed before the commit")

    monkeypatch.setattr(closer_module, "failpoint", dies_once)
    async with start(digest_poll_interval=600, digest_batch_size=1) as svc:
        for envelope in records:
            await svc.runtime.consumer.process(envelope.to_message())
        await asyncio.sleep(0.3)
        with pytest.raises(RuntimeError):
            await svc.digests.close_due()
        # Rolled back whole: the window is open again, its items unclaimed, no email queued.
        assert await emails_of(svc) == []
        async with svc.runtime.sessionmaker() as session:
            digest = (await session.exec(select(RecordDigest))).one()
            items = (await session.exec(select(DigestItem))).all()
        assert digest.closed_at is None
        assert [i.digest_id for i in items] == [None, None]

        assert await svc.digests.close_due() == 1
        assert await svc.digests.close_due() == 0
        [message] = await texts(mailpit, to, 1)
        assert "记录0" in message["Text"]
        assert "记录1" in message["Text"]
        await asyncio.sleep(0.5)
        assert len(await mailpit.messages(to)) == 1


async def test_two_replicas_close_each_window_once(start: Start, mailpit: Mailpit) -> None:
    addresses = [address() for _ in range(12)]
    async with start(digest_poll_interval=600, digest_batch_size=3) as first:
        url = first.runtime.settings.database_url
        async with start(digest_poll_interval=600, digest_batch_size=3, database_url=url) as second:
            for to in addresses:
                company = enterprise([to])
                for i in range(2):
                    await first.runtime.consumer.process(published(company, f"记录{i}", import_id=None).to_message())
            await asyncio.sleep(0.3)
            closed = 0
            while True:
                rounds = await asyncio.gather(first.digests.close_due(), second.digests.close_due())
                if not any(rounds):
                    break
                closed += sum(rounds)
            assert closed == len(addresses)
            await eventually(lambda: _all_sent(first, len(addresses)))
    for to in addresses:
        assert len(await mailpit.messages(to)) == 1


async def test_a_busy_window_closes_at_its_longest(start: Start, mailpit: Mailpit) -> None:
    to = address()
    company = enterprise([to])
    async with start(digest_quiet_seconds=600, digest_max_window_seconds=1.0) as svc:
        await svc.runtime.consumer.process(published(company, "较早的记录", import_id=None).to_message())
        [message] = await texts(mailpit, to, 1)
        assert "较早的记录" in message["Text"]
        # The next record opens a new window: the closed one is never emailed again.
        await svc.runtime.consumer.process(published(company, "较晚的记录", import_id=None).to_message())
        found = await texts(mailpit, to, 2)
        assert sum("较晚的记录" in m["Text"] for m in found) == 1
        assert sum("较早的记录" in m["Text"] for m in found) == 1


async def test_unfollowing_before_the_window_closes_sends_nothing(start: Start, mailpit: Mailpit) -> None:
    follower = address("follower")
    company = enterprise([])
    async with start(digest_poll_interval=600) as svc:
        await known(svc, company)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=svc.app), base_url="http://n") as client:
            headers = ISSUER.headers("ipe", ["brand"], subject="buyer", email=follower)
            body = {"enterprise_id": str(company.enterprise_id)}
            assert (await client.post("/v1/follows", json=body, headers=headers)).status_code == 201
            await svc.runtime.consumer.process(published(company, "记录", import_id=None).to_message())
            assert (await client.delete(f"/v1/follows/{company.enterprise_id}", headers=headers)).status_code == 204
        await asyncio.sleep(0.3)
        assert await svc.digests.close_due() == 1
        assert await emails_of(svc) == []


async def test_a_window_that_cannot_close_holds_back_no_other(
    start: Start, mailpit: Mailpit, monkeypatch: pytest.MonkeyPatch
) -> None:
    poison, fine = address("poison"), address()
    render = digests.render_new_records

    def fails_for_poison(*args: Any, **kwargs: Any) -> Any:
        if "毒" in args[1][0].source_title:
            raise ValueError("cannot render")
        return render(*args, **kwargs)

    monkeypatch.setattr(digests, "render_new_records", fails_for_poison)
    async with start(digest_poll_interval=600) as svc:
        await svc.runtime.consumer.process(published(enterprise([poison]), "毒记录", import_id=None).to_message())
        await svc.runtime.consumer.process(published(enterprise([fine]), "好记录", import_id=None).to_message())
        await asyncio.sleep(0.3)
        assert await svc.digests.close_due() == 1
        [message] = await texts(mailpit, fine, 1)
        assert "好记录" in message["Text"]
        assert await svc.digests.close_due() == 0  # passed over until the service restarts
        async with svc.runtime.sessionmaker() as session:
            still_open = (await session.exec(select(RecordDigest).where(col(RecordDigest.closed_at).is_(None)))).all()
        assert [d.recipients for d in still_open] == [[poison]]

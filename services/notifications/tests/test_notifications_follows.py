"""Following on real PostgreSQL and Mailpit: followers are emailed once per new public fact, in their tenant only."""

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import httpx
import pytest
from notifications_testing import ISSUER, Start, register_enterprise
from sqlmodel import select

from bluemap_notifications.bootstrap import NotificationsService
from bluemap_notifications.emails.models import Email
from bluemap_shared.auth import ENTERPRISE
from bluemap_shared.events.catalog import DocumentPublished, EnterpriseSnapshot, RecordPublished
from bluemap_shared.events.envelope import Envelope
from bluemap_shared.testing import Mailpit, eventually

pytestmark = pytest.mark.integration


def address() -> str:
    return f"follower-{uuid4().hex[:12]}@example.com"


def user(email: str, *, tenant: str = "ipe", subject: str = "") -> dict[str, str]:
    """A brand's staff member: no operator role, no enterprise of their own."""
    return ISSUER.headers(tenant, ["brand"], subject=subject or f"user-{uuid4().hex[:8]}", email=email)


def record_published(enterprise_id: UUID, *, tenant: str = "ipe") -> Envelope[RecordPublished]:
    event = RecordPublished(
        record_id=uuid4(),
        enterprise=EnterpriseSnapshot(
            enterprise_id=enterprise_id,
            uscc="91610000220522613X",
            name="陕西永安兴庆门业有限公司",
            name_en="Shaanxi Yongan Xingqing Door Co., Ltd.",
            registered_emails=[],
        ),
        record_type="environmental_supervision",
        explainable=True,
        year=2020,
        source_title="关于对强化监督定点帮扶发现问题进行督办的函(西安)",
        issuing_authority="中华人民共和国生态环境部",
        issued_on=date(2020, 2, 20),
        published_at=datetime.now(UTC),
    )
    return Envelope(data=event, tenant_id=tenant, source="/bluemap/records", subject=event.subject())


def api(svc: NotificationsService) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=svc.app), base_url="http://notifications")


async def follower_emails(svc: NotificationsService) -> list[Email]:
    async with svc.runtime.sessionmaker() as session:
        rows = (await session.exec(select(Email).order_by(Email.created_at))).all()
    return [e for e in rows if e.purpose.startswith("following:")]


async def test_a_follower_gets_one_email_per_new_record_even_when_redelivered(start: Start, mailpit: Mailpit) -> None:
    me = address()
    enterprise_id = uuid4()
    envelope = record_published(enterprise_id)
    async with start() as svc, api(svc) as client:
        await register_enterprise(svc, enterprise_id)
        headers = user(me)
        created = await client.post("/v1/follows", json={"enterprise_id": str(enterprise_id)}, headers=headers)
        assert created.status_code == 201, created.text
        again = await client.post("/v1/follows", json={"enterprise_id": str(enterprise_id)}, headers=headers)
        assert again.status_code == 200
        assert again.json()["id"] == created.json()["id"]

        await svc.runtime.consumer.process(envelope.to_message())
        await svc.runtime.consumer.process(envelope.to_message())

        found = await mailpit.wait_for(me)
        message = await mailpit.message(found[0]["ID"])
        assert "陕西永安兴庆门业有限公司" in message["Subject"]
        assert f"https://portal.example.org/enterprises/{enterprise_id}" in message["Text"]
        await eventually(lambda: _all_sent(svc))
        await svc.dispatcher.dispatch_due()
        assert len(await mailpit.messages(me)) == 1
        emails = await follower_emails(svc)
        assert [(e.recipients, e.cause_event_id) for e in emails] == [([me], envelope.id)]

        listed = (await client.get("/v1/follows", headers=headers)).json()
        assert [f["enterprise_id"] for f in listed] == [str(enterprise_id)]
        assert listed[0]["enterprise_name"] == "陕西永安兴庆门业有限公司"


async def _all_sent(svc: NotificationsService) -> list[Email]:
    emails = await follower_emails(svc)
    return emails if emails and all(e.status == "sent" for e in emails) else []


async def test_two_followers_each_get_one_and_unfollowing_stops_them(start: Start, mailpit: Mailpit) -> None:
    first, second = address(), address()
    enterprise_id = uuid4()
    async with start() as svc, api(svc) as client:
        await register_enterprise(svc, enterprise_id)
        staff = ISSUER.headers("ipe", [ENTERPRISE], uuid4(), subject="staff-1", email=first)
        brand = user(second)
        for headers in (staff, brand):
            response = await client.post("/v1/follows", json={"enterprise_id": str(enterprise_id)}, headers=headers)
            assert response.status_code == 201, response.text

        await svc.runtime.consumer.process(record_published(enterprise_id).to_message())
        await mailpit.wait_for(first)
        await mailpit.wait_for(second)

        gone = await client.delete(f"/v1/follows/{enterprise_id}", headers=staff)
        assert gone.status_code == 204
        assert (await client.get("/v1/follows", headers=staff)).json() == []

        document = DocumentPublished(
            document_id=uuid4(),
            enterprise_id=enterprise_id,
            kind="corrective_action",
            filename="整改报告.pdf",
            content_type="application/pdf",
            size=10,
            sha256="0" * 64,
            reviewed_by="reviewer-1",
            published_at=datetime.now(UTC),
        )
        envelope = Envelope(data=document, tenant_id="ipe", source="/bluemap/documents", subject=document.subject())
        await svc.runtime.consumer.process(envelope.to_message())
        await mailpit.wait_for(second, count=2)
        await svc.dispatcher.dispatch_due()
        assert len(await mailpit.messages(first)) == 1
        assert len(await mailpit.messages(second)) == 2


async def test_follows_stay_in_their_tenant(start: Start, mailpit: Mailpit) -> None:
    mine, theirs = address(), address()
    enterprise_id = uuid4()
    async with start() as svc, api(svc) as client:
        await register_enterprise(svc, enterprise_id)
        me = user(mine, subject="same-subject")
        other = user(theirs, tenant="other", subject="same-subject")
        assert (
            await client.post("/v1/follows", json={"enterprise_id": str(enterprise_id)}, headers=me)
        ).status_code == 201

        assert (await client.get("/v1/follows", headers=other)).json() == []
        assert (await client.delete(f"/v1/follows/{enterprise_id}", headers=other)).status_code == 204
        assert len((await client.get("/v1/follows", headers=me)).json()) == 1

        # Another tenant's record of an enterprise with the same id tells no one here.
        await svc.runtime.consumer.process(record_published(enterprise_id, tenant="other").to_message())
        await svc.dispatcher.dispatch_due()
        assert await follower_emails(svc) == []
        assert await mailpit.messages(theirs) == []


async def test_following_needs_an_email_address_and_a_token(start: Start) -> None:
    async with start() as svc, api(svc) as client:
        body = {"enterprise_id": str(uuid4())}
        assert (await client.post("/v1/follows", json=body)).status_code == 401
        no_email = ISSUER.headers("ipe", ["brand"])
        response = await client.post("/v1/follows", json=body, headers=no_email)
        assert response.status_code == 422, response.text


async def test_only_enterprises_of_the_tenant_can_be_followed(start: Start) -> None:
    """An id of another tenant's enterprise (or of none) is 404: a follow never reaches across tenants."""
    theirs, unknown = uuid4(), uuid4()
    async with start() as svc, api(svc) as client:
        await register_enterprise(svc, theirs, tenant="other")
        me = user(address())
        for enterprise_id in (theirs, unknown):
            response = await client.post("/v1/follows", json={"enterprise_id": str(enterprise_id)}, headers=me)
            assert response.status_code == 404, response.text
            assert response.headers["content-type"] == "application/problem+json"
        assert (await client.get("/v1/follows", headers=me)).json() == []
        await register_enterprise(svc, theirs, tenant="ipe")
        followed = await client.post("/v1/follows", json={"enterprise_id": str(theirs)}, headers=me)
        assert followed.status_code == 201, followed.text

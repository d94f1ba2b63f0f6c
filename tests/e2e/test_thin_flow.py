"""The thin flow across all five services, each its own process, on real Kafka, PostgreSQL, S3 and SMTP."""

import random
import uuid

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from bluemap_records.uscc import check_digit
from bluemap_shared.testing import Mailpit, eventually
from tests.e2e.platform import Platform
from tests.e2e.workflow_steps import supporting_pdf

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

TENANT = "ipe"


async def token(platform: Platform, email: str, password: str) -> dict[str, str]:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{platform.api('records')}/v1/auth/token", data={"username": email, "password": password, "tenant": TENANT}
        )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def admin_headers(platform: Platform) -> dict[str, str]:
    email = f"admin-{uuid.uuid4().hex[:6]}@ipe.example.org"
    platform.create_user("--tenant", TENANT, "--email", email, "--password", "admin-password-e2e", "--role", "admin")
    return await token(platform, email, "admin-password-e2e")


def new_uscc() -> str:
    first17 = "9161010" + "".join(random.choice("0123456789") for _ in range(10))
    return first17 + check_digit(first17)


async def register_enterprise(platform: Platform, headers: dict[str, str], email: str) -> str:
    async with httpx.AsyncClient(base_url=platform.api("records"), headers=headers) as client:
        response = await client.post(
            "/v1/enterprises",
            json={
                "uscc": new_uscc(),
                "name": "陕西永安兴庆门业有限公司",
                "name_en": "Shaanxi Yong'an Xingqing Door Industry Co., Ltd.",
                "region_code": "610100",
                "registered_emails": [email],
            },
        )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def publish_record(platform: Platform, headers: dict[str, str], enterprise_id: str) -> str:
    async with httpx.AsyncClient(base_url=platform.api("records"), headers=headers) as client:
        response = await client.post(
            "/v1/records",
            json={
                "enterprise_id": enterprise_id,
                "record_type": "environmental_supervision",
                "year": 2020,
                "source_title": "关于对强化监督定点帮扶发现问题进行督办的函(西安)",
                "issuing_authority": "中华人民共和国生态环境部",
                "issued_on": "2020-02-20",
                "source_url": "https://www.mee.gov.cn/",
                "summary": "强化监督定点帮扶发现：喷漆房废气收集处理设施未正常运行。",
            },
        )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_record_flows_to_email_portal_explanation_and_document(platform: Platform, mailpit: Mailpit):
    email = f"ehs-{uuid.uuid4().hex[:8]}@yongan-xingqing.example.cn"
    admin = await admin_headers(platform)
    enterprise_id = await register_enterprise(platform, admin, email)
    record_id = await publish_record(platform, admin, enterprise_id)

    # notifications: RecordPublished → a real email at the registered address.
    [message] = await mailpit.wait_for(email, timeout=60)
    detail = await mailpit.message(message["ID"])
    assert "关于对强化监督定点帮扶发现问题进行督办的函(西安)" in detail["Text"]
    assert f"/enterprises/{enterprise_id}" in detail["Text"]

    # public-portal: its own read model shows the record on the enterprise's public page.
    async def portal_shows_record() -> bool:
        async with httpx.AsyncClient() as client:
            page = await client.get(f"{platform.url('public-portal')}/enterprises/{enterprise_id}")
        return (
            page.status_code == 200
            and "中华人民共和国生态环境部" in page.text
            and "陕西永安兴庆门业有限公司" in page.text
        )

    await eventually(portal_shows_record, timeout=30)

    # explanations: the enterprise's user saves a draft once the record reached its read model.
    user_email = f"staff-{uuid.uuid4().hex[:6]}@yongan-xingqing.example.cn"
    platform.create_user(
        "--tenant",
        TENANT,
        "--email",
        user_email,
        "--password",
        "staff-password-e2e",
        "--role",
        "enterprise",
        "--enterprise-id",
        enterprise_id,
    )
    staff = await token(platform, user_email, "staff-password-e2e")
    draft = {
        "violation": "喷漆房废气收集处理设施未正常运行。",
        "reasons": "设备检修期间未及时报告。",
        "corrective_actions": "已恢复运行并加装在线监控。",
    }

    # STEP 3: the accuracy commitment, read and accepted, opens the explanation form.
    async with httpx.AsyncClient(headers=staff, base_url=platform.api("explanations")) as client:
        commitment = await client.get("/v1/commitments/accuracy", params={"lang": "zh"})
        assert commitment.status_code == 200, commitment.text
        accepted = await client.post(
            "/v1/commitments/accuracy/acceptances",
            json={"version": commitment.json()["version"], "language": "zh"},
        )
    assert accepted.status_code == 201, accepted.text

    async def save_draft() -> httpx.Response | None:
        async with httpx.AsyncClient(headers=staff) as client:
            response = await client.put(
                f"{platform.api('explanations')}/v1/records/{record_id}/explanation", json=draft
            )
        return response if response.status_code == 200 else None

    saved = await eventually(save_draft, timeout=30)
    assert saved.json()["violation"] == draft["violation"]

    # documents: a file into the S3 server, announced, downloadable through a presigned URL.
    # A real PDF: every application/pdf is checked, with or without a category.
    pdf = supporting_pdf(title=uuid.uuid4().hex)
    async with httpx.AsyncClient(headers=staff, base_url=platform.api("documents")) as client:
        response = await client.post(
            "/v1/documents", files={"file": ("整改方案.pdf", pdf, "application/pdf")}, data={"kind": "supporting"}
        )
        assert response.status_code == 201, response.text
        document = response.json()
        content = await client.get(f"/v1/documents/{document['id']}/content")
    assert content.status_code == 307
    async with httpx.AsyncClient() as client:
        downloaded = await client.get(content.headers["location"])
    assert downloaded.content == pdf

    # The events of all three producing services are on Kafka, binary mode, keyed by aggregate.
    seen = await read_types(
        platform, ["bluemap.records", "bluemap.explanations", "bluemap.documents", "bluemap.notifications"]
    )
    assert {
        "org.bluemap.records.enterprise-registered.v1",
        "org.bluemap.records.record-published.v1",
        "org.bluemap.explanations.commitment-accepted.v1",
        "org.bluemap.explanations.explanation-saved.v1",
        "org.bluemap.documents.document-stored.v1",
        "org.bluemap.notifications.email-sent.v1",
    } <= seen


async def read_types(platform: Platform, topics: list[str]) -> set[str]:
    consumer = AIOKafkaConsumer(
        *(platform.namespace + t for t in topics),
        bootstrap_servers=platform.servers["BLUEMAP_KAFKA_BOOTSTRAP"],
        auto_offset_reset="earliest",
        group_id=None,
    )
    await consumer.start()
    seen: set[str] = set()
    try:
        for _ in range(10):
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                seen |= {dict(r.headers)["ce_type"].decode() for r in records}
    finally:
        await consumer.stop()
    return seen

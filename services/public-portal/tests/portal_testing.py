"""Helpers of the portal tests: events as the other services send them, and clients of the apps."""

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx

from bluemap_portal.bootstrap import PortalService
from bluemap_shared.events.catalog import (
    DocumentPublished,
    EnterpriseRegistered,
    EnterpriseSnapshot,
    ExplanationPublished,
    PdfRendered,
    RecordPublished,
    RecordStatusChanged,
    TenantConfigured,
    TenantProfile,
    TenantSuspended,
)
from bluemap_shared.events.envelope import Envelope, IntegrationEvent

Start = Callable[..., Any]

USCC = "91610000220522613X"
NAME = "陕西永安兴庆门业有限公司"
TITLE = "关于对强化监督定点帮扶发现问题进行督办的函(西安)"
AUTHORITY = "中华人民共和国生态环境部"


def snapshot(enterprise_id: UUID, *, uscc: str = USCC, name: str = NAME, **changes: Any) -> EnterpriseSnapshot:
    fields: dict[str, Any] = {
        "enterprise_id": enterprise_id,
        "uscc": uscc,
        "name": name,
        "name_en": "Shaanxi Yongan Xingqing Door Co., Ltd.",
        "region_code": "610100",
    }
    return EnterpriseSnapshot.model_validate(fields | changes)


def envelope(event: IntegrationEvent, *, tenant: str = "ipe", time: datetime | None = None) -> Envelope[Any]:
    return Envelope(
        data=event,
        tenant_id=tenant,
        source="/bluemap/records",
        subject=event.subject(),
        time=time or datetime.now(UTC),
    )


def registered(enterprise: EnterpriseSnapshot) -> EnterpriseRegistered:
    return EnterpriseRegistered(enterprise=enterprise)


def published(enterprise: EnterpriseSnapshot, **changes: Any) -> RecordPublished:
    fields: dict[str, Any] = {
        "record_id": uuid4(),
        "enterprise": enterprise,
        "record_type": "environmental_supervision",
        "explainable": True,
        "year": 2020,
        "source_title": TITLE,
        "issuing_authority": AUTHORITY,
        "issued_on": date(2020, 2, 20),
        "source_url": "https://www.mee.gov.cn/xxgk/202002/t20200220.html",
        "summary": "废气排放超标。",
        "published_at": datetime.now(UTC),
        "explanation_due_on": date(2020, 3, 13),
    }
    return RecordPublished.model_validate(fields | changes)


# The two tenants of the portal tests, by the hosts their sites answer on.
TENANT_HOSTS = {"ipe": ["portal.example.org"], "demo": ["demo.example.org"]}


def tenant_configured(tenant_id: str, *, version: int = 1, **changes: Any) -> Envelope[Any]:
    """The registry's TenantConfigured of a tenant (records sends it when the tenant is created or edited)."""
    fields: dict[str, Any] = {
        "tenant_id": tenant_id,
        "name_zh": f"{tenant_id} 环境信息公开",
        "name_en": f"{tenant_id.upper()} Environmental Disclosure",
        "hostnames": TENANT_HOSTS.get(tenant_id, [f"{tenant_id}.example.org"]),
        "mail_sender_name": f"{tenant_id} mail",
        "mail_sender_address": f"noreply@{tenant_id}.example.org",
        "version": version,
    }
    event = TenantConfigured(tenant=TenantProfile.model_validate(fields | changes), configured_at=datetime.now(UTC))
    return envelope(event, tenant=tenant_id)


def tenant_suspended(tenant_id: str, *, version: int) -> Envelope[Any]:
    event = TenantSuspended(tenant_id=tenant_id, version=version, reason="test", suspended_at=datetime.now(UTC))
    return envelope(event, tenant=tenant_id)


async def feed(svc: PortalService, *envelopes: Envelope[Any]) -> None:
    for item in envelopes:
        await svc.runtime.consumer.process(item.to_message())


def client(app: Any, host: str = "portal.example.org") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{host}")


def explanation_published(record_id: UUID, enterprise_id: UUID, **changes: Any) -> ExplanationPublished:
    fields: dict[str, Any] = {
        "explanation_id": uuid4(),
        "submission_id": uuid4(),
        "record_id": record_id,
        "enterprise_id": enterprise_id,
        "violation": "喷漆房废气收集处理设施未正常运行。",
        "reasons": "设备检修期间未及时报告。",
        "corrective_actions": "已恢复运行并加装在线监控。",
        "reviewed_by": "reviewer-1",
        "published_at": datetime.now(UTC),
    }
    return ExplanationPublished.model_validate(fields | changes)


def document_published(enterprise_id: UUID, **changes: Any) -> DocumentPublished:
    fields: dict[str, Any] = {
        "document_id": uuid4(),
        "enterprise_id": enterprise_id,
        "kind": "supporting",
        "filename": "整改方案.pdf",
        "content_type": "application/pdf",
        "size": 2048,
        "sha256": "ab" * 32,
        "reviewed_by": "reviewer-1",
        "published_at": datetime.now(UTC),
    }
    return DocumentPublished.model_validate(fields | changes)


def pdf_rendered(enterprise_id: UUID, submission_id: UUID, **changes: Any) -> PdfRendered:
    code = hashlib.sha256(uuid4().bytes).hexdigest()
    fields: dict[str, Any] = {
        "document_id": uuid4(),
        "submission_id": submission_id,
        "enterprise_id": enterprise_id,
        "language": "zh",
        "document_number": f"BM-2024-{uuid4().int % 1_000_000:06d}",
        "verification_code": code,
        "filename": "公开说明.pdf",
        "size": 1234,
        "sha256": code,
        "download_url": "https://docs.example.org/dl/secret-capability",
        "download_expires_at": datetime.now(UTC) + timedelta(days=1),
        "rendered_at": datetime(2024, 5, 6, 20, 0, tzinfo=UTC),
    }
    return PdfRendered.model_validate(fields | changes)


def status_changed(record_id: UUID, enterprise_id: UUID, status: str, changed_at: datetime) -> RecordStatusChanged:
    return RecordStatusChanged(
        record_id=record_id,
        enterprise_id=enterprise_id,
        previous_status="awaiting_explanation",
        status=status,
        changed_at=changed_at,
    )

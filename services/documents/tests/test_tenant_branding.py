"""The public explanation PDF carries its tenant's name and brand colour, from the copy of the tenant registry."""

import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from documents_testing import Running, deliver, events_of, path_and_query, pdf_text, submitted
from test_rendering import DOCUMENT
from weasyprint import HTML

from bluemap_documents.submissions.rendering import css_string, public_explanation_html
from bluemap_shared.events.catalog import ExplanationSubmitted, PdfRendered, TenantConfigured, TenantProfile


async def rendered(app: Running, tenant: str, event: ExplanationSubmitted) -> dict[str, Any]:
    """Deliver a Send, render it, return its PdfRendered payload."""
    await deliver(app, event, tenant)
    assert await app.service.render_worker.render_due() >= 1
    [payload] = [e for e in await events_of(app, tenant, PdfRendered) if e["submission_id"] == str(event.submission_id)]
    return payload


def configured(tenant: str, **changes: object) -> TenantConfigured:
    fields: dict[str, object] = {
        "tenant_id": tenant,
        "name_zh": "绿色江河",
        "name_en": "Green River",
        "mail_sender_name": "Green River",
        "mail_sender_address": "noreply@green.example.org",
        "brand_colour": "#2e7d32",
        "version": 1,
    }
    return TenantConfigured(tenant=TenantProfile.model_validate(fields | changes), configured_at=datetime.now(UTC))


def test_a_tenants_name_is_css_escaped_in_the_page_heading() -> None:
    document = replace(DOCUMENT, site_name='Evil"}</style><script>', brand_colour="#2e7d32")
    html = public_explanation_html(submitted(uuid4()), document)
    heading = re.search(r'@top-left \{ content: "([^"]*)"', html)
    assert heading is not None
    assert "</style>" not in heading.group(1)
    assert "<script>" not in html
    assert css_string('a"b') == "a\\000022b"
    assert "border-bottom: 1.2pt solid #2e7d32" in html
    HTML(string=html).write_pdf()  # still a valid stylesheet


@pytest.mark.integration
async def test_the_pdf_names_the_tenant_its_settings_name_here(workflow: Running, tenant: str) -> None:
    await deliver(workflow, configured(tenant), tenant)
    payload = await rendered(workflow, tenant, submitted(uuid4()))
    text = re.sub(r"\s+", "", pdf_text((await workflow.client.get(path_and_query(payload["download_url"]))).content))
    assert "绿色江河数据库·公开说明与整改情况" in text
    assert "蔚蓝地图" not in text

    english = await rendered(workflow, tenant, submitted(uuid4(), language="en", monitoring=False))
    data = (await workflow.client.get(path_and_query(english["download_url"]))).content
    assert "Green River Database" in re.sub(r"\s+", " ", pdf_text(data))

    # A tenant this service has no settings of yet keeps the platform's name.
    other = f"{tenant}-x"
    plain = await rendered(workflow, other, submitted(uuid4()))
    text = re.sub(r"\s+", "", pdf_text((await workflow.client.get(path_and_query(plain["download_url"]))).content))
    assert "蔚蓝地图数据库" in text

"""A requested change of a registered email: the link goes to the new address, a notice to the old (Mailpit)."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from notifications_testing import Start
from test_notifications_workflow import emails_of, envelope, feed, sent, snapshot, unique_address

from bluemap_notifications.emails.rendering import render_email_change_verification
from bluemap_notifications.emails.service import EMAIL_CHANGE_NOTICE, EMAIL_CHANGE_VERIFICATION
from bluemap_shared.events.catalog import EnterpriseEmailChangeRequested, EnterpriseRegistered
from bluemap_shared.testing import Mailpit, eventually

pytestmark = pytest.mark.integration

TOKEN = "q1w2e3r4t5y6u7i8o9p0-_ASDFGHJKLZXCVBNMqwertyu"


def change_requested(new_email: str, replaces: str | None, **changes: object) -> EnterpriseEmailChangeRequested:
    now = datetime.now(UTC)
    fields: dict[str, object] = {
        "change_id": uuid4(),
        "enterprise_id": uuid4(),
        "enterprise_name": "陕西永安兴庆门业有限公司",
        "enterprise_name_en": "Shaanxi Yongan Xingqing Door Co., Ltd.",
        "new_email": new_email,
        "replaces_email": replaces,
        "confirmation_token": TOKEN,
        "expires_at": now + timedelta(hours=24),
        "locale": "zh",
        "requested_by": "user-1",
        "requested_at": now,
    }
    return EnterpriseEmailChangeRequested.model_validate(fields | changes)


async def test_the_link_goes_to_the_new_address_once_and_the_old_one_is_told(start: Start, mailpit: Mailpit) -> None:
    new, old, other = unique_address(), unique_address(), unique_address()
    event = change_requested(new, old)
    async with start() as svc:
        # The enterprise's registered addresses are not where the link goes: the new one is not registered yet.
        await feed(svc, envelope(EnterpriseRegistered(enterprise=snapshot(event.enterprise_id, [old, other]))))
        first = envelope(event)
        # Redelivered, and announced again under another event id: still one email of each.
        await feed(svc, first, first, envelope(event))
        await eventually(lambda: sent(svc, EMAIL_CHANGE_VERIFICATION))
        await eventually(lambda: sent(svc, EMAIL_CHANGE_NOTICE))
        assert [e.recipients for e in await emails_of(svc, EMAIL_CHANGE_VERIFICATION)] == [[new]]
        assert [e.recipients for e in await emails_of(svc, EMAIL_CHANGE_NOTICE)] == [[old]]

    [message] = await mailpit.wait_for(new)
    body = (await mailpit.message(message["ID"]))["Text"]
    assert f"https://portal.example.org/workspace/email-change/confirm?token={TOKEN}" in body
    assert f"https://portal.example.org/workspace/email-change/confirm?token={TOKEN}&lang=en" in body
    assert "请确认企业注册邮箱变更" in message["Subject"]
    assert "confirm the change" in message["Subject"]
    assert "陕西永安兴庆门业有限公司" in body
    [notice] = await mailpit.wait_for(old)
    notice_body = (await mailpit.message(notice["ID"]))["Text"]
    assert new in notice_body
    assert TOKEN not in notice_body
    assert await mailpit.messages(other) == []


async def test_no_notice_when_nothing_is_replaced(start: Start, mailpit: Mailpit) -> None:
    new = unique_address()
    async with start() as svc:
        await feed(svc, envelope(change_requested(new, None)))
        await eventually(lambda: sent(svc, EMAIL_CHANGE_VERIFICATION))
        assert await emails_of(svc, EMAIL_CHANGE_NOTICE) == []
    assert len(await mailpit.wait_for(new)) == 1


def test_the_link_is_escaped_and_says_until_when() -> None:
    event = change_requested(
        "new@example.com",
        "old@example.com",
        confirmation_token="a-b_c" * 8,
        expires_at=datetime(2025, 3, 1, 4, 30, tzinfo=UTC),
    )
    rendered = render_email_change_verification(event, portal_base_url="https://map.example.org/")
    assert "https://map.example.org/workspace/email-change/confirm?token=" + "a-b_c" * 8 in rendered.body_text
    assert "2025年3月1日 12:30" in rendered.body_text
    assert "2025-03-01 12:30 (China time)" in rendered.body_text
    assert 'href="https://map.example.org/workspace/email-change/confirm?token=' in rendered.body_html
    assert "old@example.com" in rendered.body_text

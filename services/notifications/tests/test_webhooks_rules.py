"""Pure webhook rules: signatures per Standard Webhooks, rotation overlap, retry schedule, SSRF refusals, payloads."""

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import orjson
import pytest
from pydantic import ValidationError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from bluemap_notifications.settings import NotificationsSettings
from bluemap_notifications.webhooks.changes import Filters, public_change, region_matches, source_of
from bluemap_notifications.webhooks.delivery import (
    DEFAULT_RETRY_DELAYS,
    RefusedTarget,
    RetrySchedule,
    check_url,
    new_secret,
    signature_headers,
    signing_secrets,
    target_allowed,
)
from bluemap_shared.events.catalog import EnterpriseSnapshot, RecordPublished, RecordStatusChanged
from bluemap_shared.events.envelope import Envelope


def test_signature_verifies_with_the_reference_check() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    body = b'{"specversion":"1.0"}'
    headers = signature_headers("msg-1", body, [secret], datetime.now(UTC))
    assert Webhook(secret).verify(body, headers) == {"specversion": "1.0"}
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", headers)


def test_both_secrets_sign_during_the_overlap_only() -> None:
    old, new = new_secret(), new_secret()
    now = datetime.now(UTC)
    during = signing_secrets(new, old, now + timedelta(hours=1), now)
    assert during == [new, old]
    headers = signature_headers("msg-2", b"{}", during, now)
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(b"{}", headers)
    Webhook(new).verify(b"{}", headers)
    after = signing_secrets(new, old, now - timedelta(seconds=1), now)
    assert after == [new]
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(b"{}", signature_headers("msg-3", b"{}", after, now))


def test_schedule_lasts_about_three_days_then_gives_up() -> None:
    schedule = RetrySchedule()
    total = sum(DEFAULT_RETRY_DELAYS)
    assert timedelta(days=2.5) < timedelta(seconds=total) <= timedelta(days=3)
    assert schedule.next_delay(0, rand=lambda: 0.5) == timedelta(seconds=5)
    assert schedule.next_delay(len(DEFAULT_RETRY_DELAYS)) is None


def test_jitter_stays_within_its_share() -> None:
    schedule = RetrySchedule((100.0,), jitter=0.1)
    assert schedule.next_delay(0, rand=lambda: 0.0) == timedelta(seconds=90)
    assert schedule.next_delay(0, rand=lambda: 0.999999) < timedelta(seconds=110)


@pytest.mark.parametrize(
    "url",
    [
        "http://partner.example.com/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.1/hook",
        "https://127.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://localhost/hook",
        "https://user:pw@partner.example.com/hook",
        "http://127.0.0.1:8080/hook",  # loopback http only where the setting allows it
        "https://[not-an-address/hook",
        "https://partner.example.com:99999/hook",
        "https://partner.example.com/a hook",
    ],
)
def test_internal_or_plain_endpoints_are_refused(url: str) -> None:
    with pytest.raises(RefusedTarget):
        check_url(url, allow_loopback_http=False)


def test_loopback_http_only_when_allowed() -> None:
    check_url("http://127.0.0.1:8080/hook", allow_loopback_http=True)
    check_url("https://partner.example.com/hook", allow_loopback_http=False)
    check_url("https://93.184.216.34/hook", allow_loopback_http=False)
    with pytest.raises(RefusedTarget):
        check_url("http://10.0.0.1/hook", allow_loopback_http=True)


def test_a_name_resolving_inside_is_refused_at_delivery() -> None:
    url = "https://partner.example.com/hook"
    assert target_allowed(url, ["93.184.216.34"], allow_loopback_http=False) == "93.184.216.34"
    with pytest.raises(RefusedTarget):
        target_allowed(url, ["93.184.216.34", "10.0.0.7"], allow_loopback_http=False)
    with pytest.raises(RefusedTarget):
        target_allowed(url, [], allow_loopback_http=False)


def test_region_holds_its_subregions() -> None:
    assert region_matches("440000", "440305")
    assert region_matches("440300", "440305")
    assert not region_matches("440300", "440100")
    assert not region_matches("440000", None)
    assert region_matches("110000", "110105")


def _published(region: str = "440305", record_type: str = "environmental_supervision") -> Envelope[RecordPublished]:
    event = RecordPublished(
        record_id=uuid4(),
        enterprise=EnterpriseSnapshot(
            enterprise_id=uuid4(),
            uscc="91610000220522613X",
            name="陕西永安兴庆门业有限公司",
            region_code=region,
            registered_emails=["ehs@example.com"],
        ),
        record_type=record_type,
        explainable=True,
        year=2020,
        source_title="督办函",
        issuing_authority="生态环境部",
        issued_on=date(2020, 2, 20),
        published_at=datetime.now(UTC),
    )
    return Envelope(data=event, tenant_id="ipe", source="/bluemap/records", subject=event.subject())


def test_published_record_is_a_structured_cloudevent_without_private_addresses() -> None:
    envelope = _published()
    change = public_change(envelope)
    assert change is not None
    event = orjson.loads(change.body(source_of("ipe")))
    assert event["specversion"] == "1.0"
    assert event["id"] == str(envelope.id)
    assert event["type"] == "org.bluemap.public.record-published.v1"
    assert event["subject"] == str(envelope.data.record_id)
    assert event["source"] == "/bluemap/ipe/public"
    assert "registered_emails" not in event["data"]["enterprise"]
    assert b"ehs@example.com" not in change.body("/x")


def test_only_resolved_and_restored_statuses_are_public_changes() -> None:
    def status(new: str) -> Envelope[RecordStatusChanged]:
        event = RecordStatusChanged(
            record_id=uuid4(),
            enterprise_id=uuid4(),
            previous_status="explained",
            status=new,
            reason="audit",
            changed_at=datetime.now(UTC),
        )
        return Envelope(data=event, tenant_id="ipe", source="/bluemap/records", subject=event.subject())

    resolved = public_change(status("resolved"))
    assert resolved is not None
    assert resolved.kind == "record.resolved"
    assert resolved.data["reason"] == "audit"
    assert public_change(status("under_review")) is None


def test_filters_must_all_match_and_empty_ones_match_anything() -> None:
    change = public_change(_published(region="440305", record_type="monitoring"))
    assert change is not None
    everything = Filters(frozenset(), (), frozenset())
    assert everything.matches(change, region_code="440305", record_types=["monitoring"])
    guangdong_monitoring = Filters(frozenset(), ("440000",), frozenset({"monitoring"}))
    assert guangdong_monitoring.matches(change, region_code="440305", record_types=["monitoring"])
    assert not guangdong_monitoring.matches(change, region_code="310000", record_types=["monitoring"])
    other_enterprise = Filters(frozenset({str(uuid4())}), (), frozenset())
    assert not other_enterprise.matches(change, region_code="440305", record_types=["monitoring"])


def test_production_refuses_loopback_webhooks() -> None:
    production = {
        "environment": "production",
        "database_url": "postgresql+asyncpg://bluemap@db/x",
        "transport": "kafka",
        "public_base_url": "https://bluemap.example.org",
        "portal_base_url": "https://bluemap.example.org",
        "smtp_starttls": True,
    }
    assert not NotificationsSettings(**production).webhook_allow_loopback_http
    with pytest.raises(ValidationError, match="webhook_allow_loopback_http"):
        NotificationsSettings(**production, webhook_allow_loopback_http=True)

"""Delivery rules: retry delays, permanent rejections, the message on the wire."""

from datetime import UTC, datetime
from email import message_from_bytes, policy
from uuid import uuid4

import aiosmtplib
import pytest

from bluemap_notifications.emails.delivery import (
    AttachmentContent,
    RetryPolicy,
    build_message,
    is_permanent,
    make_message_id,
)
from bluemap_notifications.emails.models import Email


def test_backoff_doubles_from_the_base() -> None:
    retry = RetryPolicy(max_attempts=8, backoff_seconds=1.0)
    assert [retry.delay(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 8.0, 16.0]


def test_backoff_is_capped_at_five_minutes() -> None:
    retry = RetryPolicy(max_attempts=100, backoff_seconds=1.0)
    assert retry.delay(9) == 256.0
    assert retry.delay(10) == 300.0
    assert retry.delay(10_000) == 300.0


def test_gives_up_after_max_attempts() -> None:
    retry = RetryPolicy(max_attempts=3, backoff_seconds=0.1)
    assert not retry.gives_up(2)
    assert retry.gives_up(3)


@pytest.mark.parametrize(
    ("exc", "permanent"),
    [
        (aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(550, "no such user", "a@x")]), True),
        (aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(450, "greylisted", "a@x")]), False),
        (aiosmtplib.SMTPDataError(554, "message rejected"), True),
        (aiosmtplib.SMTPResponseException(552, "too big"), True),
        (aiosmtplib.SMTPResponseException(421, "try later"), False),
        (aiosmtplib.SMTPAuthenticationError(535, "bad credentials"), False),
        (aiosmtplib.SMTPSenderRefused(550, "sender rejected", "noreply@x"), False),
        (aiosmtplib.SMTPConnectError("connection refused"), False),
        (ConnectionRefusedError(), False),
        (TimeoutError(), False),
    ],
)
def test_only_message_level_5xx_is_permanent(exc: BaseException, permanent: bool) -> None:
    assert is_permanent(exc) is permanent


def test_message_has_headers_and_both_parts() -> None:
    email_id = uuid4()
    email = Email(
        id=email_id,
        tenant_id="ipe",
        purpose="record-published",
        cause_event_id=uuid4(),
        recipients=["a@example.com", "b@example.com"],
        subject="【蔚蓝地图】新公开记录 / Blue Map",
        body_text="正文\nbody",
        body_html="<p>正文</p>",
        message_id=make_message_id(email_id),
    )
    message = build_message(
        email, mail_from="Blue Map 蔚蓝地图 <noreply@bluemap.example.org>", now=datetime(2024, 5, 6, tzinfo=UTC)
    )
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed["Message-ID"] == f"<{email_id}@bluemap>"
    assert parsed["To"] == "a@example.com, b@example.com"
    assert parsed["Subject"] == "【蔚蓝地图】新公开记录 / Blue Map"
    assert parsed["From"].addresses[0].addr_spec == "noreply@bluemap.example.org"
    assert parsed["Date"] == "Mon, 06 May 2024 00:00:00 +0000"
    assert parsed.get_body(("plain",)).get_content().strip() == "正文\nbody"  # type: ignore[union-attr]
    assert "<p>正文</p>" in parsed.get_body(("html",)).get_content()  # type: ignore[union-attr]


def test_attachment_travels_with_both_text_parts() -> None:
    email_id = uuid4()
    email = Email(
        id=email_id,
        tenant_id="ipe",
        purpose="explanation-pdf",
        cause_event_id=uuid4(),
        recipients=["a@example.com"],
        subject="公开说明 / Public explanation",
        body_text="正文",
        body_html="<p>正文</p>",
        message_id=make_message_id(email_id),
    )
    pdf = b"%PDF-1.7\n" + bytes(range(256)) + b"\n%%EOF\n"
    message = build_message(
        email,
        mail_from="noreply@bluemap.example.org",
        now=datetime(2024, 5, 6, tzinfo=UTC),
        attachments=[AttachmentContent("公开说明-BM-2024-000123.pdf", "application/pdf", pdf)],
    )
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed.get_content_type() == "multipart/mixed"
    assert parsed.get_body(("plain",)).get_content().strip() == "正文"  # type: ignore[union-attr]
    [attachment] = list(parsed.iter_attachments())  # type: ignore[attr-defined]
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "公开说明-BM-2024-000123.pdf"
    assert attachment.get_content() == pdf

"""Account emails: the invitation and the reset link, in both languages, with the token in the portal's link."""

from datetime import UTC, datetime
from uuid import uuid4

from bluemap_notifications.emails.rendering import render_password_reset, render_user_invited
from bluemap_shared.events.catalog import PasswordResetRequested, UserInvited

PORTAL = "https://bluemap.example.org"
EXPIRES = datetime(2026, 12, 15, 2, 0, tzinfo=UTC)


def test_the_invitation_links_to_set_password_with_the_token_and_names_the_role() -> None:
    event = UserInvited(
        user_id=uuid4(),
        email="reviewer@ipe.example.org",
        display_name="<b>Li</b>",
        roles=["reviewer"],
        password_token="tok_en-123",
        expires_at=EXPIRES,
        invited_by="admin",
    )
    email = render_user_invited(event, portal_base_url=PORTAL + "/")
    assert "设置账户密码" in email.subject
    assert "set your password" in email.subject
    assert f"{PORTAL}/set-password?token=tok_en-123" in email.body_text
    assert f"{PORTAL}/set-password?token=tok_en-123&lang=en" in email.body_text
    assert "审核员" in email.body_text
    assert "reviewer" in email.body_text
    assert "2026年12月15日 10:00" in email.body_text  # China time
    assert "<b>Li</b>" not in email.body_html


def test_the_reset_email_goes_with_a_reset_link_and_says_nothing_changes_unless_used() -> None:
    event = PasswordResetRequested(
        user_id=uuid4(), email="ehs@ent.example.cn", password_token="r3set", expires_at=EXPIRES, locale="en"
    )
    email = render_password_reset(event, portal_base_url=PORTAL)
    assert f"{PORTAL}/reset-password?token=r3set" in email.body_text
    assert f"{PORTAL}/reset-password?token=r3set&lang=en" in email.body_text
    assert "your password does not change" in email.body_text
    assert "ehs@ent.example.cn" in email.body_text

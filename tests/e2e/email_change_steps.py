"""Changing a registered email end to end: the portal's form, the mailed link, the signed-out confirmation."""

import re

import httpx

from tests.e2e import workflow_steps as steps
from tests.e2e.workflow_steps import Deployment, User

SUBJECT = "请确认企业注册邮箱变更"
NOTICE_SUBJECT = "企业注册邮箱变更申请"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _csrf(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found[1]


async def ask_on_account_page(deployment: Deployment, email: str, password: str, new_email: str) -> None:
    """Sign in to the portal as enterprise staff and ask for the change on Account Management."""
    async with httpx.AsyncClient(base_url=deployment.site, timeout=30, follow_redirects=False) as site:
        login = await site.get("/login")
        signed_in = await site.post(
            "/login", data={"username": email, "password": password, "csrf_token": _csrf(login.text)}
        )
        assert signed_in.status_code == 303, signed_in.text
        account = await site.get("/workspace/account?lang=en")
        assert account.status_code == 200, account.text
        asked = await site.post(
            "/workspace/account/email?lang=en", data={"new_email": new_email, "csrf_token": _csrf(account.text)}
        )
        assert asked.status_code == 303, asked.text
        notice = await site.get(asked.headers["location"])
        assert f"We sent a link to {new_email}." in notice.text


async def confirmation_link(deployment: Deployment, new_email: str) -> str:
    """The link in the email the new address received; it leads to the portal's public address."""
    [email] = await steps.wait_for_email(deployment.inbox, new_email, SUBJECT)
    found = re.search(r"(https?://\S+/workspace/email-change/confirm\?token=[A-Za-z0-9_-]+)(?=\s|$)", email.text)
    assert found, email.text
    link = found[1]
    assert link.startswith(deployment.site.rstrip("/") + "/"), link
    return link


async def confirm_signed_out(link: str) -> httpx.Response:
    """Open the link in a browser with no session and press Confirm."""
    async with httpx.AsyncClient(timeout=30) as browser:
        page = await browser.get(link)
        assert page.status_code == 200, page.text
        action = link.split("?", 1)[0]
        token = link.split("token=", 1)[1]
        return await browser.post(action, data={"token": token, "csrf_token": _csrf(page.text)})


async def registered_emails(user: User, enterprise_id: str) -> list[str]:
    async with user.client("records") as client:
        response = await client.get(f"/v1/enterprises/{enterprise_id}")
    assert response.status_code == 200, response.text
    return list(response.json()["registered_emails"])


async def change_registered_email(
    deployment: Deployment, staff: User, password: str, enterprise_id: str, old_email: str, new_email: str
) -> None:
    """The whole change: asked for on the portal, mailed to the new address, confirmed once by its link."""
    await ask_on_account_page(deployment, staff.email, password, new_email)
    assert old_email in await registered_emails(staff, enterprise_id)  # nothing changes before the link
    link = await confirmation_link(deployment, new_email)
    # The address being replaced is told, without the link.
    [notice] = await steps.wait_for_email(deployment.inbox, old_email, NOTICE_SUBJECT)
    assert "token=" not in notice.text
    confirmed = await confirm_signed_out(link)
    assert confirmed.status_code == 200, confirmed.text
    assert new_email in confirmed.text
    emails = await registered_emails(staff, enterprise_id)
    assert new_email in emails
    assert old_email not in emails
    again = await confirm_signed_out(link)
    assert again.status_code == 410, again.text

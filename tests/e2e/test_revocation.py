"""A logged-out cookie and a disabled user's token are refused by all five services, each its own process on Kafka."""

import uuid

import pytest

from bluemap_shared.testing import Mailpit
from tests.e2e import revocation_steps
from tests.e2e.platform import Platform
from tests.e2e.workflow_steps import Deployment, MailpitInbox, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

ADMIN_PASSWORD = "admin-password-e2e"


async def test_logged_out_cookie_and_disabled_user_are_refused_by_all_five_services(
    platform: Platform, mailpit: Mailpit
) -> None:
    deployment = Deployment(
        apis={service: platform.api(service) for service in platform.ports},
        site=platform.url("public-portal"),
        inbox=MailpitInbox(mailpit),
    )
    email = f"admin-{uuid.uuid4().hex[:6]}@ipe.example.org"
    platform.create_user("--tenant", "ipe", "--email", email, "--password", ADMIN_PASSWORD, "--role", "admin")
    await revocation_steps.logout_and_disable(await sign_in(deployment, email, ADMIN_PASSWORD))

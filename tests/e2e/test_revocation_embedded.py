"""A logged-out cookie and a disabled user's token are refused by all five services of the embedded default."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e import revocation_steps
from tests.e2e.embedded import Embedded, print_log_tail_if_failed, running_embedded
from tests.e2e.workflow_steps import Deployment, MaildirInbox, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

ADMIN_LOGIN = ("admin@ipe.example.org", "bluemap-admin-demo")


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedded]:
    workdir: Path = tmp_path_factory.mktemp("embedded-revocation")
    with running_embedded(workdir) as running:
        yield running


@pytest.fixture(autouse=True)
def _service_logs_on_failure(request: pytest.FixtureRequest, embedded: Embedded) -> Iterator[None]:
    """Replaces the conftest's fixture of the same name: one process here, no distributed platform."""
    yield
    print_log_tail_if_failed(request, embedded)


async def test_logged_out_cookie_and_disabled_user_are_refused_by_all_five_services(embedded: Embedded) -> None:
    deployment = Deployment(
        apis={s: embedded.api(s) for s in ("records", "explanations", "documents", "notifications", "public-portal")},
        site=embedded.url,
        inbox=MaildirInbox(embedded.maildir),
    )
    await revocation_steps.logout_and_disable(await sign_in(deployment, *ADMIN_LOGIN))

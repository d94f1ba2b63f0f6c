"""Commitments on real PostgreSQL: versioned texts per tenant, acceptances as evidence, the gate on drafting."""

import asyncio
import hashlib
from uuid import UUID, uuid4

import httpx
import pytest
from explanations_testing import DRAFT, Running, accept, assert_problem, outbox, publish, record_published
from sqlalchemy import func
from sqlmodel import select

from bluemap_explanations.commitments.models import CommitmentText
from bluemap_explanations.commitments.texts import FIRST_TEXTS, CommitmentKind
from bluemap_shared.auth import ADMIN, REVIEWER
from bluemap_shared.events.catalog import CommitmentAccepted
from bluemap_shared.testing import TokenIssuer as Issuer

pytestmark = pytest.mark.integration

NEW_VERSION = {
    "zh": "我们保证所提供的信息真实、准确、完整。",
    "en": "We guarantee the information is true, accurate and complete.",
}


async def save(app: Running, issuer: Issuer, tenant: str, enterprise: UUID) -> httpx.Response:
    record = await publish(app, tenant, record_published(enterprise))
    return await app.client.put(
        f"/v1/records/{record.record_id}/explanation", json=DRAFT, headers=issuer.staff(tenant, enterprise)
    )


@pytest.mark.parametrize("kind", list(CommitmentKind))
@pytest.mark.parametrize("language", ["zh", "en"])
async def test_a_new_tenant_reads_the_walkthroughs_texts(
    explanations: Running, issuer: Issuer, tenant: str, kind: CommitmentKind, language: str
) -> None:
    for headers in (issuer.staff(tenant, uuid4()), issuer.headers(tenant, [REVIEWER])):
        response = await explanations.client.get(f"/v1/commitments/{kind}", params={"lang": language}, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        expected = FIRST_TEXTS[kind]["en" if language == "en" else "zh"]
        assert (body["kind"], body["version"], body["language"], body["text"]) == (kind.value, 1, language, expected)
        assert body["text_sha256"] == hashlib.sha256(expected.encode()).hexdigest()
        assert body["response"] is None


async def test_chinese_is_the_default_language(explanations: Running, issuer: Issuer, tenant: str) -> None:
    body = (await explanations.client.get("/v1/commitments/accuracy", headers=issuer.staff(tenant, uuid4()))).json()
    assert body["text"] == FIRST_TEXTS[CommitmentKind.ACCURACY]["zh"]


async def test_concurrent_first_uses_publish_version_one_once(
    explanations: Running, issuer: Issuer, tenant: str
) -> None:
    headers = issuer.staff(tenant, uuid4())
    responses = await asyncio.gather(
        *(explanations.client.get("/v1/commitments/deadline", headers=headers) for _ in range(6))
    )
    assert {r.status_code for r in responses} == {200}
    assert {r.json()["version"] for r in responses} == {1}
    async with explanations.service.runtime.sessionmaker() as session:
        count = await session.exec(
            select(func.count()).select_from(CommitmentText).where(CommitmentText.tenant_id == tenant)
        )
        assert count.one() == 4  # two kinds, two languages


async def test_acceptance_keeps_who_when_where_what(explanations: Running, issuer: Issuer, tenant: str) -> None:
    enterprise = uuid4()
    staff = issuer.staff(tenant, enterprise, subject="wang-wu")
    accepted = await explanations.client.post(
        "/v1/commitments/accuracy/acceptances",
        json={"version": 1, "language": "en"},
        # From an untrusted peer the header is anyone's claim: ignored.
        headers={**staff, "X-Forwarded-For": "198.51.100.9"},
    )
    assert accepted.status_code == 201, accepted.text
    body = accepted.json()
    text = FIRST_TEXTS[CommitmentKind.ACCURACY]["en"]
    assert body["enterprise_id"] == str(enterprise)
    assert (body["kind"], body["version"], body["language"], body["answer"]) == ("accuracy", 1, "en", "accepted")
    assert (body["responded_by"], body["client_ip"]) == ("wang-wu", "127.0.0.1")
    assert body["text_sha256"] == hashlib.sha256(text.encode()).hexdigest()

    current = (await explanations.client.get("/v1/commitments/accuracy", headers=staff)).json()
    assert current["response"] == body

    [event] = await outbox(explanations, tenant, CommitmentAccepted.event_type)
    assert event["acceptance_id"] == body["id"]
    assert event["enterprise_id"] == str(enterprise)
    assert event["commitment"] == {
        "kind": "accuracy",
        "version": 1,
        "language": "en",
        "text": text,
        "text_sha256": body["text_sha256"],
        "accepted_by": "wang-wu",
        "accepted_at": event["commitment"]["accepted_at"],
    }
    assert event["commitment"]["accepted_at"].replace("Z", "+00:00")[:19] == body["responded_at"][:19]


async def test_forwarded_for_is_believed_from_trusted_proxies(
    explanations: Running, issuer: Issuer, tenant: str
) -> None:
    staff = issuer.staff(tenant, uuid4())
    transport = httpx.ASGITransport(app=explanations.service.app, client=("10.1.2.3", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://explanations") as via_proxy:
        response = await via_proxy.post(
            "/v1/commitments/deadline/acceptances",
            json={"version": 1},
            headers={**staff, "X-Forwarded-For": "6.6.6.6, 198.51.100.9"},
        )
    assert response.status_code == 201, response.text
    assert response.json()["client_ip"] == "198.51.100.9"


async def test_saving_a_draft_needs_the_accuracy_commitment(explanations: Running, issuer: Issuer, tenant: str) -> None:
    enterprise = uuid4()
    body = assert_problem(await save(explanations, issuer, tenant, enterprise), 409, "commitment-required")
    assert body["kinds"] == ["accuracy"]
    # The deadline commitment is the one of sending; it does not stand in for accuracy.
    await accept(explanations, issuer.staff(tenant, enterprise), "deadline")
    assert_problem(await save(explanations, issuer, tenant, enterprise), 409, "commitment-required")
    await accept(explanations, issuer.staff(tenant, enterprise), "accuracy")
    assert (await save(explanations, issuer, tenant, enterprise)).status_code == 200


async def test_a_decline_is_evidence_and_keeps_the_flow_blocked(
    explanations: Running, issuer: Issuer, tenant: str
) -> None:
    enterprise = uuid4()
    staff = issuer.staff(tenant, enterprise, subject="zhao-liu")
    declined = await explanations.client.post(
        "/v1/commitments/accuracy/declines", json={"version": 1, "language": "zh"}, headers=staff
    )
    assert declined.status_code == 201, declined.text
    assert (declined.json()["answer"], declined.json()["responded_by"]) == ("declined", "zhao-liu")
    assert await outbox(explanations, tenant, CommitmentAccepted.event_type) == []
    assert_problem(await save(explanations, issuer, tenant, enterprise), 409, "commitment-required")

    await accept(explanations, staff)
    assert (await save(explanations, issuer, tenant, enterprise)).status_code == 200
    # Declining later withdraws the enterprise's word: the latest answer counts.
    await explanations.client.post("/v1/commitments/accuracy/declines", json={"version": 1}, headers=staff)
    assert_problem(await save(explanations, issuer, tenant, enterprise), 409, "commitment-required")

    history = (await explanations.client.get("/v1/commitment-responses", headers=staff)).json()
    assert [r["answer"] for r in history] == ["declined", "accepted", "declined"]


async def test_an_answer_to_a_version_not_in_force_is_refused(
    explanations: Running, issuer: Issuer, tenant: str
) -> None:
    staff = issuer.staff(tenant, uuid4())
    for path in ("acceptances", "declines"):
        body = assert_problem(
            await explanations.client.post(f"/v1/commitments/accuracy/{path}", json={"version": 2}, headers=staff),
            409,
            "commitment-outdated",
        )
        assert body["current_version"] == 1


async def test_admins_publish_new_versions_that_need_accepting_anew(
    explanations: Running, issuer: Issuer, tenant: str
) -> None:
    enterprise = uuid4()
    staff = issuer.staff(tenant, enterprise)
    await accept(explanations, staff)
    assert (await save(explanations, issuer, tenant, enterprise)).status_code == 200

    admin = issuer.headers(tenant, [ADMIN], subject="admin-1")
    published = await explanations.client.post("/v1/commitments/accuracy/versions", json=NEW_VERSION, headers=admin)
    assert published.status_code == 201, published.text
    assert [(t["version"], t["language"], t["text"], t["published_by"]) for t in published.json()] == [
        (2, "zh", NEW_VERSION["zh"], "admin-1"),
        (2, "en", NEW_VERSION["en"], "admin-1"),
    ]
    current = (await explanations.client.get("/v1/commitments/accuracy", params={"lang": "en"}, headers=staff)).json()
    assert (current["version"], current["text"], current["response"]) == (2, NEW_VERSION["en"], None)
    assert (await explanations.client.get("/v1/commitments/deadline", headers=staff)).json()["version"] == 1

    assert_problem(await save(explanations, issuer, tenant, enterprise), 409, "commitment-required")
    assert_problem(
        await explanations.client.post("/v1/commitments/accuracy/acceptances", json={"version": 1}, headers=staff),
        409,
        "commitment-outdated",
    )
    accepted = await accept(explanations, staff)
    assert accepted["version"] == 2
    assert accepted["text_sha256"] == hashlib.sha256(NEW_VERSION["zh"].encode()).hexdigest()
    assert (await save(explanations, issuer, tenant, enterprise)).status_code == 200

    # Versions are per tenant.
    other = await explanations.client.get("/v1/commitments/accuracy", headers=issuer.staff(f"{tenant}-x", enterprise))
    assert other.json()["version"] == 1


@pytest.mark.parametrize("roles", [[REVIEWER], ["enterprise"], []])
async def test_only_admins_publish_versions(
    explanations: Running, issuer: Issuer, tenant: str, roles: list[str]
) -> None:
    response = await explanations.client.post(
        "/v1/commitments/accuracy/versions", json=NEW_VERSION, headers=issuer.headers(tenant, roles, uuid4())
    )
    assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize(
    "body", [{"zh": "", "en": "x"}, {"zh": "x"}, {"zh": "x", "en": " \n "}, {"zh": "a\x00", "en": "b"}]
)
async def test_a_version_needs_both_languages(
    explanations: Running, issuer: Issuer, tenant: str, body: dict[str, str]
) -> None:
    response = await explanations.client.post(
        "/v1/commitments/deadline/versions", json=body, headers=issuer.headers(tenant, [ADMIN])
    )
    assert_problem(response, 422, "invalid-input")


async def test_operators_do_not_answer_commitments(explanations: Running, issuer: Issuer, tenant: str) -> None:
    for role in (ADMIN, REVIEWER):
        response = await explanations.client.post(
            "/v1/commitments/accuracy/acceptances", json={"version": 1}, headers=issuer.headers(tenant, [role])
        )
        assert_problem(response, 403, "forbidden")


async def test_staff_token_without_enterprise_cannot_answer(explanations: Running, issuer: Issuer, tenant: str) -> None:
    response = await explanations.client.post(
        "/v1/commitments/accuracy/acceptances", json={"version": 1}, headers=issuer.headers(tenant, ["enterprise"])
    )
    assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize(
    ("path", "params"),
    [("/v1/commitments/honesty", {}), ("/v1/commitments/accuracy", {"lang": "fr"})],
)
async def test_unknown_kind_or_language_is_invalid(
    explanations: Running, issuer: Issuer, tenant: str, path: str, params: dict[str, str]
) -> None:
    response = await explanations.client.get(path, params=params, headers=issuer.staff(tenant, uuid4()))
    assert_problem(response, 422, "invalid-input")


async def test_operators_list_any_enterprises_answers(explanations: Running, issuer: Issuer, tenant: str) -> None:
    first, second = uuid4(), uuid4()
    await accept(explanations, issuer.staff(tenant, first))
    await accept(explanations, issuer.staff(tenant, second), "deadline")
    reviewer = issuer.headers(tenant, [REVIEWER])
    listed = (await explanations.client.get("/v1/commitment-responses", headers=reviewer)).json()
    assert [(r["enterprise_id"], r["kind"]) for r in listed] == [(str(first), "accuracy"), (str(second), "deadline")]
    only = await explanations.client.get(
        "/v1/commitment-responses", params={"enterprise_id": str(second), "kind": "deadline"}, headers=reviewer
    )
    assert [r["enterprise_id"] for r in only.json()] == [str(second)]

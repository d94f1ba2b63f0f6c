"""Every endpoint keeps to the caller's tenant and enterprise: others' data answers 404 (lists: nothing)."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
from explanations_testing import (
    COMPLETE,
    Enterprise,
    Running,
    assert_problem,
    deliver,
    document_stored,
    drafted,
    enterprise,
    pdf_rendered,
    pdf_signed,
    publish,
    record_published,
)

from bluemap_shared.auth import ADMIN, REVIEWER
from bluemap_shared.ids import uuid7
from bluemap_shared.testing import TokenIssuer as Issuer

pytestmark = pytest.mark.integration


@dataclass
class World:
    owner: Enterprise
    sent_record: UUID
    draft_record: UUID
    submission_id: str
    explanation_id: str
    strangers: dict[str, dict[str, str]]
    staff_strangers: dict[str, dict[str, str]]
    operator_strangers: dict[str, dict[str, str]]


@pytest.fixture
async def world(explanations: Running, issuer: Issuer, tenant: str) -> World:
    owner = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
    sent_record, draft_record = await drafted(explanations, owner), await drafted(explanations, owner)
    response = await explanations.client.post(
        "/v1/submissions", json={"record_ids": [str(sent_record)]}, headers=owner.staff
    )
    assert response.status_code == 201, response.text
    sent = response.json()
    await deliver(explanations, tenant, pdf_rendered(sent))
    await deliver(explanations, tenant, pdf_signed(sent))
    staff = {
        "other enterprise": issuer.staff(tenant, uuid7()),
        "other tenant, same enterprise id": issuer.staff(f"{tenant}-x", owner.id),
    }
    operators = {
        "other tenant's admin": issuer.headers(f"{tenant}-x", [ADMIN]),
        "other tenant's reviewer": issuer.headers(f"{tenant}-x", [REVIEWER]),
    }
    return World(
        owner=owner,
        sent_record=sent_record,
        draft_record=draft_record,
        submission_id=sent["id"],
        explanation_id=sent["items"][0]["explanation_id"],
        strangers={**staff, **operators},
        staff_strangers=staff,
        operator_strangers=operators,
    )


async def owner_still_sees_everything(app: Running, world: World) -> None:
    """Nothing a stranger did reached the owner's data."""
    staff = world.owner.staff
    listed = {r["record_id"]: r["status"] for r in (await app.client.get("/v1/records", headers=staff)).json()}
    assert listed == {str(world.sent_record): "under_review", str(world.draft_record): "saved"}
    explanation = (await app.client.get(f"/v1/records/{world.draft_record}/explanation", headers=staff)).json()
    assert explanation["version"] == 1
    [mine] = (await app.client.get("/v1/submissions", headers=staff)).json()
    assert (mine["id"], mine["status"]) == (world.submission_id, "signed")
    # The owner's commitments still stand: it may still edit.
    response = await app.client.put(f"/v1/records/{world.draft_record}/explanation", json=COMPLETE, headers=staff)
    assert response.status_code == 200, response.text


async def test_records_list(explanations: Running, world: World) -> None:
    for who, headers in world.strangers.items():
        response = await explanations.client.get(
            "/v1/records", params={"enterprise_id": str(world.owner.id)}, headers=headers
        )
        assert (response.status_code, response.json()) == (200, []), who


async def test_read_explanation(explanations: Running, world: World) -> None:
    for who, headers in world.strangers.items():
        for record in (world.sent_record, world.draft_record):
            response = await explanations.client.get(f"/v1/records/{record}/explanation", headers=headers)
            assert response.status_code == 404, who


async def test_save_explanation(explanations: Running, world: World) -> None:
    url = f"/v1/records/{world.draft_record}/explanation"
    for headers in world.staff_strangers.values():
        assert_problem(await explanations.client.put(url, json=COMPLETE, headers=headers), 404, "not-found")
    for headers in world.operator_strangers.values():
        assert_problem(await explanations.client.put(url, json=COMPLETE, headers=headers), 403, "forbidden")
    await owner_still_sees_everything(explanations, world)


async def test_send(explanations: Running, world: World) -> None:
    body = {"record_ids": [str(world.draft_record)]}
    for headers in world.staff_strangers.values():
        assert_problem(await explanations.client.post("/v1/submissions", json=body, headers=headers), 404, "not-found")
    for headers in world.operator_strangers.values():
        assert_problem(await explanations.client.post("/v1/submissions", json=body, headers=headers), 403, "forbidden")
    await owner_still_sees_everything(explanations, world)


async def test_submissions_list_and_detail(explanations: Running, world: World) -> None:
    for who, headers in world.strangers.items():
        listed = await explanations.client.get(
            "/v1/submissions", params={"enterprise_id": str(world.owner.id)}, headers=headers
        )
        assert (listed.status_code, listed.json()) == (200, []), who
        detail = await explanations.client.get(f"/v1/submissions/{world.submission_id}", headers=headers)
        assert_problem(detail, 404, "not-found")


async def test_review_queue_and_detail(explanations: Running, world: World) -> None:
    for who, headers in world.operator_strangers.items():
        queue = await explanations.client.get("/v1/review/submissions", params={"status": "signed"}, headers=headers)
        assert (queue.status_code, queue.json()) == (200, []), who
        detail = await explanations.client.get(f"/v1/review/submissions/{world.submission_id}", headers=headers)
        assert_problem(detail, 404, "not-found")
    # Enterprise staff, even the owner's, have no review console.
    for headers in (*world.staff_strangers.values(), world.owner.staff):
        assert_problem(await explanations.client.get("/v1/review/submissions", headers=headers), 403, "forbidden")
        assert_problem(
            await explanations.client.get(f"/v1/review/submissions/{world.submission_id}", headers=headers),
            403,
            "forbidden",
        )


@pytest.mark.parametrize("decision", ["approved", "rejected"])
async def test_review_decisions(explanations: Running, world: World, decision: str) -> None:
    url = f"/v1/submissions/{world.submission_id}/review"
    body = {"explanations": [{"explanation_id": world.explanation_id, "decision": decision, "comment": "越权"}]}
    for headers in world.operator_strangers.values():
        assert_problem(await explanations.client.post(url, json=body, headers=headers), 404, "not-found")
    for headers in (*world.staff_strangers.values(), world.owner.staff):
        assert_problem(await explanations.client.post(url, json=body, headers=headers), 403, "forbidden")
    await owner_still_sees_everything(explanations, world)


async def test_commitment_texts_and_answers(explanations: Running, issuer: Issuer, world: World) -> None:
    # Another tenant's admin publishes a version of its own; the owner's tenant keeps its own.
    published = await explanations.client.post(
        "/v1/commitments/accuracy/versions",
        json={"zh": "别的租户的承诺", "en": "Another tenant's commitment"},
        headers=world.operator_strangers["other tenant's admin"],
    )
    assert published.status_code == 201, published.text
    owners = (await explanations.client.get("/v1/commitments/accuracy", headers=world.owner.staff)).json()
    assert owners["version"] == 1
    assert owners["response"]["answer"] == "accepted"

    for who, headers in world.strangers.items():
        current = await explanations.client.get("/v1/commitments/accuracy", headers=headers)
        assert current.status_code == 200, who
        assert current.json()["response"] is None, who  # the owner's acceptance is not theirs
        responses = await explanations.client.get(
            "/v1/commitment-responses", params={"enterprise_id": str(world.owner.id)}, headers=headers
        )
        assert (responses.status_code, responses.json()) == (200, []), who

    # Strangers declining (in their enterprise, or the same enterprise id in their tenant) change nothing here.
    for headers in world.staff_strangers.values():
        version = (await explanations.client.get("/v1/commitments/accuracy", headers=headers)).json()["version"]
        for path in ("declines", "acceptances", "declines"):
            response = await explanations.client.post(
                f"/v1/commitments/accuracy/{path}", json={"version": version}, headers=headers
            )
            assert response.status_code == 201, response.text
            assert (
                response.json()["enterprise_id"] != str(world.owner.id)
                or headers is world.staff_strangers["other tenant, same enterprise id"]
            )
    for headers in world.operator_strangers.values():
        for path in ("acceptances", "declines"):
            response = await explanations.client.post(
                f"/v1/commitments/accuracy/{path}", json={"version": 1}, headers=headers
            )
            assert_problem(response, 403, "forbidden")
    await owner_still_sees_everything(explanations, world)


async def test_guidance_is_the_same_for_everyone(explanations: Running, issuer: Issuer, world: World) -> None:
    mine = (await explanations.client.get("/v1/guidance", headers=world.owner.staff)).json()
    for headers in world.strangers.values():
        assert (await explanations.client.get("/v1/guidance", headers=headers)).json() == mine


async def test_the_same_enterprise_id_in_another_tenant_has_no_standing(
    explanations: Running, issuer: Issuer, world: World
) -> None:
    """Acceptances are per tenant: accepting in one does not let the same enterprise id draft in another."""
    other_tenant = f"{world.owner.tenant}-y"
    elsewhere = issuer.staff(other_tenant, world.owner.id)
    version = (await explanations.client.get("/v1/commitments/accuracy", headers=elsewhere)).json()
    assert version["response"] is None
    record = await publish(explanations, other_tenant, record_published(world.owner.id))
    response = await explanations.client.put(
        f"/v1/records/{record.record_id}/explanation", json=COMPLETE, headers=elsewhere
    )
    assert_problem(response, 409, "commitment-required")


SOME_ID = str(uuid7())
UNAUTHENTICATED: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/v1/records", None),
    ("GET", "/v1/records/{id}/explanation", None),
    ("PUT", "/v1/records/{id}/explanation", COMPLETE),
    ("GET", "/v1/guidance", None),
    ("GET", "/v1/commitments/accuracy", None),
    ("POST", "/v1/commitments/accuracy/versions", {"zh": "x", "en": "y"}),
    ("POST", "/v1/commitments/accuracy/acceptances", {"version": 1}),
    ("POST", "/v1/commitments/accuracy/declines", {"version": 1}),
    ("GET", "/v1/commitment-responses", None),
    ("POST", "/v1/submissions", {"record_ids": ["{id}"]}),
    ("GET", "/v1/submissions", None),
    ("GET", "/v1/submissions/{id}", None),
    ("GET", "/v1/review/submissions", None),
    ("GET", "/v1/review/submissions/{id}", None),
    ("POST", "/v1/review/submissions/{id}/open", None),
    (
        "POST",
        "/v1/submissions/{id}/review",
        {"explanations": [{"explanation_id": str(uuid7()), "decision": "approved"}]},
    ),
]


@pytest.mark.parametrize(("method", "path", "body"), UNAUTHENTICATED)
async def test_no_token_is_unauthorized(
    explanations: Running, method: str, path: str, body: dict[str, Any] | None
) -> None:
    some_id = str(uuid7())
    if body is not None and "record_ids" in body:
        body = {"record_ids": [some_id]}
    response = await explanations.client.request(method, path.format(id=some_id), json=body)
    assert_problem(response, 401, "unauthorized")


@pytest.mark.parametrize(("method", "path", "body"), UNAUTHENTICATED)
async def test_a_token_without_roles_reaches_nothing_of_a_tenant(
    explanations: Running, issuer: Issuer, world: World, method: str, path: str, body: dict[str, Any] | None
) -> None:
    """A token with no role (not staff, not operator) of the owner's own tenant."""
    nobody = issuer.headers(world.owner.tenant, [], world.owner.id)
    ids = {
        "/v1/records/{id}/explanation": str(world.draft_record),
        "/v1/submissions/{id}": world.submission_id,
        "/v1/review/submissions/{id}": world.submission_id,
    }
    target = ids.get(path, world.explanation_id)
    if body is not None and "record_ids" in body:
        body = {"record_ids": [str(world.draft_record)]}
    response = await explanations.client.request(method, path.format(id=target), json=body, headers=nobody)
    if method == "GET" and path in ("/v1/records", "/v1/submissions", "/v1/commitment-responses"):
        assert (response.status_code, response.json()) == (200, [])
    elif method == "GET" and path in ("/v1/guidance", "/v1/commitments/accuracy"):
        assert response.status_code == 200  # not enterprise data: the texts every user of the tenant reads
        assert response.json()
        if path != "/v1/guidance":
            assert response.json()["response"] is None
    elif path in ("/v1/records/{id}/explanation", "/v1/submissions/{id}") and method == "GET":
        assert_problem(response, 404, "not-found")
    else:
        assert_problem(response, 403, "forbidden")


async def test_an_explanation_names_only_its_own_enterprises_document(
    explanations: Running, issuer: Issuer, tenant: str
) -> None:
    owner = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
    record = await drafted(explanations, owner)
    url = f"/v1/records/{record}/explanation"
    theirs, mine = document_stored(uuid7()), document_stored(owner.id)
    await deliver(explanations, tenant, theirs)
    await deliver(explanations, tenant, mine)
    # Another tenant's document is no more the owner's once this service knows it.
    elsewhere = document_stored(owner.id)
    await deliver(explanations, f"{tenant}-x", elsewhere)

    for foreign in (theirs, elsewhere):
        response = await explanations.client.put(
            url, json={**COMPLETE, "document_id": str(foreign.document_id)}, headers=owner.staff
        )
        if foreign is theirs:
            body = assert_problem(response, 422, "invalid-input")
            assert body["errors"][0]["location"] == ["body", "document_id"]
    saved = await explanations.client.put(
        url, json={**COMPLETE, "document_id": str(mine.document_id)}, headers=owner.staff
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["document_id"] == str(mine.document_id)


async def test_a_submission_waits_for_its_document_and_refuses_anothers(
    explanations: Running, issuer: Issuer, tenant: str
) -> None:
    """A draft may name a document not yet announced (just uploaded); sending needs it known and the enterprise's."""
    owner = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
    record = await drafted(explanations, owner)
    url = f"/v1/records/{record}/explanation"
    pending = document_stored(owner.id)
    saved = await explanations.client.put(
        url, json={**COMPLETE, "document_id": str(pending.document_id)}, headers=owner.staff
    )
    assert saved.status_code == 200, saved.text
    send = {"record_ids": [str(record)]}
    early = await explanations.client.post("/v1/submissions", json=send, headers=owner.staff)
    assert_problem(early, 409, "document-not-yet-known")

    # Another tenant's document of the same id never becomes this tenant's.
    await deliver(explanations, f"{tenant}-x", pending)
    assert_problem(
        await explanations.client.post("/v1/submissions", json=send, headers=owner.staff), 409, "document-not-yet-known"
    )
    await deliver(explanations, tenant, pending)
    sent = await explanations.client.post("/v1/submissions", json=send, headers=owner.staff)
    assert sent.status_code == 201, sent.text
    assert sent.json()["items"][0]["document_id"] == str(pending.document_id)


async def test_a_submission_refuses_a_document_that_turned_out_to_be_anothers(
    explanations: Running, issuer: Issuer, tenant: str
) -> None:
    owner = await enterprise(explanations, issuer, tenant, commitments=("accuracy", "deadline"))
    record = await drafted(explanations, owner)
    theirs = document_stored(uuid7())
    saved = await explanations.client.put(
        f"/v1/records/{record}/explanation",
        json={**COMPLETE, "document_id": str(theirs.document_id)},
        headers=owner.staff,
    )
    assert saved.status_code == 200, saved.text  # not known yet when saved
    await deliver(explanations, tenant, theirs)
    refused = await explanations.client.post("/v1/submissions", json={"record_ids": [str(record)]}, headers=owner.staff)
    assert_problem(refused, 422, "invalid-input")
    assert (await explanations.client.get("/v1/submissions", headers=owner.staff)).json() == []

"""The enterprise directory on real PostgreSQL: registration, search, pages, PATCH, the name bigram index."""

import asyncio
from collections.abc import Awaitable, Callable
from uuid import uuid4

import orjson
import pytest
from alembic import command
from records_testing import Running, new_uscc
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_records.enterprises.repository import EnterpriseRepository
from bluemap_shared.db import PoolSettings, create_engine
from bluemap_shared.migrations import alembic_config
from bluemap_shared.search import bigrams, like_pattern
from bluemap_shared.testing import fill_and_settle

pytestmark = pytest.mark.integration


async def register(records: Running, tenant: str, name: str, **fields: object) -> dict:  # type: ignore[type-arg]
    response = await records.client.post(
        "/v1/enterprises", json={"uscc": new_uscc(), "name": name, **fields}, headers=records.admin(tenant)
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_one_enterprise_per_uscc_and_the_check_digit_is_checked(records: Running, tenant: str) -> None:
    uscc = new_uscc()
    body = {"uscc": uscc.lower(), "name": "  陕西永安兴庆门业有限公司 ", "region_code": "610100"}
    created = await records.client.post("/v1/enterprises", json=body, headers=records.admin(tenant))
    assert created.status_code == 201
    assert (created.json()["uscc"], created.json()["name"]) == (uscc, "陕西永安兴庆门业有限公司")
    again = await records.client.post("/v1/enterprises", json=body, headers=records.admin(tenant))
    assert again.status_code == 409
    bad = {**body, "uscc": uscc[:17] + ("0" if uscc[17] != "0" else "1")}
    assert (await records.client.post("/v1/enterprises", json=bad, headers=records.admin(tenant))).status_code == 422
    blank = {**body, "uscc": new_uscc(), "name": "   "}
    assert (await records.client.post("/v1/enterprises", json=blank, headers=records.admin(tenant))).status_code == 422
    nowhere = {**body, "uscc": new_uscc(), "region_code": "990000"}
    assert (
        await records.client.post("/v1/enterprises", json=nowhere, headers=records.admin(tenant))
    ).status_code == 422
    # Another tenant has a directory of its own.
    other = await records.client.post("/v1/enterprises", json=body, headers=records.admin(f"{tenant}-b"))
    assert other.status_code == 201


async def test_search_by_uscc_and_by_a_substring_of_the_name_in_pages(records: Running, tenant: str) -> None:
    names = [f"西安永安{i:02d}门业有限公司" for i in range(7)] + ["咸阳秦川精密铸造有限公司", "百分之100%_公司"]
    created = [await register(records, tenant, name) for name in names]
    admin = records.admin(tenant)
    by_uscc = await records.client.get("/v1/enterprises", params={"uscc": created[0]["uscc"].lower()}, headers=admin)
    assert [e["id"] for e in by_uscc.json()["items"]] == [created[0]["id"]]
    assert (await records.client.get("/v1/enterprises", params={"uscc": "123"}, headers=admin)).status_code == 422

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"q": "永安", "limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await records.client.get("/v1/enterprises", params=params, headers=admin)).json()
        seen += [e["name"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == names[:7]
    wildcard = await records.client.get("/v1/enterprises", params={"q": "100%_"}, headers=admin)
    assert [e["name"] for e in wildcard.json()["items"]] == ["百分之100%_公司"]
    nothing = await records.client.get("/v1/enterprises", params={"q": "%"}, headers=admin)
    assert [e["name"] for e in nothing.json()["items"]] == ["百分之100%_公司"]
    bad_cursor = await records.client.get("/v1/enterprises", params={"cursor": "nope"}, headers=admin)
    assert bad_cursor.status_code == 422


async def test_patch_changes_what_is_sent_and_announces_real_changes_only(records: Running, tenant: str) -> None:
    enterprise = await register(records, tenant, "陕西永安兴庆门业有限公司", registered_emails=["a@ent.example.cn"])
    url = f"/v1/enterprises/{enterprise['id']}"
    change = {"name_en": "Yong'an Door", "status": "closed"}
    patched = await records.client.patch(url, json=change, headers=records.admin(tenant))
    assert patched.status_code == 200, patched.text
    assert {k: patched.json()[k] for k in change} == change
    assert patched.json()["name"] == "陕西永安兴庆门业有限公司"
    same = await records.client.patch(url, json=change, headers=records.admin(tenant))
    assert same.status_code == 200
    cleared = await records.client.patch(url, json={"name_en": None}, headers=records.admin(tenant))
    assert cleared.json()["name_en"] is None

    updates = [m for m in await records.outbox(tenant) if m.event_type.endswith("enterprise-updated.v1")]
    assert len(updates) == 2
    first = orjson.loads(updates[0].payload)
    assert first["status"] == "closed"
    assert first["enterprise"]["registered_emails"] == ["a@ent.example.cn"]

    for invalid in ({"name": None}, {"status": "gone"}, {"uscc": new_uscc()}, {"region_code": "12"}):
        assert (await records.client.patch(url, json=invalid, headers=records.admin(tenant))).status_code == 422
    staff = records.staff(tenant, enterprise["id"])
    assert (await records.client.patch(url, json={"name_en": "x"}, headers=staff)).status_code == 403
    assert (
        await records.client.patch(url, json={"name_en": "x"}, headers=records.admin(f"{tenant}-b"))
    ).status_code == 404


async def test_registered_emails_change_only_through_the_confirmation(records: Running, tenant: str) -> None:
    """Neither a reviewer nor the admin can PATCH the addresses: a reviewer may not PATCH at all."""
    enterprise = await register(records, tenant, "陕西永安兴庆门业有限公司", registered_emails=["a@ent.example.cn"])
    url = f"/v1/enterprises/{enterprise['id']}"
    takeover = {"registered_emails": ["attacker@example.com"]}
    by_reviewer = await records.client.patch(url, json=takeover, headers=records.reviewer(tenant))
    assert by_reviewer.status_code == 403, by_reviewer.text
    assert by_reviewer.headers["content-type"] == "application/problem+json"
    assert (await records.client.patch(url, json={"name_en": "x"}, headers=records.reviewer(tenant))).status_code == 403
    by_admin = await records.client.patch(url, json=takeover, headers=records.admin(tenant))
    assert by_admin.status_code == 422, by_admin.text
    assert by_admin.headers["content-type"] == "application/problem+json"
    kept = await records.client.get(url, headers=records.admin(tenant))
    assert (kept.json()["registered_emails"], kept.json()["name_en"]) == (["a@ent.example.cn"], None)
    assert [m for m in await records.outbox(tenant) if m.event_type.endswith("enterprise-updated.v1")] == []


async def test_enterprise_staff_see_their_own_enterprise_only(records: Running, tenant: str) -> None:
    mine = await register(records, tenant, "陕西永安兴庆门业有限公司")
    theirs = await register(records, tenant, "咸阳秦川精密铸造有限公司")
    staff = records.staff(tenant, mine["id"])
    assert (await records.client.get(f"/v1/enterprises/{mine['id']}", headers=staff)).status_code == 200
    assert (await records.client.get(f"/v1/enterprises/{theirs['id']}", headers=staff)).status_code == 404
    assert (await records.client.get("/v1/enterprises", headers=staff)).status_code == 403


@pytest.fixture(scope="module")
async def directory(create_database: Callable[[str], Awaitable[str]]) -> str:
    """A database of its own (other tests' names would sway the statistics) with 50,000 enterprises."""
    url = await create_database("records_directory")
    await asyncio.to_thread(command.upgrade, alembic_config("bluemap_records", url), "head")
    await fill_and_settle(
        url,
        """
        INSERT INTO enterprises (id, tenant_id, uscc, name, registered_emails, status, created_at, updated_at)
        SELECT gen_random_uuid(), 'ipe', lpad(i::text, 18, '0'),
               (ARRAY['西安','咸阳','苏州','深圳','青岛'])[1 + i % 5] || md5(i::text) || '有限公司',
               '[]', 'active', now(), now()
        FROM generate_series(1, 50000) AS i
        """,
        "enterprises",
    )
    return url


async def test_name_search_uses_the_bigram_and_character_indexes(directory: str) -> None:
    """Words few names hold are looked up: by their pairs (two characters and more), or by their one character."""
    engine = create_engine(directory)
    try:
        async with engine.begin() as connection:
            plans = {}
            for term in ("永安兴庆门业", "5d41402abc", "熊猫", "西安", "熊", "西"):
                query = EnterpriseRepository.search_query(
                    "ipe", name_contains=term, after=None, limit=50, postgresql=True
                )
                dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
                sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
                plans[term] = (await connection.execute(text("EXPLAIN (FORMAT JSON) " + sql))).scalar_one()
    finally:
        await engine.dispose()
    for term in ("永安兴庆门业", "5d41402abc", "熊猫"):
        assert "ix_enterprises_name_bigrams" in _indexes(plans[term][0]["Plan"]), (term, plans[term])
    assert "ix_enterprises_name_chars" in _indexes(plans["熊"][0]["Plan"]), plans["熊"]
    # Words a fifth of the names hold: walking the names in id order fills a page sooner.
    for term in ("西安", "西"):
        assert not {"ix_enterprises_name_bigrams", "ix_enterprises_name_chars"} & _indexes(plans[term][0]["Plan"]), (
            term,
            plans[term],
        )
    assert bigrams("永安兴庆永安") == ["永安", "安兴", "兴庆", "庆永"]
    assert bigrams("化") == []
    assert like_pattern("100%_\\") == "%100\\%\\_\\\\%"


async def test_name_search_is_planned_for_its_words_every_time(directory: str) -> None:
    """A prepared search never falls back to PostgreSQL's one plan for any words (which scans for rare ones)."""
    # One connection: its prepared statements are the searches'.
    engine = create_engine(directory, pool=PoolSettings(size=1, max_overflow=1))
    try:
        for term in ["永安兴庆门业", "熊猫电子", "5d41402abc", "不存在的企业名称"] * 5:
            async with AsyncSession(engine) as session, session.begin():
                await EnterpriseRepository(session).search("ipe", name_contains=term, after=None, limit=51)
        async with engine.connect() as connection:
            plans = (
                await connection.execute(
                    text(
                        "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                        "WHERE statement LIKE 'SELECT enterprises.id%' AND statement LIKE '%name LIKE%'"
                    )
                )
            ).one()
    finally:
        await engine.dispose()
    assert (plans.generic_plans, plans.custom_plans) == (0, 20)


def _indexes(node: dict) -> set[str]:  # type: ignore[type-arg]
    found = {node["Index Name"]} if "Index Name" in node else set()
    for child in node.get("Plans", []):
        found |= _indexes(child)
    return found


async def test_a_user_names_only_an_enterprise_of_the_tenant(records: Running, tenant: str) -> None:
    """Found by schemathesis: an operator account with an unknown enterprise_id was a foreign-key 500."""
    mine = await register(records, tenant, "陕西永安兴庆门业有限公司")
    theirs = await register(records, f"{tenant}-b", "另一租户的企业")
    for roles in (["admin", "admin"], ["reviewer"], ["enterprise"]):
        for enterprise_id in (str(uuid4()), theirs["id"]):
            body = {"email": f"u-{uuid4().hex[:8]}@example.org", "password": "quiet-harbour-lantern-42", "roles": roles}
            response = await records.client.post(
                "/v1/users", json=body | {"enterprise_id": enterprise_id}, headers=records.admin(tenant)
            )
            assert response.status_code == 404, response.text
            assert response.headers["content-type"] == "application/problem+json"
    created = await records.client.post(
        "/v1/users",
        json={"email": "ehs@example.org", "password": "quiet-harbour-lantern-42", "roles": ["enterprise", "enterprise"]}
        | {"enterprise_id": mine["id"]},
        headers=records.admin(tenant),
    )
    assert created.status_code == 201, created.text
    assert created.json()["roles"] == ["enterprise"]

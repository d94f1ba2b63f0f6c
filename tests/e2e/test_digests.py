"""Digest emails across the platform: an import's records reach their enterprise in one email, once, past kill -9."""

import asyncio
import csv
import io
import uuid
from typing import Any

import httpx
import pytest

from bluemap_shared.testing import Mailpit, eventually
from tests.e2e.platform import Platform
from tests.e2e.test_thin_flow import admin_headers, new_uscc

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

HEADER = (
    "uscc,enterprise_name,enterprise_name_en,region_code,registered_email,record_type,year,"
    "source_title,issuing_authority,issued_on,source_url,summary,external_id"
)


def import_file(uscc: str, email: str, titles: list[str]) -> bytes:
    """An import file (format v1) of one enterprise's environmental supervision records."""
    out = io.StringIO()
    out.write(HEADER + "\n")
    writer = csv.writer(out, lineterminator="\n")
    for title in titles:
        enterprise = [uscc, "陕西永安兴庆门业有限公司", "Shaanxi Yongan", "610100", email]
        record = ["environmental_supervision", "2020", title, "中华人民共和国生态环境部", "2020-02-20", "", "", ""]
        writer.writerow([*enterprise, *record])
    return out.getvalue().encode()


async def upload(platform: Platform, headers: dict[str, str], content: bytes) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=platform.api("records"), headers=headers, timeout=60) as client:
        response = await client.post("/v1/imports", files={"file": ("records.csv", content, "text/csv")})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "completed", body
    return body


async def texts(mailpit: Mailpit, to: str, count: int) -> list[str]:
    found = await mailpit.wait_for(to, count=count, timeout=60)
    return [(await mailpit.message(m["ID"]))["Text"] for m in found]


async def test_two_imports_reach_the_enterprise_in_two_emails(platform: Platform, mailpit: Mailpit) -> None:
    email = f"digest-{uuid.uuid4().hex[:8]}@yongan-xingqing.example.cn"
    uscc = new_uscc()
    admin = await admin_headers(platform)
    first = [f"第一次导入的记录{i}" for i in range(3)]
    second = [f"第二次导入的记录{i}" for i in range(2)]
    # Back to back, well inside one quiet period: only the import tells the two apart.
    await upload(platform, admin, import_file(uscc, email, first))
    await upload(platform, admin, import_file(uscc, email, second))

    messages = await texts(mailpit, email, 2)
    await asyncio.sleep(3)  # long enough for a third to show
    assert len(await mailpit.messages(email)) == 2
    [of_first] = [text for text in messages if first[0] in text]
    [of_second] = [text for text in messages if second[0] in text]
    assert all(title in of_first for title in first)
    assert not any(title in of_first for title in second)
    assert all(title in of_second for title in second)
    assert of_first.count("说明截止日期：") == 3
    assert of_second.count("Explanation due by: ") == 2


async def test_killed_while_closing_a_digest_emails_it_once(platform: Platform, mailpit: Mailpit) -> None:
    """The digest's email is queued in the transaction that closes it; the process dies before the commit."""
    email = f"digest-crash-{uuid.uuid4().hex[:8]}@yongan-xingqing.example.cn"
    titles = [f"崩溃前导入的记录{i}" for i in range(3)]
    admin = await admin_headers(platform)

    platform.kill("notifications")
    marker = platform.workdir / "failpoints" / "digest.before_close_commit.hit"
    marker.unlink(missing_ok=True)
    platform.start("notifications", extra_env={"BLUEMAP_FAILPOINTS": "digest.before_close_commit=pause"})
    await upload(platform, admin, import_file(new_uscc(), email, titles))

    await eventually(lambda: asyncio.sleep(0, marker.exists()), timeout=60)
    platform.kill("notifications")
    assert await mailpit.messages(email) == [], "frozen before the commit: nothing may have been queued"

    platform.start("notifications")
    [text] = await texts(mailpit, email, 1)
    assert all(title in text for title in titles)
    await asyncio.sleep(5)  # the relay polls every 0.5 s here: a duplicate would show by now
    assert len(await mailpit.messages(email)) == 1

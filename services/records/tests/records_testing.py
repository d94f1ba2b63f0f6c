"""Helpers of the records tests (a module name of its own: pytest puts every tests folder on sys.path)."""

import random
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from sqlmodel import col, select

from bluemap_records.bootstrap import RecordsService
from bluemap_records.uscc import check_digit
from bluemap_shared.auth import ADMIN, ENTERPRISE, REVIEWER
from bluemap_shared.messaging.models import OutboxMessage
from bluemap_shared.messaging.outbox import BATCH_EVENT_TYPE, unpack_batch

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
SAMPLE_CSV = SHARED / "spec" / "records-sample.csv"
HEADER = (
    "uscc,enterprise_name,enterprise_name_en,region_code,registered_email,record_type,year,source_title,"
    "issuing_authority,issued_on,source_url,summary,external_id"
)
WALKTHROUGH_USCC = "91610100992777567D"


def staged_events(row: OutboxMessage) -> list[OutboxMessage]:
    """The events an outbox row stands for: itself, or each event of a batch row, with its own type and key."""
    if row.event_type != BATCH_EVENT_TYPE:
        return [row]
    event_type = dict(row.headers)["ce_type"]
    return [
        OutboxMessage(
            **{
                **row.model_dump(),
                "event_id": UUID(event_id),
                "key": subject,
                "event_type": event_type,
                "payload": payload,
            }
        )
        for event_id, subject, payload in unpack_batch(row.payload)
    ]


def new_uscc(region: str = "610100") -> str:
    first17 = "91" + region + "".join(random.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    return first17 + check_digit(first17)


def csv_row(**overrides: str) -> str:
    """One valid row of the import format, with some columns replaced."""
    values = {
        "uscc": WALKTHROUGH_USCC,
        "enterprise_name": "陕西永安兴庆门业有限公司",
        "enterprise_name_en": "Shaanxi Yong'an Xingqing Door Industry Co., Ltd.",
        "region_code": "610100",
        "registered_email": "ehs@yongan-xingqing.example.cn",
        "record_type": "environmental_supervision",
        "year": "2020",
        "source_title": "关于对强化监督定点帮扶发现问题进行督办的函(西安)",
        "issuing_authority": "中华人民共和国生态环境部",
        "issued_on": "2020-02-20",
        "source_url": "https://www.mee.gov.cn/",
        "summary": "强化监督定点帮扶发现：喷漆房废气收集处理设施未正常运行。",
        "external_id": "MEE-2020-0220-017",
    }
    values.update(overrides)
    cells = []
    for name in HEADER.split(","):
        value = values[name]
        cells.append('"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\n') else value)
    return ",".join(cells)


def csv_file(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


@dataclass
class Running:
    service: RecordsService
    client: httpx.AsyncClient

    def token(self, tenant_id: str, roles: list[str], enterprise_id: UUID | None = None) -> dict[str, str]:
        """Headers with a token the records service itself signed."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": "bluemap",
            "aud": "bluemap",
            "sub": f"user-{uuid.uuid4().hex[:8]}",
            "iat": now,
            "exp": now + 600,
            "tenant_id": tenant_id,
            "roles": roles,
            "enterprise_id": str(enterprise_id) if enterprise_id else None,
        }
        return {"Authorization": f"Bearer {self.service.signing_key.sign(claims)}"}

    def admin(self, tenant_id: str) -> dict[str, str]:
        return self.token(tenant_id, [ADMIN])

    def reviewer(self, tenant_id: str) -> dict[str, str]:
        return self.token(tenant_id, [REVIEWER])

    def staff(self, tenant_id: str, enterprise_id: UUID | str) -> dict[str, str]:
        return self.token(tenant_id, [ENTERPRISE], UUID(str(enterprise_id)))

    async def upload(
        self, tenant_id: str, content: bytes, *, filename: str = "records.csv", **params: str
    ) -> httpx.Response:
        return await self.client.post(
            "/v1/imports",
            files={"file": (filename, content, "text/csv")},
            params=params,
            headers=self.admin(tenant_id),
        )

    async def outbox(self, tenant_id: str) -> list[OutboxMessage]:
        """The tenant's events in the order they were staged, a batch row's (emit_batch) as the relay sends them."""
        async with self.service.runtime.sessionmaker() as session:
            result = await session.exec(
                select(OutboxMessage).where(OutboxMessage.tenant_id == tenant_id).order_by(col(OutboxMessage.id))
            )
            return [event for row in result.all() for event in staged_events(row)]

    async def event_types(self, tenant_id: str) -> list[str]:
        return [m.event_type.split(".")[3] for m in await self.outbox(tenant_id)]

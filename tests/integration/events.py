"""Event factories for kernel tests."""

from datetime import UTC, date, datetime
from uuid import UUID

from bluemap_shared.events.catalog import EnterpriseSnapshot, RecordPublished
from bluemap_shared.ids import uuid7


def record_published(
    record_id: UUID | None = None, *, title: str = "关于对强化监督定点帮扶发现问题进行督办的函(西安)"
) -> RecordPublished:
    return RecordPublished(
        record_id=record_id or uuid7(),
        enterprise=EnterpriseSnapshot(
            enterprise_id=UUID("01a22300-0000-7000-8000-000000000001"),
            uscc="91610100992777567D",
            name="陕西永安兴庆门业有限公司",
            registered_emails=["ehs@yongan-xingqing.example.cn"],
        ),
        record_type="environmental_supervision",
        explainable=True,
        year=2020,
        source_title=title,
        issuing_authority="中华人民共和国生态环境部",
        issued_on=date(2020, 2, 20),
        published_at=datetime.now(UTC),
    )

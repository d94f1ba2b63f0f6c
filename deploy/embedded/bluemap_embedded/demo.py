"""Demo data for the embedded default: a tenant, its staff, a platform operator, enterprises and their records."""

import csv
from dataclasses import dataclass
from importlib import resources

import structlog

from bluemap_records.bootstrap import RecordsService
from bluemap_records.dates import parse_issue_date
from bluemap_records.enterprises.repository import EnterpriseRepository
from bluemap_records.enterprises.schemas import EnterpriseCreate
from bluemap_records.enterprises.service import register_enterprise
from bluemap_records.identity.repository import UserRepository
from bluemap_records.identity.schemas import UserCreate
from bluemap_records.identity.service import create_user
from bluemap_records.records.schemas import RecordCreate
from bluemap_records.records.service import publish_record
from bluemap_records.tenants.repository import TenantRepository
from bluemap_records.tenants.schemas import TenantSettingsIn
from bluemap_records.tenants.service import register_tenant
from bluemap_shared.auth import PLATFORM_OPERATOR

log = structlog.get_logger()

TENANT = "ipe"
WALKTHROUGH_USCC = "91610100992777567D"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    roles: tuple[str, ...]
    display_name: str


ACCOUNTS = (
    DemoAccount("admin@ipe.example.org", "bluemap-admin-demo", ("admin",), "IPE 管理员 Admin"),
    DemoAccount("reviewer@ipe.example.org", "bluemap-reviewer-demo", ("reviewer",), "IPE 审核员 Reviewer"),
    DemoAccount("ehs@yongan-xingqing.example.cn", "bluemap-enterprise-demo", ("enterprise",), "永安兴庆 EHS"),
    DemoAccount("operator@bluemap.example.org", "bluemap-operator-demo", (PLATFORM_OPERATOR,), "平台运营 Operator"),
)
# Hosts the demo site answers on; any other host is 404, as with every tenant.
LOCAL_HOSTS = ["127.0.0.1", "localhost"]


def demo_tenant(hostnames: list[str]) -> TenantSettingsIn:
    """The one tenant of the demo: the platform's names and the embedded mail catcher's sender."""
    return TenantSettingsIn(
        id=TENANT,
        name_zh="蔚蓝地图",
        name_en="Blue Map",
        hostnames=list(dict.fromkeys([*LOCAL_HOSTS, *hostnames])),
        default_language="zh",
        mail_sender_name="Blue Map 蔚蓝地图",
        mail_sender_address="noreply@bluemap.example.org",
        staff_email="staff@ipe.example.org",
    )


async def seed_tenant(records: RecordsService, hostnames: list[str]) -> bool:
    """Register the demo tenant unless the registry has it (data of an older run may have its users already)."""
    async with records.runtime.sessionmaker() as session, session.begin():
        if await TenantRepository(session).get(TENANT) is not None:
            return False
        await register_tenant(session, demo_tenant(hostnames), records.runtime.tenants)
    log.info("demo.tenant_registered", tenant=TENANT)
    return True


async def seed(records: RecordsService) -> bool:
    """Load the demo once; False when the database already has it."""
    async with records.runtime.sessionmaker() as session, session.begin():
        if await UserRepository(session).get_by_email(TENANT, ACCOUNTS[0].email) is not None:
            return False
        rows = list(
            csv.DictReader(resources.files("bluemap_embedded").joinpath("demo/records.csv").open(encoding="utf-8"))
        )
        enterprises = EnterpriseRepository(session)
        for row in rows:
            enterprise = await enterprises.get_by_uscc(TENANT, row["uscc"])
            if enterprise is None:
                enterprise = await register_enterprise(
                    session,
                    TENANT,
                    EnterpriseCreate(
                        uscc=row["uscc"],
                        name=row["enterprise_name"],
                        name_en=row["enterprise_name_en"] or None,
                        region_code=row["region_code"] or None,
                        registered_emails=[row["registered_email"]] if row["registered_email"] else [],
                    ),
                )
            await publish_record(
                session,
                TENANT,
                RecordCreate(
                    enterprise_id=enterprise.id,
                    record_type=row["record_type"],
                    year=int(row["year"]),
                    source_title=row["source_title"],
                    issuing_authority=row["issuing_authority"],
                    issued_on=parse_issue_date(row["issued_on"]),
                    source_url=row["source_url"] or None,
                    summary=row["summary"] or None,
                    external_id=row["external_id"] or None,
                ),
                actor="demo",
                provenance="demo",
            )
        walkthrough = await enterprises.get_by_uscc(TENANT, WALKTHROUGH_USCC)
        for account in ACCOUNTS:
            await create_user(
                session,
                records.passwords,
                TENANT,
                UserCreate(
                    email=account.email,
                    password=account.password,
                    display_name=account.display_name,
                    roles=list(account.roles),  # type: ignore[arg-type]
                    enterprise_id=walkthrough.id if "enterprise" in account.roles and walkthrough else None,
                ),
            )
    log.info("demo.seeded", tenant=TENANT, records=len(rows), accounts=len(ACCOUNTS))
    return True

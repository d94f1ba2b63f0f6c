"""Demo data for the embedded default: a tenant, its staff, enterprises and their records."""

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
)


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

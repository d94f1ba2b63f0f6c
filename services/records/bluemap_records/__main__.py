"""`python -m bluemap_records serve|migrate|create-user|import|tenants`."""

import argparse
import asyncio
import sys

from bluemap_records.bootstrap import bootstrap
from bluemap_records.identity.schemas import UserCreate
from bluemap_records.identity.service import create_user
from bluemap_records.imports.cli import run_import
from bluemap_records.tenants.cli import run_tenants
from bluemap_records.tenants.service import require_active
from bluemap_shared.auth import PLATFORM_OPERATOR
from bluemap_shared.cli import service_main
from bluemap_shared.problems import Problem


async def _create_user(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bluemap-records create-user", description="Create a login.")
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument(
        "--role", action="append", required=True, choices=["admin", "reviewer", "enterprise", PLATFORM_OPERATOR]
    )
    parser.add_argument("--enterprise-id")
    parser.add_argument("--name", default="")
    args = parser.parse_args(argv)
    service = bootstrap()
    await service.runtime.migrate()
    data = UserCreate(
        email=args.email,
        password=args.password,
        roles=args.role,
        enterprise_id=args.enterprise_id,
        display_name=args.name,
    )
    try:
        async with service.runtime.sessionmaker() as session, session.begin():
            # Tenants exist only in the registry: `tenants create` first, never one made up by a typo here.
            await require_active(session, args.tenant)
            user = await create_user(session, service.passwords, args.tenant, data)
    except Problem as exc:
        print(f"{exc.title}: {exc.detail}", file=sys.stderr)
        sys.exit(2)
    finally:
        await service.runtime.engine.dispose()
    print(user.id)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["create-user"]:
        asyncio.run(_create_user(args[1:]))
        return
    if args[:1] == ["tenants"]:
        sys.exit(asyncio.run(run_tenants(args[1:])))
    if args[:1] == ["import"]:
        sys.exit(asyncio.run(run_import(args[1:])))
    service_main("records", bootstrap, args)


if __name__ == "__main__":
    main()

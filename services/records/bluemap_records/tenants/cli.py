"""`python -m bluemap_records tenants create|edit|suspend|resume|list`: the platform operator's command line."""

import argparse
import getpass
import json
import sys
from typing import Any

from pydantic import ValidationError

from bluemap_records.bootstrap import RecordsService, bootstrap
from bluemap_records.tenants import service
from bluemap_records.tenants.repository import TenantRepository
from bluemap_records.tenants.schemas import TenantCreate, TenantPublic, TenantSettingsIn, TenantUpdate
from bluemap_shared.problems import Problem

SETTINGS = ("name_zh", "name_en", "default_language", "mail_sender_name", "mail_sender_address", "staff_email")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bluemap-records tenants", description="Run the platform's tenants.")
    commands = parser.add_subparsers(dest="command", required=True)

    def settings(sub: argparse.ArgumentParser, *, creating: bool) -> None:
        sub.add_argument("--name-zh", required=creating, help="Display name in Chinese")
        sub.add_argument("--name-en", required=creating, help="Display name in English")
        sub.add_argument("--hostname", action="append", help="A host the site answers on (repeat for more)")
        if not creating:
            sub.add_argument("--no-hostnames", action="store_true", help="Answer on no host any more")
        sub.add_argument("--default-language", choices=["zh", "en"])
        sub.add_argument("--mail-sender-name", required=creating)
        sub.add_argument("--mail-sender-address", required=creating)
        sub.add_argument("--staff-email")
        sub.add_argument("--logo-url")
        sub.add_argument("--brand-colour", help="#rrggbb")

    create = commands.add_parser("create", help="Create a tenant with its first admin")
    create.add_argument("tenant_id")
    settings(create, creating=True)
    create.add_argument(
        "--admin-email", help="The first admin; leave out only for a tenant whose users exist from before the registry"
    )
    create.add_argument("--admin-password", help="Asked for when absent (kept out of the shell's history)")
    create.add_argument("--admin-name", default="")
    edit = commands.add_parser("edit", help="Change a tenant's settings")
    edit.add_argument("tenant_id")
    settings(edit, creating=False)
    suspend = commands.add_parser("suspend", help="Suspend a tenant: its site and API answer 503")
    suspend.add_argument("tenant_id")
    suspend.add_argument("--reason", default="")
    resume = commands.add_parser("resume", help="Make a suspended tenant active again")
    resume.add_argument("tenant_id")
    commands.add_parser("list", help="Every tenant, one JSON object a line")
    return parser


def _fields(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given on the command line, by schema field name."""
    fields: dict[str, Any] = {name: getattr(args, name) for name in SETTINGS if getattr(args, name) is not None}
    for name in ("logo_url", "brand_colour"):
        if getattr(args, name) is not None:
            fields[name] = getattr(args, name)
    if args.hostname:
        fields["hostnames"] = args.hostname
    elif getattr(args, "no_hostnames", False):
        fields["hostnames"] = []
    return fields


def _show(tenant: Any) -> str:
    return json.dumps(TenantPublic.model_validate(tenant).model_dump(mode="json"), ensure_ascii=False)


async def _run(records: RecordsService, args: argparse.Namespace) -> str:
    # Other processes (the API) see the change within tenant_cache_seconds; this one at once.
    directory = records.runtime.tenants
    async with records.runtime.sessionmaker() as session, session.begin():
        if args.command == "list":
            return "\n".join(_show(tenant) for tenant in await TenantRepository(session).all())
        if args.command == "create" and args.admin_email is None:
            tenant = await service.register_tenant(
                session, TenantSettingsIn.model_validate({"id": args.tenant_id, **_fields(args)}), directory
            )
        elif args.command == "create":
            password = args.admin_password or getpass.getpass("First admin's password: ")
            data = TenantCreate.model_validate(
                {
                    "id": args.tenant_id,
                    **_fields(args),
                    "first_admin": {"email": args.admin_email, "password": password, "display_name": args.admin_name},
                }
            )
            tenant, _admin = await service.create_tenant(session, records.passwords, data, directory)
        elif args.command == "edit":
            update = TenantUpdate.model_validate(_fields(args))
            tenant = await service.update_tenant(
                session, args.tenant_id, update, may_change_hostnames=True, directory=directory
            )
        elif args.command == "suspend":
            tenant = await service.suspend_tenant(session, args.tenant_id, args.reason, directory)
        else:
            tenant = await service.resume_tenant(session, args.tenant_id, directory)
        return _show(tenant)


async def run_tenants(argv: list[str], records: RecordsService | None = None) -> int:
    """Run one command; 0 when done, 2 when refused (the reason on stderr). The relay sends its event later."""
    args = _parser().parse_args(argv)
    own = records is None
    records = records or bootstrap()
    try:
        if own:
            await records.runtime.migrate()
        try:
            print(await _run(records, args))
        except ValidationError as exc:
            print(f"invalid: {exc}", file=sys.stderr)
            return 2
        except Problem as exc:
            print(f"{exc.title}: {exc.detail}", file=sys.stderr)
            return 2
        return 0
    finally:
        if own:
            records.passwords.shutdown()
            await records.runtime.engine.dispose()

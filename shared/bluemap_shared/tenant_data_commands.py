"""`python -m bluemap_<service> tenant-data export|delete`: offboard a tenant from one service (run it in each)."""

import argparse
import json
from pathlib import Path

from bluemap_shared.offboarding import delete_tenant, export_tenant, remaining_rows
from bluemap_shared.runtime import ServiceRuntime

EXIT_REFUSED = 2


def add_tenant_data_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """The tenant-data command: export a tenant's data, or delete it (after an export)."""
    tenant_data = commands.add_parser("tenant-data", help="export or delete one tenant's data in this service")
    actions = tenant_data.add_subparsers(dest="action", required=True)
    export = actions.add_parser("export", help="one JSON Lines file per table (and stored objects) under --to")
    export.add_argument("--tenant", required=True)
    export.add_argument("--to", type=Path, required=True)
    remove = actions.add_parser("delete", help="delete every row (and stored object) of the tenant")
    remove.add_argument("--tenant", required=True)
    remove.add_argument("--confirm", required=True, help="the tenant id again: deleting cannot be undone")


async def run_tenant_data_command(runtime: ServiceRuntime, args: argparse.Namespace) -> int:
    """Run one action; prints counts per table as JSON and returns the exit status."""
    try:
        if args.action == "export":
            counts = await export_tenant(runtime.sessionmaker, runtime.tenant_data, args.tenant, args.to)
        elif args.confirm != args.tenant:
            print(f"refused: --confirm must repeat the tenant id {args.tenant!r}")
            return EXIT_REFUSED
        else:
            counts = await delete_tenant(runtime.sessionmaker, runtime.tenant_data, args.tenant)
            remaining = await remaining_rows(runtime.sessionmaker, runtime.tenant_data, args.tenant)
            left = {name: count for name, count in remaining.items() if count}
            if left:
                print(f"refused: rows left after delete: {left}")
                return EXIT_REFUSED
        print(json.dumps({"service": runtime.name, "tenant": args.tenant, args.action: counts}, ensure_ascii=False))
        return 0
    finally:
        await runtime.engine.dispose()

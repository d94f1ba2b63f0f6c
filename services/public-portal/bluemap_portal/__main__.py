"""`python -m bluemap_portal serve|migrate`: like every service's command line, plus the site at "/"."""

import argparse
import asyncio

import uvicorn
from starlette.routing import Mount

from bluemap_portal.bootstrap import NAME, bootstrap
from bluemap_shared.http import standalone_app
from bluemap_shared.logging import configure_logging


def main(argv: list[str] | None = None) -> None:
    # bluemap_shared.cli.service_main serves the API only; the portal also serves its site.
    parser = argparse.ArgumentParser(prog=f"bluemap-{NAME}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the portal alone: its API and the public site")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    commands.add_parser("migrate", help="apply pending database migrations")
    args = parser.parse_args(argv)

    service = bootstrap()
    settings = service.runtime.settings
    configure_logging(settings.log_level, settings.log_json)
    if args.command == "migrate":
        asyncio.run(service.runtime.migrate())
        return
    uvicorn.run(
        standalone_app(service.runtime, service.app, extra=[Mount("/", app=service.site)]),
        host=args.host or settings.host,
        port=args.port or settings.port,
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()

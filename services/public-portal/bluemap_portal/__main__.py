"""`python -m bluemap_portal serve|migrate`: the portal's API, and its public site at "/"."""

from starlette.routing import Mount

from bluemap_portal.bootstrap import NAME, bootstrap
from bluemap_shared.cli import service_main


def main(argv: list[str] | None = None) -> None:
    service_main(NAME, bootstrap, argv, extra_mounts=lambda service: [Mount("/", app=service.site)])


if __name__ == "__main__":
    main()

"""`python -m bluemap_portal serve|migrate|relay`: the portal's API, and its public site at "/";
`verify-history URL [--saved-head FILE]` audits a portal's public history log."""

import sys

from starlette.routing import Mount

from bluemap_portal.bootstrap import NAME, bootstrap
from bluemap_shared.cli import service_main

VERIFY_HISTORY = "verify-history"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == [VERIFY_HISTORY]:
        # A client of any portal: no settings, database or broker of this one.
        from bluemap_portal.history.verifier import main as verify_history

        raise SystemExit(verify_history(args[1:]))
    service_main(NAME, bootstrap, argv, extra_mounts=lambda service: [Mount("/", app=service.site)])


if __name__ == "__main__":
    main()

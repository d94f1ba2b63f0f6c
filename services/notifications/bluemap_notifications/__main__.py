"""`python -m bluemap_notifications serve|migrate|relay|dead-letters`."""

from bluemap_notifications.bootstrap import bootstrap
from bluemap_shared.cli import service_main


def main(argv: list[str] | None = None) -> None:
    service_main("notifications", bootstrap, argv)


if __name__ == "__main__":
    main()

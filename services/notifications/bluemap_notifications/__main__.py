"""`python -m bluemap_notifications serve|migrate`."""

from bluemap_notifications.bootstrap import bootstrap
from bluemap_shared.cli import service_main


def main() -> None:
    service_main("notifications", bootstrap)


if __name__ == "__main__":
    main()

"""`python -m bluemap_records serve|migrate`."""

from bluemap_records.bootstrap import bootstrap
from bluemap_shared.cli import service_main


def main() -> None:
    service_main("records", bootstrap)


if __name__ == "__main__":
    main()

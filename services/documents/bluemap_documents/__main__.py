"""`python -m bluemap_documents serve|migrate`."""

from bluemap_documents.bootstrap import bootstrap
from bluemap_shared.cli import service_main


def main() -> None:
    service_main("documents", bootstrap)


if __name__ == "__main__":
    main()

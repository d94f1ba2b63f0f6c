"""`python -m bluemap_documents serve|migrate|relay|dead-letters`."""

from bluemap_documents.bootstrap import bootstrap
from bluemap_shared.cli import service_main


def main(argv: list[str] | None = None) -> None:
    service_main("documents", bootstrap, argv)


if __name__ == "__main__":
    main()

"""`python -m bluemap_explanations serve|migrate|relay|dead-letters`."""

from bluemap_explanations.bootstrap import bootstrap
from bluemap_shared.cli import service_main


def main(argv: list[str] | None = None) -> None:
    service_main("explanations", bootstrap, argv)


if __name__ == "__main__":
    main()

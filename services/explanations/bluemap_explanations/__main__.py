"""`python -m bluemap_explanations serve|migrate`."""

from bluemap_explanations.bootstrap import bootstrap
from bluemap_shared.cli import service_main


def main() -> None:
    service_main("explanations", bootstrap)


if __name__ == "__main__":
    main()

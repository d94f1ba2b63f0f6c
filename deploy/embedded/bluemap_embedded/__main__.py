"""`python -m bluemap_embedded`: the whole platform in one process at http://127.0.0.1:8000/."""

import argparse
import shutil
from pathlib import Path

import uvicorn

from bluemap_embedded.app import EmbeddedConfig, build
from bluemap_shared.logging import configure_logging


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bluemap", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("var/embedded"), help="where data persists between runs")
    parser.add_argument("--reset", action="store_true", help="delete the data folder first: start from a clean slate")
    parser.add_argument("--no-demo", action="store_true", help="do not load the demo tenant, accounts and records")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--hostname",
        action="append",
        default=[],
        help="another host the demo site answers on (repeat for more); 127.0.0.1 and localhost always do",
    )
    parser.add_argument("--smtp-port", type=int, default=8025, help="port of the local mail catcher")
    parser.add_argument("--log-json", action="store_true", help="JSON logs instead of console lines")
    args = parser.parse_args(argv)

    configure_logging("INFO", json=args.log_json)
    if args.reset and args.data_dir.exists():
        shutil.rmtree(args.data_dir)
    config = EmbeddedConfig(
        data_dir=args.data_dir.resolve(),
        host=args.host,
        port=args.port,
        smtp_port=args.smtp_port,
        demo=not args.no_demo,
        hostnames=tuple(args.hostname),
    )
    uvicorn.run(build(config), host=args.host, port=args.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()

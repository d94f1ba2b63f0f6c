"""Fail points for crash tests: named places where a test can freeze a process.

BLUEMAP_FAILPOINTS="mail.before_send=pause,consumer.after_handle_commit=pause"
A paused process writes <BLUEMAP_FAILPOINT_DIR>/<name>.hit and waits, so a test can kill -9 it there.
"""

import asyncio
import os
from pathlib import Path

import structlog

log = structlog.get_logger()


def _configured() -> dict[str, str]:
    spec = os.environ.get("BLUEMAP_FAILPOINTS", "")
    pairs = (item.split("=", 1) for item in spec.split(",") if "=" in item)
    return {name.strip(): action.strip() for name, action in pairs}


_ACTIVE = _configured()


async def failpoint(name: str) -> None:
    """Do what the environment asks at this point: nothing (always, in production) or pause."""
    if _ACTIVE.get(name) != "pause":
        return
    marker_dir = Path(os.environ.get("BLUEMAP_FAILPOINT_DIR", "."))
    # Blocking file I/O is fine here: only test processes ever reach this line.
    marker_dir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240
    (marker_dir / f"{name}.hit").write_text(str(os.getpid()))
    log.warning("failpoint.paused", failpoint=name)
    await asyncio.Event().wait()

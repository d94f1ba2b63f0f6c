"""`python -m bluemap_<service> dead-letters list|show|replay`: an operator's view of what a consumer gave up on."""

import argparse
import base64
import getpass
import json
from typing import Any

from bluemap_shared.messaging.dead_letters import (
    DeadLetterFilter,
    ReplayMode,
    get_dead_letter,
    list_dead_letters,
    replay,
)
from bluemap_shared.messaging.models import DeadLetter
from bluemap_shared.problems import Problem
from bluemap_shared.runtime import ServiceRuntime

# Exit statuses: 0 done, 1 the replay ran but the handler failed again, 2 refused (bad id, state, input).
EXIT_FAILED_AGAIN = 1
EXIT_REFUSED = 2


def add_dead_letter_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """The dead-letters command and its list, show and replay actions."""
    letters = commands.add_parser("dead-letters", help="list, show and replay what this service's consumer gave up on")
    actions = letters.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="letters waiting for a replay, newest first")
    listing.add_argument("--reason", help="only this reason (handler-failed, malformed-json, ...)")
    listing.add_argument("--type", dest="event_type", help="only this event type")
    listing.add_argument("--all", action="store_true", help="replayed letters too")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    show = actions.add_parser("show", help="one letter whole: headers, payload, error, replays")
    show.add_argument("id", type=int)
    again = actions.add_parser("replay", help="hand a letter to the handler again, or put it back on its topic")
    again.add_argument("id", type=int)
    again.add_argument("--reason", required=True, help="why it may now succeed (recorded on the letter)")
    again.add_argument(
        "--into",
        choices=[mode.value for mode in ReplayMode],
        default=ReplayMode.HANDLER.value,
        help="handler: run it here, now; topic: publish it to its original topic for the running consumers",
    )
    again.add_argument("--by", default=getpass.getuser(), help="who replays (recorded on the letter)")


async def run_dead_letter_command(runtime: ServiceRuntime, args: argparse.Namespace) -> int:
    """Run one action; prints its result and returns the exit status."""
    try:
        if args.action == "list":
            where = DeadLetterFilter(
                consumer=runtime.consumer.name,
                reason=args.reason,
                event_type=args.event_type,
                include_replayed=args.all,
                limit=args.limit,
            )
            for letter in await list_dead_letters(runtime.sessionmaker, where):
                print(json.dumps(summary(letter), ensure_ascii=False) if args.json else summary_line(letter))
            return 0
        if args.action == "show":
            letter = await get_dead_letter(runtime.sessionmaker, args.id)
            print(json.dumps(whole(letter), ensure_ascii=False, indent=2))
            return 0
        await runtime.transport.start()
        try:
            outcome = await replay(
                runtime.sessionmaker,
                runtime.consumer,
                runtime.transport,
                args.id,
                mode=ReplayMode(args.into),
                reason=args.reason,
                by=args.by,
            )
        finally:
            await runtime.transport.stop()
        print(f"dead letter {args.id}: {outcome}")
        return EXIT_FAILED_AGAIN if outcome == "failed-again" else 0
    except Problem as problem:
        print(f"refused: {problem.detail}")
        return EXIT_REFUSED
    finally:
        await runtime.engine.dispose()


def summary(letter: DeadLetter) -> dict[str, Any]:
    return {
        "id": letter.id,
        "created_at": letter.created_at.isoformat(),
        "consumer": letter.consumer,
        "reason": letter.reason,
        "event_type": letter.event_type,
        "event_id": letter.event_id,
        "tenant_id": letter.tenant_id,
        "attempts": letter.attempts,
        "error": letter.error.splitlines()[0][:200] if letter.error else "",
        "replayed_at": letter.replayed_at.isoformat() if letter.replayed_at else None,
    }


def summary_line(letter: DeadLetter) -> str:
    fields = summary(letter)
    replayed = f"  replayed {fields['replayed_at']}" if fields["replayed_at"] else ""
    return (
        f"{fields['id']:>8}  {fields['created_at'][:19]}  {fields['reason']:<20} "
        f"{fields['event_type'] or '-'}  {fields['event_id'] or '-'}  {fields['error']}{replayed}"
    )


def whole(letter: DeadLetter) -> dict[str, Any]:
    try:
        payload: Any = json.loads(letter.payload)
    except ValueError:
        payload = {"base64": base64.b64encode(letter.payload).decode()}
    return {
        **summary(letter),
        "topic": letter.topic,
        "partition": letter.partition,
        "offset": letter.offset,
        "key": letter.key,
        "headers": letter.headers,
        "payload": payload,
        "error": letter.error,
        "last_replay": letter.last_replay,
    }

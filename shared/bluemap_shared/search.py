"""Substring search on names that stays fast on a large directory (PostgreSQL), shared by the services that search.

A service's migration creates `bluemap_name_bigrams(text)`, a name's character pairs, and a GIN
index on it: Chinese names are searched by two-character words (永安, 化工), which hold no trigram.
"""

from typing import Any

from sqlalchemy import ARRAY, Text, cast, func, text
from sqlmodel.ext.asyncio.session import AsyncSession

_PLANNED = "bluemap_search_planned"  # session.info: the transaction whose searches are planned for their words


def like_pattern(words: str) -> str:
    """LIKE pattern matching words anywhere, its wildcards taken literally (escape character: backslash)."""
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def bigrams(words: str) -> list[str]:
    """The words' character pairs, as bluemap_name_bigrams makes a name's, each once."""
    return list(dict.fromkeys(words[i : i + 2] for i in range(len(words) - 1)))


def holds_bigrams(column: Any, words: str) -> Any | None:
    """column holds all of words' pairs: the part of a LIKE the index answers (None under two characters)."""
    pairs = bigrams(words)
    if not pairs:
        return None
    return func.bluemap_name_bigrams(column).op("@>")(cast(pairs, ARRAY(Text)))


async def plan_for_these_words(session: AsyncSession) -> None:
    """Have PostgreSQL plan the transaction's next searches for their own words.

    asyncpg prepares statements, and after five runs PostgreSQL may plan one once for any words:
    not knowing how many names hold them, it walks an index in the page's order and filters,
    reading the whole directory for words that few or no names hold (0.6 s at a million
    enterprises). Parallel workers cost more to start (~15 ms) than a page of 50 takes to find.
    """
    transaction = session.sync_session.get_transaction()
    if transaction is not None and session.info.get(_PLANNED) is transaction:
        return  # a search page counts, then lists: the settings hold for the whole transaction
    connection = await session.connection()
    session.info[_PLANNED] = session.sync_session.get_transaction()
    await connection.execute(
        text(
            "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
            "set_config('max_parallel_workers_per_gather', '0', true)"
        )
    )

"""Substring search on names that stays fast on a large directory (PostgreSQL), shared by the services that search.

A service's migrations create two GIN indexes on names: one on `bluemap_name_bigrams(name)`, a
name's character pairs, for words of two characters or more (Chinese names are searched by
two-character words such as 永安, which hold no trigram); one on `string_to_array(name, NULL)`, its
characters, for a word of one character.
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


def holds_pieces(column: Any, words: str) -> Any | None:
    """column holds words' pairs, or its one character: the part of a LIKE the indexes answer (None for "")."""
    pairs = bigrams(words)
    if pairs:
        return func.bluemap_name_bigrams(column).op("@>")(cast(pairs, ARRAY(Text)))
    if words:
        return func.string_to_array(column, None).op("@>")(cast([words], ARRAY(Text)))
    return None


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

"""Opaque keyset cursors and the page shape of list endpoints."""

import base64
from typing import Generic, TypeVar

import orjson
from pydantic import BaseModel, Field

from bluemap_shared.problems import InvalidInput

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list; pass next_cursor as `cursor` to get the next one (null: this was the last)."""

    items: list[T]
    next_cursor: str | None = Field(default=None, description="Opaque; null on the last page")


def encode_cursor(kind: str, *position: str) -> str:
    """The position after the last item of a page, opaque to clients."""
    return base64.urlsafe_b64encode(orjson.dumps([kind, *position])).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, size: int) -> list[str]:
    """The position a cursor of this list holds; InvalidInput for anything else."""
    try:
        data = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, orjson.JSONDecodeError):
        data = None
    if (
        not isinstance(data, list)
        or len(data) != size + 1
        or data[0] != kind
        or not all(isinstance(v, str) for v in data)
    ):
        raise InvalidInput("The cursor is not one this list handed out.")
    return list(data[1:])

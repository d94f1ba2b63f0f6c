"""Time-ordered identifiers."""

import os
import time
import uuid


def uuid7() -> uuid.UUID:
    """Return an RFC 9562 version 7 UUID: time-ordered, so B-tree inserts stay local."""
    unix_ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (unix_ms & 0xFFFF_FFFF_FFFF) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & 0x3FFF_FFFF_FFFF_FFFF
    return uuid.UUID(int=value)

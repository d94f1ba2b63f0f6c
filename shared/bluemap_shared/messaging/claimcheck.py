"""Claim checks: a payload too large for one broker message travels as a stored object plus its digest.

The relay checks a large message in (stores its value under its SHA-256 and sends the message with an
empty value and two headers); the consumer redeems it before decoding (reads the object back and
refuses it unless the digest matches). Objects are content-addressed, so a republished row stores
nothing new.
"""

import hashlib
import io
from dataclasses import dataclass

import structlog

from bluemap_shared.events.envelope import Message
from bluemap_shared.storage import ObjectStorage

log = structlog.get_logger()

KEY_HEADER = "bluemap_claimcheck_key"
DIGEST_HEADER = "bluemap_claimcheck_sha256"
PREFIX = "claim-checks/"


class ClaimCheckBroken(Exception):
    """The stored payload is not what the message promised: never redeemable, so a poison message."""


@dataclass(frozen=True)
class ClaimChecks:
    """Where large payloads go, and from what size."""

    storage: ObjectStorage
    inline_bytes: int

    async def check_in(self, message: Message) -> Message:
        """The message itself when small; else stored, and a message that refers to it."""
        if len(message.value) <= self.inline_bytes:
            return message
        digest = hashlib.sha256(message.value).hexdigest()
        key = f"{PREFIX}{digest[:2]}/{digest}"
        if not await self.storage.exists(key):
            await self.storage.put(
                key,
                io.BytesIO(message.value),
                length=len(message.value),
                content_type="application/json",
                sha256=digest,
            )
        log.info("claimcheck.checked_in", key=key, size=len(message.value))
        headers = [*message.headers, (KEY_HEADER, key.encode()), (DIGEST_HEADER, digest.encode())]
        return Message(topic=message.topic, key=message.key, value=b"", headers=headers)

    async def redeem(self, message: Message) -> Message:
        """The message with its payload back; raises ClaimCheckBroken when the object does not match."""
        key = message.header(KEY_HEADER)
        if key is None:
            return message
        digest = message.header(DIGEST_HEADER) or ""
        if not key.startswith(PREFIX):
            raise ClaimCheckBroken(f"claim check outside {PREFIX}: {key!r}")
        value = b"".join([chunk async for chunk in self.storage.read(key)])
        if hashlib.sha256(value).hexdigest() != digest:
            raise ClaimCheckBroken(f"claim check {key} does not match its digest")
        headers = tuple((k, v) for k, v in message.headers if k not in (KEY_HEADER, DIGEST_HEADER))
        return Message(
            topic=message.topic,
            key=message.key,
            value=value,
            headers=headers,
            partition=message.partition,
            offset=message.offset,
        )

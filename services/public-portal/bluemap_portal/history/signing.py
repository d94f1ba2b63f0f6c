"""Each tenant's Ed25519 key: made on first use, kept as PKCS#8 (encrypted when a secret is configured)."""

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bluemap_portal.history.models import HistorySigningKey
from bluemap_shared.db import insert_ignore, utcnow

ALGORITHM = "Ed25519"


@dataclass(frozen=True)
class SigningKey:
    """A tenant's loaded key."""

    key_id: str
    private_key: Ed25519PrivateKey

    @property
    def public_bytes(self) -> bytes:
        return self.private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


def key_id_of(public_key: bytes) -> str:
    """The key's name in heads: SHA-256 of its raw 32 bytes, hex."""
    return hashlib.sha256(public_key).hexdigest()


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Whether the Ed25519 signature of message by the raw public key holds."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class SigningKeys:
    """Loads (or makes, once per tenant, whatever the replica) the tenants' keys; loaded keys are kept in memory.

    Decrypting a PKCS#8 key runs its key derivation on purpose slowly: once per tenant and process.
    """

    def __init__(self, secret: str | None) -> None:
        self._secret = secret.encode() if secret else None
        self._loaded: dict[str, SigningKey] = {}

    async def of(self, session: AsyncSession, tenant_id: str) -> SigningKey:
        """The tenant's key; the first call for a tenant makes and stores it (the first writer wins a race)."""
        if tenant_id in self._loaded:
            return self._loaded[tenant_id]
        row = await self._stored(session, tenant_id)
        if row is None:
            await insert_ignore(session, HistorySigningKey, self._new_row(tenant_id), ["tenant_id"])
            row = await self._stored(session, tenant_id)
            assert row is not None
        key = SigningKey(row.key_id, self._private_key(row))
        self._loaded[tenant_id] = key
        return key

    async def public_key(self, session: AsyncSession, tenant_id: str) -> HistorySigningKey | None:
        """The tenant's stored key row (for its public half), None before its first head."""
        return await self._stored(session, tenant_id)

    async def _stored(self, session: AsyncSession, tenant_id: str) -> HistorySigningKey | None:
        result = await session.exec(select(HistorySigningKey).where(HistorySigningKey.tenant_id == tenant_id))
        return result.first()

    def _new_row(self, tenant_id: str) -> dict[str, object]:
        private_key = Ed25519PrivateKey.generate()
        public = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(self._secret) if self._secret else serialization.NoEncryption()
        )
        pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
        return {
            "tenant_id": tenant_id,
            "key_id": key_id_of(public),
            "public_key": public,
            "private_key_pem": pem,
            "encrypted": self._secret is not None,
            "created_at": utcnow(),
        }

    def _private_key(self, row: HistorySigningKey) -> Ed25519PrivateKey:
        if row.encrypted and self._secret is None:
            raise RuntimeError("history signing keys are encrypted: set BLUEMAP_PORTAL_HISTORY_KEY_SECRET")
        key = serialization.load_pem_private_key(row.private_key_pem, password=self._secret if row.encrypted else None)
        if not isinstance(key, Ed25519PrivateKey):
            raise RuntimeError(f"the history key of {row.tenant_id} is not an Ed25519 key")
        return key

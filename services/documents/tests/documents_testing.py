"""Helpers of the documents tests (a module name of its own: pytest puts every tests folder on sys.path)."""

import json
import os
import time
import uuid
from dataclasses import dataclass
from typing import IO, Any
from uuid import UUID

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from bluemap_documents.bootstrap import DocumentsService
from bluemap_shared.auth import ENTERPRISE, StaticJwks, TokenVerifier
from bluemap_shared.storage import S3Storage

# Small, so over-limit uploads stay cheap; big enough that a file spans several network chunks.
MAX_UPLOAD_BYTES = 256 * 1024
ISSUER = "bluemap"
AUDIENCE = "bluemap"


class Issuer:
    """Signs tokens with a key generated for the test session; the service trusts only it."""

    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        self.kid = "test-key"
        self.verifier = TokenVerifier(
            StaticJwks({"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}),
            issuer=ISSUER,
            audience=AUDIENCE,
        )

    def token(self, tenant_id: str, roles: list[str], enterprise_id: UUID | None = None, subject: str = "") -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": subject or f"user-{uuid.uuid4().hex[:8]}",
            "iat": now,
            "exp": now + 600,
            "tenant_id": tenant_id,
            "roles": roles,
            "enterprise_id": str(enterprise_id) if enterprise_id else None,
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})

    def headers(
        self, tenant_id: str, roles: list[str], enterprise_id: UUID | None = None, subject: str = ""
    ) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(tenant_id, roles, enterprise_id, subject)}"}

    def staff(self, tenant_id: str, enterprise_id: UUID, subject: str = "") -> dict[str, str]:
        return self.headers(tenant_id, [ENTERPRISE], enterprise_id, subject)


@dataclass
class Running:
    service: DocumentsService
    client: httpx.AsyncClient


class CountingS3Storage(S3Storage):
    """The real S3 storage, counting the objects it writes: deduplication must skip the second put."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.puts: list[str] = []

    async def put(self, key: str, source: IO[bytes], *, length: int, content_type: str) -> None:
        self.puts.append(key)
        await super().put(key, source, length=length, content_type=content_type)


def pdf(size: int = 2048) -> bytes:
    """A PDF-looking blob of its own: random bytes after the magic, so no two tests share an object."""
    return b"%PDF-1.7\n" + os.urandom(max(0, size - 9))


def upload_files(data: bytes, filename: str = "测试.pdf", content_type: str = "application/pdf") -> dict[str, Any]:
    return {"file": (filename, data, content_type)}

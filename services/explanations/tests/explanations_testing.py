"""Helpers of the explanations tests (a module name of its own: pytest puts every tests folder on sys.path)."""

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from bluemap_explanations.bootstrap import ExplanationsService
from bluemap_shared.auth import ENTERPRISE, StaticJwks, TokenVerifier

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
    service: ExplanationsService
    client: httpx.AsyncClient

"""A correctly signed token is still input: claims of the wrong shape are a 401 problem, never a 500."""

import json
import time
from typing import Any
from uuid import uuid4

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from bluemap_shared.auth import ADMIN, CurrentPrincipal, StaticJwks, TokenVerifier
from bluemap_shared.problems import Unauthorized, install_problem_handlers

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
VERIFIER = TokenVerifier(
    StaticJwks(
        {"keys": [{**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key())), "kid": "k", "alg": "RS256"}]}
    ),
    issuer="bluemap",
    audience="bluemap",
)


def signed(**claims: Any) -> str:
    now = int(time.time())
    base = {"iss": "bluemap", "aud": "bluemap", "sub": "someone", "iat": now, "exp": now + 600, "tenant_id": "ipe"}
    base.update(claims)
    return jwt.encode({k: v for k, v in base.items() if v is not ...}, KEY, algorithm="RS256", headers={"kid": "k"})


async def test_well_formed_claims_make_a_principal() -> None:
    enterprise = uuid4()
    principal = await VERIFIER.verify(signed(roles=["enterprise"], enterprise_id=str(enterprise), email=None))
    assert (principal.tenant_id, principal.roles, principal.enterprise_id) == ("ipe", {"enterprise"}, enterprise)
    assert (principal.locale, principal.email, principal.name) == ("zh", "", "")


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"tenant_id": ...}, id="no-tenant"),
        pytest.param({"tenant_id": None}, id="null-tenant"),
        pytest.param({"tenant_id": 7}, id="numeric-tenant"),
        pytest.param({"tenant_id": ""}, id="empty-tenant"),
        pytest.param({"enterprise_id": "not-a-uuid"}, id="enterprise-not-uuid"),
        pytest.param({"enterprise_id": 12}, id="enterprise-number"),
        pytest.param({"roles": ADMIN}, id="roles-a-string"),
        pytest.param({"roles": [ADMIN, 3]}, id="roles-not-strings"),
        pytest.param({"roles": {"admin": True}}, id="roles-an-object"),
        pytest.param({"email": ["a@b.c"]}, id="email-a-list"),
        pytest.param({"locale": 5}, id="locale-a-number"),
    ],
)
async def test_malformed_claims_are_unauthorized(claims: dict[str, Any]) -> None:
    with pytest.raises(Unauthorized):
        await VERIFIER.verify(signed(**claims))


@pytest.mark.parametrize(
    "claims", [{"tenant_id": ...}, {"enterprise_id": "x" * 40}, {"roles": ADMIN}], ids=["tenant", "enterprise", "roles"]
)
async def test_malformed_claims_answer_401_problem(claims: dict[str, Any]) -> None:
    app = FastAPI()
    app.state.token_verifier = VERIFIER
    install_problem_handlers(app)

    @app.get("/me")
    async def me(principal: CurrentPrincipal) -> dict[str, Any]:
        return {"roles": sorted(principal.roles)}

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
    ) as client:
        response = await client.get("/me", headers={"Authorization": f"Bearer {signed(**claims)}"})
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 401

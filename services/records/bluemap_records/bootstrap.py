"""Composition root of the records service."""

from dataclasses import dataclass

from fastapi import FastAPI

from bluemap_records.enterprises.endpoints import router as enterprises_router
from bluemap_records.identity.endpoints import router as identity_router
from bluemap_records.identity.keys import SigningKey
from bluemap_records.records.endpoints import router as records_router
from bluemap_records.settings import RecordsSettings
from bluemap_shared.auth import StaticJwks, TokenVerifier
from bluemap_shared.cli import transport_for
from bluemap_shared.http import create_service_app
from bluemap_shared.messaging.transport import Transport
from bluemap_shared.runtime import ServiceRuntime

NAME = "records"


@dataclass
class RecordsService:
    runtime: ServiceRuntime
    app: FastAPI
    signing_key: SigningKey


def bootstrap(settings: RecordsSettings | None = None, transport: Transport | None = None) -> RecordsService:
    settings = settings or RecordsSettings()
    key_file = settings.jwt_private_key_file or settings.data_dir / "records-token-signing-key.pem"
    signing_key = SigningKey.load_or_create(key_file)
    verifier = TokenVerifier(
        StaticJwks(signing_key.jwks()), issuer=settings.token_issuer, audience=settings.token_audience
    )
    runtime = ServiceRuntime.build(
        NAME,
        "bluemap_records",
        settings,
        transport or transport_for(settings, f"bluemap-{NAME}"),
        token_verifier=verifier,
    )
    app = create_service_app(
        runtime,
        title="Blue Map records service",
        description="Enterprise directory, government records about enterprises, and the built-in identity provider.",
        routers=[identity_router, enterprises_router, records_router],
    )
    app.state.signing_key = signing_key
    return RecordsService(runtime=runtime, app=app, signing_key=signing_key)

"""Composition root of the records service."""

import asyncio
import gc
from dataclasses import dataclass

from fastapi import FastAPI

from bluemap_records.enterprises.endpoints import router as enterprises_router
from bluemap_records.identity.endpoints import router as identity_router
from bluemap_records.identity.keys import SigningKey
from bluemap_records.identity.passwords import PasswordHashing
from bluemap_records.identity.service import LoginThrottle, forget_old_failures
from bluemap_records.imports.endpoints import router as imports_router
from bluemap_records.imports.jobs import ImportJobs
from bluemap_records.records.endpoints import router as records_router
from bluemap_records.records.handlers import register_handlers
from bluemap_records.settings import RecordsSettings
from bluemap_records.tenants.endpoints import router as tenants_router
from bluemap_records.tenants.service import registry_loader
from bluemap_shared.auth import StaticJwks, TokenVerifier
from bluemap_shared.cli import transport_for
from bluemap_shared.http import create_service_app
from bluemap_shared.messaging.transport import Transport
from bluemap_shared.runtime import ServiceRuntime
from bluemap_shared.tenants import TenantDirectory

NAME = "records"
LOGIN_FAILURES_SWEEP_SECONDS = 3600.0


@dataclass
class RecordsService:
    runtime: ServiceRuntime
    app: FastAPI
    signing_key: SigningKey
    imports: ImportJobs
    passwords: PasswordHashing


def bootstrap(
    settings: RecordsSettings | None = None,
    transport: Transport | None = None,
    *,
    token_verifier: TokenVerifier | None = None,
) -> RecordsService:
    """The service; token_verifier replaces its own keys' (tests that sign their own tokens)."""
    settings = settings or RecordsSettings()
    key_file = settings.jwt_private_key_file or settings.data_dir / "records-token-signing-key.pem"
    signing_key = SigningKey.load_or_create(key_file)
    verifier = token_verifier or TokenVerifier(
        StaticJwks(signing_key.jwks()), issuer=settings.token_issuer, audience=settings.token_audience
    )
    runtime = ServiceRuntime.build(
        NAME,
        "bluemap_records",
        settings,
        transport or transport_for(settings, f"bluemap-{NAME}"),
        token_verifier=verifier,
    )
    # Records owns the registry: its directory reads the registry, not a copy.
    runtime.tenants = TenantDirectory(registry_loader(runtime.sessionmaker), ttl=settings.tenant_cache_seconds)
    register_handlers(runtime.consumer)
    imports = ImportJobs(runtime.sessionmaker)
    runtime.background.append(imports.run)
    runtime.on_start.append(_freeze_startup_objects)
    passwords = PasswordHashing(settings.password_hash_threads)
    throttle = LoginThrottle.of(settings)

    async def forget_old_login_failures() -> None:
        while True:
            await forget_old_failures(runtime.sessionmaker, throttle)
            await asyncio.sleep(LOGIN_FAILURES_SWEEP_SECONDS)

    runtime.background.append(forget_old_login_failures)
    app = create_service_app(
        runtime,
        title="Blue Map records service",
        description="Enterprise directory, government records about enterprises, bulk import, and the built-in "
        "identity provider with its tenant registry.",
        routers=[identity_router, tenants_router, enterprises_router, records_router, imports_router],
    )
    app.state.signing_key = signing_key
    app.state.import_jobs = imports
    app.state.passwords = passwords
    return RecordsService(runtime=runtime, app=app, signing_key=signing_key, imports=imports, passwords=passwords)


async def _freeze_startup_objects() -> None:
    """Keep what start-up built (modules, models, metadata) out of every later garbage collection.

    It lives as long as the process anyway; an import allocates millions of objects, and without
    this a third of its time went into full collections walking these.
    """
    gc.freeze()

"""Composition root of the explanations service."""

from dataclasses import dataclass

from fastapi import FastAPI

from bluemap_explanations.commitments.endpoints import router as commitments_router
from bluemap_explanations.explanations.endpoints import router as explanations_router
from bluemap_explanations.explanations.handlers import register_handlers as register_explanation_handlers
from bluemap_explanations.guidance.endpoints import router as guidance_router
from bluemap_explanations.records.endpoints import router as records_router
from bluemap_explanations.records.handlers import register_handlers as register_record_handlers
from bluemap_explanations.review.endpoints import decisions_router
from bluemap_explanations.review.endpoints import router as review_router
from bluemap_explanations.settings import ExplanationsSettings
from bluemap_explanations.submissions.endpoints import router as submissions_router
from bluemap_explanations.submissions.handlers import register_handlers as register_submission_handlers
from bluemap_shared.auth import TokenVerifier
from bluemap_shared.cli import transport_for
from bluemap_shared.http import create_service_app
from bluemap_shared.messaging.transport import Transport
from bluemap_shared.revocation import follow_revocations
from bluemap_shared.runtime import ServiceRuntime
from bluemap_shared.tenants import keep_tenant_copy

NAME = "explanations"


@dataclass
class ExplanationsService:
    runtime: ServiceRuntime
    app: FastAPI


def bootstrap(
    settings: ExplanationsSettings | None = None,
    transport: Transport | None = None,
    *,
    token_verifier: TokenVerifier | None = None,
) -> ExplanationsService:
    """Wire the service; token_verifier replaces the issuer's JWKS over HTTP (embedded mode, tests)."""
    settings = settings or ExplanationsSettings()
    runtime = ServiceRuntime.build(
        NAME,
        "bluemap_explanations",
        settings,
        transport or transport_for(settings, f"bluemap-{NAME}"),
        token_verifier=token_verifier,
    )
    follow_revocations(runtime.consumer)
    register_record_handlers(runtime.consumer)
    keep_tenant_copy(runtime.consumer, runtime.tenants)
    register_explanation_handlers(runtime.consumer)
    register_submission_handlers(runtime.consumer)
    app = create_service_app(
        runtime,
        title="Blue Map explanations service",
        description="Enterprises' public explanations of the government records published about them.",
        routers=[
            records_router,
            explanations_router,
            guidance_router,
            commitments_router,
            submissions_router,
            review_router,
            decisions_router,
        ],
    )
    return ExplanationsService(runtime=runtime, app=app)

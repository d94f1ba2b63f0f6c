"""Composition root of the documents service."""

from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI

from bluemap_documents.directory.handlers import register_handlers as register_directory_handlers
from bluemap_documents.disclosures.endpoints import router as disclosures_router
from bluemap_documents.documents.endpoints import catalogue_router
from bluemap_documents.documents.endpoints import router as documents_router
from bluemap_documents.documents.garbage import ObjectCollector
from bluemap_documents.documents.tenant_objects import TenantObjects
from bluemap_documents.review.endpoints import router as review_router
from bluemap_documents.settings import DocumentsSettings
from bluemap_documents.submissions.endpoints import router as submissions_router
from bluemap_documents.submissions.endpoints import verify_router
from bluemap_documents.submissions.fonts import CjkFontCheck
from bluemap_documents.submissions.handlers import register_handlers as register_submission_handlers
from bluemap_documents.submissions.metrics import register_render_metrics
from bluemap_documents.submissions.rendering import PdfRenderer
from bluemap_documents.submissions.worker import RenderWorker
from bluemap_shared.auth import TokenVerifier
from bluemap_shared.cli import transport_for
from bluemap_shared.http import create_service_app
from bluemap_shared.messaging.transport import Transport
from bluemap_shared.runtime import ServiceRuntime
from bluemap_shared.storage import FilesystemStorage, ObjectStorage, S3Storage

NAME = "documents"


@dataclass
class DocumentsService:
    runtime: ServiceRuntime
    app: FastAPI
    storage: ObjectStorage
    renderer: PdfRenderer
    render_worker: RenderWorker
    objects: ObjectCollector


def build_storage(settings: DocumentsSettings) -> ObjectStorage:
    """S3 when configured, else a folder (the embedded default)."""
    if settings.storage_backend == "s3":
        return S3Storage(
            settings.s3_endpoint,
            settings.s3_access_key,
            settings.s3_secret_key.get_secret_value(),
            settings.s3_bucket,
            secure=settings.s3_secure,
            region=settings.s3_region,
            public_endpoint=settings.s3_public_endpoint,
        )
    return FilesystemStorage(settings.objects_path)


def bootstrap(
    settings: DocumentsSettings | None = None,
    transport: Transport | None = None,
    *,
    token_verifier: TokenVerifier | None = None,
    storage: ObjectStorage | None = None,
) -> DocumentsService:
    """Wire the service; token_verifier and storage replace the configured ones (embedded mode, tests)."""
    settings = settings or DocumentsSettings()
    storage = storage or build_storage(settings)
    runtime = ServiceRuntime.build(
        NAME,
        "bluemap_documents",
        settings,
        transport or transport_for(settings, f"bluemap-{NAME}"),
        token_verifier=token_verifier,
    )
    runtime.readiness["storage"] = storage.ping
    runtime.readiness["cjk-font"] = CjkFontCheck()
    if isinstance(storage, S3Storage):
        runtime.on_start.append(storage.ensure_bucket)
    renderer = PdfRenderer(
        settings.render_concurrency, isolation=settings.render_isolation, niceness=settings.render_niceness
    )
    render_worker = RenderWorker(
        runtime.sessionmaker,
        storage,
        settings,
        renderer,
        render_time=register_render_metrics(runtime),
        tracer_provider=runtime.tracer_provider,
    )
    collector = ObjectCollector(
        runtime.sessionmaker,
        storage,
        grace=timedelta(hours=settings.object_gc_grace_hours),
        interval_seconds=settings.object_gc_interval_seconds,
    )
    runtime.background += [render_worker.run, collector.run]
    runtime.tenant_data.hooks.append(TenantObjects(runtime.sessionmaker, storage))
    register_directory_handlers(runtime.consumer)
    register_submission_handlers(runtime.consumer, render_worker.wake)
    app = create_service_app(
        runtime,
        title="Blue Map documents service",
        description="Public explanation PDFs, their signed scans and supporting documents, stored content-addressed "
        "and reviewed before the public sees them.",
        routers=[
            documents_router,
            catalogue_router,
            submissions_router,
            verify_router,
            review_router,
            disclosures_router,
        ],
    )
    app.state.storage = storage
    return DocumentsService(
        runtime=runtime,
        app=app,
        storage=storage,
        renderer=renderer,
        render_worker=render_worker,
        objects=collector,
    )

"""The OpenAPI document says what the services answer on error: application/problem+json (RFC 9457)."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from bluemap_shared.problems import PROBLEM_JSON

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; extension members (reason, field, errors...) say more.",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "Invalid input: where and why",
            "items": {"type": "object"},
        },
    },
    "additionalProperties": True,
}
_PROBLEM_CONTENT = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
# FastAPI's own shapes of a 422, replaced by Problem (the handlers never send them).
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def problem_document(document: dict[str, Any]) -> dict[str, Any]:
    """Every error response of every operation documented as application/problem+json, plus a default."""
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in ("get", "put", "post", "delete", "patch", "head", "options"):
                continue
            responses = operation.setdefault("responses", {})
            # Authentication, scope and outages apply to many routes: one default documents their shape.
            responses.setdefault("default", {"description": "An error (401, 403, 404, 409, 413, 429, 503...)"})
            for code, response in responses.items():
                if code == "default" or code.startswith(("4", "5")):
                    response["content"] = dict(_PROBLEM_CONTENT)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    schemas["Problem"] = PROBLEM_SCHEMA
    return document


def document_problems(app: FastAPI) -> None:
    """Make app.openapi() return the problem-documented schema (built once, like FastAPI's own)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problem_document(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    openapi_version=app.openapi_version,
                    description=app.description,
                    routes=app.routes,
                    servers=app.servers,
                    tags=app.openapi_tags,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

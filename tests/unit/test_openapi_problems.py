"""Every service's OpenAPI document declares its errors as application/problem+json, the shape they have."""

from pathlib import Path

from fastapi import FastAPI
from starlette.routing import Mount

from bluemap_embedded.app import EmbeddedConfig, build
from bluemap_shared.problems import PROBLEM_JSON

METHODS = {"get", "put", "post", "delete", "patch"}


def service_apps(tmp_path: Path) -> dict[str, FastAPI]:
    app = build(EmbeddedConfig(data_dir=tmp_path, demo=False))
    return {
        route.path: route.app
        for route in app.routes
        if isinstance(route, Mount) and isinstance(route.app, FastAPI) and route.path.startswith("/api/")
    }


def test_every_error_response_is_a_documented_problem(tmp_path: Path) -> None:
    apps = service_apps(tmp_path)
    assert set(apps) == {
        f"/api/{s}" for s in ("records", "explanations", "documents", "notifications", "public-portal")
    }
    for mount, app in apps.items():
        document = app.openapi()
        assert "HTTPValidationError" not in document["components"]["schemas"], mount
        assert document["components"]["schemas"]["Problem"]["required"] == ["type", "title", "status"]
        for path, item in document["paths"].items():
            for method, operation in item.items():
                if method not in METHODS:
                    continue
                responses = operation["responses"]
                assert "default" in responses, (mount, path, method)
                for code, response in responses.items():
                    if code == "default" or code.startswith(("4", "5")):
                        assert list(response["content"]) == [PROBLEM_JSON], (mount, path, method, code)

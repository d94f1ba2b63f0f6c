"""The body limit middleware on a small app: what each kind of body may carry, and when it is cut off."""

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import FastAPI, Form, Request

from bluemap_shared.body_limit import FORM_BODY_LIMIT, JSON_BODY_LIMIT, BodyLimit, large_body
from bluemap_shared.problems import install_problem_handlers
from bluemap_shared.settings import ServiceSettings

UPLOAD_LIMIT = 3 * 1024 * 1024


def upload_limit(settings: ServiceSettings) -> int:
    return UPLOAD_LIMIT


def app() -> FastAPI:
    application = FastAPI()
    install_problem_handlers(application)

    @application.post("/form")
    async def form(field: Annotated[str, Form()] = "") -> dict[str, int]:
        return {"length": len(field)}

    @application.post("/json")
    async def json_body(request: Request) -> dict[str, int]:
        return {"length": len(await request.body())}

    @application.post("/upload")
    @large_body(upload_limit)
    async def upload(request: Request) -> dict[str, int]:
        total = 0
        async for chunk in request.stream():
            total += len(chunk)
        return {"length": total}

    @application.post("/swallowing")
    async def swallowing(request: Request) -> dict[str, str]:
        """A route that catches every error of its own: the 413 must still come out."""
        try:
            await request.body()
        except Exception:
            return {"status": "fine"}
        return {"status": "read"}

    application.add_middleware(BodyLimit, settings=ServiceSettings())
    return application


class Pulled:
    """A chunked body of up to total bytes; counts what the server pulled of it."""

    def __init__(self, total: int, chunk: int = 64 * 1024, prefix: bytes = b"") -> None:
        self.total, self.chunk, self.pulled, self.prefix = total, chunk, 0, prefix

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.prefix:
            self.pulled += len(self.prefix)
            yield self.prefix
        while self.pulled < self.total:
            self.pulled += self.chunk
            yield b"a" * self.chunk


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app()), base_url="http://test") as client:
        yield client


def assert_413(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["max_body_bytes"] == limit


async def test_a_form_within_the_limit_passes_and_one_past_it_is_refused(client: httpx.AsyncClient) -> None:
    assert (await client.post("/form", data={"field": "x" * 1000})).json() == {"length": 1000}
    assert_413(await client.post("/form", data={"field": "x" * FORM_BODY_LIMIT}), FORM_BODY_LIMIT)


async def test_a_chunked_body_is_cut_off_once_it_passes_the_limit(client: httpx.AsyncClient) -> None:
    body = Pulled(300 * 1024 * 1024)
    response = await client.post("/json", content=body, headers={"Content-Type": "application/json"})
    assert_413(response, JSON_BODY_LIMIT)
    assert body.pulled <= JSON_BODY_LIMIT + body.chunk


async def test_a_declared_content_length_past_the_limit_is_refused_before_reading(client: httpx.AsyncClient) -> None:
    body = Pulled(2 * 1024 * 1024)
    response = await client.post(
        "/json", content=body, headers={"Content-Type": "application/json", "Content-Length": str(body.total)}
    )
    assert_413(response, JSON_BODY_LIMIT)
    assert body.pulled <= body.chunk  # the transport's first chunk at most; the app read none of it


async def test_a_multipart_form_has_the_form_limit(client: httpx.AsyncClient) -> None:
    part = b'--x\r\nContent-Disposition: form-data; name="field"; filename="f"\r\n\r\n'
    body = Pulled(50 * 1024 * 1024, prefix=part)
    response = await client.post("/form", content=body, headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert_413(response, FORM_BODY_LIMIT)
    assert body.pulled <= FORM_BODY_LIMIT + body.chunk


async def test_an_upload_route_takes_its_declared_limit(client: httpx.AsyncClient) -> None:
    two_mib = Pulled(2 * 1024 * 1024)
    assert (await client.post("/upload", content=two_mib)).json() == {"length": two_mib.total}
    too_much = Pulled(UPLOAD_LIMIT + 1024 * 1024)
    assert_413(await client.post("/upload", content=too_much), UPLOAD_LIMIT)
    assert too_much.pulled <= UPLOAD_LIMIT + too_much.chunk


async def test_the_413_wins_over_what_the_route_made_of_the_cut_off_body(client: httpx.AsyncClient) -> None:
    assert_413(await client.post("/swallowing", content=Pulled(5 * 1024 * 1024)), JSON_BODY_LIMIT)

"""Attacks of issue 16 against the embedded default served by uvicorn: oversized bodies, password guessing, headers.

Bodies are streamed as a client would (chunked, or with a Content-Length), and the test counts what it
managed to send before the answer: a server that reads past its limit takes it all.
"""

import asyncio
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.embedded import Embedded, print_log_tail_if_failed, running_embedded

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

MIB = 1024 * 1024
# Far past every form and JSON limit (at most 1 MiB), far below what a test can afford to push.
OVERSIZED = 64 * MIB
# What may be in flight in socket buffers on loopback when the server answers, on top of its limit.
IN_FLIGHT = 12 * MIB
ENTERPRISE_LOGIN = ("ehs@yongan-xingqing.example.cn", "bluemap-enterprise-demo")
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedded]:
    workdir: Path = tmp_path_factory.mktemp("embedded-hardening")
    with running_embedded(workdir) as running:
        yield running


@pytest.fixture(autouse=True)
def _service_logs_on_failure(request: pytest.FixtureRequest, embedded: Embedded) -> Iterator[None]:
    """Replaces the conftest's fixture of the same name: one process here, no distributed platform."""
    yield
    print_log_tail_if_failed(request, embedded)


@dataclass
class Sent:
    response: httpx.Response
    bytes_sent: int


async def _read_response(reader: asyncio.StreamReader) -> httpx.Response:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = [tuple(line.split(":", 1)) for line in lines if line]
    length = int(next((v for k, v in headers if k.lower() == "content-length"), "0"))
    body = await reader.readexactly(length)
    return httpx.Response(int(status_line.split()[1]), headers=[(k, v.strip()) for k, v in headers], content=body)


async def stream_body(
    url: str,
    *,
    prefix: bytes,
    filler: bytes,
    content_type: str,
    total: int = OVERSIZED,
    declared_length: bool = False,
    cookies: httpx.Cookies | None = None,
    headers: dict[str, str] | None = None,
) -> Sent:
    """POST prefix then filler up to total bytes, chunked (or with a Content-Length), while watching for an answer.

    Like a careful client, it stops sending as soon as the server answers (and ends a chunked body properly):
    what it sent by then is what the server took in before deciding.
    """
    split = urlsplit(url)
    reader, writer = await asyncio.open_connection(split.hostname, split.port)
    lines = [
        f"POST {split.path}{'?' + split.query if split.query else ''} HTTP/1.1",
        f"Host: {split.netloc}",
        f"Content-Type: {content_type}",
        f"Content-Length: {total}" if declared_length else "Transfer-Encoding: chunked",
        "Connection: close",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
    ]
    if cookies:
        lines.append("Cookie: " + "; ".join(f"{name}={value}" for name, value in cookies.items()))
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    answer = asyncio.create_task(_read_response(reader))
    sent = 0
    piece = prefix
    try:
        while sent < total and not answer.done():
            piece = piece[: total - sent]
            writer.write(piece if declared_length else b"%x\r\n%s\r\n" % (len(piece), piece))
            sent += len(piece)
            await writer.drain()
            await asyncio.sleep(0)  # lets the answer in
            piece = filler * (64 * 1024 // len(filler))
        if not declared_length:
            writer.write(b"0\r\n\r\n")
            await writer.drain()
    except ConnectionError:
        pass
    try:
        return Sent(await asyncio.wait_for(answer, 120), sent)
    finally:
        writer.close()


def multipart(field: str) -> tuple[bytes, bytes, str]:
    boundary = uuid.uuid4().hex
    prefix = f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="x.pdf"\r\n\r\n'.encode()
    return prefix, b"%PDF-1.7 " * 113, f"multipart/form-data; boundary={boundary}"


def assert_refused_early(sent: Sent) -> None:
    assert sent.bytes_sent < IN_FLIGHT + MIB, f"the server read {sent.bytes_sent} bytes before answering"
    assert sent.response.status_code == 413, sent.response.text[:500]
    assert sent.response.headers["content-type"] == "application/problem+json"
    assert sent.response.json()["type"].endswith("/payload-too-large")


@pytest.mark.parametrize(
    "path", ["/login", "/workspace/email-change/confirm", "/api/records/v1/auth/token"], ids=lambda p: p
)
async def test_a_chunked_multipart_body_is_cut_off_at_the_forms_limit(embedded: Embedded, path: str) -> None:
    prefix, filler, content_type = multipart("password")
    sent = await stream_body(embedded.url + path, prefix=prefix, filler=filler, content_type=content_type)
    assert_refused_early(sent)


async def test_a_huge_json_body_is_cut_off_at_the_json_limit(embedded: Embedded) -> None:
    url = embedded.api("records") + "/v1/enterprises/email-changes/confirm"
    chunked = await stream_body(url, prefix=b'{"token": "', filler=b"a" * 1024, content_type="application/json")
    assert_refused_early(chunked)
    declared = await stream_body(
        url, prefix=b'{"token": "', filler=b"a" * 1024, content_type="application/json", declared_length=True
    )
    assert_refused_early(declared)


async def sign_in(site: httpx.AsyncClient) -> None:
    login = await site.get("/login")
    found = _CSRF.search(login.text)
    assert found
    signed_in = await site.post(
        "/login",
        data={"username": ENTERPRISE_LOGIN[0], "password": ENTERPRISE_LOGIN[1], "csrf_token": found[1]},
        headers={"X-Forwarded-For": "198.51.100.10"},
    )
    assert signed_in.status_code == 303, signed_in.text


async def test_the_supporting_documents_form_checks_its_csrf_token_before_reading_the_files(
    embedded: Embedded,
) -> None:
    """A forged post (no token) is refused before its files are read, not after spooling them to disk."""
    async with httpx.AsyncClient(base_url=embedded.url, timeout=60) as site:
        await sign_in(site)
        prefix, filler, content_type = multipart("file.monitoring_report")
        sent = await stream_body(
            embedded.url + "/workspace/disclosure/environmental_supervision/documents",
            prefix=prefix,
            filler=filler,
            content_type=content_type,
            cookies=site.cookies,
            headers={"Origin": embedded.url},
        )
    assert sent.bytes_sent < IN_FLIGHT + MIB, f"the server read {sent.bytes_sent} bytes before answering"
    assert sent.response.status_code == 403, sent.response.text[:500]


async def test_failed_logins_on_the_portal_form_end_in_429_with_retry_after(embedded: Embedded) -> None:
    """The site's login form, through the records API on SQLite: the account's failures slow the next attempts."""
    address = "203.0.113.77"  # uvicorn believes X-Forwarded-For from 127.0.0.1, and records believes the portal
    email = f"nobody-{uuid.uuid4().hex[:6]}@example.org"
    statuses = []
    async with httpx.AsyncClient(base_url=embedded.url, timeout=60) as site:
        for _ in range(12):
            form = await site.get("/login?lang=en")
            found = _CSRF.search(form.text)
            assert found
            answer = await site.post(
                "/login?lang=en",
                data={"username": email, "password": "guess-number-n", "csrf_token": found[1]},
                headers={"X-Forwarded-For": address},
            )
            statuses.append(answer.status_code)
            if answer.status_code == 429:
                break
    assert statuses[:5] == [400] * 5, statuses
    assert statuses[-1] == 429, statuses
    assert int(answer.headers["retry-after"]) >= 1
    assert "Too many failed logins" in answer.text


async def test_api_answers_carry_security_headers(embedded: Embedded) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        for service in ("records", "explanations", "documents", "notifications", "public-portal"):
            response = await client.get(embedded.api(service) + "/healthz")
            assert response.headers["x-content-type-options"] == "nosniff", service
            assert response.headers["x-frame-options"] == "DENY", service
            assert response.headers["referrer-policy"] == "no-referrer", service
            assert "default-src 'none'" in response.headers["content-security-policy"], service
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"], service
            # Plain http here: HSTS would be ignored at best, and lock browsers out of an http-only host at worst.
            assert "strict-transport-security" not in response.headers, service
        # Development serves the API's documentation, with its scripts allowed.
        docs = await client.get(embedded.api("records") + "/docs")
        assert docs.status_code == 200
        assert "content-security-policy" not in docs.headers

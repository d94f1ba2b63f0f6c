"""Fixtures and helpers of the walkthrough tests: the embedded default as a subprocess, its mail, PDFs."""

import asyncio
import io
import mailbox
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM = os.environ.get("BLUEMAP_TEST_CHROMIUM", "/usr/bin/chromium")
# Never fetch a browser: the system's Chromium, without its background traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SERVICES = ("records", "explanations", "documents", "notifications")
ENTERPRISE = ("ehs@yongan-xingqing.example.cn", "bluemap-enterprise-demo")
REVIEWER = ("reviewer@ipe.example.org", "bluemap-reviewer-demo")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Embedded:
    """One embedded default with the demo data, on its own ports and data folder."""

    base_url: str
    data_dir: Path
    log: Path

    def at(self, path: str) -> str:
        return self.base_url + path

    def tail(self, lines: int = 60) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def mails_to(self, address: str) -> list[EmailMessage]:
        """What the mail catcher received for address (its Maildir under the data folder)."""
        folder = self.data_dir / "mail"
        if not folder.exists():
            return []
        box = mailbox.Maildir(folder, factory=None, create=False)
        found = []
        for key in box.iterkeys():
            with box.get_file(key) as handle:
                message = BytesParser(policy=policy.default).parse(handle)  # type: ignore[arg-type]
            if address in str(message.get("To", "")):
                found.append(message)  # type: ignore[arg-type]
        return found


def _wait_until_ready(base_url: str, process: subprocess.Popen[Any], timeout: float = 120.0) -> None:
    """Until the demo accounts can log in (the demo is seeded while the server starts)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the embedded default exited with {process.returncode}")
        try:
            response = httpx.post(
                f"{base_url}/api/records/v1/auth/token",
                data={"username": REVIEWER[0], "password": REVIEWER[1], "tenant": "ipe"},
                timeout=5,
            )
            if response.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the embedded default did not become ready in time")


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[Embedded]:
    """`python -m bluemap_embedded` with its demo data; the portal told where each service's API is."""
    port, smtp_port = free_port(), free_port()
    base_url = f"http://127.0.0.1:{port}"
    data_dir = tmp_path / "data"
    log = tmp_path / "embedded.log"
    env = dict(os.environ)
    # The portal's defaults name port 8000; this instance serves every API on its own port.
    env.update({f"BLUEMAP_PORTAL_{name.upper()}_API_URL": f"{base_url}/api/{name}" for name in SERVICES})
    env["BLUEMAP_DOCUMENTS_PUBLIC_BASE_URL"] = base_url
    command = [sys.executable, "-m", "bluemap_embedded", "--data-dir", str(data_dir)]
    command += ["--port", str(port), "--smtp-port", str(smtp_port)]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT)
    running = Embedded(base_url=base_url, data_dir=data_dir, log=log)
    try:
        _wait_until_ready(base_url, process)
        yield running
    except BaseException:
        print(f"\n----- embedded default log tail -----\n{running.tail()}")
        raise
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def chromium_installed() -> bool:
    return Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is not None


@pytest.fixture
async def walkthrough_browser() -> AsyncIterator[Any]:
    """Headless Chromium of the system for one walkthrough."""
    async_api = pytest.importorskip("playwright.async_api")
    if not chromium_installed():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install chromium (deploy/local/apt-packages.txt)")
    async with async_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


def scanned(pdf: bytes, dpi: int = 150, *, footer_cut_on_first_page: bool = False) -> bytes:
    """The PDF printed, signed and scanned back: one image per page, no text layer (its QR codes are read)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        images = [page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for page in document]
    finally:
        document.close()
    if footer_cut_on_first_page:
        width, height = images[0].size
        images[0].paste(255, (0, int(height * 0.91), width, height))
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", save_all=True, append_images=images[1:], resolution=dpi, quality=80)
    return buffer.getvalue()


def pdf_bytes(title: str, pages: int = 1) -> bytes:
    """A small valid PDF (pypdf), as a scan saved as PDF would be."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title, "/Producer": "Blue Map browser test"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


async def wait_for_mail_with_pdf(embedded: Embedded, address: str, timeout: float = 60.0) -> EmailMessage:
    """The first mail to address that carries a PDF (the public explanation to print and seal)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in await asyncio.to_thread(embedded.mails_to, address):
            if any(part.get_content_type() == "application/pdf" for part in message.iter_attachments()):
                return message
        await asyncio.sleep(0.5)
    raise AssertionError(f"no mail with a PDF reached {address} within {timeout}s")

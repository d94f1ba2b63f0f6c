"""A local SMTP server that keeps every message in a Maildir, and pages to read them."""

import mailbox
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


class MailCatcher:
    """Real SMTP on loopback (aiosmtpd, in its own thread); nothing leaves the machine."""

    def __init__(self, maildir: Path, host: str = "127.0.0.1", port: int = 8025) -> None:
        self.maildir = maildir
        maildir.parent.mkdir(parents=True, exist_ok=True)
        self._controller = Controller(Mailbox(maildir), hostname=host, port=port)
        self.host = host
        self.port = port

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def messages(self) -> list[tuple[str, EmailMessage]]:
        """Newest first."""
        box = mailbox.Maildir(self.maildir, factory=None, create=True)
        parser = BytesParser(policy=policy.default)
        items = []
        for key in box.iterkeys():
            with box.get_file(key) as handle:
                message = parser.parse(handle)  # type: ignore[arg-type]
            items.append((key, message))
        return sorted(items, key=lambda item: str(item[1].get("Date", "")), reverse=True)

    def message(self, key: str) -> EmailMessage:
        box = mailbox.Maildir(self.maildir, factory=None, create=True)
        try:
            with box.get_file(key) as handle:
                return BytesParser(policy=policy.default).parse(handle)  # type: ignore[arg-type,return-value]
        except KeyError:
            raise HTTPException(404, "No such message") from None


def mail_viewer(catcher: MailCatcher) -> FastAPI:
    """Read caught mail in the browser at /mail/."""
    app = FastAPI(title="Caught mail", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/", response_class=HTMLResponse)
    async def inbox(request: Request) -> Response:
        rows = [
            {"key": key, "from": m["From"], "to": m["To"], "subject": m["Subject"], "date": m["Date"]}
            for key, m in catcher.messages()
        ]
        return TEMPLATES.TemplateResponse(request, "mail_list.html", {"messages": rows})

    @app.get("/{key}", response_class=HTMLResponse)
    async def show(request: Request, key: str) -> Response:
        message = catcher.message(key)
        body = message.get_body(preferencelist=("plain", "html"))
        attachments = [
            {"index": i, "filename": part.get_filename(), "type": part.get_content_type()}
            for i, part in enumerate(message.iter_attachments())
        ]
        context: dict[str, Any] = {
            "key": key,
            "message": message,
            "body": body.get_content() if body is not None else "",
            "attachments": attachments,
        }
        return TEMPLATES.TemplateResponse(request, "mail_show.html", context)

    @app.get("/{key}/attachments/{index}")
    async def attachment(key: str, index: int) -> Response:
        parts = list(catcher.message(key).iter_attachments())
        if not 0 <= index < len(parts):
            raise HTTPException(404, "No such attachment")
        part = parts[index]
        payload = part.get_payload(decode=True)
        return Response(
            payload if isinstance(payload, bytes) else b"",
            media_type=part.get_content_type(),
            headers={"Content-Disposition": "attachment"},
        )

    return app

"""Outgoing mail over SMTP with aiosmtplib."""

from email.message import EmailMessage

import aiosmtplib


class SmtpMailer:
    """Sends through one SMTP server; errors propagate so callers can retry with backoff."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        start_tls: bool = False,
        use_tls: bool = False,
        timeout: float = 30.0,
    ) -> None:
        self.host = host
        self.port = port
        self._username = username or None
        self._password = password or None
        self._start_tls = start_tls
        self._use_tls = use_tls
        self._timeout = timeout

    async def send(self, message: EmailMessage) -> None:
        await aiosmtplib.send(
            message,
            hostname=self.host,
            port=self.port,
            username=self._username,
            password=self._password,
            start_tls=self._start_tls,
            use_tls=self._use_tls,
            timeout=self._timeout,
        )

    async def ping(self) -> None:
        smtp = aiosmtplib.SMTP(hostname=self.host, port=self.port, timeout=5, start_tls=False)
        await smtp.connect()
        await smtp.quit()

"""Pure delivery rules: signatures (Standard Webhooks), the retry schedule, which addresses may be called."""

import base64
import ipaddress
import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from standardwebhooks.webhooks import Webhook

from bluemap_shared.problems import InvalidInput

SECRET_PREFIX = "whsec_"
# Standard Webhooks' schedule, stretched to about three days: 5 s, 5 min, 30 min, 2 h, 5 h, then 10 h.
DEFAULT_RETRY_DELAYS = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0, 36000.0, 36000.0, 36000.0, 36000.0)
RESPONSE_EXCERPT_BYTES = 1024


def new_secret() -> str:
    """A signing secret as Standard Webhooks writes it: whsec_ and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signing_secrets(
    secret: str, previous_secret: str | None, previous_until: datetime | None, now: datetime
) -> list[str]:
    """The secrets that sign now: the current one, and the previous one while its overlap lasts."""
    if previous_secret and previous_until is not None and now < previous_until:
        return [secret, previous_secret]
    return [secret]


def signature_headers(msg_id: str, body: bytes, secrets_: Sequence[str], now: datetime) -> dict[str, str]:
    """webhook-id, webhook-timestamp and webhook-signature (one v1 signature per secret, space-separated)."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(Webhook(secret).sign(msg_id, now, body) for secret in secrets_),
    }


@dataclass(frozen=True)
class RetrySchedule:
    """Delays between attempts, each stretched or shrunk by up to `jitter` of itself so retries spread."""

    delays: Sequence[float] = DEFAULT_RETRY_DELAYS
    jitter: float = 0.1

    def next_delay(self, retries_used: int, rand: Callable[[], float] = random.random) -> timedelta | None:
        """How long to wait after the failed attempt that used retries_used steps; None: give up."""
        if retries_used >= len(self.delays):
            return None
        base = self.delays[retries_used]
        return timedelta(seconds=base * (1 + self.jitter * (2 * rand() - 1)))


class RefusedTarget(InvalidInput):
    """An endpoint the platform must not call (SSRF: internal, loopback or link-local addresses)."""

    type = "webhook-target-refused"
    title = "Webhook endpoint refused"


def _loopback_http_allowed(url: str, allow_loopback_http: bool) -> bool:
    parts = urlsplit(url)
    return allow_loopback_http and parts.scheme == "http" and parts.hostname == "127.0.0.1"


def check_url(url: str, *, allow_loopback_http: bool) -> None:
    """Refuse endpoints that are not HTTPS or name an internal address; http://127.0.0.1 only when allowed."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port out of range
        httpx.URL(url)  # what the dispatcher will send to must parse there too
    except (ValueError, httpx.InvalidURL) as exc:
        raise RefusedTarget(f"The endpoint is no valid URL: {exc}.", field="url") from None
    if any(ord(c) < 33 for c in url):
        raise RefusedTarget("The endpoint must not contain spaces or control characters.", field="url")
    if _loopback_http_allowed(url, allow_loopback_http):
        return
    if parts.scheme != "https" or not parts.hostname:
        raise RefusedTarget("The endpoint must be an https:// URL.", field="url")
    if parts.username or parts.password:
        raise RefusedTarget("The endpoint must not carry credentials in its URL.", field="url")
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        if parts.hostname.rstrip(".").lower() == "localhost" or parts.hostname.endswith(".localhost"):
            raise RefusedTarget("The endpoint must not be a local address.", field="url") from None
        return  # a name: its addresses are checked at every delivery
    check_address(address)


def check_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    """Refuse an address that is not on the public internet."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if not address.is_global or address.is_multicast:
        raise RefusedTarget(f"The endpoint resolves to an internal address ({address}).", field="url")


def target_allowed(url: str, addresses: Sequence[str], *, allow_loopback_http: bool) -> str:
    """The address to connect to, after checking every address the name resolved to; RefusedTarget otherwise."""
    if _loopback_http_allowed(url, allow_loopback_http):
        return "127.0.0.1"
    if not addresses:
        raise RefusedTarget("The endpoint's name resolves to no address.", field="url")
    for address in addresses:
        check_address(ipaddress.ip_address(address))
    return addresses[0]

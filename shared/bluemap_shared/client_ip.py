"""Which address a request came from: the peer, or what trusted proxies say was before them."""

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import Annotated

from fastapi import Depends, Request

Network = IPv4Network | IPv6Network


def _parse(value: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(value.strip())
    except ValueError:
        return None


def _trusted(address: IPv4Address | IPv6Address, proxies: Sequence[Network]) -> bool:
    return any(address.version == network.version and address in network for network in proxies)


def client_address(peer: str | None, forwarded_for: Sequence[str], proxies: Sequence[Network]) -> str | None:
    """The client's address; X-Forwarded-For counts only as far as it was appended by trusted proxies.

    Anyone can send the header, so it is read right to left, and only while each hop is a
    trusted proxy: the first address that is not one is the client.
    """
    address = _parse(peer) if peer else None
    if address is None:
        return peer
    hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
    while _trusted(address, proxies) and hops:
        previous = _parse(hops.pop())
        if previous is None:
            break  # a garbled hop: the last trustworthy address is the best answer
        address = previous
    return str(address)


def request_client_ip(request: Request) -> str | None:
    """The caller's address, per the service's trusted proxies (app.state.trusted_proxies)."""
    proxies: Sequence[Network] = getattr(request.app.state, "trusted_proxies", ())
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.getlist("x-forwarded-for"), proxies)


ClientIp = Annotated[str | None, Depends(request_client_ip)]

"""The client's IP address: the peer, unless a trusted proxy vouches for another.

``X-Forwarded-For`` is walked right to left; each hop added by a proxy listed in
TRUSTED_PROXIES is skipped, and the first address not added by a trusted proxy is the
client. A spoofed header from an untrusted peer therefore changes nothing.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _trusted_networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _trusted_networks(tuple(settings.TRUSTED_PROXIES)))


def resolve_client_ip(peer: str | None, forwarded_for: str | None) -> str:
    # an unknown peer's address, not a bind (bandit's B104 reads it as one)
    client = peer or "0.0.0.0"  # nosec B104
    if not forwarded_for or not _is_trusted(client):
        return client
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return client  # garbage in the chain: stop at the last address we can vouch for
        client = hop
        if not _is_trusted(hop):
            return hop
    return client


def client_ip(request: HttpRequest) -> str:
    cached = getattr(request, "_client_ip", None)
    if cached is None:
        cached = resolve_client_ip(request.META.get("REMOTE_ADDR"), request.META.get("HTTP_X_FORWARDED_FOR"))
        request._client_ip = cached  # type: ignore[attr-defined]  # memo on the request
    return cached


def is_trusted_proxy(address: str | None) -> bool:
    """Whether ``address`` (a peer) is one of TRUSTED_PROXIES, whose forwarding headers count."""
    return address is not None and bool(address) and _is_trusted(address)

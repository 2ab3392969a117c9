"""The client's address behind trusted reverse proxies (TRUSTED_PROXIES), for per-IP limits.

X-Forwarded-For is believed only when the peer itself is a trusted proxy; it is then read right to
left, skipping hops inside the trusted ranges, and the first address outside them is the client.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=32)
def parse_proxies(text: str) -> tuple[Network, ...]:
    """The CIDRs of a TRUSTED_PROXIES value ("10.0.0.0/8, 127.0.0.1"); ValueError names a bad entry."""
    networks = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or CIDR range") from None
    return tuple(networks)


def _trusted(address: str, proxies: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_address(peer: str | None, forwarded_for: str | None, proxies: tuple[Network, ...]) -> str:
    """The address per-IP limits count against."""
    client = (peer or "unknown").strip()
    if not proxies or not forwarded_for or not _trusted(client, proxies):
        return client
    for hop in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
        if not _trusted(hop, proxies):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return client  # garbage where an address should be: count it against the proxy
        client = hop
    return client

"""Addresses and ranges: reading ``SIP_ALLOWED_IPS`` and checking a client against it."""

from __future__ import annotations

import ipaddress
from typing import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def network(item: str | Network) -> Network:
    """An address or CIDR range as a range (an address is a one-host range)."""
    try:
        # strict=False: "10.0.0.1/24" means the range 10.0.0.0/24, as firewalls read it.
        return ipaddress.ip_network(item, strict=False)
    except ValueError as exc:
        raise ValueError(f"{item!r} is not an IP address or CIDR range") from exc


def address_allowed(remote_addr: str | None, networks: Iterable[Network]) -> bool:
    """True when ``remote_addr`` lies in one of ``networks``; an unparsable address never does."""
    try:
        address = ipaddress.ip_address((remote_addr or "").split("%")[0])
    except ValueError:
        return False
    # An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d.
    mapped = getattr(address, "ipv4_mapped", None)
    return any(address in network or (mapped is not None and mapped in network)
               for network in networks)

"""Addresses and ranges: parsing ``SIP_ALLOWED_IPS`` and checking a client against it."""

from __future__ import annotations

import ipaddress
from typing import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: str | Iterable[str | Network]) -> tuple[Network, ...]:
    """Addresses and CIDR ranges separated by commas or spaces; an address is a one-host range.

    Raises:
        ValueError: an entry is neither an address nor a range (the message quotes it).
    """
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    networks = []
    for item in items:
        if isinstance(item, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
            networks.append(item)
            continue
        try:
            # strict=False: "10.0.0.1/24" means the range 10.0.0.0/24, as firewalls read it.
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"{item!r} is not an IP address or CIDR range") from exc
    return tuple(networks)


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


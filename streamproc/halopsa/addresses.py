"""Addresses Halo credentials are never sent to, checked again when the client connects.

The API refuses base URLs that reach link-local or cloud metadata addresses when a config is
saved (:mod:`streamproc.web.addresses`). A name can resolve differently later (DNS rebinding), so
the client's resolver drops such addresses too: a host that resolves only to them cannot be
reached, and the request fails as a connection error before anything is sent.
"""

from __future__ import annotations

import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

IP = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA = tuple(
    ipaddress.ip_network(n)
    for n in (
        "169.254.0.0/16",  # IPv4 link-local: AWS, GCP, Azure, OCI, DigitalOcean metadata
        "fe80::/10",  # IPv6 link-local
        "fd00:ec2::254/128",  # AWS metadata over IPv6
        "100.100.100.200/32",  # Alibaba Cloud metadata
        "168.63.129.16/32",  # Azure wire server
        "0.0.0.0/8",  # "this network": connecting to 0.0.0.0 reaches the host itself
        "::/128",
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def embedded_ipv4(ip: IP) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, 6to4 or NAT64 IPv6 address."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _never(ip: IP) -> bool:
    if any(ip in net for net in METADATA if net.version == ip.version):
        return True
    if ip.is_link_local or ip.is_multicast or ip.is_unspecified:
        return True
    # IPv6 "reserved" (::/8) holds ::1 and the IPv4-mapped block: only IPv4's 240/4 is refused
    return ip.version == 4 and ip.is_reserved


def never_reachable(ip: IP) -> bool:
    """True for link-local, cloud metadata, unspecified, multicast and reserved addresses."""
    inner = embedded_ipv4(ip)
    return _never(ip) or (inner is not None and _never(inner))


class MetadataSafeResolver(AbstractResolver):
    """aiohttp's default resolver, without the addresses Halo credentials must never reach."""

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The addresses of ``host`` that may be reached; OSError when none may."""
        found = await self._inner.resolve(host, port, family)
        allowed = [r for r in found if not never_reachable(ipaddress.ip_address(r["host"]))]
        if not allowed:
            raise OSError(f"{host} resolves only to link-local or cloud metadata addresses")
        return allowed

    async def close(self) -> None:
        """Release the inner resolver."""
        await self._inner.close()

"""Where a Halo base URL may point (pure): never at link-local or cloud metadata addresses.

Saving an integration sends the company's Halo client credentials to its base URL, so a URL
that reaches a cloud metadata service (169.254.169.254 and friends) would hand them, and the
worker's own cloud identity, to whoever can save a config. Rules, for the literal host and for
every address its name resolves to (IPv4 embedded in IPv6 is unwrapped first):

- link-local, cloud metadata, unspecified, multicast and reserved addresses: never (the list is
  :mod:`streamproc.halopsa.addresses`, whose resolver also drops them when the client connects);
- loopback: only in dev mode (a local sandbox);
- any other non-public address (10/8, 172.16/12, 192.168/16, fc00::/7, 100.64/10, …): only with
  ``STREAMPROC_HALO_ALLOW_PRIVATE_NETWORKS`` (an on-premises Halo).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from streamproc.halopsa.addresses import embedded_ipv4, never_reachable

IP = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class AddressPolicy:
    """Which non-public Halo addresses this deployment accepts."""

    allow_loopback: bool = False  # dev mode
    allow_private: bool = False  # STREAMPROC_HALO_ALLOW_PRIVATE_NETWORKS


def literal_ip(host: str) -> IP | None:
    """``host`` as an IP address when it is one (brackets and a zone id allowed)."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def is_loopback_name(host: str) -> bool:
    """``localhost`` and names under ``.localhost`` (RFC 6761: always the host itself)."""
    name = host.strip("[]").lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


def address_problem(ip: IP, policy: AddressPolicy) -> str | None:
    """Why a Halo URL must not reach ``ip`` under ``policy``, or None when it may."""
    target = embedded_ipv4(ip) or ip
    if never_reachable(ip):
        return (
            f"reaches {ip}, a link-local or cloud metadata address: Halo credentials are"
            " never sent there"
        )
    if target.is_loopback:
        if policy.allow_loopback:
            return None
        return f"reaches {ip}, a loopback address: allowed only with STREAMPROC_DEV_MODE=1"
    if not target.is_global and not policy.allow_private:
        return (
            f"reaches {ip}, a private-network address: set"
            " STREAMPROC_HALO_ALLOW_PRIVATE_NETWORKS=1 to use an on-premises Halo"
        )
    return None

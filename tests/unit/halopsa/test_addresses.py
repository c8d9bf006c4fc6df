"""The Halo client's resolver never hands out link-local or cloud metadata addresses."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from streamproc.halopsa.addresses import MetadataSafeResolver, never_reachable


class FakeResolver:
    def __init__(self, *hosts: str) -> None:
        self.hosts = hosts

    async def resolve(self, host, port=0, family=socket.AF_INET):
        return [
            {"hostname": host, "host": h, "port": port, "family": family, "proto": 0, "flags": 0}
            for h in self.hosts
        ]

    async def close(self):
        pass


@pytest.mark.parametrize(
    ("address", "never"),
    [
        ("169.254.169.254", True),
        ("fd00:ec2::254", True),
        ("::ffff:169.254.169.254", True),
        ("64:ff9b::a9fe:a9fe", True),
        ("100.100.100.200", True),
        ("0.0.0.0", True),
        ("127.0.0.1", False),  # loopback and private networks are the API's policy
        ("::1", False),
        ("10.0.0.1", False),
        ("8.8.8.8", False),
        ("2606:4700:4700::1111", False),
    ],
)
def test_never_reachable(address, never):
    assert never_reachable(ipaddress.ip_address(address)) is never


async def test_metadata_addresses_are_dropped_from_what_a_name_resolves_to():
    resolver = MetadataSafeResolver()
    resolver._inner = FakeResolver("169.254.169.254", "8.8.8.8")
    assert [r["host"] for r in await resolver.resolve("halo.example", 443)] == ["8.8.8.8"]
    resolver._inner = FakeResolver("169.254.169.254", "fe80::1")
    with pytest.raises(OSError, match="link-local or cloud metadata"):
        await resolver.resolve("rebound.example", 443)
    await resolver.close()

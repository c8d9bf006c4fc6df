"""Issue 18: Halo base URLs never reach metadata addresses; loopback needs dev mode and private
networks a setting, whether the address is written in the URL or resolved from its name."""

from __future__ import annotations

import ipaddress
import socket

from tests.e2e.api_client import api, body, call


def test_halo_urls_never_reach_metadata_loopback_or_private_addresses(make_worker, halo_url):
    worker = make_worker("w1", extra_env={"STREAMPROC_DEV_MODE": "0"}).start()

    def refused(base_url: str) -> str:
        for method, suffix in (("POST", "/test"), ("PUT", "")):
            reply = call(method, api(worker, "acme", suffix), body(base_url))
            assert reply.status == 422, (base_url, reply.text)
            [field] = reply.body["fields"]
            assert field["field"] == "base_url"
        return field["message"]

    assert "link-local or cloud metadata" in refused("https://169.254.169.254")
    assert "link-local or cloud metadata" in refused("https://[::ffff:169.254.169.254]")
    assert "link-local or cloud metadata" in refused("https://[fd00:ec2::254]/latest")
    assert "STREAMPROC_HALO_ALLOW_PRIVATE_NETWORKS=1" in refused("https://10.0.0.7")
    assert "STREAMPROC_DEV_MODE=1" in refused(halo_url)  # the sandbox, on loopback
    assert "STREAMPROC_DEV_MODE=1" in refused("https://localhost:9443")
    # a name is checked by what it resolves to: this host's own name is loopback or private
    host = socket.gethostname()
    try:
        resolved = {info[4][0] for info in socket.getaddrinfo(host, 443)}
    except OSError:
        resolved = set()
    if resolved and not any(ipaddress.ip_address(a).is_global for a in resolved):
        message = refused(f"https://{host}:9443")
        assert message.startswith("reaches "), message
    assert call("GET", api(worker, "acme")).status == 404  # nothing was saved

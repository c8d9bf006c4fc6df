"""The page's form handling (pure parts): cross-site posts and the switch form."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from streamproc.web.page_view import cross_site, parse_switch


def request(headers: dict[str, str], host: str = "worker.example:6066") -> SimpleNamespace:
    return SimpleNamespace(headers=headers, host=host)


@pytest.mark.parametrize(
    ("headers", "refused"),
    [
        ({}, False),  # not a browser, or an old one: the form token decides
        ({"Origin": "http://worker.example:6066"}, False),
        ({"Origin": "https://WORKER.example:6066"}, False),  # behind a TLS proxy
        ({"Sec-Fetch-Site": "same-origin"}, False),
        ({"Sec-Fetch-Site": "none"}, False),  # typed in the address bar
        ({"Origin": "https://evil.example"}, True),
        ({"Origin": "null"}, True),  # a sandboxed frame or a data: URL
        ({"Sec-Fetch-Site": "cross-site"}, True),
        ({"Sec-Fetch-Site": "same-site"}, True),
        ({"Sec-Fetch-Site": "same-origin", "Origin": "https://evil.example"}, True),
    ],
)
def test_cross_site_posts_are_recognised(headers, refused):
    assert cross_site(request(headers)) is refused


def test_parse_switch():
    assert parse_switch(b"csrf=1.abc&enabled=true") == ("1.abc", True)
    assert parse_switch(b"enabled=false&csrf=1.abc") == ("1.abc", False)
    assert parse_switch(b"csrf=1.abc&enabled=maybe") == ("1.abc", None)
    assert parse_switch(b"enabled=true") == (None, True)
    assert parse_switch(b"\xff\xfe") == (None, None)
    assert parse_switch(b"&".join([b"a=1"] * 50)) == (None, None)  # too many fields

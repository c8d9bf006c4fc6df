"""Webhook passwords, Basic auth and signed page links."""

from __future__ import annotations

import base64

import pytest

from streamproc.web.security import (
    basic_ok,
    hash_password,
    new_password,
    page_signature,
    parse_basic,
    signature_ok,
    verify_password,
    webhook_username,
)


def header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_hash_verifies_and_is_salted():
    password = new_password()
    assert len(password) >= 20
    stored = hash_password(password)
    assert stored.startswith("scrypt$")
    assert password not in stored
    assert verify_password(password, stored)
    assert not verify_password(password + "x", stored)
    assert hash_password(password) != stored  # random salt


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "",
        "plain",
        "md5$1$2$3$4$5",
        "scrypt$x$8$1$AA==$AA==",
        "scrypt$2$8$1$!!$AA==",
        "scrypt$1073741824$8$1$AA==$AA==",
    ],
)
def test_malformed_hashes_never_verify(stored):
    assert not verify_password("anything", stored)


def test_parse_basic():
    assert parse_basic(header("halo-acme", "p:w")) == ("halo-acme", "p:w")
    assert parse_basic("basic " + base64.b64encode(b"u:").decode()) == ("u", "")
    for bad in (
        None,
        "",
        "Bearer x",
        "Basic !!!",
        "Basic " + base64.b64encode(b"nocolon").decode(),
    ):
        assert parse_basic(bad) is None


def test_basic_ok():
    stored = hash_password("pw-1")
    user = webhook_username("acme")
    assert user == "halo-acme"
    assert basic_ok(header(user, "pw-1"), user, stored)
    assert not basic_ok(header(user, "pw-2"), user, stored)
    assert not basic_ok(header("halo-other", "pw-1"), user, stored)
    assert not basic_ok(None, user, stored)
    assert not basic_ok(header(user, "pw-1"), None, None)
    assert not basic_ok(header("", "pw-1"), "", stored)


def test_signed_links():
    sig = page_signature("admin-token", "acme")
    assert len(sig) == 64
    assert int(sig, 16) >= 0
    assert signature_ok("admin-token", "acme", sig)
    assert signature_ok("admin-token", "acme", sig.upper())
    assert not signature_ok("admin-token", "other", sig)
    assert not signature_ok("another-token", "acme", sig)
    assert not signature_ok("admin-token", "acme", None)
    assert not signature_ok(None, "acme", sig)
    assert not signature_ok("admin-token", "acme", "é" + sig[1:])

"""Webhook passwords and Basic auth (pure; constant-time comparisons; microseconds per check).

The webhook password is a random 190-bit secret, so it is stored as a keyed digest
(``hmac-sha256$<key id>$<digest>``: HMAC-SHA256 of the password under a key derived from the
secret key) rather than a slow password hash. A slow hash protects low-entropy human passwords
and buys nothing here; run on the event loop for every delivery it stalled the whole worker
(scrypt, ~48 ms of CPU per check: alert latency p99 went from 62 ms to 9.7 s under a flood of
wrong passwords). Configs saved before keep their ``scrypt$…`` hash: :mod:`legacy_hash` checks
those, off the loop.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from streamproc.web.keys import key_id

SCHEME = "hmac-sha256"


def new_password() -> str:
    """A random webhook password (about 190 bits, URL-safe)."""
    return secrets.token_urlsafe(24)


def webhook_username(company_id: str) -> str:
    """The Basic-auth user name Halo must send for ``company_id``."""
    return f"halo-{company_id}"


def password_digest(key: bytes, password: str) -> str:
    """What is stored in ``webhook_password_hash`` for ``password``."""
    mac = hmac.new(key, password.encode(), hashlib.sha256).digest()
    return f"{SCHEME}${key_id(key)}${base64.b64encode(mac).decode()}"


def is_legacy(stored: str | None) -> bool:
    """True for a ``scrypt$…`` hash saved before keyed digests (slow to check)."""
    return bool(stored) and stored.startswith("scrypt$")  # type: ignore[union-attr]


def digest_current(key: bytes, stored: str | None) -> bool:
    """True when ``stored`` is a digest made with ``key`` (not legacy, not another secret key)."""
    parts = (stored or "").split("$")
    return len(parts) == 3 and parts[0] == SCHEME and hmac.compare_digest(parts[1], key_id(key))


def digest_ok(key: bytes, password: str, stored: str | None) -> bool:
    """True when ``stored`` is the keyed digest of ``password`` (False for anything else)."""
    if not digest_current(key, stored):
        return False
    try:
        expected = base64.b64decode(stored.rsplit("$", 1)[1], validate=True)  # type: ignore[union-attr]
    except (ValueError, binascii.Error):
        return False
    mac = hmac.new(key, password.encode(), hashlib.sha256).digest()
    return hmac.compare_digest(mac, expected)


def parse_basic(authorization: str | None) -> tuple[str, str] | None:
    """``(user, password)`` from a ``Basic`` Authorization header, or None."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (ValueError, binascii.Error):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def user_ok(user: str, expected: str | None) -> bool:
    """Constant-time comparison of the Basic user name with the stored one."""
    return bool(expected) and hmac.compare_digest(user.encode(), (expected or "").encode())

"""Webhook passwords, Basic auth and signed page links (pure, constant-time comparisons)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

# scrypt cost: ~16 MiB and a few tens of milliseconds per check (one per webhook delivery).
_N, _R, _P = 2**14, 8, 1
_DUMMY_HASH: str | None = None


def new_password() -> str:
    """A random webhook password (about 190 bits, URL-safe)."""
    return secrets.token_urlsafe(24)


def webhook_username(company_id: str) -> str:
    """The Basic-auth user name Halo must send for ``company_id``."""
    return f"halo-{company_id}"


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$n$r$p$<salt b64>$<hash b64>``: what is stored in ``webhook_password_hash``."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str | None) -> bool:
    """True when ``password`` matches ``stored``; False for any malformed hash (never raises)."""
    global _DUMMY_HASH
    if not stored:
        # Spend the same time as a real check so the answer does not reveal unknown companies.
        _DUMMY_HASH = _DUMMY_HASH or hash_password("dummy")
        stored, password = _DUMMY_HASH, password + "\x00"
    try:
        scheme, n, r, p, salt_b64, hash_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        n_, r_, p_ = int(n), int(r), int(p)
        if not (2 <= n_ <= 2**16 and 1 <= r_ <= 16 and 1 <= p_ <= 4):
            return False
        salt = base64.b64decode(salt_b64, validate=True)
        expected = base64.b64decode(hash_b64, validate=True)
        digest = hashlib.scrypt(
            password.encode(), salt=salt, n=n_, r=r_, p=p_, dklen=len(expected) or 32
        )
    except (ValueError, binascii.Error, MemoryError):
        return False
    return hmac.compare_digest(digest, expected)


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


def basic_ok(authorization: str | None, username: str | None, password_hash: str | None) -> bool:
    """Constant-time check of a Basic header against the stored user name and password hash."""
    creds = parse_basic(authorization)
    user, password = creds if creds else ("", "")
    user_ok = hmac.compare_digest(user.encode(), (username or "\x00").encode())
    password_ok = verify_password(password, password_hash if creds else None)
    return bool(creds) and user_ok and password_ok and bool(username)


def page_signature(admin_token: str, company_id: str) -> str:
    """Hex HMAC-SHA256 of the company id keyed with the admin token (the page's ``sig``)."""
    return hmac.new(admin_token.encode(), company_id.encode(), hashlib.sha256).hexdigest()


def signature_ok(admin_token: str | None, company_id: str, sig: str | None) -> bool:
    """True when ``sig`` is the page signature of ``company_id``."""
    if not admin_token or not sig:
        return False
    expected = page_signature(admin_token, company_id)
    return hmac.compare_digest(sig.strip().lower().encode(), expected.encode())

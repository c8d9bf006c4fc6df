"""Webhook password hashes as configs saved before keyed digests hold them (scrypt)."""

from __future__ import annotations

import base64
import hashlib


def scrypt_hash(password: str, n: int = 2**14) -> str:
    """``scrypt$n$r$p$<salt b64>$<hash b64>`` of ``password``, as the old code stored it."""
    salt = b"s" * 16
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=8, p=1, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${n}$8$1${b64(salt).decode()}${b64(digest).decode()}"

"""Server-side keys of the web layer, derived from ``STREAMPROC_SECRET_KEY`` (HKDF-SHA256).

One secret, several independent keys: a key used to sign page links can never be replayed as a
webhook digest, and none of them reveals the Fernet key that encrypts Halo secrets. They derive
from the secret key rather than the admin token so that rotating the admin token breaks neither
stored webhook digests nor links already handed out (links are revoked per company instead).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr


def _derive(secret: bytes, purpose: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode())
    return hkdf.derive(secret)


def key_id(key: bytes) -> str:
    """A short public name of ``key`` (stored beside digests: says which key made them)."""
    return hmac.new(key, b"key-id", hashlib.sha256).hexdigest()[:8]


@dataclass(frozen=True)
class ServerKeys:
    """The web layer's keys (never logged: excluded from repr)."""

    webhook: bytes = field(repr=False)
    links: bytes = field(repr=False)
    forwarding: bytes = field(repr=False)

    @classmethod
    def derive(cls, secret_key: SecretStr) -> ServerKeys:
        """The keys of this deployment (every worker derives the same ones)."""
        secret = secret_key.get_secret_value().encode()
        return cls(
            webhook=_derive(secret, "streamproc/webhook-password/v1"),
            links=_derive(secret, "streamproc/page-links/v1"),
            forwarding=_derive(secret, "streamproc/forwarding/v1"),
        )

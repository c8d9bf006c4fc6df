"""Webhook password hashes saved before keyed digests: ``scrypt$n$r$p$<salt b64>$<hash b64>``.

Checking one costs about 48 ms of CPU and 16 MiB, so it must never run on the event loop:
:class:`LegacyVerifier` runs it on one thread of its own (hashlib releases the GIL during scrypt),
admits a few waiting checks and refuses the rest, and remembers a password it verified as a keyed
digest, so a company's next deliveries, and the next save of its config, need no scrypt at all.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
from concurrent.futures import ThreadPoolExecutor

from cachetools import LRUCache

from streamproc.web.security import digest_ok, password_digest


def scrypt_ok(password: str, stored: str) -> bool:
    """True when ``password`` matches the scrypt hash ``stored``; False when malformed. Slow."""
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


class BusyError(Exception):
    """Too many legacy checks are waiting: answer 503 and let the sender retry."""


class LegacyVerifier:
    """Checks legacy hashes off the event loop, at most ``max_waiting`` at a time."""

    def __init__(self, key: bytes, *, max_waiting: int = 4) -> None:
        self._key = key
        self._max_waiting = max_waiting
        self._waiting = 0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="legacy-hash")
        self._upgraded: LRUCache[str, str] = LRUCache(maxsize=4096)

    def upgraded(self, stored: str) -> str | None:
        """The keyed digest of the password that matched ``stored`` here, if one did."""
        return self._upgraded.get(stored)

    async def verify(self, password: str, stored: str) -> bool:
        """True when ``password`` matches ``stored``; raises BusyError when the queue is full."""
        upgraded = self._upgraded.get(stored)
        if upgraded is not None:
            return digest_ok(self._key, password, upgraded)
        if self._waiting >= self._max_waiting:
            raise BusyError
        self._waiting += 1
        try:
            loop = asyncio.get_running_loop()
            ok = await loop.run_in_executor(self._executor, scrypt_ok, password, stored)
        finally:
            self._waiting -= 1
        if ok:
            self._upgraded[stored] = password_digest(self._key, password)
        return ok

    def close(self) -> None:
        """Stop the thread (checks in progress finish)."""
        self._executor.shutdown(wait=False, cancel_futures=True)

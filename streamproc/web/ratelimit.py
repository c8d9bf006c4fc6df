"""Budgets of failed authentications (token buckets per key, in memory, per worker).

A key (a source network, a company) may fail ``limit`` times in a burst and regains one failure
every ``window / limit`` seconds; with its budget spent it is refused (429 with ``Retry-After``)
before its credentials are even looked at. Buckets live in a bounded TTL cache: an idle bucket is
full again after ``window`` seconds, so forgetting it then loses nothing, and a flood of new keys
costs bounded memory (an evicted bucket only starts full again).
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from cachetools import TTLCache


@dataclass
class _Bucket:
    tokens: float
    at: float


class FailureBudget:
    """Failed attempts allowed per key: ``limit`` per ``window`` seconds."""

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.window = limit, window
        self._rate = limit / window
        self._clock = clock
        self._buckets: TTLCache[str, _Bucket] = TTLCache(max_keys, ttl=window, timer=clock)

    def _refilled(self, key: str) -> _Bucket | None:
        bucket = self._buckets.get(key)
        if bucket is not None:
            now = self._clock()
            bucket.tokens = min(self.limit, bucket.tokens + (now - bucket.at) * self._rate)
            bucket.at = now
        return bucket

    def retry_after(self, key: str) -> int | None:
        """Whole seconds until ``key`` may try again; None when it may try now."""
        bucket = self._refilled(key)
        if bucket is None or bucket.tokens >= 1:
            return None
        return max(1, math.ceil((1 - bucket.tokens) / self._rate))

    def failed(self, key: str) -> bool:
        """Spend one failure of ``key``; True when that used up its budget (log it once)."""
        bucket = self._refilled(key)
        if bucket is None:
            bucket = _Bucket(float(self.limit), self._clock())
        bucket.tokens = max(0.0, bucket.tokens - 1)
        self._buckets[key] = bucket  # (re)starts its TTL: a bucket short of tokens is remembered
        return bucket.tokens < 1


def source_key(address: str | None) -> str:
    """The budget key of a client address: the address, or its /64 for IPv6 (one host's share)."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:100]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)

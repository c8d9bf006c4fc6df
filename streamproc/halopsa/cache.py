"""Bounded per-tenant caches for asset-by-serial and user-by-email lookups."""

from __future__ import annotations

from typing import Any

from cachetools import TTLCache

MISS = object()


class LookupCache:
    """Remembers lookup results per (tenant, kind, key), negative results for a shorter time.

    A repeat alert on a known computer then costs no lookup requests. Values are whatever the
    client stores; `negative` marks results meaning "nothing found". `get` returns `MISS` when
    nothing (fresh) is cached.
    """

    def __init__(self, maxsize: int, ttl: float, negative_ttl: float) -> None:
        self._positive: TTLCache[tuple[str, str, str], Any] = TTLCache(maxsize, ttl)
        self._negative: TTLCache[tuple[str, str, str], Any] = TTLCache(maxsize, negative_ttl)

    @staticmethod
    def _key(tenant: str, kind: str, key: str) -> tuple[str, str, str]:
        return (tenant, kind, key.strip().casefold())

    def get(self, tenant: str, kind: str, key: str) -> Any:
        """The cached value, or `MISS`."""
        k = self._key(tenant, kind, key)
        for cache in (self._positive, self._negative):
            value = cache.get(k, MISS)
            if value is not MISS:
                return value
        return MISS

    def put(self, tenant: str, kind: str, key: str, value: Any, *, negative: bool) -> None:
        """Store a result; `negative=True` uses the shorter TTL."""
        k = self._key(tenant, kind, key)
        self._positive.pop(k, None)
        self._negative.pop(k, None)
        (self._negative if negative else self._positive)[k] = value

    def clear(self, tenant: str | None = None) -> None:
        """Forget everything, or everything of one tenant key (e.g. after its config changed)."""
        for cache in (self._positive, self._negative):
            for k in [k for k in cache if tenant is None or k[0] == tenant]:
                cache.pop(k, None)

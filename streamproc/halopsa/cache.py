"""Bounded per-tenant caches for asset-by-serial and user-by-email lookups."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
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
        self._fetching: dict[tuple[str, str, str, str], asyncio.Future[Any]] = {}

    @staticmethod
    def _key(tenant: str, kind: str, key: str) -> tuple[str, str, str]:
        return (tenant, kind, key.strip().casefold())

    async def lookup(
        self,
        tenant: str,
        kind: str,
        key: str,
        fetch: Callable[[], Awaitable[tuple[Any, bool]]],
        *,
        caller: str = "",
    ) -> Any:
        """The cached value, else ``fetch()``'s (value, negative), stored; callers asking for
        the same key meanwhile wait for that one fetch (an alert storm on one computer costs one
        lookup, not one per alert). Only callers with the same ``caller`` (API application) wait
        for each other: another application's failure (its credentials) is not theirs."""
        cached = self.get(tenant, kind, key)
        if cached is not MISS:
            return cached
        k = (*self._key(tenant, kind, key), caller)
        running = self._fetching.get(k)
        if running is not None:
            return await asyncio.shield(running)
        running = self._fetching[k] = asyncio.get_running_loop().create_future()
        try:
            value, negative = await fetch()
        except BaseException as exc:
            running.set_exception(exc)
            running.exception()  # retrieved: whoever waits gets it, or nobody does
            raise
        else:
            self.put(tenant, kind, key, value, negative=negative)
            running.set_result(value)
            return value
        finally:
            del self._fetching[k]

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

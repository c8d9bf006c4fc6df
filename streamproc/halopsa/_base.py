"""Plumbing shared by HaloClient's calls: authenticated requests and response shapes."""

from __future__ import annotations

from typing import Any, Self

import aiohttp

from streamproc.halopsa import fields as f
from streamproc.halopsa.auth import TokenManager
from streamproc.halopsa.cache import LookupCache
from streamproc.halopsa.config import HaloClientConfig, HaloCredentials
from streamproc.halopsa.creates import TenantCreates
from streamproc.halopsa.errors import HaloError, HaloPermissionError
from streamproc.halopsa.limiter import SlidingWindowLimiter
from streamproc.halopsa.stats import Observer, RequestStats
from streamproc.halopsa.transport import Response, Transport

# Halo's spelling; first page only: our queries are filtered down to a handful of rows.
PAGE = {"pageinate": "true", "page_no": "1"}


class HaloClientBase:
    """Session, tokens, budget, caches and the authenticated request helpers of HaloClient."""

    def __init__(
        self,
        config: HaloClientConfig | None = None,
        *,
        session: aiohttp.ClientSession | None = None,
        observer: Observer | None = None,
    ) -> None:
        self.config = config or HaloClientConfig()
        self.stats = RequestStats(observer)
        self._transport = Transport(self.config, self.stats, session)
        self.tokens = TokenManager(self._transport, self.config)
        self.cache = LookupCache(
            self.config.cache_size, self.config.cache_ttl, self.config.negative_cache_ttl
        )
        self._creates: dict[str, TenantCreates] = {}  # per tenant: one create request at a time

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session if the client created it."""
        await self._transport.close()

    def budget(self, instance: str) -> SlidingWindowLimiter:
        """The rate budget of a Halo instance (``HaloCredentials.tenant_key``)."""
        return self._transport.limiters.get(instance)

    def limiter_wait_seconds(self) -> dict[str, float]:
        """Seconds spent waiting for rate budget so far, per tenant key (for metrics)."""
        return self._transport.limiters.waited_seconds()

    async def _api(
        self,
        creds: HaloCredentials,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        idempotent: bool = True,
    ) -> Response:
        """Call ``{base}{path}`` with a bearer token; on a 401 re-authenticate once and retry."""
        for attempt in (1, 2):
            token = await self.tokens.token(creds)
            try:
                return await self._transport.request(
                    creds.tenant_key,
                    method,
                    creds.base_url + path,
                    path,
                    idempotent=idempotent,
                    secrets=(creds.secret, token),
                    params=params,
                    json=body,
                    headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                )
            except HaloPermissionError as exc:
                if exc.status != 401 or attempt == 2:
                    raise
                self.tokens.invalidate(creds, token)
        raise AssertionError("unreachable")

    async def _rows(
        self, creds: HaloCredentials, path: str, key: str, params: dict[str, str] | None = None
    ) -> list[dict[str, Any]]:
        """GET a list endpoint; accept a bare array or an envelope ``{key: [...]}``."""
        response = await self._api(creds, "GET", path, params=params)
        body = response.json()
        if isinstance(body, dict):
            body = body.get(key)
        if not isinstance(body, list):
            raise HaloError(
                f"Halo returned no {key} list.",
                method="GET",
                path=path,
                status=response.status,
            )
        return [row for row in body if isinstance(row, dict)]

    async def _object(self, creds: HaloCredentials, path: str) -> dict[str, Any]:
        response = await self._api(creds, "GET", path)
        body = response.json()
        if not isinstance(body, dict):
            raise HaloError("Halo returned no record.", method="GET", path=path)
        return body


def action_body(ticket_id: int, outcome: str, note: str) -> dict[str, Any]:
    return {
        f.TICKET_ID: int(ticket_id),
        f.OUTCOME: outcome,
        f.NOTE: note,
        f.HIDDEN_FROM_USER: True,
        f.SEND_EMAIL: False,
    }


def last_object(response: Response) -> dict[str, Any]:
    """Halo answers a POST with the last record (or an array with ``returnall``)."""
    body = response.json()
    if isinstance(body, list):
        body = body[-1] if body else None
    if not isinstance(body, dict) or not f.as_int(body.get(f.ID)):
        raise HaloError(
            "Halo accepted the request but returned no record with an id.",
            method=response.method,
            path=response.path,
            status=response.status,
        )
    return body

"""One HTTP exchange with Halo: budget, timing, counting, retries and error mapping."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp

from streamproc.halopsa.addresses import MetadataSafeResolver
from streamproc.halopsa.config import HaloClientConfig
from streamproc.halopsa.errors import (
    HaloError,
    HaloRateLimitedError,
    HaloUnavailableError,
    error_from_response,
    scrub,
)
from streamproc.halopsa.limiter import TenantLimiters
from streamproc.halopsa.stats import RequestObservation, RequestStats, endpoint_of

# Failures after which the request surely never reached Halo: safe to resend even a create.
_NOT_SENT = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)


@dataclass(frozen=True)
class Response:
    """A 2xx answer from Halo."""

    status: int
    text: str
    method: str
    path: str

    def json(self) -> Any:
        """The body as JSON; raises HaloError when Halo did not send JSON."""
        try:
            return json.loads(self.text) if self.text.strip() else None
        except ValueError:
            raise HaloError(
                "Halo returned a response that is not JSON.",
                method=self.method,
                path=self.path,
                status=self.status,
            ) from None


def parse_retry_after(value: str | None, default: float) -> float:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); `default` when absent."""
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return default


class Transport:
    """Sends requests for many tenants over one pooled session.

    Before each attempt it takes a slot from the tenant's limiter; after it, it records the
    request in `stats`. Unavailability (5xx, timeouts, connection errors) is retried with
    jittered exponential backoff up to `max_attempts`, but a non-idempotent request is resent only
    when it surely never reached Halo (connection refused, DNS failure, connect timeout) or Halo
    said 503/429; otherwise the error is raised with `ambiguous=True`.
    """

    def __init__(
        self,
        config: HaloClientConfig,
        stats: RequestStats,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.config = config
        self.stats = stats
        self.limiters = TenantLimiters(config.rate_limit_requests, config.rate_limit_window)
        self._session = session
        self._owns_session = session is None
        self._timeout = aiohttp.ClientTimeout(
            total=config.timeout_total, connect=config.timeout_connect
        )

    @property
    def session(self) -> aiohttp.ClientSession:
        """The pooled session; created on first use when none was given."""
        if self._session is None or (self._owns_session and self._session.closed):
            self._session = aiohttp.ClientSession(
                timeout=self._timeout,
                connector=aiohttp.TCPConnector(
                    limit=self.config.connection_limit, resolver=MetadataSafeResolver()
                ),
                headers={"User-Agent": self.config.user_agent},
            )
        return self._session

    async def close(self) -> None:
        """Close the session if this transport created it."""
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None if self._owns_session else self._session

    async def request(
        self,
        tenant: str,
        method: str,
        url: str,
        path: str,
        *,
        idempotent: bool,
        secrets: Iterable[str | None] = (),
        token_request: bool = False,
        tenant_name: str | None = None,
        **kwargs: Any,
    ) -> Response:
        """Send one logical request; return the 2xx `Response` or raise a `HaloError`.

        `path` is what errors and metrics show (no query string); `url` is what is sent.
        """
        secrets = tuple(secrets)
        attempts = max(1, self.config.max_attempts)
        for attempt in range(1, attempts + 1):
            error, may_retry = await self._attempt(
                tenant, method, url, path, idempotent, secrets, token_request, tenant_name, kwargs
            )
            if isinstance(error, Response):
                return error
            if not may_retry or attempt == attempts:
                raise error
            delay = self._backoff(attempt)
            if isinstance(error, HaloRateLimitedError):
                delay = error.retry_after
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.config.backoff_max, self.config.backoff_base * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)

    async def _attempt(
        self,
        tenant: str,
        method: str,
        url: str,
        path: str,
        idempotent: bool,
        secrets: tuple[str | None, ...],
        token_request: bool,
        tenant_name: str | None,
        kwargs: Mapping[str, Any],
    ) -> tuple[Response | HaloError, bool]:
        limiter = self.limiters.get(tenant)
        status: int | str = "connection_error"
        async with limiter.slot() as waited:
            started = time.monotonic()
            try:
                async with self.session.request(
                    method, url, timeout=self._timeout, **kwargs
                ) as resp:
                    status = resp.status
                    text = await resp.text(errors="replace")
                    retry_after = resp.headers.get("Retry-After")
            except _NOT_SENT as exc:
                return self._unavailable(method, path, exc, secrets, ambiguous=False), True
            except (aiohttp.ClientError, TimeoutError) as exc:
                status = "timeout" if isinstance(exc, TimeoutError) else status
                error = self._unavailable(method, path, exc, secrets, ambiguous=not idempotent)
                return error, idempotent
            finally:
                self.stats.record(
                    RequestObservation(
                        tenant=tenant,
                        endpoint=endpoint_of(path),
                        method=method,
                        status=status,
                        seconds=time.monotonic() - started,
                        limiter_wait=waited,
                    )
                )
        if 200 <= status < 300:
            return Response(status, text, method, path), False
        wait = parse_retry_after(retry_after, self.config.default_retry_after)
        error = error_from_response(
            method,
            path,
            status,
            text,
            token_request=token_request,
            tenant=tenant_name,
            retry_after=wait,
            secrets=secrets,
        )
        if isinstance(error, HaloRateLimitedError):
            limiter.pause(wait)
            return error, wait <= self.config.max_rate_limit_wait
        if isinstance(error, HaloUnavailableError):
            if idempotent or status == 503:
                return error, True
            return _rebuild(error, secrets), False
        return error, False

    @staticmethod
    def _unavailable(
        method: str, path: str, exc: BaseException, secrets: tuple[str | None, ...], ambiguous: bool
    ) -> HaloUnavailableError:
        kind = "timed out" if isinstance(exc, TimeoutError) else "could not connect"
        if not isinstance(exc, _NOT_SENT) and not isinstance(exc, TimeoutError):
            kind = "connection failed"
        detail = scrub(f"{type(exc).__name__}: {exc}", secrets)
        return HaloUnavailableError(
            f"Halo {kind}.",
            method=method,
            path=path,
            halo_message=detail,
            ambiguous=ambiguous,
            secrets=secrets,
        )


def _rebuild(error: HaloUnavailableError, secrets: tuple[str | None, ...]) -> HaloUnavailableError:
    """Re-create `error` so its message mentions that Halo may have applied the request."""
    return HaloUnavailableError(
        error.summary,
        method=error.method,
        path=error.path,
        status=error.status,
        halo_message=error.halo_message,
        ambiguous=True,
        secrets=secrets,
    )

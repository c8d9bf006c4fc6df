"""Request counters and latency observations for the project's metrics."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

_ID_SEGMENT = re.compile(r"/\d+(?=/|$)")


def endpoint_of(path: str) -> str:
    """Normalise a request path for metrics: no query, numeric ids as ``{id}``.

    >>> endpoint_of("/api/Tickets/42?includedetails=true")
    '/api/Tickets/{id}'
    """
    return _ID_SEGMENT.sub("/{id}", path.split("?", 1)[0])


@dataclass(frozen=True)
class RequestObservation:
    """One request's outcome: `status` is the HTTP status, or "timeout" / "connection_error"."""

    tenant: str
    endpoint: str
    method: str
    status: int | str
    seconds: float
    limiter_wait: float


Observer = Callable[[RequestObservation], None]


class RequestStats:
    """Counts every request per (tenant, endpoint, method, status); readable at any time.

    An optional `observer` callback receives each `RequestObservation` (e.g. to feed a latency
    histogram); its exceptions are not caught, so keep it trivial.
    """

    def __init__(self, observer: Observer | None = None) -> None:
        self.counts: Counter[tuple[str, str, str, int | str]] = Counter()
        self.limiter_wait: Counter[str] = Counter()
        self.observer = observer

    def record(self, observation: RequestObservation) -> None:
        """Count one request and pass it to the observer."""
        key = (observation.tenant, observation.endpoint, observation.method, observation.status)
        self.counts[key] += 1
        self.limiter_wait[observation.tenant] += observation.limiter_wait
        if self.observer is not None:
            self.observer(observation)

    def snapshot(self) -> dict[tuple[str, str, str, int | str], int]:
        """A copy of the counters: {(tenant, endpoint, method, status): count}."""
        return dict(self.counts)

    def total(self, tenant: str | None = None, endpoint: str | None = None) -> int:
        """Number of requests, optionally for one tenant key and/or one normalised endpoint."""
        return sum(
            n
            for (t, e, _m, _s), n in self.counts.items()
            if (tenant is None or t == tenant)
            and (endpoint is None or e.lower() == endpoint.lower())
        )

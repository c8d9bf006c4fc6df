"""Injected failures, so the client's retry/idempotency paths can be exercised on demand.

A fault applies to requests of one client id (or all when ``client_id`` is null), optionally only
to paths containing ``path`` and to one ``method``; ``count`` says how many requests it affects
(null = until cleared).  ``lost_reply`` and ``token_expiry`` default to API paths only (never the
token endpoint), and ``lost_reply`` to POST, because they model a lost create/an expired token.
``probability`` makes a fault hit only that share of matching requests (a count is consumed only by
a hit), and ``for_seconds`` ends it that long after it was added: "10 % of create replies lost",
"503 for 15 seconds".
"""

from __future__ import annotations

import itertools
import random
import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

FaultKind = Literal[
    "latency", "error5xx", "rate_limit", "token_expiry", "drop_connection", "lost_reply"
]


class Fault(BaseModel):
    """One injected behaviour; see module docstring for matching rules."""

    model_config = ConfigDict(extra="forbid")

    id: int = 0
    client_id: str | None = None
    kind: FaultKind
    count: int | None = Field(1, ge=1)
    seconds: float = Field(1.0, ge=0)
    status: int | None = None
    path: str | None = None
    method: str | None = None
    probability: float = Field(1.0, gt=0, le=1)
    for_seconds: float | None = Field(None, gt=0)
    expires_at: float | None = Field(None, description="Monotonic clock; set from for_seconds.")

    def matches(self, client_id: str | None, path: str, method: str) -> bool:
        if self.client_id is not None and self.client_id != client_id:
            return False
        method_filter = self.method or ("POST" if self.kind == "lost_reply" else None)
        if method_filter and method_filter.upper() != method.upper():
            return False
        if self.path is not None:
            return self.path.lower() in path
        if self.kind in ("lost_reply", "token_expiry"):
            return path.startswith("/api/")
        return True


class FaultBook:
    """The active faults of one tenant, consumed in insertion order."""

    def __init__(self, *, seed: int | None = None, clock=time.monotonic) -> None:
        self.faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._random = random.Random(seed)
        self._clock = clock

    def add(self, spec: dict[str, Any]) -> Fault:
        fault = Fault.model_validate({**spec, "id": next(self._ids)})
        if fault.for_seconds is not None:
            fault.expires_at = self._clock() + fault.for_seconds
        self.faults.append(fault)
        return fault

    def take(self, client_id: str | None, path: str, method: str) -> list[Fault]:
        """All faults that hit this request, with their counts consumed."""
        now = self._clock()
        self.faults = [f for f in self.faults if f.expires_at is None or f.expires_at > now]
        hit = [
            f
            for f in self.faults
            if f.matches(client_id, path, method)
            and (f.probability >= 1 or self._random.random() < f.probability)
        ]
        for f in hit:
            if f.count is not None:
                f.count -= 1
        self.faults = [f for f in self.faults if f.count is None or f.count > 0]
        return hit

    def clear(self, client_id: str | None = None) -> int:
        before = len(self.faults)
        if client_id is None:
            self.faults = []
        else:
            self.faults = [f for f in self.faults if f.client_id != client_id]
        return before - len(self.faults)

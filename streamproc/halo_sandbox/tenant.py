"""One simulated Halo instance: its data, tokens, limiter, faults, journal and settings.

Several tenants live in one sandbox process (``/t/{name}/...``) so parallel tests, or a test of
"one tenant's broken Halo must not stall another", get fully separate worlds without separate
processes.  The root paths belong to the tenant named ``default``.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .config import SandboxConfig
from .faults import FaultBook
from .limiter import RollingLimiter
from .seed import build_world
from .world import World

DEFAULT_TENANT = "default"
JOURNAL_MAX = 10_000
SECRET_QUERY_KEYS = {"client_secret", "access_token", "password", "token"}


@dataclass
class Token:
    """An issued access token; ``scopes`` empty means minted without scope (unusable)."""

    client_id: str
    scopes: frozenset[str]
    expires_at: float


@dataclass
class Tenant:
    """Everything that separates one Halo instance from another."""

    name: str
    base_config: SandboxConfig
    seed: str | None
    config: SandboxConfig = field(init=False)
    world: World = field(init=False)
    tokens: dict[str, Token] = field(init=False)
    limiter: RollingLimiter = field(init=False)
    faults: FaultBook = field(init=False)
    journal: deque[dict[str, Any]] = field(init=False)
    journal_seq: int = 0
    creating: int = 0  # ticket creates in progress
    overlapped_creates: int = 0  # creates refused because another was in progress

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Back to the seeded state and the start-up settings."""
        self.config = self.base_config.model_copy(deep=True)
        if self.name != DEFAULT_TENANT and self.config.tenant_id is None:
            self.config.tenant_id = self.name
        self.world = build_world(self.seed)
        self.tokens = {}
        self.limiter = RollingLimiter()
        self.faults = FaultBook()
        self.journal = deque(maxlen=JOURNAL_MAX)

    def record(self, **entry: Any) -> None:
        """Append a journal entry; secrets never reach the journal."""
        self.journal_seq += 1
        query = {
            k: ("***" if k.lower() in SECRET_QUERY_KEYS else v)
            for k, v in entry.pop("query", {}).items()
        }
        self.journal.append(
            {
                "seq": self.journal_seq,
                "time": now_iso(),
                "tenant": self.name,
                "query": query,
                **entry,
            }
        )

    def token(self, value: str | None) -> Token | None:
        """The live token for a bearer value, dropping it if expired."""
        tok = self.tokens.get(value or "")
        if tok and tok.expires_at <= time.monotonic():
            del self.tokens[value or ""]
            return None
        return tok

    def revoke(self, client_id: str) -> None:
        self.tokens = {k: t for k, t in self.tokens.items() if t.client_id != client_id}


def now_iso() -> str:
    """Halo-style timestamp (UTC, no offset suffix, millisecond precision)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]

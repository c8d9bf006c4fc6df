"""Credentials and tunables of the HaloPSA client."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pydantic import SecretStr

from streamproc.contracts.config import instance_key


@dataclass(frozen=True)
class HaloCredentials:
    """One Halo instance's API application: where it lives and how to authenticate.

    `base_url` is the Halo web address (e.g. ``https://acme.halopsa.com``); a trailing ``/`` or
    ``/api`` is removed. `client_secret` is held as a `SecretStr`, so repr/str never show it.
    `tenant` is only for hosted instances sharing an auth server; `scope` defaults to ``all``.
    Raises ValueError for a base URL that is not http(s) or that embeds user:password.
    """

    base_url: str
    client_id: str
    client_secret: SecretStr = field(repr=False)
    tenant: str | None = None
    scope: str = "all"

    def __post_init__(self) -> None:
        secret = self.client_secret
        if not isinstance(secret, SecretStr):
            object.__setattr__(self, "client_secret", SecretStr(str(secret)))
        base = self.base_url.strip().rstrip("/")
        if base.lower().endswith("/api"):
            base = base[:-4]
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                "Halo base URL must be an http(s) URL such as https://acme.halopsa.com"
            )
        if parts.username or parts.password:
            raise ValueError("Halo base URL must not contain a user name or password")
        object.__setattr__(self, "base_url", base)
        object.__setattr__(self, "tenant", (self.tenant or "").strip() or None)
        object.__setattr__(self, "scope", (self.scope or "").strip() or "all")

    @property
    def secret(self) -> str:
        """The client secret in clear text (only for the token request)."""
        return self.client_secret.get_secret_value()

    @property
    def tenant_key(self) -> str:
        """The Halo instance this application talks to: rate limits and locks are shared per key.

        Halo's limit is per instance, so two applications on the same instance share one budget.
        """
        return instance_key(self.base_url, self.tenant)

    @property
    def app_key(self) -> str:
        """The API application on its instance (credentials included, as a digest): requests of
        one application may be grouped or shared, never another's."""
        return "|".join(self.token_key)

    @property
    def token_key(self) -> tuple[str, str, str, str]:
        """Key under which tokens are cached: (base URL, client id, tenant, secret digest).

        The secret's digest is part of the key so that a company configured with a wrong secret
        never borrows a token another company obtained with the right one.
        """
        digest = hashlib.sha256(self.secret.encode()).hexdigest()[:16]
        return (self.base_url.lower(), self.client_id, self.tenant or "", digest)


@dataclass(frozen=True)
class HaloClientConfig:
    """Tunables of `HaloClient`; defaults suit hosted Halo (300 requests per rolling 5 minutes)."""

    timeout_total: float = 30.0
    timeout_connect: float = 10.0
    max_attempts: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    rate_limit_requests: int = 300
    rate_limit_window: float = 300.0
    # A 429 whose Retry-After is at most this is waited out inside the call; longer waits are
    # returned to the caller as HaloRateLimitedError so a worker is never parked for minutes.
    max_rate_limit_wait: float = 10.0
    default_retry_after: float = 30.0
    token_refresh_margin: float = 60.0
    discover_auth_url: bool = True
    cache_size: int = 2048
    cache_ttl: float = 600.0
    negative_cache_ttl: float = 120.0
    serial_field_name: str = "Serial Number"
    asset_full_fetch_limit: int = 10
    closed_status_ids: frozenset[int] = frozenset({9})
    closed_status_id: int = 9
    reopen_status_id: int = 1  # "New": a reopened ticket is back in the queue as new work
    close_via_action: bool = False
    close_outcome: str = "Resolved"
    note_outcome: str = "Internal Note"
    novalidate: bool = False
    connection_limit: int = 100
    user_agent: str = "streamproc-halopsa/0.1"

"""Who may use the HTTP port, and how often they may fail: the views' one gatekeeper.

Every check here costs microseconds on the event loop, whoever calls and however often: admin
tokens and webhook digests are compared with HMAC in constant time, page links are HMACs, and
the only slow check (a webhook password hash saved before keyed digests) runs off the loop in
:class:`~streamproc.web.legacy_hash.LegacyVerifier`, after the failure budgets admitted it.

Failed authentications spend budgets (per source address for every realm, and per company for
webhooks); with a budget spent, the answer is 429 with ``Retry-After``: before anything is
checked for the admin API (its token may be weak) and the page, after the check for webhooks
(see :mod:`streamproc.web.webhook`). Failures are counted in ``/metrics`` and logged with realm,
reason, company and address, never with what was sent; a budget running out is logged once.

A refused request waits :data:`HOLD` seconds for its answer. Clients that retry at once (a
misconfigured Halo webhook, a script) then cost the loop one answer a second per connection: 16
such clients, answered at once, made 2,300 refusals a second, a whole core of the worker (alert
latency p99 204 ms, p50 47 ms, against 103 and 34 ms without them); held, they make 16.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Literal

from faust.web import Request, Response, View

from streamproc.contracts import IntegrationConfig
from streamproc.metrics import Metrics
from streamproc.settings import Settings
from streamproc.web.addresses import AddressPolicy
from streamproc.web.auth import bearer_ok
from streamproc.web.common import forwarded_from
from streamproc.web.keys import ServerKeys
from streamproc.web.legacy_hash import LegacyVerifier
from streamproc.web.ratelimit import FailureBudget, source_key
from streamproc.web.security import (
    digest_current,
    digest_ok,
    is_legacy,
    parse_basic,
    user_ok,
)

log = logging.getLogger("streamproc.web")
Realm = Literal["webhook", "admin", "page"]
HOLD = 1.0  # seconds a refused request waits for its answer


@dataclass(frozen=True)
class Refusal:
    """A request refused before its credentials were checked."""

    status: int  # 429: a budget is spent; 503: too many slow checks waiting
    retry_after: int
    scope: str  # "address", "company" or "busy"

    async def held(self) -> None:
        """Wait before answering (see :data:`HOLD`)."""
        await asyncio.sleep(min(HOLD, self.retry_after))

    def answer(self, view: View) -> Response:
        """The JSON answer, with Retry-After."""
        message = (
            "too many failed authentications; retry later"
            if self.status == 429
            else "too many checks waiting; retry shortly"
        )
        return view.json(
            {"error": "too_many_requests" if self.status == 429 else "busy", "message": message},
            status=self.status,
            headers={"Retry-After": str(self.retry_after)},
        )


class Guard:
    """The keys, failure budgets and checks shared by the views of one worker."""

    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        assert settings.secret_key is not None, "load_settings() guarantees a secret key"
        self.settings = settings
        self.metrics = metrics
        self.keys = ServerKeys.derive(settings.secret_key)
        limit, window = settings.auth_fail_limit, settings.auth_fail_window
        self._by_address = {
            realm: FailureBudget(limit, window) for realm in ("webhook", "admin", "page")
        }
        self._webhook_by_company = FailureBudget(settings.auth_fail_limit_company, window)
        self.legacy = LegacyVerifier(self.keys.webhook)
        self.address_policy = AddressPolicy(
            allow_loopback=settings.dev_mode, allow_private=settings.halo_allow_private_networks
        )

    def source(self, request: Request) -> str:
        """The client's address: the one a genuine forwarding worker vouches for, else the peer."""
        return forwarded_from(self.keys.forwarding, request) or request.remote or "unknown"

    def refusal(self, realm: Realm, source: str, company: str | None = None) -> Refusal | None:
        """429 when the source's (or, for webhooks, the company's) failure budget is spent."""
        wait = self._by_address[realm].retry_after(source_key(source))
        scope = "address"
        if wait is None and realm == "webhook" and company is not None:
            wait, scope = self._webhook_by_company.retry_after(company), "company"
        if wait is None:
            return None
        self.metrics.auth_throttled.labels(realm, scope).inc()
        return Refusal(429, wait, scope)

    def busy(self, realm: Realm) -> Refusal:
        """503: the legacy checks' queue is full."""
        self.metrics.auth_throttled.labels(realm, "busy").inc()
        return Refusal(503, 1, "busy")

    def failed(self, realm: Realm, reason: str, source: str, company: str | None = None) -> None:
        """Count, log and spend the budgets of one failed authentication."""
        self.metrics.auth_failures.labels(realm, reason).inc()
        log.warning(
            "%s authentication failed (%s) for company %r from %s", realm, reason, company, source
        )
        if self._by_address[realm].failed(source_key(source)):
            log.warning(
                "%s: failed-authentication budget of %s spent; refusing it for a while",
                realm,
                source_key(source),
            )
        if realm == "webhook" and company is not None and self._webhook_by_company.failed(company):
            log.warning(
                "webhook: failed-authentication budget of company %r spent; refusing it for a"
                " while (is Halo's webhook password out of date?)",
                company,
            )

    def admin_ok(self, request: Request) -> bool:
        """True when the request carries an accepted admin token."""
        return bearer_ok(self.settings, request.headers.get("Authorization"))

    async def webhook_problem(
        self, authorization: str | None, config: IntegrationConfig | None
    ) -> str | None:
        """Why the Basic credentials do not open ``config``'s webhook; None when they do.

        May raise :class:`~streamproc.web.legacy_hash.BusyError` (legacy hash, queue full).
        """
        creds = parse_basic(authorization)
        if creds is None:
            return "no_credentials"
        if config is None or not config.webhook_username or not config.webhook_password_hash:
            return "not_configured"
        user, password = creds
        if not user_ok(user, config.webhook_username):
            return "wrong_user"
        stored = config.webhook_password_hash
        if is_legacy(stored):
            ok = await self.legacy.verify(password, stored)
        elif not digest_current(self.keys.webhook, stored):
            return "digest_of_another_secret_key"  # saving the config again issues a new one
        else:
            ok = digest_ok(self.keys.webhook, password, stored)
        return None if ok else "wrong_password"

    def close(self) -> None:
        """Release the legacy checks' thread."""
        self.legacy.close()

"""`/api/v1/companies/{company_id}/integrations/halopsa[/test|/links|/maintenance-windows|
/self-test|/backfill]` and `…/activity` (admin).

Every request is answered by the worker that owns the company's partition (it holds the
company's config, status and activity), forwarded there with its body when it lands elsewhere.
Saving, removing and revoking links publish to ``halopsa.integration-config``; the config agent
applies them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from faust.web import Request, Response, View

from streamproc import activity_log
from streamproc.contracts import IntegrationConfig, encode
from streamproc.topology import INTEGRATION_CONFIG
from streamproc.web import backfill, maintenance_windows, page_api, selftest
from streamproc.web.common import (
    Configured,
    forward_to_owner,
    guarded,
    read_body,
    unauthorized,
)
from streamproc.web.integration_service import prepare_config, resolve_secret, test_integration
from streamproc.web.links import Scope, mint, new_generation, page_path
from streamproc.web.owner_ask import asker
from streamproc.web.shaping import (
    activity_newest_first,
    load_config,
    normalize_status,
    obscure_config,
    parse_limit,
    status_after_save,
    webhook_path,
)
from streamproc.web.validation import (
    BodyError,
    check_company_id,
    client_search,
    parse_integration_body,
    parse_json,
    validation_failed,
)

if TYPE_CHECKING:
    import faust

    from streamproc.runtime import Runtime
    from streamproc.web.guard import Guard

log = logging.getLogger("streamproc.web")
BASE = "/api/v1/companies/{company_id}/integrations/halopsa"
NOT_CONFIGURED = {"error": "not_configured", "message": "no HaloPSA integration is saved"}


MIN_LINK_TTL, MAX_LINK_TTL = 5, 30 * 86400
APPLIED_WAIT = 3.0  # seconds a save waits for the config agent to apply it


def link_request(raw: bytes, default_ttl: float) -> tuple[Scope, int]:
    """``(scope, ttl seconds)`` of a POST …/links body (``{}`` or empty: a view link)."""
    data = parse_json(raw) if raw.strip() else {}
    if not isinstance(data, dict):
        raise validation_failed([{"field": "(body)", "message": "expected a JSON object"}])
    scope = data.get("scope", "view")
    ttl = data.get("ttl_seconds", int(default_ttl))
    problems = []
    if scope not in ("view", "edit"):
        problems.append({"field": "scope", "message": "must be view or edit"})
    if not isinstance(ttl, int) or isinstance(ttl, bool) or not MIN_LINK_TTL <= ttl <= MAX_LINK_TTL:
        message = f"must be a number of seconds, {MIN_LINK_TTL}..{MAX_LINK_TTL}"
        problems.append({"field": "ttl_seconds", "message": message})
    if problems:
        raise validation_failed(problems)
    return scope, ttl


def register(app: faust.App, runtime: Runtime, guard: Guard) -> None:
    """Attach the integration, link and activity views."""
    tables = runtime.topology
    topic = runtime.topic(INTEGRATION_CONFIG)
    settings = runtime.settings
    ask = asker(runtime)  # credential tests run on the owner of the Halo instance

    async def admit(view: View, request: Request, company_id: str, body: bytes) -> Response | None:
        """401/404/429, or the owner's answer, or None when this worker must answer."""
        source = guard.source(request)
        refusal = guard.refusal("admin", source)
        if refusal is not None:
            await refusal.held()
            return refusal.answer(view)
        if not guard.admin_ok(request) and not page_api.delegated(
            guard.keys.forwarding, request, company_id
        ):
            reason = "wrong_token" if request.headers.get("Authorization") else "no_token"
            guard.failed("admin", reason, source)
            return unauthorized(view)
        bad = check_company_id(company_id)
        if bad is not None:
            raise bad
        return await forward_to_owner(
            app,
            view,
            tables.configs,
            company_id,
            request,
            body,
            forwarding_key=guard.keys.forwarding,
        )

    def link(config: IntegrationConfig, scope: Scope, ttl: float) -> dict[str, Any]:
        expires = int(time.time() + ttl)
        token = mint(guard.keys.links, config.company_id, scope, config.link_generation, expires)
        return {
            "url": page_path(config.company_id, token),
            "scope": scope,
            "expires_at": datetime.fromtimestamp(expires, UTC).isoformat(),
        }

    def stored(company_id: str) -> Any:
        return load_config(tables.configs.get(company_id.encode()))

    configured = Configured(admit, stored)

    async def publish(company_id: str, value: bytes | None) -> None:
        fut = await topic.send(key=company_id.encode(), value=value)
        await fut  # wait for the broker's ack: answer 200 only once the record is durable

    async def applied(company_id: str, updated_at: datetime) -> None:
        """Wait (briefly) until the config agent stored the config saved at ``updated_at``, so
        that the next request (e.g. saving maintenance windows) builds on it."""
        deadline = time.monotonic() + APPLIED_WAIT
        while time.monotonic() < deadline:
            config = stored(company_id)
            if config is not None and config.updated_at >= updated_at:
                return
            await asyncio.sleep(0.05)

    @app.page(BASE)
    class Integration(View):
        @guarded
        async def get(self, request: Request, company_id: str) -> Response:
            config = await configured(self, request, company_id, b"", NOT_CONFIGURED)
            if not isinstance(config, IntegrationConfig):
                return config
            view_link = link(config, "view", settings.page_link_ttl)
            return self.json(
                {
                    "config": obscure_config(config),
                    "status": normalize_status(
                        tables.company_status.get(company_id.encode()), config
                    ),
                    "webhook": {
                        "url": webhook_path(company_id),
                        "username": config.webhook_username,
                    },
                    "page_url": view_link["url"],
                    "page_url_expires_at": view_link["expires_at"],
                }
            )

        @guarded
        async def put(self, request: Request, company_id: str) -> Response:
            raw = await read_body(request)
            routed = await admit(self, request, company_id, raw)
            if routed is not None:
                return routed
            body = parse_integration_body(raw, guard.address_policy)
            current = stored(company_id)
            secret = resolve_secret(body, current, runtime.secrets)
            options = await test_integration(
                ask, company_id, body, secret, runtime.secrets, policy=guard.address_policy
            )
            rotate = request.query.get("rotate_webhook_password", "").lower() in {"1", "true"}
            legacy = current.webhook_password_hash if current else None
            saved = prepare_config(
                company_id,
                body,
                secret,
                current,
                runtime.secrets,
                webhook_key=guard.keys.webhook,
                upgraded_digest=guard.legacy.upgraded(legacy) if legacy else None,
                rotate_webhook=rotate,
            )
            await publish(company_id, encode(saved.config))
            log.info("integration config of company %r saved", company_id)
            await applied(company_id, saved.config.updated_at)
            return self.json(
                {
                    "config": obscure_config(saved.config),
                    "options": options,
                    "status": status_after_save(
                        tables.company_status.get(company_id.encode()), saved.config
                    ),
                    "webhook": {
                        "url": webhook_path(company_id),
                        "username": saved.config.webhook_username,
                        "password": saved.webhook_password,
                    },
                }
            )

        @guarded
        async def delete(self, request: Request, company_id: str) -> Response:
            routed = await admit(self, request, company_id, b"")
            if routed is not None:
                return routed
            if stored(company_id) is None:
                return self.json(NOT_CONFIGURED, status=404)
            await publish(company_id, None)
            log.info("integration config of company %r removed", company_id)
            return self.bytes(b"", status=204)

    @app.page(BASE + "/test")
    class IntegrationTest(View):
        @guarded
        async def post(self, request: Request, company_id: str) -> Response:
            raw = await read_body(request)
            routed = await admit(self, request, company_id, raw)
            if routed is not None:
                return routed
            body = parse_integration_body(raw, guard.address_policy)
            secret = resolve_secret(body, stored(company_id), runtime.secrets)
            options = await test_integration(
                ask,
                company_id,
                body,
                secret,
                runtime.secrets,
                policy=guard.address_policy,
                client_search=client_search(raw),
            )
            return self.json({"ok": True, "options": options})

    @app.page(BASE + "/links")
    class PageLinks(View):
        @guarded
        async def post(self, request: Request, company_id: str) -> Response:
            """Hand out a page link: ``{"scope": "view"|"edit", "ttl_seconds": 900}``."""
            raw = await read_body(request)
            routed = await admit(self, request, company_id, raw)
            if routed is not None:
                return routed
            scope, ttl = link_request(raw, settings.page_link_ttl)
            config = stored(company_id)
            if config is None:
                return self.json(NOT_CONFIGURED, status=404)
            log.info("%s link to the page of company %r handed out (%d s)", scope, company_id, ttl)
            return self.json(link(config, scope, ttl), status=201)

        @guarded
        async def delete(self, request: Request, company_id: str) -> Response:
            """Revoke every page link of the company handed out so far."""
            config = await configured(self, request, company_id, b"", NOT_CONFIGURED)
            if not isinstance(config, IntegrationConfig):
                return config
            renewed = config.model_copy(update={"link_generation": new_generation()})
            await publish(company_id, encode(renewed))
            log.info("page links of company %r revoked", company_id)
            return self.json({"revoked": True})

    maintenance_windows.register(app, BASE, configured=configured, publish=publish, applied=applied)
    selftest.register(app, BASE, runtime, configured=configured)
    backfill.register(app, BASE, runtime, configured=configured)

    @app.page("/api/v1/companies/{company_id}/activity")
    class Activity(View):
        @guarded
        async def get(self, request: Request, company_id: str) -> Response:
            routed = await admit(self, request, company_id, b"")
            if routed is not None:
                return routed
            limit = parse_limit(request.query.get("limit"))
            if limit is None:
                raise BodyError(
                    422,
                    {
                        "error": "validation_failed",
                        "fields": [{"field": "limit", "message": "must be a number 1..500"}],
                    },
                )
            entries = activity_newest_first(activity_log.recent(tables.activity, company_id), limit)
            return self.json({"company_id": company_id, "entries": entries})

"""`/api/v1/companies/{company_id}/integrations/halopsa[/test]` and `…/activity` (admin API).

Every request is answered by the worker that owns the company's partition (it holds the
company's config, status and activity), forwarded there with its body when it lands elsewhere.
Saving and removing publish to ``halopsa.integration-config``; the config agent applies them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from faust.web import Request, Response, View

from streamproc import activity_log
from streamproc.contracts import encode
from streamproc.topology import INTEGRATION_CONFIG
from streamproc.web.common import forward_to_owner, guarded, read_body, unauthorized
from streamproc.web.integration_service import prepare_config, resolve_secret, test_integration
from streamproc.web.shaping import (
    activity_newest_first,
    load_config,
    normalize_status,
    obscure_config,
    options_json,
    page_path,
    parse_limit,
    status_after_save,
    webhook_path,
)
from streamproc.web.validation import BodyError, check_company_id, parse_integration_body

if TYPE_CHECKING:
    import faust

    from streamproc.runtime import Runtime
    from streamproc.web.guard import Guard

log = logging.getLogger("streamproc.web")
BASE = "/api/v1/companies/{company_id}/integrations/halopsa"
NOT_CONFIGURED = {"error": "not_configured", "message": "no HaloPSA integration is saved"}


def register(app: faust.App, runtime: Runtime, guard: Guard) -> None:
    """Attach the integration and activity views."""
    tables = runtime.topology
    topic = runtime.topic(INTEGRATION_CONFIG)
    policy = guard.address_policy

    async def admit(view: View, request: Request, company_id: str, body: bytes) -> Response | None:
        """401/404/429, or the owner's answer, or None when this worker must answer."""
        source = guard.source(request)
        refusal = guard.refusal("admin", source)
        if refusal is not None:
            await refusal.held()
            return refusal.answer(view)
        if not guard.admin_ok(request):
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

    def stored(company_id: str) -> Any:
        return load_config(tables.configs.get(company_id.encode()))

    async def publish(company_id: str, value: bytes | None) -> None:
        fut = await topic.send(key=company_id.encode(), value=value)
        await fut  # wait for the broker's ack: answer 200 only once the record is durable

    @app.page(BASE)
    class Integration(View):
        @guarded
        async def get(self, request: Request, company_id: str) -> Response:
            routed = await admit(self, request, company_id, b"")
            if routed is not None:
                return routed
            config = stored(company_id)
            if config is None:
                return self.json(NOT_CONFIGURED, status=404)
            token = runtime.settings.admin_token
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
                    "page_url": page_path(company_id, token.get_secret_value()) if token else None,
                }
            )

        @guarded
        async def put(self, request: Request, company_id: str) -> Response:
            raw = await read_body(request)
            routed = await admit(self, request, company_id, raw)
            if routed is not None:
                return routed
            body = parse_integration_body(raw, policy)
            current = stored(company_id)
            secret = resolve_secret(body, current, runtime.secrets)
            options = await test_integration(runtime.halo, body, secret, policy=policy)
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
            return self.json(
                {
                    "config": obscure_config(saved.config),
                    "options": options_json(options),
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
            body = parse_integration_body(raw, policy)
            secret = resolve_secret(body, stored(company_id), runtime.secrets)
            options = await test_integration(runtime.halo, body, secret, policy=policy)
            return self.json({"ok": True, "options": options_json(options)})

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

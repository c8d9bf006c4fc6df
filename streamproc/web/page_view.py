"""`GET|POST /companies/{company_id}/integrations/halopsa`: the integration page (HTML, no JS).

Access: ``Authorization: Bearer <admin token>`` (may edit), or ``?link=`` from the admin API
(``page_url`` of GET …/integrations/halopsa is a view link; POST …/links hands out view or edit
links with a lifetime; DELETE …/links revokes them all; see :mod:`streamproc.web.links`).
Editing (the on/off switch) needs the admin token or an edit link, and the form's token; a POST
from another site is refused by its ``Origin`` / ``Sec-Fetch-Site`` as well. Answered by the
worker owning the company, whose config holds the link generation that links are checked with.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from faust.web import Request, Response, View

from streamproc import activity_log
from streamproc.contracts import IntegrationConfig, encode
from streamproc.topology import INTEGRATION_CONFIG
from streamproc.web import page_api
from streamproc.web.common import forward_to_owner, forwarded_from, guarded, read_body
from streamproc.web.integration_service import body_of, resolve_secret, test_integration
from streamproc.web.links import ADMIN, Grant, check, form_token, form_token_ok, page_path
from streamproc.web.owner_ask import asker
from streamproc.web.page import Access, render_denied, render_page, security_headers
from streamproc.web.shaping import (
    activity_newest_first,
    load_config,
    normalize_status,
    webhook_path,
)
from streamproc.web.validation import BodyError, check_company_id

if TYPE_CHECKING:
    import faust

    from streamproc.runtime import Runtime
    from streamproc.web.guard import Guard

log = logging.getLogger("streamproc.web")
ACTIVITY_SHOWN = 50
APPLIED_WAIT = 3.0  # seconds a switch waits for the config agent before showing the page again


def cross_site(request: Request) -> bool:
    """True for a form post that a browser says came from another site."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in {"same-origin", "none"}:
        return True
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    return origin == "null" or urlsplit(origin).netloc.lower() != (request.host or "").lower()


def parse_switch(raw: bytes) -> tuple[str | None, bool | None]:
    """``(form token, enabled)`` of the switch form; None for what is missing or malformed."""
    try:
        fields = parse_qs(raw.decode("utf-8"), max_num_fields=10, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        return None, None
    token = (fields.get("csrf") or [None])[0]
    enabled = {"true": True, "false": False}.get((fields.get("enabled") or [""])[0])
    return token, enabled


def register(app: faust.App, runtime: Runtime, guard: Guard) -> None:
    """Attach the integration page."""
    tables = runtime.topology
    settings = runtime.settings
    topic = runtime.topic(INTEGRATION_CONFIG)
    ask = asker(runtime)  # the switch's credential test runs on the owner of the Halo instance

    def html(view: View, body: str, status: int) -> Response:
        return view.html(body, status=status, headers=security_headers())

    def grant_of(
        request: Request, company_id: str, config: IntegrationConfig | None
    ) -> Grant | str:
        if guard.admin_ok(request):
            return Grant("edit", int(time.time() + settings.page_link_ttl), ADMIN)
        token = request.query.get("link")
        if not token:
            return "missing"
        generation = config.link_generation if config else None
        return check(guard.keys.links, company_id, token, generation, time.time())

    async def admit(
        view: View, request: Request, company_id: str, body: bytes
    ) -> tuple[Response | None, str]:
        """An answer (refused, or the owner's), or None and the client's address."""
        source = guard.source(request)
        refusal = guard.refusal("page", source)
        if refusal is not None:
            await refusal.held()
            headers = {**security_headers(), "Retry-After": str(refusal.retry_after)}
            return view.html(render_denied("throttled"), status=429, headers=headers), source
        if not request.query.get("link") and not guard.admin_ok(request):
            guard.failed("page", "missing", source)
            return html(view, render_denied("missing"), 401), source
        if check_company_id(company_id) is not None:
            return html(view, render_denied("invalid"), 404), source
        forwarded = forwarded_from(guard.keys.forwarding, request) is not None
        if request.method == "POST" and not forwarded and cross_site(request):
            return html(view, render_denied("form_expired"), 403), source
        routed = await forward_to_owner(
            app,
            view,
            tables.configs,
            company_id,
            request,
            body,
            forwarding_key=guard.keys.forwarding,
        )
        if routed is not None and routed.status == 401:
            guard.failed("page", "refused_by_owner", source)
        return routed, source

    def access_of(request: Request, company_id: str, grant: Grant, notice: str = "") -> Access:
        link = request.query.get("link")
        return Access(
            scope=grant.scope,
            expires_at=grant.expires_at,
            by_admin=grant.principal == ADMIN,
            form_action=page_path(company_id, link if grant.principal != ADMIN else None),
            form_token=form_token(guard.keys.links, company_id, grant),
            notice=notice,
        )

    def page(
        view: View, request: Request, company_id: str, access: Access, status: int
    ) -> Response:
        key = company_id.encode()
        config = load_config(tables.configs.get(key))
        state = normalize_status(tables.company_status.get(key), config)
        activity = activity_newest_first(
            activity_log.recent(tables.activity, company_id), ACTIVITY_SHOWN
        )
        body = render_page(company_id, config, state, activity, webhook_path(company_id), access)
        return html(view, body, status if config else 404)

    async def applied(company_id: str, updated_at: datetime) -> None:
        """Wait (briefly) until the config agent stored the config saved at ``updated_at`` and
        the status it computes from it (written with the lane's batch, a moment later)."""
        key = company_id.encode()
        deadline = time.monotonic() + APPLIED_WAIT
        while time.monotonic() < deadline:
            config = load_config(tables.configs.get(key))
            if config is not None and config.updated_at >= updated_at:
                state = normalize_status(tables.company_status.get(key), config)["state"]
                if (state == "disabled") != config.enabled:
                    return
            await asyncio.sleep(0.05)

    async def check_editor(
        view: View, request: Request, company_id: str, raw: bytes, token: str | None = None
    ) -> Response | Grant:
        """The refusal (or the owner's answer) of a post that would change something, or the
        editor's grant: link or token, edit scope, form token, same origin."""
        answered, source = await admit(view, request, company_id, raw)
        if answered is not None:
            return answered
        config = load_config(tables.configs.get(company_id.encode()))
        grant = grant_of(request, company_id, config)
        if not isinstance(grant, Grant):
            guard.failed("page", grant, source, company_id)
            return html(view, render_denied(grant), 401)
        if not grant.can_edit:
            return html(view, render_denied("view_only"), 403)
        token = token if token is not None else request.headers.get("X-Form-Token")
        if not form_token_ok(guard.keys.links, company_id, grant, token, time.time()):
            guard.failed("page", "bad_form_token", source, company_id)
            return html(view, render_denied("form_expired"), 403)
        return grant

    page_api.register(app, runtime, guard, check_editor)

    @app.page("/companies/{company_id}/integrations/halopsa")
    class IntegrationPage(View):
        @guarded
        async def get(self, request: Request, company_id: str) -> Response:
            answered, source = await admit(self, request, company_id, b"")
            if answered is not None:
                return answered
            config = load_config(tables.configs.get(company_id.encode()))
            grant = grant_of(request, company_id, config)
            if not isinstance(grant, Grant):
                guard.failed("page", grant, source, company_id)
                return html(self, render_denied(grant), 401)
            return page(self, request, company_id, access_of(request, company_id, grant), 200)

        @guarded
        async def post(self, request: Request, company_id: str) -> Response:
            raw = await read_body(request)
            token, enabled = parse_switch(raw)
            checked = await check_editor(self, request, company_id, raw, token)
            if not isinstance(checked, Grant):
                return checked
            grant = checked
            config = load_config(tables.configs.get(company_id.encode()))
            if config is None:
                return page(self, request, company_id, access_of(request, company_id, grant), 404)
            if enabled is None:
                notice = "Nothing changed: the form did not say on or off."
                access = access_of(request, company_id, grant, notice)
                return page(self, request, company_id, access, 422)
            if enabled and not config.enabled:
                try:
                    body = body_of(config, guard.address_policy)
                    secret = resolve_secret(body, config, runtime.secrets)
                    await test_integration(
                        ask, company_id, body, secret, runtime.secrets, policy=guard.address_policy
                    )
                except BodyError as err:
                    message = err.body.get("message") or err.body.get("error")
                    notice = f"Not switched on: {message}"
                    access = access_of(request, company_id, grant, notice)
                    status = err.status if err.status in (503, 504) else 422
                    return page(self, request, company_id, access, status)
            now = datetime.now(UTC)
            switched = config.model_copy(update={"enabled": enabled, "updated_at": now})
            fut = await topic.send(key=company_id.encode(), value=encode(switched))
            await fut
            log.info(
                "integration of company %r switched %s from its page (%s)",
                company_id,
                "on" if enabled else "off",
                "admin token" if grant.principal == ADMIN else f"{grant.scope} link",
            )
            await applied(company_id, now)
            location = access_of(request, company_id, grant).form_action
            return self.bytes(b"", status=303, headers={"Location": location})

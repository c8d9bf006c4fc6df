"""`GET /companies/{company_id}/integrations/halopsa`: the integration page (HTML, no JS).

Access: ``Authorization: Bearer <admin token>`` or ``?sig=`` = hex HMAC-SHA256 of the company id
keyed with the admin token (see :func:`streamproc.web.security.page_signature`; the GET API
returns the signed link as ``page_url``). Answered by the worker owning the company.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from faust.web import Request, Response, View

from streamproc import activity_log
from streamproc.web.auth import bearer_ok
from streamproc.web.common import forward_to_owner, guarded
from streamproc.web.page import render_denied, render_page
from streamproc.web.security import signature_ok
from streamproc.web.shaping import (
    activity_newest_first,
    load_config,
    normalize_status,
    webhook_path,
)
from streamproc.web.validation import check_company_id

if TYPE_CHECKING:
    import faust

    from streamproc.runtime import Runtime
    from streamproc.web.guard import Guard

ACTIVITY_SHOWN = 50
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}


def register(app: faust.App, runtime: Runtime, guard: Guard) -> None:
    """Attach the integration page."""
    tables = runtime.topology

    @app.page("/companies/{company_id}/integrations/halopsa")
    class IntegrationPage(View):
        @guarded
        async def get(self, request: Request, company_id: str) -> Response:
            token = runtime.settings.admin_token
            allowed = bearer_ok(runtime.settings, request.headers.get("Authorization")) or (
                signature_ok(
                    token.get_secret_value() if token else None,
                    company_id,
                    request.query.get("sig"),
                )
            )
            if not allowed:
                return self.html(render_denied(), status=401, headers=HEADERS)
            if check_company_id(company_id) is not None:
                return self.html(render_denied(), status=404, headers=HEADERS)
            routed = await forward_to_owner(
                app,
                self,
                tables.configs,
                company_id,
                request,
                b"",
                forwarding_key=guard.keys.forwarding,
            )
            if routed is not None:
                return routed
            key = company_id.encode()
            config = load_config(tables.configs.get(key))
            status = normalize_status(tables.company_status.get(key), config)
            activity = activity_newest_first(
                activity_log.recent(tables.activity, company_id), ACTIVITY_SHOWN
            )
            html = render_page(company_id, config, status, activity, webhook_path(company_id))
            return self.html(html, status=200 if config else 404, headers=HEADERS)

"""``POST /companies/{company_id}/integrations/halopsa/page-api/{action}``: the settings form's
way to the admin API, for whoever may edit the page (admin token or an edit link).

The page's script cannot hold the admin token, yet it must save through the same API, with the
same validation and the same error texts (issue 16). So this view checks what the page's own
POST checks (link or token, edit scope, the form token in ``X-Form-Token``, same origin) and then
sends the request on to the API path of the same company on this worker, with a short-lived
``X-Streamproc-Page-Grant`` (HMAC under the forwarding key, bound to company, method and path)
that the API's ``admit`` accepts instead of the admin token. Only the actions in
:data:`ACTIONS` pass (never links, removal or webhook rotation), and the API's answer comes back
as it is. Workers share the forwarding key, so the grant also survives forwarding to the owner.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

from faust.web import Request, Response, View
from yarl import URL

from streamproc.web.common import guarded, read_body
from streamproc.web.links import ADMIN, Grant

if TYPE_CHECKING:
    import faust

    from streamproc.runtime import Runtime
    from streamproc.web.guard import Guard

log = logging.getLogger("streamproc.web")
GRANT = "X-Streamproc-Page-Grant"
GRANT_TTL = 120  # seconds; longer than the slowest API answer (a self-test waits up to 60 s)
API = "/api/v1/companies/{company_id}/integrations/halopsa"
# action -> (method, path under the integration's API path)
ACTIONS: dict[str, tuple[str, str]] = {
    "status": ("GET", ""),
    "test": ("POST", "/test"),
    "save": ("PUT", ""),
    "windows": ("PUT", "/maintenance-windows"),
    "self-test": ("POST", "/self-test"),
    "check": ("POST", "/check"),
    "backfill-preview": ("GET", "/backfill"),
    "backfill": ("POST", "/backfill"),
}
CheckEditor = Callable[[View, Request, str, bytes], Awaitable[Response | Grant]]
UNKNOWN = {"error": "not_found", "message": "no such page action"}


def _mac(key: bytes, company_id: str, method: str, path: str, expires: str) -> str:
    message = "\x00".join(("page-grant", company_id, method, path, expires)).encode()
    return base64.urlsafe_b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def grant_value(key: bytes, company_id: str, method: str, path: str, now: float) -> str:
    """The ``X-Streamproc-Page-Grant`` for one API request of ``company_id``."""
    expires = str(int(now + GRANT_TTL))
    return f"{expires} {_mac(key, company_id, method, path, expires)}"


def delegated(key: bytes, request: Request, company_id: str, now: float | None = None) -> bool:
    """True when ``request`` carries a current page grant for exactly this company, method and
    path (the API's ``admit`` then treats it like the admin token)."""
    expires, _, mac = (request.headers.get(GRANT) or "").partition(" ")
    if not expires.isdigit() or int(expires) <= (time.time() if now is None else now):
        return False
    expected = _mac(key, company_id, request.method, request.path, expires)
    return hmac.compare_digest(mac.encode(), expected.encode())


@lru_cache(maxsize=1)
def script() -> bytes:
    """The page's script (streamproc/web/static), served from this origin for the CSP."""
    return resources.files("streamproc.web").joinpath("static/integration.js").read_bytes()


def register(app: faust.App, runtime: Runtime, guard: Guard, check_editor: CheckEditor) -> None:
    """Attach the view. ``check_editor(view, request, company_id, raw)`` is the page's own check
    (refusals, owner routing, link/token, edit scope, form token in ``X-Form-Token``): it
    answers a Response to send back, or the :class:`Grant` when the request may go on."""

    @app.page("/static/integration.js")
    class PageScript(View):
        async def get(self, request: Request) -> Response:
            headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
            return self.bytes(script(), content_type="text/javascript", headers=headers)

    @app.page("/companies/{company_id}/integrations/halopsa/page-api/{action}")
    class PageApi(View):
        @guarded
        async def post(self, request: Request, company_id: str, action: str) -> Response:
            raw = await read_body(request)
            if action not in ACTIONS:
                return self.json(UNKNOWN, status=404)
            checked = await check_editor(self, request, company_id, raw)
            if not isinstance(checked, Grant):
                return checked
            method, tail = ACTIONS[action]
            who = "admin token" if checked.principal == ADMIN else "edit link"
            log.info("page action %s of company %r (%s)", action, company_id, who)
            path = API.format(company_id=company_id) + tail  # decoded, as request.path is
            url = URL(str(app.conf.canonical_url)).with_path(path)
            headers = {
                GRANT: grant_value(guard.keys.forwarding, company_id, method, path, time.time()),
                "Content-Type": "application/json",
            }
            data = raw if method in ("PUT", "POST") and raw.strip() else None
            async with app.http_client.request(
                method, url, headers=headers, data=data, allow_redirects=False
            ) as answer:
                payload = await answer.read()
                content_type = answer.content_type  # without charset: aiohttp adds its own
            if not content_type.startswith("application/json"):
                # aiohttp's own 404 (a route that does not exist yet, e.g. backfill)
                payload = b'{"error": "not_available", "message": "not available on this server"}'
                content_type = "application/json"
            return self.bytes(payload, status=answer.status, content_type=content_type)

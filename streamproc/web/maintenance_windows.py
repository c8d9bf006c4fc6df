"""``GET|PUT …/integrations/halopsa/maintenance-windows`` (admin; SPEC §8).

The windows are a field of the company's integration config: a PUT republishes the saved config
with the new list on ``halopsa.integration-config`` (one source of truth; the config agent
applies it, and re-checks the alerts the old windows held), and answers once this worker has
applied it, so a GET right after shows it. Saving the integration itself keeps the windows.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from faust.web import Request, Response, View
from pydantic import ValidationError

from streamproc.contracts import IntegrationConfig, encode
from streamproc.contracts.windows import MaintenanceSettings, MaintenanceWindow
from streamproc.core.windows import active_ids
from streamproc.web.common import Configured, guarded, read_body
from streamproc.web.validation import field_errors, parse_json, validation_failed

if TYPE_CHECKING:
    import faust

log = logging.getLogger("streamproc.web")
NOT_CONFIGURED = {
    "error": "not_configured",
    "message": "no HaloPSA integration is saved: save it before its maintenance windows",
}

Publish = Callable[[str, bytes | None], Awaitable[None]]
Applied = Callable[[str, datetime], Awaitable[None]]


def parse_windows(raw: bytes) -> tuple[MaintenanceWindow, ...]:
    """The windows of a PUT body ``{"maintenance_windows": [...]}``, or BodyError 400/413/422."""
    data = parse_json(raw)
    if not isinstance(data, dict) or "maintenance_windows" not in data:
        message = "required: a list of windows ([] removes them all)"
        raise validation_failed([{"field": "maintenance_windows", "message": message}])
    try:
        settings = MaintenanceSettings.model_validate(
            {"maintenance_windows": data["maintenance_windows"]}
        )
    except ValidationError as exc:
        raise validation_failed(field_errors(exc)) from None
    return settings.maintenance_windows


def windows_json(windows: tuple[MaintenanceWindow, ...], now: datetime) -> dict[str, Any]:
    """The answer of GET and PUT: the windows and which are active now."""
    return {
        "maintenance_windows": [w.model_dump(mode="json", exclude_none=True) for w in windows],
        "active_now": active_ids(windows, now),
        "at": now.isoformat(),
    }


def register(
    app: faust.App, base: str, *, configured: Configured, publish: Publish, applied: Applied
) -> None:
    """Attach the view (``configured``, ``publish``, ``applied``: those of the
    integration views)."""

    @app.page(base + "/maintenance-windows")
    class MaintenanceWindows(View):
        @guarded
        async def get(self, request: Request, company_id: str) -> Response:
            config = await configured(self, request, company_id, b"", NOT_CONFIGURED)
            if not isinstance(config, IntegrationConfig):
                return config
            return self.json(windows_json(config.maintenance_windows, datetime.now(UTC)))

        @guarded
        async def put(self, request: Request, company_id: str) -> Response:
            raw = await read_body(request)
            config = await configured(self, request, company_id, raw, NOT_CONFIGURED)
            if not isinstance(config, IntegrationConfig):
                return config
            windows = parse_windows(raw)
            now = datetime.now(UTC)
            saved = config.model_copy(update={"maintenance_windows": windows, "updated_at": now})
            await publish(company_id, encode(saved))
            log.info("%d maintenance window(s) of company %r saved", len(windows), company_id)
            await applied(company_id, now)
            return self.json(windows_json(windows, now))

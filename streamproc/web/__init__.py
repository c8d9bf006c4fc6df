"""HTTP views served by every worker (faust's aiohttp web server)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import faust

    from streamproc.runtime import Runtime

log = logging.getLogger("streamproc.web")


def register_views(app: faust.App, runtime: Runtime) -> None:
    """Attach every view of the worker to ``app``, and the server's limits to faust's aiohttp app.

    The limits that aiohttp only takes when the application is built (body size, connection
    timeouts) come from :func:`streamproc.web.server.server_options`, which the composition root
    passes as faust's ``web_application_options``.
    """
    from streamproc.web import (
        health,
        integrations,
        metrics_view,
        page_view,
        server,
        status,
        webhook,
    )
    from streamproc.web.auth import accepted_tokens
    from streamproc.web.guard import Guard

    guard = Guard(runtime.settings, runtime.metrics)
    health.register(app, runtime)
    status.register(app, runtime, guard)
    integrations.register(app, runtime, guard)
    webhook.register(app, runtime, guard)
    metrics_view.register(app, runtime)
    page_view.register(app, runtime, guard)
    server.install(app.web.web_app, runtime.settings, runtime.metrics)  # type: ignore[attr-defined]
    until = runtime.settings.admin_token_previous_until
    if until is not None and len(accepted_tokens(runtime.settings)) > 1:
        log.info("the previous admin token is accepted until %s", until.isoformat())

    @app.on_before_shutdown.connect
    async def _close_guard(sender: faust.App, **_: object) -> None:
        guard.close()

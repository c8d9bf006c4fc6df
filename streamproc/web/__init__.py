"""HTTP views served by every worker (faust's aiohttp web server)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import faust

    from streamproc.runtime import Runtime


def register_views(app: faust.App, runtime: Runtime) -> None:
    """Attach every view of the worker to ``app``."""
    from streamproc.web import health, integrations, metrics_view, page_view, status, webhook

    health.register(app, runtime)
    status.register(app, runtime)
    integrations.register(app, runtime)
    webhook.register(app, runtime)
    metrics_view.register(app, runtime)
    page_view.register(app, runtime)

"""`GET /metrics`: Prometheus text format of this worker's registry (no auth)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from streamproc.web.common import guarded

if TYPE_CHECKING:
    import faust

    from streamproc.runtime import Runtime


def update_consumer_lag(app: faust.App, runtime: Runtime) -> None:
    """Best effort: records between the committed offset and the end of each assigned partition."""
    consumer = app.consumer
    committed = getattr(consumer, "_committed_offset", {}) or {}
    gauge = runtime.metrics.consumer_lag
    for tp in app.assignor.assigned_actives():
        with contextlib.suppress(Exception):
            end = consumer.highwater(tp)
            if end is None:
                continue
            done = committed.get(tp)
            gauge.labels(tp.topic, str(tp.partition)).set(max(0, end - (done or 0)))


def register(app: faust.App, runtime: Runtime) -> None:
    """Attach /metrics."""

    @app.page("/metrics")
    class MetricsView(View):
        @guarded
        async def get(self, request: Request) -> Response:
            with contextlib.suppress(Exception):
                update_consumer_lag(app, runtime)
            return self.bytes(
                generate_latest(runtime.metrics.registry),
                headers={"Content-Type": CONTENT_TYPE_LATEST},
            )

"""`GET /metrics`: Prometheus text format of this worker's registry (no auth)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from streamproc.web.common import guarded
from streamproc.web.integration_states import count_integration_states
from streamproc.web.lag import input_lag

if TYPE_CHECKING:
    import faust

    from streamproc.runtime import Runtime


def register(app: faust.App, runtime: Runtime) -> None:
    """Attach /metrics."""

    @app.page("/metrics")
    class MetricsView(View):
        @guarded
        async def get(self, request: Request) -> Response:
            with contextlib.suppress(Exception):
                lags = input_lag(app, runtime)
                runtime.metrics.assigned_partitions.set(len(lags))
            with contextlib.suppress(Exception):
                count_integration_states(runtime)
            return self.bytes(
                generate_latest(runtime.metrics.registry),
                headers={"Content-Type": CONTENT_TYPE_LATEST},
            )

"""`GET /health`: liveness and readiness (joined the group, tables recovered), and lag.

A worker that is ready but behind (its oldest unhandled input record older than
``STREAMPROC_LAG_DEGRADED_AGE`` seconds, or more than ``STREAMPROC_LAG_DEGRADED_RECORDS`` records
behind on a partition) answers 200 with status ``degraded`` and the reasons.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from faust.web import Request, Response, View

from streamproc.core.lag import degraded_reasons
from streamproc.runtime import is_ready
from streamproc.web.lag import input_lag

if TYPE_CHECKING:
    import faust

    from streamproc.runtime import Runtime


def register(app: faust.App, runtime: Runtime) -> None:
    """Attach /health."""

    @app.page("/health")
    class Health(View):
        async def get(self, request: Request) -> Response:
            ready = is_ready(app, runtime)
            assigned = sorted(
                f"{tp.topic}:{tp.partition}" for tp in app.assignor.assigned_actives()
            )
            lags = input_lag(app, runtime) if ready else []
            settings = runtime.settings
            degraded = degraded_reasons(
                lags, max_records=settings.lag_degraded_records, max_age=settings.lag_degraded_age
            )
            body = {
                # degraded is still 200: restarting a worker that is behind only makes it later
                "status": ("degraded" if degraded else "ready") if ready else "starting",
                "degraded": degraded,
                "assigned": assigned,
                "generation": app.consumer_generation_id,  # changes with every rebalance
                "lag": {
                    f"{lag.topic}:{lag.partition}": {
                        "records": lag.records,
                        "oldest_age_seconds": round(lag.oldest_age, 3),
                    }
                    for lag in lags
                    if lag.records
                },
            }
            return self.json(body, status=200 if ready else 503)

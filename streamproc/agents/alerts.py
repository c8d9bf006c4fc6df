"""Agent on `watchman.alerts`: counts distinct events per company in the `company-status` table.

Counting is idempotent (recent event ids are remembered), because at-least-once delivery replays
uncommitted records after a crash or rebalance.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from streamproc.topology import ALERTS

if TYPE_CHECKING:
    import faust

    from streamproc.app import Runtime

RECENT_EVENT_IDS = 256


def register(app: faust.App, runtime: Runtime) -> None:
    """Attach the alerts agent."""
    topic = runtime.topology.topics[ALERTS]
    status = runtime.topology.company_status

    @app.agent(topic, name="alerts")
    async def alerts(stream: faust.StreamT) -> None:
        async for event in stream.events():
            company = event.key or b""
            try:
                event_id = json.loads(event.value).get("event_id")
            except (ValueError, AttributeError):
                event_id = None
            current = status.get(company) or {"events_consumed": 0, "recent_event_ids": []}
            if event_id is not None and event_id in current["recent_event_ids"]:
                continue  # redelivered
            recent = [*current["recent_event_ids"], event_id][-RECENT_EVENT_IDS:]
            status[company] = {
                "events_consumed": current["events_consumed"] + 1,
                "last_event_id": event_id,
                "recent_event_ids": recent,
            }

"""Flap hold-down timers: hand an alert whose hold-down ended back to its company's lane.

The waiting raise or clear and its ``timer_at`` live in the alert's state (a changelogged
table), so nothing is lost when a worker restarts or partitions move: this worker's index of due
timers is rebuilt from its tables after every rebalance and every ``STREAMPROC_SWEEP_INTERVAL``,
and kept current by the pipeline as it writes states. A due timer becomes a record on the
company's ``halopsa.ticket-observations`` partition, so it is decided in the lane, in order with
the alert's other events (``core.lifecycle.fire``); a repeated timer record changes nothing.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from streamproc.core import AlertTicketState
from streamproc.topology import TICKET_OBSERVATIONS

if TYPE_CHECKING:
    from streamproc.runtime import Runtime

log = logging.getLogger(__name__)

TICK = 1.0  # seconds between checks: an alert's ticket waits at most this beyond its hold-down
RESEND = 10.0  # a timer still due this long after it was sent is sent again (lost, or parked)


class HoldDownTimers:
    """This worker's due hold-down timers (state key → company, alert, due epoch seconds)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.due: dict[bytes, tuple[str, str, float]] = {}
        self.sent: dict[bytes, float] = {}
        self.scanned = 0.0  # monotonic time of the last full scan (0: scan now)

    def note(self, key: bytes, state: AlertTicketState) -> None:
        """The pipeline wrote ``state``: remember or forget its timer."""
        if state.timer_at is None:
            self.due.pop(key, None)
            self.sent.pop(key, None)
        else:
            self.due[key] = (state.company_id, state.alert_id, state.timer_at.timestamp())

    def forget(self) -> None:
        """Partitions moved: rebuild from the tables at the next tick."""
        self.due.clear()
        self.sent.clear()
        self.scanned = 0.0

    def rescan(self) -> None:
        self.due.clear()
        for key, value in self.runtime.topology.alert_state.items():
            due = _due(value)
            if due is not None:
                self.due[key] = (value["company_id"], value["alert_id"], due)
        self.scanned = time.monotonic()

    async def tick(self) -> None:
        """Send a timer record for every due timer; errors are logged, never raised."""
        if not self.runtime.joined or self.runtime.app.rebalancing:
            return
        mono = time.monotonic()
        if not self.scanned or mono - self.scanned > self.runtime.settings.sweep_interval:
            self.rescan()
        wall = time.time()
        topic = self.runtime.topic(TICKET_OBSERVATIONS)
        for key, (company, alert, due) in list(self.due.items()):
            if due > wall or mono - self.sent.get(key, -RESEND) < RESEND:
                continue
            value = {"company_id": company, "alert_id": alert, "timer": True}
            try:
                await (await topic.send(key=company.encode(), value=json.dumps(value).encode()))
            except Exception as exc:  # the next tick sends it again
                log.warning("hold-down timer of %r not sent: %s", key, exc)
                return
            self.sent[key] = mono


def _due(value: Any) -> float | None:
    if not isinstance(value, dict) or not value.get("timer_at"):
        return None
    try:
        return datetime.fromisoformat(value["timer_at"]).astimezone(UTC).timestamp()
    except (TypeError, ValueError):
        return None

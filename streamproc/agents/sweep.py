"""Closure detection, company side: tell each Halo instance's owner which tickets to watch.

Every ``STREAMPROC_SWEEP_INTERVAL`` each worker sends, per company of its partitions with open
tickets, a :class:`~streamproc.core.jobs.WatchTickets` job to the owner of the company's Halo
instance. The owner reads them in requests of up to 100 tickets across companies, on spare
budget only (``instances/owner.py``), and replies for those Halo closed, deleted or merged; the
reply is applied in the company's partition like every other change. A company whose Halo sends
webhooks has its tickets checked ten times less often: webhooks say when a ticket changes.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from typing import TYPE_CHECKING

from streamproc.agents.pipeline import now
from streamproc.core.jobs import HaloJob, WatchTickets

if TYPE_CHECKING:
    from streamproc.agents.pipeline import Pipeline
    from streamproc.runtime import Runtime

log = logging.getLogger(__name__)

WEBHOOK_SLOWDOWN = 10


class Sweeper:
    """Finds the open tickets of the companies this worker owns and has them watched."""

    def __init__(self, runtime: Runtime, pipeline: Pipeline) -> None:
        self.runtime = runtime
        self.pipeline = pipeline

    def open_tickets(self) -> dict[str, dict[int, str]]:
        """company id → {Halo ticket id: alert id} for open tickets in our active partitions."""
        found: dict[str, dict[int, str]] = defaultdict(dict)
        for value in self.runtime.topology.alert_state.values():
            if value and value.get("status") == "open" and value.get("halo_ticket_id"):
                found[value["company_id"]][int(value["halo_ticket_id"])] = value["alert_id"]
        return found

    async def sweep(self) -> None:
        """One watch job per company with open tickets; errors are logged, never raised."""
        if not self.runtime.joined or self.runtime.app.rebalancing:
            return
        open_by_company = self.open_tickets()
        self.runtime.metrics.open_tickets.set(sum(map(len, open_by_company.values())))
        interval = self.runtime.settings.sweep_interval
        for company, tickets in open_by_company.items():
            config = self.pipeline.config(company)
            if config is None or not config.enabled:
                continue
            slower = WEBHOOK_SLOWDOWN if config.webhook_password_hash else 1
            action = WatchTickets(
                company_id=company,
                tickets=tickets,
                every_seconds=interval * slower,
                event_id=f"watch-{company}-{int(time.time())}",
            )
            job = HaloJob.of(config, action, now())
            try:
                await self.pipeline.outputs.send_job(job)
            except Exception as exc:  # the next pass sends it again
                log.warning("watch job for company %s not sent: %s", company, exc)

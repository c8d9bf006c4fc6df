"""Closure detection: a timer sweeps the open tickets of the partitions this worker owns.

Batched reads (one request per ≤ 100 open tickets per company, inside the tenant's rate budget).
What it finds closed, deleted or merged is published as an observation keyed by company, so the
state change happens in the company's partition like every other change.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from typing import TYPE_CHECKING

from streamproc.halopsa import HaloError, TicketState
from streamproc.secretbox import SecretUnreadableError
from streamproc.topology import TICKET_OBSERVATIONS

if TYPE_CHECKING:
    from streamproc.agents.pipeline import Pipeline
    from streamproc.runtime import Runtime

log = logging.getLogger(__name__)


class Sweeper:
    """Finds tickets closed in Halo (by a technician) for alerts we still hold open."""

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
        """One pass over every company with open tickets; errors are logged, never raised."""
        if not self.runtime.joined or self.runtime.app.rebalancing:
            return
        open_by_company = self.open_tickets()
        self.runtime.metrics.open_tickets.set(sum(map(len, open_by_company.values())))
        for company, tickets in open_by_company.items():
            try:
                await self._sweep_company(company, tickets)
            except (HaloError, SecretUnreadableError) as exc:
                log.warning("closure sweep for company %s failed: %s", company, exc)

    async def _sweep_company(self, company: str, tickets: dict[int, str]) -> None:
        config = self.pipeline.config(company)
        if config is None or not config.enabled:
            return
        creds = self.pipeline.halo.credentials(config)
        states = await self.runtime.halo.ticket_states(creds, sorted(tickets))
        for ticket_id, state in states.items():
            if state is TicketState.OPEN:
                continue
            how = "deleted" if state is TicketState.MISSING else "closed"
            await self._publish(company, tickets[ticket_id], ticket_id, how)

    async def _publish(self, company: str, alert_id: str, ticket_id: int, how: str) -> None:
        from streamproc.agents.pipeline import now

        obs = {
            "company_id": company,
            "alert_id": alert_id,
            "halo_ticket_id": ticket_id,
            "how": how,
            "source": "sweep",
            "observed_at": now().isoformat(),
        }
        topic = self.runtime.topic(TICKET_OBSERVATIONS)
        await topic.send(key=company.encode(), value=json.dumps(obs).encode())

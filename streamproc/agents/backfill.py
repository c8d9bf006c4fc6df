"""Backfill, lane side (SPEC §8; the decisions are in ``core/backfill.py``).

``POST …/backfill`` writes one command into the company's partition (an observation record
``{company_id, backfill_id, at}``), so it is replayed like any record when a worker dies
mid-way. The company's lane expands it over the company's alert states: each alert to backfill
is decided as a raise now through the pipeline, in one lane batch (its pending intents are in
Kafka before its jobs leave, as for live alerts). The jobs do not hold the command record
(one record cannot wait for hundreds of replies); a replay re-drives the backfill's pending
alerts under their intent keys instead (and the backfill's jobs travel through Kafka even to
this worker's own instance owner: once the command is acknowledged they are durable), so
nothing is created twice and nothing is left pending.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from streamproc.core import EmitResult, decide, state_key
from streamproc.core import backfill as core
from streamproc.core.lifecycle import config_problem
from streamproc.core.outputs import activity as activity_action
from streamproc.core.state import AlertTicketState

if TYPE_CHECKING:
    from streamproc.agents.intake import InputRecord
    from streamproc.agents.pipeline import Pipeline


class Backfills:
    """Expands backfill commands and counts their progress into the company status."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def states(self, company_id: str) -> list[tuple[bytes, AlertTicketState]]:
        """The company's alert states in this worker's partitions (as the running batch sees
        them). A full scan of the table: backfills are rare."""
        prefix = state_key(company_id, "").encode()
        batched = self.pipeline.batched
        found = []
        for key, value in list(self.pipeline.tables.alert_state.items()):
            if isinstance(key, bytes) and key.startswith(prefix) and "alert_id" in (value or {}):
                state = batched.state(key)
                if state is not None:
                    found.append((key, state))
        return found

    async def run(self, obs: dict[str, Any], record: InputRecord, now: datetime) -> None:
        """Expand the command ``obs`` (a replay continues the backfill it started)."""
        pipeline = self.pipeline
        company, backfill_id = str(obs["company_id"]), str(obs["backfill_id"])
        config = pipeline.config(company)
        status_key = company.encode()
        status = pipeline.batched.status(status_key)
        event_id = f"backfill-{record.partition}-{record.offset}"
        problem = config_problem(config)
        if problem is not None:
            text = "Backfill not started: the HaloPSA integration is not configured or not enabled."
            await self._feed("warning", "backfill_refused", text, company, event_id, now)
            return
        assert config is not None
        states = self.states(company)
        progress = core.progress_of(status)
        replay = progress is not None and progress.get("id") == backfill_id
        # Pending alerts with a kept raise: this backfill's, left by a crash before its jobs
        # left (their intents are in Kafka); re-driven under the same intent key.
        changes = pipeline.batched.changes()
        due = [
            (k, s)
            for k, s in states
            if (core.would_ticket(s) or core.left_pending(s))
            # not while a live record of the alert waits for Halo: that record decides it
            and pipeline.batched.holds.get(k, changes) is None
        ]
        if not replay:
            running = core.started(status, backfill_id, len(due), now)
            pipeline.batched.put_status(status_key, running)
            text = f"Backfill started: {len(due)} raised alert(s) without a ticket."
            await self._feed("info", "backfill_started", text, company, event_id, now)
            if not due:
                await self._finished(company, event_id, now)
        for key, state in due:
            event = core.backfill_event(state, backfill_id)
            decision = core.keep_raise(decide(state, event, config, now), event)
            await pipeline.apply(key, decision, config, hold=False)

    async def count(self, key: bytes, actions: list[EmitResult], now: datetime) -> None:
        """Count the backfill results among a decision's ``actions`` (before its state is
        stored: a result the alert's state already remembers was counted)."""
        prior = self.pipeline.batched.state(key)
        outcomes = [
            a.result.outcome for a in actions if prior is None or not prior.seen(a.result.event_id)
        ]
        if not outcomes:
            return
        company = actions[0].result.company_id
        status_key = company.encode()
        status, done = core.counted(self.pipeline.batched.status(status_key), outcomes, now)
        if status is not None:
            self.pipeline.batched.put_status(status_key, status)
        if done:
            await self._finished(company, f"backfill-done-{actions[0].result.event_id}", now)

    async def _finished(self, company: str, event_id: str, now: datetime) -> None:
        progress = core.progress_of(self.pipeline.batched.status(company.encode()))
        if progress is not None:
            text = core.summary(progress)
            await self._feed("info", "backfill_finished", text, company, event_id, now)

    async def _feed(
        self, level: Any, kind: str, text: str, company: str, event_id: str, now: datetime
    ) -> None:
        entry = activity_action(level, kind, text, company_id=company, event_id=event_id, now=now)
        await self.pipeline.batched.delivered(self.pipeline.outputs.emit(entry))

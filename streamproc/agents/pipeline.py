"""The imperative shell around the core: load state → decide → store → execute → evolve.

Every input record goes through :meth:`Pipeline.guarded`: a record that cannot be decoded or
validated goes to the dead-letter topic with the reason, and an unexpected error while handling
one record is dead-lettered as ``processing_error`` too. The agent never crashes on bad input.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from streamproc.agents.backfill import Backfills
from streamproc.agents.batch import BatchedTables, current_record
from streamproc.agents.outputs import Outputs, ViaKafka
from streamproc.contracts import (
    AlertEvent,
    ContractError,
    IntegrationConfig,
    ManualWarning,
    decode_event,
)
from streamproc.core import (
    Decision,
    EmitActivity,
    EmitCommand,
    EmitResult,
    HaloReportsClosed,
    OpenWarningTicket,
    WarningTicketCreated,
    WarningTicketFailed,
    decide,
    decide_warning,
    evolve,
    evolve_warning,
    fire,
    state_key,
)
from streamproc.core.backfill import PREFIX as BACKFILL_PREFIX
from streamproc.core.backfill import keep_raise
from streamproc.core.credentials import CredentialsTested
from streamproc.core.dryrun import restrain
from streamproc.core.halo_names import with_names
from streamproc.core.jobs import HaloJob, HaloReply, JobAction, ObserveTicket
from streamproc.core.manual import warning_key
from streamproc.core.outputs import activity as activity_action
from streamproc.core.outputs import linked
from streamproc.core.previews import PreviewWarningTicket
from streamproc.core.selftest import SelfTestReport, with_report
from streamproc.core.status import apply_backlog, apply_config, empty_status

if TYPE_CHECKING:
    from streamproc.agents.drift import DriftChecks
    from streamproc.agents.handover import LocalReply
    from streamproc.agents.intake import InputRecord
    from streamproc.agents.timers import HoldDownTimers
    from streamproc.runtime import Runtime

log = logging.getLogger(__name__)


RECENT_WARNING_EVENTS = 16
EMITS = (EmitResult, EmitCommand, EmitActivity)  # actions that only publish


def now() -> datetime:
    """The shell's clock (the core never reads one)."""
    return datetime.now(UTC)


Handler = Callable[["InputRecord"], Awaitable[None]]


class Pipeline:
    """Per-worker handlers for each input topic; called in company lanes, one record at a time."""

    def __init__(self, runtime: Runtime, timers: HoldDownTimers | None = None) -> None:
        self.runtime = runtime
        self.timers = timers
        self.tables = runtime.topology
        self.batched = BatchedTables(runtime.stores)
        self.outputs = Outputs(runtime, self.batched)
        self.batched.send_job = self.outputs.send_job
        self._configs: dict[str, IntegrationConfig | None] = {}
        self.backfills = Backfills(self)
        self.drift: DriftChecks | None = None  # set by register_agents

    async def guarded(self, record: InputRecord, handler: Handler) -> None:
        """Run ``handler``; bad input or an unexpected error becomes a dead letter."""
        try:
            await handler(record)
        except ContractError as exc:
            await self.outputs.dead_letter(
                record, error=exc.message, error_kind=exc.kind, now=now()
            )
        except Exception as exc:  # keep consuming: the record is kept in the dead-letter topic
            log.exception("failed to handle %s[%s]@%s", *_where(record))
            await self.outputs.dead_letter(
                record,
                error=f"{type(exc).__name__} while handling the record: {exc}"[:2000],
                error_kind="processing_error",
                now=now(),
            )

    def config(self, company_id: str) -> IntegrationConfig | None:
        """The company's current integration config (None when not configured).

        Every record needs one, so configs are parsed once and kept while this worker owns the
        company: only :meth:`on_config` changes them then; a rebalance forgets them all.
        """
        if company_id in self._configs:
            return self._configs[company_id]
        stored = self.batched.config(company_id.encode())
        config = IntegrationConfig.model_validate(stored) if stored else None
        self._configs[company_id] = config
        return config

    def forget(self) -> None:
        """Partitions changed hands: the tables may hold what other workers wrote, and the
        records waiting for Halo are replayed by their partitions' new owners."""
        self._configs.clear()
        self.batched.holds.forget()

    async def on_alert(self, record: InputRecord) -> None:
        """A Watchman alert lifecycle event."""
        alert = decode_event(AlertEvent, record.value)
        key = state_key(alert.company_id, alert.alert.id).encode()
        if self._parked(key, record, self.on_alert):
            return
        config = self.config(alert.company_id)
        decision = decide(self.batched.state(key), alert, config, now())
        await self.apply(key, keep_raise(decision, alert), config)

    async def on_warning(self, record: InputRecord) -> None:
        """A manual warning: a ticket directly (a replayed warning event is a no-op)."""
        warning = decode_event(ManualWarning, record.value)
        key = warning_key(warning.company_id, warning.warning.id)
        if self._parked(key, record, self.on_warning):
            return
        if warning.event_id in self._handled_warnings(key):
            return  # its result was published before a crash or rebalance replayed it
        config = self.config(warning.company_id)
        decision = decide_warning(config, warning, now())
        await self.apply(key, decision, config)
        if not any(
            isinstance(a, OpenWarningTicket | PreviewWarningTicket) for a in decision.actions
        ):
            self._mark_warning_handled(key, warning.event_id)

    def _handled_warnings(self, key: bytes) -> list[str]:
        return (self.batched.marks(key) or {}).get("handled_event_ids", [])

    def _mark_warning_handled(self, key: bytes, event_id: str) -> None:
        handled = [*self._handled_warnings(key), event_id][-RECENT_WARNING_EVENTS:]
        self.batched.put_marks(key, {"handled_event_ids": handled})

    def _parked(self, key: bytes, record: InputRecord, handler: Handler) -> bool:
        """Park ``record`` behind its alert's outstanding Halo job (see holds.py)."""
        if self.batched.holds.park(key, record, handler, self.batched.changes()):
            self.batched.defer_current()
            return True
        return False

    async def on_config(self, record: InputRecord) -> None:
        """A saved (or removed: tombstone) integration config for the key's company."""
        company = (record.key or b"").decode("utf-8", errors="replace")
        before = self.config(company)
        if record.value is None:
            config = None
            self.batched.write_now(self.runtime.stores.configs, company.encode(), None)
        else:
            config = decode_event(IntegrationConfig, record.value)
            company = config.company_id
            stored = config.model_dump(mode="json")
            self.batched.write_now(self.runtime.stores.configs, company.encode(), stored)
        self._configs[company] = config
        windows = config.maintenance_windows if config else ()
        moved = windows != (before.maintenance_windows if before else ())
        if moved and self.timers is not None:
            self.timers.recheck(company)
        status_key = company.encode()
        self.batched.put_status(status_key, apply_config(self.batched.status(status_key), config))
        text = (
            "HaloPSA integration removed."
            if config is None
            else f"HaloPSA integration saved ({'enabled' if config.enabled else 'disabled'})."
        )
        if moved and config is not None:
            names = ", ".join(w.id for w in windows) or "none"
            text += f" Maintenance windows: {names}."
        event_id = f"config-{record.partition}-{record.offset}"
        entry = activity_action(
            "info", "config_changed", text, company_id=company, event_id=event_id, now=now()
        )
        await self.batched.delivered(self.outputs.emit(entry))

    async def on_observation(self, record: InputRecord) -> None:
        """A webhook said a ticket changed (its instance's owner reads it: a job), or an alert's
        flap hold-down or maintenance window ended (a timer, see timers.py)."""
        obs = _observation(record)
        if obs.get("timer"):
            await self._on_timer(obs, record)
            return
        if obs.get("backfill_id"):  # POST …/backfill (agents/backfill.py)
            await self.backfills.run(obs, record, now())
            return
        if isinstance(obs.get("halo_names"), dict):  # a credential test (core/halo_names.py)
            key = str(obs["company_id"]).encode()
            status = self.batched.status(key) or empty_status()
            self.batched.put_status(key, with_names(status, obs["halo_names"], str(obs.get("at"))))
            return
        company = obs["company_id"]
        config = self.config(company)
        if config is None:
            return
        ticket_id = int(obs["halo_ticket_id"])
        event_id = f"obs-{record.partition}-{record.offset}"
        key = self._state_key_for(company, obs.get("alert_id"), ticket_id)
        if key is None:
            return  # not one of our tickets (or no longer tracked)
        if obs.get("how"):  # said closed by someone who read it (older workers' sweep)
            outcome = HaloReportsClosed(event_id=event_id, halo_ticket_id=ticket_id, how=obs["how"])
            await self._apply_outcome(key, outcome, config)
            return
        state = self.batched.state(key)
        assert state is not None, "_state_key_for found it"
        action = ObserveTicket(
            company_id=company, alert_id=state.alert_id, halo_ticket_id=ticket_id, event_id=event_id
        )
        self._send_job(key, action, config, hold=False)

    async def _on_timer(self, obs: dict[str, Any], record: InputRecord) -> None:
        company, alert = str(obs["company_id"]), str(obs.get("alert_id") or "")
        key = state_key(company, alert).encode()
        if self._parked(key, record, self.on_observation):
            return
        state = self.batched.state(key)
        if state is None or state.timer_at is None:
            return  # a repeated timer record: already decided
        config = self.config(company)
        await self.apply(key, fire(state, config, now()), config)

    async def on_reply(self, record: InputRecord) -> None:
        """The owner of the company's Halo instance answered a job, or has news."""
        reply = decode_event(HaloReply, record.value)
        if isinstance(reply.outcome, CredentialsTested):  # for a view of this worker, if any
            self.runtime.answers.settle(reply.job_id, reply.outcome)
            return
        company = reply.company_id
        config = self.config(company)
        if reply.notice is not None:
            await self._notice(company, reply, record)
        if reply.backlog is not None:
            key = company.encode()
            self.batched.put_status(key, apply_backlog(self.batched.status(key), reply.backlog))
        if isinstance(reply.outcome, SelfTestReport):
            key = company.encode()
            self.batched.put_status(key, with_report(self.batched.status(key), reply.outcome))
            return
        if reply.outcome is None or reply.subject is None:
            return
        await self._answer(reply.subject.encode(), reply, config)

    async def on_local_reply(self, record: LocalReply) -> None:
        """A reply this worker's instance owner handed over without Kafka (handover.py)."""
        reply = record.reply
        assert reply.subject is not None, "only replies with a subject are handed over"
        key = reply.subject.encode()
        hold = self.batched.holds.get(key, self.batched.changes())
        if hold is None or hold.job_id != reply.job_id:
            return  # answered already, or its partition moved: the new owner replays the record
        # The reply stands in for the record it answers, which is in Kafka: if the outcome sends
        # a job, that record waits for it (a crash replays it), not this one (nothing would).
        current_record.set(hold.record)
        await self._answer(key, reply, self.config(reply.company_id))

    async def _answer(self, key: bytes, reply: HaloReply, config: IntegrationConfig | None) -> None:
        assert reply.outcome is not None
        # Released before the outcome is applied: what it decides may hold the alert again.
        hold = self.batched.holds.release(key, self.batched.changes(), reply.job_id)
        await self._apply_outcome(key, reply.outcome, config)
        if self.drift is not None:  # a Halo error naming a configured id: check for drift
            self.drift.after(reply.company_id, config, reply.outcome)
        if hold is not None:
            if not self.batched.is_deferred(hold.record):  # (deferred: waits for a new job)
                self.batched.complete(hold.record)
            await self._unpark(key, hold.parked)

    async def _apply_outcome(
        self, key: bytes, outcome: Any, config: IntegrationConfig | None
    ) -> None:
        warning = isinstance(outcome, WarningTicketCreated | WarningTicketFailed)
        if warning or getattr(outcome, "warning_id", None) is not None:  # (a dry-run preview)
            if outcome.event_id in self._handled_warnings(key):
                return  # a replayed job's second reply
            await self.apply(key, evolve_warning(outcome, now()), config)
            self._mark_warning_handled(key, outcome.event_id)
            return
        state = self.batched.state(key)
        if state is not None:
            await self.apply(key, evolve(state, outcome, now()), config)

    async def _unpark(self, key: bytes, parked: list[tuple[Any, Handler]]) -> None:
        """Handle the records that waited for ``key``'s reply, in order, until one waits again."""
        changes = self.batched.changes()
        for i, (record, handler) in enumerate(parked):
            hold = self.batched.holds.get(key, changes)
            if hold is not None:  # a parked record sent a job of its own: the rest wait for it
                hold.parked.extend(parked[i:])
                return
            previous = current_record.get()
            current_record.set(record)
            try:
                await self.guarded(record, handler)
                if not self.batched.is_deferred(record):
                    self.batched.complete(record)
            finally:
                current_record.set(previous)

    async def _notice(self, company: str, reply: HaloReply, record: InputRecord) -> None:
        notice = reply.notice
        assert notice is not None
        entry = activity_action(
            notice.level,
            notice.kind,
            notice.message,
            company_id=company,
            event_id=f"notice-{record.partition}-{record.offset}",
            now=now(),
            alert_id=notice.alert_id,
        )
        await self.batched.delivered(self.outputs.emit(entry))

    def _state_key_for(self, company: str, alert_id: str | None, ticket: int) -> bytes | None:
        if alert_id:
            key = state_key(company, alert_id).encode()
            return key if self.batched.state(key) else None
        prefix = state_key(company, "").encode()
        for key, value in self.tables.alert_state.items():
            if key.startswith(prefix) and value.get("halo_ticket_id") == ticket:
                return key
        return None

    async def apply(
        self,
        key: bytes | None,
        decision: Decision,
        config: IntegrationConfig | None,
        *,
        hold: bool = True,
    ) -> None:
        """Carry out a decision: its outputs, its state, and its Halo work (a job).

        The lane's batch writes the state (a pending intent, or what marks the event handled)
        after the outputs were delivered, and sends the jobs once the states are in Kafka: a
        redelivered event must find its intent. A company in dry run gets no Halo write and
        no mute/unmute, whatever the decision (``core.dryrun.restrain``). Results of
        backfilled raises count into the backfill's progress (``hold``: False for them).
        """
        decision = restrain(decision, config)
        backfilled: list[EmitResult] = []
        for action in decision.actions:
            if isinstance(action, EMITS):
                await self.batched.delivered(self.outputs.emit(linked(action, config)))
                if isinstance(action, EmitResult) and action.result.event_id.startswith(
                    BACKFILL_PREFIX
                ):
                    backfilled.append(action)
            elif config is None:
                log.warning("no config to send %s for %r: dropped", action.kind, key)
            else:
                self._send_job(key, action, config, hold=hold, durable=not hold)
        if backfilled and key is not None:
            await self.backfills.count(key, backfilled, now())
        if key is not None and decision.state is not None:
            self.batched.put_state(key, decision.state)
            if self.timers is not None:
                self.timers.note(key, decision.state)

    def _send_job(
        self,
        key: bytes | None,
        action: JobAction,
        config: IntegrationConfig,
        *,
        hold: bool = True,
        durable: bool = False,
    ) -> None:
        """Send ``action`` to the owner of the company's Halo instance; the record waits for
        the reply (``hold``). A ``durable`` job goes through Kafka even to this worker's own
        owner: nothing held replays it after a crash (a backfill's)."""
        job = HaloJob.of(config, action, now(), None if key is None else key.decode())
        self.batched.queue_job(ViaKafka(job) if durable else job)
        if hold and key is not None:
            changes = self.batched.changes()
            self.batched.holds.hold(key, current_record.get(), changes, job.job_id)
            self.batched.defer_current()


def _observation(record: InputRecord) -> dict[str, Any]:
    import json

    try:
        obs = json.loads(record.value)
    except (TypeError, ValueError) as exc:
        raise ContractError("invalid_json", f"observation is not JSON: {exc}") from None
    if not isinstance(obs, dict) or not obs.get("company_id"):
        raise ContractError("schema_invalid", "observation needs company_id and halo_ticket_id")
    timer = obs.get("timer") and obs.get("alert_id")
    command = timer or obs.get("backfill_id") or obs.get("halo_names")
    if not obs.get("halo_ticket_id") and not command:
        raise ContractError("schema_invalid", "observation needs company_id and halo_ticket_id")
    return obs


def _where(record: InputRecord) -> tuple[str, int, int]:
    return record.topic, record.partition, record.offset

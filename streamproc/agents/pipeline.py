"""The imperative shell around the core: load state → decide → store → execute → evolve.

Every input record goes through :meth:`Pipeline.guarded`: a record that cannot be decoded or
validated goes to the dead-letter topic with the reason, and an unexpected error while handling
one record is dead-lettered as ``processing_error`` too. The agent never crashes on bad input.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from streamproc.agents.batch import BatchedTables
from streamproc.agents.halo_executor import HaloExecutor
from streamproc.agents.outputs import Outputs
from streamproc.contracts import (
    AlertEvent,
    ContractError,
    IntegrationConfig,
    ManualWarning,
    decode_event,
)
from streamproc.core import (
    Action,
    CloseTicket,
    Decision,
    EmitActivity,
    EmitCommand,
    EmitResult,
    HaloReportsClosed,
    OpenTicket,
    OpenWarningTicket,
    ResolvePendingTicket,
    decide,
    decide_warning,
    evolve,
    evolve_warning,
    state_key,
)
from streamproc.core.outputs import activity as activity_action
from streamproc.core.status import apply_config

if TYPE_CHECKING:
    from streamproc.agents.intake import InputRecord
    from streamproc.runtime import Runtime

log = logging.getLogger(__name__)


RECENT_WARNING_EVENTS = 16
EMITS = (EmitResult, EmitCommand, EmitActivity)  # actions that only publish


def now() -> datetime:
    """The shell's clock (the core never reads one)."""
    return datetime.now(UTC)


class Pipeline:
    """Per-worker handlers for each input topic; called in company lanes, one record at a time."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.tables = runtime.topology
        self.batched = BatchedTables(runtime.stores)
        self.outputs = Outputs(runtime, self.batched)
        self.halo = HaloExecutor(runtime)
        self._configs: dict[str, IntegrationConfig | None] = {}

    async def guarded(
        self, record: InputRecord, handler: Callable[[InputRecord], Awaitable[None]]
    ) -> None:
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

    def forget_configs(self) -> None:
        """Partitions changed hands: the tables may hold what other workers wrote."""
        self._configs.clear()

    async def on_alert(self, record: InputRecord) -> None:
        """A Watchman alert lifecycle event."""
        alert = decode_event(AlertEvent, record.value)
        key = state_key(alert.company_id, alert.alert.id).encode()
        config = self.config(alert.company_id)
        await self.apply(key, decide(self.batched.state(key), alert, config, now()), config)

    async def on_warning(self, record: InputRecord) -> None:
        """A manual warning: a ticket directly (a replayed warning event is a no-op)."""
        warning = decode_event(ManualWarning, record.value)
        key = state_key(warning.company_id, f"\x00warning/{warning.warning.id}").encode()
        handled = (self.batched.marks(key) or {}).get("handled_event_ids", [])
        if warning.event_id in handled:
            return  # its result was published before a crash or rebalance replayed it
        config = self.config(warning.company_id)
        await self.apply(None, decide_warning(config, warning, now()), config)
        handled = [*handled, warning.event_id][-RECENT_WARNING_EVENTS:]
        self.batched.put_marks(key, {"handled_event_ids": handled})

    async def on_config(self, record: InputRecord) -> None:
        """A saved (or removed: tombstone) integration config for the key's company."""
        company = (record.key or b"").decode("utf-8", errors="replace")
        if record.value is None:
            config = None
            self.batched.write_now(self.runtime.stores.configs, company.encode(), None)
        else:
            config = decode_event(IntegrationConfig, record.value)
            company = config.company_id
            stored = config.model_dump(mode="json")
            self.batched.write_now(self.runtime.stores.configs, company.encode(), stored)
        self._configs[company] = config
        status_key = company.encode()
        self.batched.put_status(status_key, apply_config(self.batched.status(status_key), config))
        text = (
            "HaloPSA integration removed."
            if config is None
            else f"HaloPSA integration saved ({'enabled' if config.enabled else 'disabled'})."
        )
        event_id = f"config-{record.partition}-{record.offset}"
        entry = activity_action(
            "info", "config_changed", text, company_id=company, event_id=event_id, now=now()
        )
        await self.batched.delivered(self.outputs.emit(entry))

    async def on_observation(self, record: InputRecord) -> None:
        """The sweep or a webhook saw a ticket change in Halo: apply it to the alert's state."""
        obs = _observation(record)
        await self.batched.flush()  # the lookup below reads the tables themselves
        company = obs["company_id"]
        config = self.config(company)
        if config is None:
            return
        ticket_id = int(obs["halo_ticket_id"])
        key = self._state_key_for(company, obs.get("alert_id"), ticket_id)
        if key is None:
            return  # not one of our tickets (or no longer tracked)
        state = self.batched.state(key)
        assert state is not None, "_state_key_for found it"
        event_id = f"obs-{record.partition}-{record.offset}"
        if obs.get("how"):
            outcome = HaloReportsClosed(event_id=event_id, halo_ticket_id=ticket_id, how=obs["how"])
        else:  # a webhook hint: Halo is the truth
            outcome = await self.halo.observe(config, ticket_id, event_id)
            if outcome is None:
                return
        await self.apply(key, evolve(state, outcome, now()), config)

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
        self, key: bytes | None, decision: Decision, config: IntegrationConfig | None
    ) -> None:
        """Carry out a decision: its outputs, its Halo actions (evolving on outcomes), its state.

        Halo actions run after the state (a pending intent) is written: a redelivered event must
        find the intent. A decision with outputs only leaves its state (which marks the event
        handled) to the lane's batch, which writes it after the outputs were delivered.
        """
        state = decision.state
        halo_first = any(not isinstance(a, EMITS) for a in decision.actions)
        if halo_first:
            if key is not None and state is not None:
                await self.batched.put_state_now(key, state)
            else:
                await self.batched.flush()
            for action in decision.actions:
                await self._execute(key, action, config)
            return
        for action in decision.actions:
            await self.batched.delivered(self.outputs.emit(action))
        if key is not None and state is not None:
            self.batched.put_state(key, state)

    async def _execute(
        self, key: bytes | None, action: Action, config: IntegrationConfig | None
    ) -> None:
        if isinstance(action, EMITS):
            await self.batched.delivered(self.outputs.emit(action))
            return
        assert config is not None, "the core asks for Halo actions only with a usable config"
        if isinstance(action, OpenWarningTicket):
            warning_outcome = await self.retrying(action, config)
            await self.apply(None, evolve_warning(warning_outcome, now()), config)
            return
        assert key is not None
        outcome = await self.retrying(action, config)
        latest = self.batched.state(key)
        assert latest is not None, "apply wrote the state before its Halo actions"
        await self.apply(key, evolve(latest, outcome, now()), config)

    async def retrying(self, action: HaloAction, config: IntegrationConfig) -> Any:
        """Run a Halo action; while Halo is unavailable or rate limited, wait and try again.

        Retrying here blocks only this company's lane (other companies go on), keeps the order of
        its records, and makes the record's one result the final one. A create retried after an
        ambiguous failure first looks the ticket up by its intent key. After
        ``halo_retry_window`` seconds the failure is reported as it is.
        """
        settings = self.runtime.settings
        deadline = asyncio.get_running_loop().time() + settings.halo_retry_window
        delay, announced = 1.0, False
        while True:
            outcome = await self._run_halo(action, config)
            retriable = getattr(outcome, "retriable", False)
            if not retriable or asyncio.get_running_loop().time() + delay > deadline:
                return outcome
            if not announced:
                announced = True
                await self._announce_retry(action, outcome)
            await asyncio.sleep(delay)
            delay = min(delay * 2, settings.halo_retry_max_delay)
            if isinstance(action, OpenTicket):
                action = ResolvePendingTicket(**action.model_dump(exclude={"kind"}))
            config = self.config(action.company_id) or config

    async def _run_halo(self, action: HaloAction, config: IntegrationConfig) -> Any:
        if isinstance(action, OpenWarningTicket):
            return await self.halo.open_warning_ticket(action, config)
        if isinstance(action, CloseTicket):
            return await self.halo.close_ticket(action, config)
        return await self.halo.open_ticket(action, config)

    async def _announce_retry(self, action: HaloAction, outcome: Any) -> None:
        """One warning per outage episode, so the administrator sees why tickets are late."""
        text = (
            f"HaloPSA did not answer ({outcome.reason}): {outcome.message} The ticket will be"
            " created or closed as soon as HaloPSA is reachable again; nothing is lost."
        )
        entry = activity_action(
            "warning",
            "halo_retrying",
            text,
            company_id=action.company_id,
            event_id=action.event_id,
            now=now(),
            alert_id=getattr(action, "alert_id", None),
        )
        await self.batched.delivered(self.outputs.emit(entry))


HaloAction = OpenTicket | ResolvePendingTicket | CloseTicket | OpenWarningTicket


def _observation(record: InputRecord) -> dict[str, Any]:
    import json

    try:
        obs = json.loads(record.value)
    except (TypeError, ValueError) as exc:
        raise ContractError("invalid_json", f"observation is not JSON: {exc}") from None
    if not isinstance(obs, dict) or not obs.get("company_id") or not obs.get("halo_ticket_id"):
        raise ContractError("schema_invalid", "observation needs company_id and halo_ticket_id")
    return obs


def _where(record: InputRecord) -> tuple[str, int, int]:
    return record.topic, record.partition, record.offset

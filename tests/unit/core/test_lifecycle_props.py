"""Properties of the lifecycle over random event/outcome sequences, against a simulated Halo."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from core_builders import NOW, a_config, an_event
from hypothesis import given, settings
from hypothesis import strategies as st

from streamproc.contracts import AlertEvent, IntegrationConfig
from streamproc.core import (
    Action,
    AlertTicketState,
    CloseTicket,
    HaloReportsClosed,
    OpenTicket,
    Outcome,
    ResolvePendingTicket,
    TicketAlreadyClosed,
    TicketClosedByUs,
    TicketCloseFailed,
    TicketCreated,
    TicketCreateFailed,
    decide,
    evolve,
)

CONFIGS = [None, a_config(enabled=False), a_config()]
CREATE_FATES = ["ok", "fail", "ambiguous_created", "ambiguous_lost", "crash_after_create"]
CLOSE_FATES = ["ok", "fail"]


@dataclass
class Halo:
    """Simulated Halo: tickets (open flag) and the supplier_reference index."""

    open: dict[int, bool] = field(default_factory=dict)
    by_key: dict[str, int] = field(default_factory=dict)

    def create(self, key: str) -> int:
        ticket = len(self.open) + 1
        self.open[ticket] = True
        self.by_key[key] = ticket
        return ticket


class Crash(Exception):
    """The worker died after a Halo call, before evolve's state was stored."""


@dataclass
class Shell:
    """A faithful but tiny shell: executes actions, reports outcomes, checks invariants."""

    data: st.DataObject
    halo: Halo = field(default_factory=Halo)
    state: AlertTicketState | None = None

    def handle(self, event: AlertEvent, config: IntegrationConfig | None) -> None:
        status = self.state.status if self.state else "idle"
        decision = decide(self.state, event, config, NOW)
        assert decision == decide(self.state, event, config, NOW)
        if status in ("pending", "open"):
            assert not any(isinstance(a, OpenTicket) for a in decision.actions)
        self.state = decision.state
        with contextlib.suppress(Crash):
            self.run(decision.actions)

    def run(self, actions: tuple[Action, ...]) -> None:
        for action in actions:
            outcome = self.execute(action)
            if outcome is not None:
                assert self.state is not None
                decision = evolve(self.state, outcome, NOW)
                self.state = decision.state
                self.run(decision.actions)

    def execute(self, action: Action) -> Outcome | None:
        if isinstance(action, ResolvePendingTicket) and action.intent_key in self.halo.by_key:
            found = self.halo.by_key[action.intent_key]
            return TicketCreated(
                event_id=action.event_id,
                intent_key=action.intent_key,
                halo_ticket_id=found,
                recovered=True,
            )
        if isinstance(action, OpenTicket | ResolvePendingTicket):
            fate = self.data.draw(st.sampled_from(CREATE_FATES))
            key, event_id = action.intent_key, action.event_id
            if fate in ("ok", "ambiguous_created", "crash_after_create"):
                ticket = self.halo.create(key)
                if fate == "crash_after_create":
                    raise Crash
                if fate == "ok":
                    return TicketCreated(event_id=event_id, intent_key=key, halo_ticket_id=ticket)
            return TicketCreateFailed(
                event_id=event_id,
                intent_key=key,
                reason="halo_down",
                message="m",
                ambiguous=fate.startswith("ambiguous"),
            )
        if isinstance(action, CloseTicket):
            ticket, event_id = action.halo_ticket_id, action.event_id
            if not self.halo.open[ticket]:
                return TicketAlreadyClosed(event_id=event_id, halo_ticket_id=ticket)
            if self.data.draw(st.sampled_from(CLOSE_FATES)) == "fail":
                return TicketCloseFailed(
                    event_id=event_id, halo_ticket_id=ticket, reason="halo_down", message="m"
                )
            self.halo.open[ticket] = False
            return TicketClosedByUs(event_id=event_id, halo_ticket_id=ticket)
        return None

    def technician_closes(self, report: bool) -> None:
        if self.state is None or self.state.halo_ticket_id is None:
            return
        ticket = self.state.halo_ticket_id
        self.halo.open[ticket] = False
        if report:
            self.state = evolve(
                self.state, HaloReportsClosed(event_id=f"s{ticket}", halo_ticket_id=ticket), NOW
            ).state

    def open_tickets(self) -> int:
        return sum(self.halo.open.values())


event_steps = st.tuples(
    st.just("event"),
    st.sampled_from(["raised", "updated", "cleared", "resolved"]),
    st.integers(0, 12),
    st.sampled_from([True, True, True, False]),
    st.sampled_from([False, False, False, True]),
)
steps = st.lists(
    st.one_of(
        event_steps,
        event_steps,
        st.tuples(st.just("replay"), st.integers(0, 40)),
        st.tuples(st.just("config"), st.integers(0, 2)),
        st.tuples(st.just("technician"), st.booleans()),
    ),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(steps=steps, data=st.data())
def test_never_two_open_tickets_and_replays_are_noops(
    steps: list[tuple[Any, ...]], data: st.DataObject
) -> None:
    shell = Shell(data)
    config: IntegrationConfig | None = CONFIGS[2]
    seen: list[AlertEvent] = []
    for step in steps:
        if step[0] == "event":
            _, kind, minute, visible, muted = step
            event = an_event(kind, f"e{len(seen)}", minute=minute, visible=visible, muted=muted)
            seen.append(event)
            shell.handle(event, config)
        elif step[0] == "replay" and seen:
            shell.handle(seen[step[1] % len(seen)], config)
        elif step[0] == "config":
            config = CONFIGS[step[1]]
        elif step[0] == "technician":
            shell.technician_closes(step[1])
        assert shell.open_tickets() <= 1
        if shell.state is not None and shell.state.status == "open":
            assert shell.halo.open.get(shell.state.halo_ticket_id or 0) is not None


@settings(max_examples=200, deadline=None)
@given(steps=steps, data=st.data())
def test_replaying_a_completed_event_adds_no_action(
    steps: list[tuple[Any, ...]], data: st.DataObject
) -> None:
    shell = Shell(data)
    config = CONFIGS[2]
    for index, step in enumerate(steps):
        if step[0] != "event":
            continue
        _, kind, minute, visible, muted = step
        event = an_event(kind, f"e{index}", minute=minute, visible=visible, muted=muted)
        shell.handle(event, config)
        assert shell.state is not None
        if event.event_id in shell.state.recent_event_ids:
            replay = decide(shell.state, event, config, NOW)
            assert replay.actions == ()
            assert replay.state == shell.state


@settings(max_examples=100, deadline=None)
@given(steps=steps, data=st.data())
def test_decisions_survive_a_json_round_trip_of_state(
    steps: list[tuple[Any, ...]], data: st.DataObject
) -> None:
    shell = Shell(data)
    for index, step in enumerate(steps):
        if step[0] != "event":
            continue
        _, kind, minute, visible, muted = step
        event = an_event(kind, f"e{index}", minute=minute, visible=visible, muted=muted)
        if shell.state is not None:
            restored = AlertTicketState.model_validate_json(shell.state.model_dump_json())
            assert decide(restored, event, CONFIGS[2], NOW) == decide(
                shell.state, event, CONFIGS[2], NOW
            )
        shell.handle(event, CONFIGS[2])

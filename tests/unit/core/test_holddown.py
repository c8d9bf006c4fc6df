"""Flap hold-down (SPEC §7): held raises and clears, decided by the timer."""

from __future__ import annotations

from datetime import timedelta

from core_builders import NOW, a_config, an_event

from streamproc.core import (
    AlertTicketState,
    CloseTicket,
    EmitActivity,
    EmitResult,
    OpenTicket,
    decide,
    fire,
)

HOLD = a_config(hold_down_seconds=120)
LATER = NOW + timedelta(seconds=121)


def results(decision) -> dict[str, str]:
    return {
        a.result.event_id: a.result.reason for a in decision.actions if isinstance(a, EmitResult)
    }


def test_a_raise_waits_then_opens_its_ticket_when_the_timer_fires() -> None:
    held = decide(None, an_event("raised", "r1"), HOLD, NOW)
    assert held.actions == ()
    assert held.state is not None
    assert held.state.timer_at == NOW + timedelta(seconds=120)
    assert held.state.seen("r1")  # a redelivered raise is a duplicate, not a second hold
    assert decide(held.state, an_event("raised", "r1"), HOLD, NOW).actions == ()
    assert fire(held.state, HOLD, NOW + timedelta(seconds=60)).actions == ()  # not due
    opened = fire(held.state, HOLD, LATER)
    (action,) = opened.actions
    assert isinstance(action, OpenTicket)
    assert action.event_id == "r1"  # the raise's result comes with its ticket
    assert opened.state is not None
    assert (opened.state.status, opened.state.timer_at, opened.state.held_raise) == (
        "pending",
        None,
        None,
    )
    assert fire(opened.state, HOLD, LATER).actions == ()  # a repeated timer record


def test_raise_then_clear_within_the_hold_down_is_flapping_and_makes_no_ticket() -> None:
    held = decide(None, an_event("raised", "r1"), HOLD, NOW).state
    repeat = decide(held, an_event("updated", "u1", minute=1), HOLD, NOW)
    assert results(repeat) == {"u1": "held_down"}
    cleared = decide(repeat.state, an_event("cleared", "c1", minute=1), HOLD, NOW)
    assert results(cleared) == {"r1": "flapping", "c1": "flapping"}
    assert any(isinstance(a, EmitActivity) and a.entry.kind == "flapping" for a in cleared.actions)
    assert cleared.state is not None
    assert (cleared.state.status, cleared.state.timer_at) == ("idle", None)
    assert fire(cleared.state, HOLD, LATER).actions == ()


def test_clear_then_raise_within_the_hold_down_keeps_the_ticket_open() -> None:
    open_state = AlertTicketState(
        company_id="acme", alert_id="a-1", status="open", halo_ticket_id=77, intent_key="k"
    )
    held = decide(open_state, an_event("cleared", "c1", minute=1), HOLD, NOW)
    assert held.actions == ()
    again = decide(held.state, an_event("raised", "r2", minute=2), HOLD, NOW)
    assert results(again) == {"c1": "flap_kept_open", "r2": "already_open"}
    assert again.state is not None
    assert (again.state.status, again.state.timer_at, again.state.alert_active) == (
        "open",
        None,
        True,
    )


def test_a_clear_that_stays_cleared_closes_when_the_timer_fires() -> None:
    open_state = AlertTicketState(
        company_id="acme", alert_id="a-1", status="open", halo_ticket_id=77, intent_key="k"
    )
    held = decide(open_state, an_event("cleared", "c1", minute=1), HOLD, NOW).state
    assert held is not None
    (action,) = fire(held, HOLD, LATER).actions
    assert isinstance(action, CloseTicket)
    assert (action.event_id, action.halo_ticket_id) == ("c1", 77)


def test_without_a_hold_down_nothing_waits() -> None:
    (action,) = decide(None, an_event("raised", "r1"), a_config(), NOW).actions
    assert isinstance(action, OpenTicket)


def test_held_state_survives_a_json_round_trip() -> None:
    held = decide(None, an_event("raised", "r1"), HOLD, NOW).state
    assert held is not None
    restored = AlertTicketState.model_validate_json(held.model_dump_json())
    assert fire(restored, HOLD, LATER) == fire(held, HOLD, LATER)

"""Maintenance windows in the lifecycle (SPEC §8): held raises, re-checked when the window ends."""

from __future__ import annotations

from datetime import timedelta

from core_builders import NOW, a_config, an_event
from hypothesis import given
from hypothesis import strategies as st

from streamproc.core import (
    AlertTicketState,
    EmitActivity,
    EmitResult,
    OpenTicket,
    ReopenTicket,
    TicketCreated,
    decide,
    evolve,
    fire,
)

END = NOW + timedelta(minutes=30)
AFTER = END + timedelta(seconds=1)
WINDOW = {"id": "patching", "start": NOW - timedelta(minutes=5), "end": END}
IN_WINDOW = a_config(maintenance_windows=[WINDOW])


def results(decision) -> dict[str, str]:
    return {
        a.result.event_id: f"{a.result.outcome}/{a.result.reason}"
        for a in decision.actions
        if isinstance(a, EmitResult)
    }


def entries(decision) -> list[str]:
    return [a.entry.kind for a in decision.actions if isinstance(a, EmitActivity)]


def test_no_windows_keeps_todays_behaviour() -> None:
    (action,) = decide(None, an_event(), a_config(), NOW).actions
    assert isinstance(action, OpenTicket)
    past = a_config(maintenance_windows=[{**WINDOW, "end": NOW}])  # ended just now
    assert isinstance(decide(None, an_event(), past, NOW).actions[0], OpenTicket)


def test_a_raise_inside_a_window_is_skipped_then_gets_its_ticket_when_the_window_ends() -> None:
    held = decide(None, an_event("raised", "r1"), IN_WINDOW, NOW)
    assert results(held) == {"r1": "skipped/maintenance_window"}
    assert entries(held) == ["maintenance_window"]
    assert "patching" in held.actions[0].result.message
    state = held.state
    assert state is not None
    assert (state.status, state.held_window, state.timer_at) == ("idle", "patching", END)
    assert decide(state, an_event("raised", "r1"), IN_WINDOW, NOW).actions == ()  # redelivery
    assert fire(state, IN_WINDOW, END - timedelta(seconds=1)).actions == ()  # not over yet
    opened = fire(state, IN_WINDOW, END)
    (action,) = opened.actions
    assert isinstance(action, OpenTicket)
    assert action.event_id == "r1"
    assert opened.state is not None
    assert (opened.state.status, opened.state.held_raise, opened.state.timer_at) == (
        "pending",
        None,
        None,
    )
    assert opened.state.held_window is None
    assert fire(opened.state, IN_WINDOW, AFTER).actions == ()  # a repeated timer record


def test_a_clear_inside_the_window_means_no_ticket_ever() -> None:
    held = decide(None, an_event("raised", "r1"), IN_WINDOW, NOW).state
    cleared = decide(held, an_event("cleared", "c1", minute=1), IN_WINDOW, NOW)
    assert results(cleared) == {"c1": "skipped/maintenance_window"}
    assert entries(cleared) == ["maintenance_window"]
    assert cleared.state is not None
    assert (cleared.state.held_raise, cleared.state.held_window, cleared.state.timer_at) == (
        None,
        None,
        None,
    )
    assert fire(cleared.state, IN_WINDOW, AFTER).actions == ()
    # raised again after the window: a ticket as usual
    again = decide(cleared.state, an_event("raised", "r2", minute=2), IN_WINDOW, AFTER)
    assert isinstance(again.actions[0], OpenTicket)


def test_repeat_raises_in_the_window_are_quiet_and_the_latest_is_decided_at_the_end() -> None:
    held = decide(None, an_event("raised", "r1"), IN_WINDOW, NOW).state
    repeat = decide(held, an_event("updated", "u1", minute=1, muted=True), IN_WINDOW, NOW)
    assert results(repeat) == {"u1": "skipped/maintenance_window"}
    assert entries(repeat) == []  # an alert storm during patching does not flood the feed
    ended = fire(repeat.state, IN_WINDOW, END)
    assert results(ended) == {"u1": "skipped/muted"}  # muted meanwhile: no ticket


def test_a_window_that_still_holds_at_the_end_keeps_the_raise_waiting() -> None:
    next_window = {"id": "more", "start": END, "end": END + timedelta(hours=1)}
    chained = a_config(maintenance_windows=[WINDOW, next_window])
    held = decide(None, an_event(), chained, NOW).state
    ended = fire(held, chained, END)
    assert ended.actions == ()
    assert ended.state is not None
    assert (ended.state.held_window, ended.state.timer_at) == ("more", END + timedelta(hours=1))
    assert isinstance(fire(ended.state, chained, END + timedelta(hours=1)).actions[0], OpenTicket)


def test_a_window_removed_early_releases_the_raise_at_the_next_check() -> None:
    held = decide(None, an_event(), IN_WINDOW, NOW).state
    assert isinstance(fire(held, a_config(), NOW).actions[0], OpenTicket)


def test_the_integration_turned_off_during_the_window_skips_at_the_end() -> None:
    held = decide(None, an_event("raised", "r1"), IN_WINDOW, NOW).state
    ended = fire(held, a_config(enabled=False, maintenance_windows=[WINDOW]), END)
    assert results(ended) == {"r1": "skipped/integration_disabled"}


def test_limits_leave_other_alerts_alone() -> None:
    limited = a_config(maintenance_windows=[{**WINDOW, "computers": ["other-mac"]}])
    assert isinstance(decide(None, an_event(), limited, NOW).actions[0], OpenTicket)
    named = a_config(maintenance_windows=[{**WINDOW, "alert_name_pattern": "disk*"}])
    assert results(decide(None, an_event("raised", "r1"), named, NOW)) == {
        "r1": "skipped/maintenance_window"
    }


def test_an_open_ticket_is_not_affected_and_a_reopen_waits_too() -> None:
    state = AlertTicketState(
        company_id="acme", alert_id="a-1", status="open", halo_ticket_id=7, intent_attempts=1
    )
    assert results(decide(state, an_event("raised", "r1"), IN_WINDOW, NOW)) == {
        "r1": "skipped/already_open"
    }
    closed = state.model_copy(update={"status": "closed", "closed_by": "us", "closed_at": NOW})
    reopening = a_config(maintenance_windows=[WINDOW], reopen_window_seconds=3600)
    held = decide(closed, an_event("raised", "r1"), reopening, NOW)
    assert results(held) == {"r1": "skipped/maintenance_window"}
    assert isinstance(fire(held.state, reopening, END).actions[0], ReopenTicket)


def test_with_a_flap_hold_down_the_hold_down_runs_from_the_windows_end() -> None:
    both = a_config(maintenance_windows=[WINDOW], hold_down_seconds=60)
    held = decide(None, an_event(), both, NOW).state
    ended = fire(held, both, END)
    assert ended.actions == ()
    assert ended.state is not None
    assert (ended.state.held_window, ended.state.timer_at) == (None, END + timedelta(seconds=60))
    assert isinstance(fire(ended.state, both, END + timedelta(seconds=60)).actions[0], OpenTicket)


def test_the_held_state_survives_a_json_round_trip() -> None:
    held = decide(None, an_event(), IN_WINDOW, NOW).state
    again = AlertTicketState.model_validate_json(held.model_dump_json())
    assert again == held
    assert isinstance(fire(again, IN_WINDOW, END).actions[0], OpenTicket)


steps = st.lists(
    st.tuples(st.sampled_from(["raise", "clear", "tick"]), st.integers(0, 15)),
    min_size=1,
    max_size=30,
)


@given(steps)
def test_no_ticket_while_a_window_holds_and_a_still_raised_alert_gets_one_after(
    script: list[tuple[str, int]],
) -> None:
    window = {"id": "w", "start": NOW + timedelta(minutes=10), "end": NOW + timedelta(minutes=40)}
    config = a_config(maintenance_windows=[window])
    inside = lambda t: NOW + timedelta(minutes=10) <= t < NOW + timedelta(minutes=40)  # noqa: E731
    state, clock, tickets = None, NOW, 0

    def run(decision, now):
        nonlocal tickets
        for action in decision.actions:
            if isinstance(action, OpenTicket):
                assert not inside(now), "a ticket was decided inside the window"
                tickets += 1
                created = TicketCreated(
                    event_id=action.event_id, intent_key=action.intent_key, halo_ticket_id=tickets
                )
                return evolve(decision.state, created, now).state
        return decision.state

    for n, (step, minutes) in enumerate(script):
        clock += timedelta(minutes=minutes)
        if step == "tick":
            if state is not None and state.timer_at is not None:
                state = run(fire(state, config, clock), clock)  # early or late: both are safe
            continue
        kind = "raised" if step == "raise" else "cleared"
        event = an_event(kind, f"e{n}", minute=int((clock - NOW).total_seconds() // 60) + 60)
        state = run(decide(state, event, config, clock), clock)
    end = max(clock, NOW + timedelta(minutes=40))
    if state is not None and state.timer_at is not None:
        state = run(fire(state, config, end), end)
    if state is not None and state.alert_active and state.last_raised_at is not None:
        assert state.status in ("pending", "open"), state  # still raised: it has its ticket
    if state is not None:
        assert (state.held_raise, state.held_window, state.timer_at) == (None, None, None)

"""Dry run in the lifecycle (SPEC §8): decided and read as in live mode, nothing written."""

from __future__ import annotations

from datetime import timedelta

from core_builders import NOW, a_config, a_warning, an_event
from hypothesis import given, settings
from hypothesis import strategies as st

from streamproc.contracts.outputs import Would
from streamproc.core import (
    AddOccurrenceNote,
    AlertTicketState,
    CloseTicket,
    EmitActivity,
    EmitCommand,
    EmitResult,
    HaloReportsClosed,
    OpenTicket,
    OpenWarningTicket,
    PreviewFailed,
    PreviewTicket,
    PreviewWarningTicket,
    ReopenTicket,
    ResolvePendingTicket,
    TicketCreated,
    TicketPreviewed,
    decide,
    decide_warning,
    evolve,
    evolve_warning,
    fire,
)
from streamproc.core.dryrun import restrain
from streamproc.core.jobs import HaloJob, HaloReply
from streamproc.core.state import Baseline

DRY = a_config(mode="dry_run")
LIVE = a_config()
WRITES = (
    OpenTicket,
    ResolvePendingTicket,
    ReopenTicket,
    CloseTicket,
    AddOccurrenceNote,
    OpenWarningTicket,
    EmitCommand,
)
WOULD = Would(action="create", client_id=10, site_id=20, priority_id=3, routed_by="default_client")


def results(decision) -> list[tuple[str, str]]:
    return [
        (a.result.outcome, a.result.reason) for a in decision.actions if isinstance(a, EmitResult)
    ]


def the_result(decision):
    (result,) = [a.result for a in decision.actions if isinstance(a, EmitResult)]
    return result


def entries(decision) -> list[str]:
    return [a.entry.kind for a in decision.actions if isinstance(a, EmitActivity)]


def previewed(event_id: str = "ev-1", would: Would = WOULD) -> TicketPreviewed:
    return TicketPreviewed(event_id=event_id, would=would)


def open_state(ticket: int = 77) -> AlertTicketState:
    return AlertTicketState(
        company_id="acme",
        alert_id="a-1",
        status="open",
        halo_ticket_id=ticket,
        intent_key="wm-x",
        intent_attempts=1,
        opened_at=NOW - timedelta(hours=1),
        baseline=Baseline(status_id=1),
        last_raised_at=NOW - timedelta(hours=2),
    )


def test_live_is_the_default_and_unchanged() -> None:
    assert LIVE.mode == "live"
    (action,) = decide(None, an_event(), LIVE, NOW).actions
    assert isinstance(action, OpenTicket)


def test_a_raise_in_dry_run_asks_the_owner_to_read_only_and_keeps_no_ticket() -> None:
    decision = decide(None, an_event(), DRY, NOW)
    (action,) = decision.actions
    assert isinstance(action, PreviewTicket)
    assert (action.would, action.event_id, action.alert_id) == ("create", "ev-1", "a-1")
    state = decision.state
    assert state is not None
    assert (state.status, state.intent_key, state.seen("ev-1")) == ("idle", None, False)

    answered = evolve(state, previewed(), NOW)
    result = the_result(answered)
    assert (result.outcome, result.reason, result.halo_ticket_id) == ("skipped", "dry_run", None)
    assert result.would == WOULD
    assert "default client" in result.message
    assert "client 10" in result.message
    assert entries(answered) == ["dry_run"]
    assert not any(isinstance(a, WRITES) for a in answered.actions)  # no mute either
    new = answered.state
    assert new is not None
    assert (new.status, new.halo_ticket_id, new.dry_run_at) == ("idle", None, NOW)
    assert new.seen("ev-1")
    assert evolve(new, previewed(), NOW).actions == ()  # a replayed job's second reply


def test_repeat_raise_and_clear_of_a_dry_run_alert_do_not_pretend_a_ticket() -> None:
    state = evolve(decide(None, an_event(), DRY, NOW).state, previewed(), NOW).state
    again = decide(state, an_event("raised", "ev-2", minute=1), DRY, NOW)
    assert results(again) == [("skipped", "dry_run")]
    assert the_result(again).would is None
    assert entries(again) == []  # no feed flood while an alert repeats
    cleared = decide(again.state, an_event("cleared", "ev-3", minute=2), DRY, NOW)
    assert results(cleared) == [("skipped", "no_ticket")]
    assert "nothing to close" in the_result(cleared).message
    assert cleared.state.dry_run_at is None
    raised = decide(cleared.state, an_event("raised", "ev-4", minute=3), DRY, NOW)
    assert isinstance(raised.actions[0], PreviewTicket)  # a new episode is decided again


def test_switching_to_live_replays_nothing_and_the_next_raise_gets_a_ticket() -> None:
    state = evolve(decide(None, an_event(), DRY, NOW).state, previewed(), NOW).state
    raised = decide(state, an_event("raised", "ev-2", minute=1), LIVE, NOW)
    (action,) = raised.actions
    assert isinstance(action, OpenTicket)
    assert raised.state.status == "pending"
    assert raised.state.dry_run_at is None
    created = evolve(
        raised.state,
        TicketCreated(event_id="ev-2", intent_key=action.intent_key, halo_ticket_id=5),
        NOW,
    )
    assert results(created) == [("created", "ticket_created")]
    other = evolve(decide(None, an_event(alert_id="a-2"), DRY, NOW).state, previewed(), NOW)
    cleared = decide(other.state, an_event("cleared", "ev-9", alert_id="a-2", minute=1), LIVE, NOW)
    assert results(cleared) == [("skipped", "no_ticket")]  # live: nothing to close either


def test_a_clear_of_a_real_open_ticket_says_would_close_and_keeps_it_open() -> None:
    decision = decide(open_state(), an_event("cleared", "ev-c", minute=200), DRY, NOW)
    result = the_result(decision)
    assert (result.reason, result.would.action, result.halo_ticket_id) == ("dry_run", "close", 77)
    assert entries(decision) == ["dry_run"]
    assert not any(isinstance(a, WRITES) for a in decision.actions)
    assert decision.state.status == "open"
    assert not decision.state.alert_active
    never = decide(
        open_state(),
        an_event("cleared", "ev-c", minute=200),
        a_config(**_dry(close_policy="never")),
        NOW,
    )
    assert the_result(never).would.action == "note"


def test_a_repeat_raise_whose_note_is_due_says_would_note() -> None:
    config = a_config(**_dry(repeat_note_interval_seconds=60))
    decision = decide(open_state(), an_event("raised", "ev-r", minute=200), config, NOW)
    result = the_result(decision)
    assert (result.reason, result.would.action, result.halo_ticket_id) == ("dry_run", "note", 77)
    assert decision.state.noted_at == NOW  # the next one is due an interval later, as live
    soon = decide(decision.state, an_event("raised", "ev-s", minute=201), config, NOW)
    assert results(soon) == [("skipped", "already_open")]


def test_a_raise_within_the_reopen_window_previews_a_reopen() -> None:
    closed = open_state().model_copy(
        update={"status": "closed", "closed_at": NOW - timedelta(minutes=5), "closed_by": "us"}
    )
    config = a_config(**_dry(reopen_window_seconds=3600))
    (action,) = decide(closed, an_event("raised", "ev-r", minute=200), config, NOW).actions
    assert isinstance(action, PreviewTicket)
    assert (action.would, action.halo_ticket_id) == ("reopen", 77)
    answer = TicketPreviewed(event_id="ev-r", would=Would(action="reopen"), halo_ticket_id=77)
    result = the_result(evolve(closed, answer, NOW))
    assert (result.would.action, result.halo_ticket_id) == ("reopen", 77)


def test_a_failed_preview_is_a_failed_result_as_live_would_fail() -> None:
    state = decide(None, an_event(), DRY, NOW).state
    failed = PreviewFailed(event_id="ev-1", reason="no_client", message="Set a default client.")
    decision = evolve(state, failed, NOW)
    assert results(decision) == [("failed", "no_client")]
    assert entries(decision) == ["integration_error"]
    assert decision.state.dry_run_at is None
    assert decision.state.seen("ev-1")


def test_hold_down_and_windows_compose_with_dry_run() -> None:
    config = a_config(**_dry(hold_down_seconds=60))
    held = decide(None, an_event(), config, NOW)
    assert results(held) == []  # held by the flap hold-down as in live mode
    fired = fire(held.state, config, NOW + timedelta(seconds=61))
    assert isinstance(fired.actions[0], PreviewTicket)
    clear = decide(open_state(), an_event("cleared", "ev-c", minute=200), config, NOW)
    fired = fire(clear.state, config, NOW + timedelta(seconds=61))
    assert the_result(fired).would.action == "close"


def test_a_manual_warning_in_dry_run_is_previewed_by_the_owner() -> None:
    config = a_config(**_dry(default_priority_id=4, default_tickettype_id=31))
    (action,) = decide_warning(config, a_warning(), NOW).actions
    assert isinstance(action, PreviewWarningTicket)
    assert (action.warning_id, action.event_id) == ("w-1", "ev-w")
    would = Would(action="create", client_id=11, asset_id=41, priority_id=4, routed_by="asset")
    answer = TicketPreviewed(event_id="ev-w", company_id="acme", warning_id="w-1", would=would)
    decision = evolve_warning(answer, NOW)
    result = the_result(decision)
    assert (result.reason, result.warning_id, result.would) == ("dry_run", "w-1", would)
    assert entries(decision) == ["dry_run"]
    assert not any(isinstance(a, WRITES) for a in decision.actions)
    failed = PreviewFailed(
        event_id="ev-w", company_id="acme", warning_id="w-1", reason="no_client", message="m"
    )
    assert results(evolve_warning(failed, NOW)) == [("failed", "no_client")]


def test_restrain_drops_every_write_and_command_in_dry_run_only() -> None:
    pending = decide(None, an_event(), LIVE, NOW).state  # a live create in flight
    intent = pending.intent_key
    created = evolve(
        pending, TicketCreated(event_id="ev-1", intent_key=intent, halo_ticket_id=5), NOW
    )
    assert any(isinstance(a, EmitCommand) for a in created.actions)
    assert restrain(created, LIVE) is created
    kept = restrain(created, DRY)
    assert not any(isinstance(a, WRITES) for a in kept.actions)
    assert results(kept) == [("created", "ticket_created")]  # the ticket exists: say so
    reported = evolve(open_state(), HaloReportsClosed(event_id="sw", halo_ticket_id=77), NOW)
    assert any(isinstance(a, EmitCommand) for a in reported.actions)
    assert not any(isinstance(a, EmitCommand) for a in restrain(reported, DRY).actions)


def test_preview_jobs_and_replies_round_trip_through_the_job_contract() -> None:
    (action,) = decide(None, an_event(), DRY, NOW).actions
    job = HaloJob(job_id="j", company_id="acme", config=DRY, action=action, at=NOW)
    assert HaloJob.model_validate_json(job.model_dump_json()) == job
    for outcome in (previewed(), PreviewFailed(event_id="e", reason="r", message="m")):
        reply = HaloReply(job_id="j", company_id="acme", subject="s", outcome=outcome, at=NOW)
        assert HaloReply.model_validate_json(reply.model_dump_json()) == reply


EVENTS = st.lists(
    st.tuples(st.sampled_from(["raised", "updated", "cleared"]), st.booleans()),
    min_size=1,
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(EVENTS, st.booleans())
def test_no_write_is_ever_decided_in_dry_run(events, start_open) -> None:
    """Any sequence of raises, clears and owner answers in dry run: no Halo write, no mute,
    no ticket in the state that was not there before."""
    config = a_config(**_dry(repeat_note_interval_seconds=1, reopen_window_seconds=600))
    state = open_state() if start_open else None
    for minute, (kind, answered) in enumerate(events, start=200):
        decision = decide(state, an_event(kind, f"e{minute}", minute=minute), config, NOW)
        assert not any(isinstance(a, WRITES) for a in decision.actions)
        state = decision.state
        jobs = [a for a in decision.actions if isinstance(a, PreviewTicket)]
        if jobs and answered:
            decision = evolve(state, previewed(jobs[0].event_id), NOW)
            assert not any(isinstance(a, WRITES) for a in decision.actions)
            state = decision.state
        if not start_open:
            assert state.status == "idle"
            assert state.halo_ticket_id is None


def _dry(**overrides):
    return {"mode": "dry_run", **overrides}

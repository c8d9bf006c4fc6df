"""Ticket policies (SPEC §7): the pure decisions, one scenario each."""

from __future__ import annotations

from datetime import timedelta

from core_builders import NOW, a_config, an_event, at

from streamproc.core import (
    AddOccurrenceNote,
    AlertTicketState,
    CloseTicket,
    EmitResult,
    NoteAdded,
    OpenTicket,
    ReopenTicket,
    ResolvePendingTicket,
    TicketCreated,
    TicketLeftOpen,
    decide,
    evolve,
)
from streamproc.core.outputs import linked
from streamproc.core.policies import (
    ActionFact,
    clear_note,
    close_verdict,
    may_reopen,
    ours,
    touches,
)
from streamproc.core.state import Baseline

OPEN = AlertTicketState(
    company_id="acme",
    alert_id="a-1",
    status="open",
    halo_ticket_id=77,
    intent_key="k1",
    intent_attempts=1,
    last_raised_at=at(0),
    baseline=Baseline(status_id=1, agent_id=0, last_action_id=10),
)
CLOSED = OPEN.model_copy(
    update={"status": "closed", "closed_by": "us", "closed_at": NOW - timedelta(minutes=5)}
)


def test_untouched_when_only_our_notes_and_older_actions() -> None:
    actions = [
        ActionFact(9, "tech note before our create", "Tech"),
        ActionFact(11, clear_note(at(1), "ticket_touched", ()), "API"),
    ]
    assert ours(actions[1])
    assert touches(OPEN.baseline, 1, 0, actions) == ()


def test_each_touch_signal_counts() -> None:
    base = OPEN.baseline
    assert touches(base, 1, 0, [ActionFact(11, "on it", "Ann")]) == ("action by Ann",)
    assert touches(base, 1, 0, [ActionFact(12, "", "Bob", 0.5)]) == ("time entry by Bob",)
    assert touches(base, 2, 0, []) == ("status changed",)
    assert touches(base, 1, 5, []) == ("assignee changed",)


def test_verdict_per_policy() -> None:
    assert close_verdict("always", ("status changed",)) == "close"
    assert close_verdict("untouched_only", ()) == "close"
    assert close_verdict("untouched_only", ("status changed",)) == "ticket_touched"
    assert close_verdict("never", ()) == "close_policy_never"


def test_clear_carries_the_policy_and_baseline() -> None:
    config = a_config(close_policy="untouched_only")
    (action,) = decide(OPEN, an_event("cleared", "e2", minute=3), config, NOW).actions
    assert isinstance(action, CloseTicket)
    assert (action.policy, action.cleared_at, action.baseline) == (
        "untouched_only",
        at(3),
        OPEN.baseline,
    )


def test_left_open_is_a_skip_with_the_reason_and_the_ticket_stays_ours() -> None:
    outcome = TicketLeftOpen(
        event_id="e2", halo_ticket_id=77, reason="ticket_touched", touched=("action by Ann",)
    )
    decision = evolve(OPEN.model_copy(update={"last_cleared_at": at(3)}), outcome, NOW)
    assert decision.state is not None
    assert (decision.state.status, decision.state.close_declined) == ("open", True)
    result = next(a.result for a in decision.actions if isinstance(a, EmitResult))
    assert (result.outcome, result.reason, result.halo_ticket_id) == (
        "skipped",
        "ticket_touched",
        77,
    )
    assert "Ann" in result.message


def test_raise_within_the_window_reopens_outside_it_creates() -> None:
    config = a_config(reopen_window_seconds=600, no_reopen_status_ids=[12])
    decision = decide(CLOSED, an_event("raised", "e3", minute=30), config, NOW)
    (action,) = decision.actions
    assert isinstance(action, ReopenTicket)
    assert (action.halo_ticket_id, action.no_reopen_status_ids) == (77, (12,))
    assert decision.state is not None
    assert (decision.state.status, decision.state.reopen_ticket_id) == ("pending", 77)
    # a redelivery of the raise while pending reopens again (idempotent), never creates
    (again,) = decide(decision.state, an_event("raised", "e4", minute=31), config, NOW).actions
    assert isinstance(again, ReopenTicket)
    assert again.intent_key == action.intent_key
    late = NOW + timedelta(minutes=20)
    (fresh,) = decide(CLOSED, an_event("raised", "e3", minute=30), config, late).actions
    assert isinstance(fresh, OpenTicket)
    off = decide(CLOSED, an_event("raised", "e3", minute=30), a_config(), NOW).actions
    assert isinstance(off[0], OpenTicket)


def test_a_deleted_ticket_is_not_reopened() -> None:
    deleted = CLOSED.model_copy(update={"closed_by": "halo", "closed_how": "deleted"})
    config = a_config(reopen_window_seconds=600)
    (action,) = decide(deleted, an_event("raised", "e3", minute=30), config, NOW).actions
    assert isinstance(action, OpenTicket)


def test_reopened_ticket_is_open_muted_and_reported_as_reopened() -> None:
    config = a_config(reopen_window_seconds=600)
    pending = decide(CLOSED, an_event("raised", "e3", minute=30), config, NOW).state
    assert pending is not None
    assert pending.intent_key is not None
    outcome = TicketCreated(
        event_id="e3", intent_key=pending.intent_key, halo_ticket_id=77, reopened=True
    )
    decision = evolve(pending, outcome, NOW)
    assert decision.state is not None
    assert (decision.state.status, decision.state.reopen_ticket_id) == ("open", None)
    kinds = [a.kind for a in decision.actions]
    assert kinds[0] == "emit_command"
    result = next(a.result for a in decision.actions if isinstance(a, EmitResult))
    assert (result.outcome, result.reason) == ("created", "ticket_reopened")


def test_may_reopen_refuses_wont_fix_statuses_deleted_and_merged() -> None:
    assert may_reopen(9, False, False, [12])
    assert not may_reopen(12, False, False, [12])
    assert not may_reopen(9, True, False, [])
    assert not may_reopen(9, False, True, [])


def test_results_commands_and_activity_carry_the_ticket_url() -> None:
    config = a_config(base_url="https://acme.halopsa.com/api/")
    decision = evolve(
        OPEN.model_copy(update={"status": "pending", "halo_ticket_id": None}),
        TicketCreated(event_id="e1", intent_key="k1", halo_ticket_id=77),
        NOW,
    )
    urls = {
        getattr(linked(a, config), f).halo_ticket_url
        for a in decision.actions
        for f in ("result", "command", "entry")
        if hasattr(a, f)
    }
    assert urls == {"https://acme.halopsa.com/tickets?id=77"}


def test_pending_without_reopen_still_resolves_by_intent() -> None:
    pending = OPEN.model_copy(update={"status": "pending", "halo_ticket_id": None})
    (action,) = decide(pending, an_event("updated", "e2"), a_config(), NOW).actions
    assert isinstance(action, ResolvePendingTicket)


def test_repeat_raises_add_one_note_per_interval_with_the_count() -> None:
    config = a_config(repeat_note_interval_seconds=600)
    opened = OPEN.model_copy(update={"opened_at": NOW - timedelta(minutes=5)})
    first = decide(opened, an_event("raised", "r1", minute=1), config, NOW)
    assert [r.result.reason for r in first.actions if isinstance(r, EmitResult)] == ["already_open"]
    assert first.state is not None
    later = NOW + timedelta(minutes=6)
    second = decide(first.state, an_event("raised", "r2", minute=2), config, later)
    (note,) = second.actions
    assert isinstance(note, AddOccurrenceNote)
    assert (note.halo_ticket_id, note.occurrences) == (77, 2)
    assert second.state is not None
    # redelivered before the note was confirmed: the same note again, not a skip
    (again,) = decide(second.state, an_event("raised", "r2", minute=2), config, later).actions
    assert again == note
    done = evolve(second.state, NoteAdded(event_id="r2", halo_ticket_id=77), later)
    assert done.state is not None
    assert (done.state.repeats, done.state.note_event_id) == (0, None)
    (result,) = done.actions
    assert isinstance(result, EmitResult)
    assert (result.result.reason, result.result.halo_ticket_id) == ("occurrence_noted", 77)
    soon = decide(done.state, an_event("raised", "r3", minute=3), config, later)
    assert not any(isinstance(a, AddOccurrenceNote) for a in soon.actions)


def test_no_occurrence_notes_by_default() -> None:
    decision = decide(OPEN, an_event("raised", "r1", minute=1), a_config(), NOW)
    assert not any(isinstance(a, AddOccurrenceNote) for a in decision.actions)
    assert decision.state is not None
    assert decision.state.repeats == 0

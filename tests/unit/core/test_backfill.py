"""Backfill decisions (SPEC §8): which raised alerts get a ticket, and how progress counts."""

from __future__ import annotations

from datetime import timedelta

from core_builders import NOW, a_config, an_event

from streamproc.core import OpenTicket, TicketCreated, decide, evolve
from streamproc.core import backfill as bf
from streamproc.core.status import empty_status

LIVE = a_config()
OFF = a_config(enabled=False)


def seen(events, config=None):
    """The alert's state after ``events`` were decided as live events (kept raise applied)."""
    state = None
    for event in events:
        state = bf.keep_raise(decide(state, event, config, NOW), event).state
    return state


def test_a_raise_without_integration_is_kept_and_a_candidate():
    raised = an_event("raised", "e1")
    state = seen([raised])
    assert state.unticketed_raise == raised
    assert bf.would_ticket(state)
    assert bf.would_ticket(seen([raised], OFF))


def test_a_clear_drops_the_kept_raise():
    state = seen([an_event("raised", "e1"), an_event("cleared", "e2", minute=1)])
    assert state.unticketed_raise is None
    assert not bf.candidate(state)


def test_a_later_update_replaces_the_kept_raise_and_a_muted_one_would_not_ticket():
    state = seen([an_event("raised", "e1"), an_event("updated", "e2", minute=1, muted=True)])
    assert state.unticketed_raise.event_id == "e2"
    assert bf.candidate(state)
    assert not bf.would_ticket(state)


def test_a_configured_alert_keeps_nothing():
    state = seen([an_event("raised", "e1")], LIVE)
    assert state.status == "pending"
    assert state.unticketed_raise is None


def test_a_duplicate_event_changes_nothing():
    raised = an_event("raised", "e1")
    state = seen([raised])
    decision = decide(state, raised, None, NOW)
    assert bf.keep_raise(decision, raised) is decision


def test_the_backfill_raise_opens_a_ticket_through_the_live_path_once():
    state = seen([an_event("raised", "e1")])
    event = bf.backfill_event(state, "b1")
    assert event.event_id.startswith(bf.PREFIX)
    assert event.event_type == "raised"
    assert bf.backfill_event(state, "b1").event_id == event.event_id  # a replay: same id
    assert bf.backfill_event(state, "b2").event_id != event.event_id
    decision = bf.keep_raise(decide(state, event, LIVE, NOW), event)
    (action,) = decision.actions
    assert isinstance(action, OpenTicket)
    assert decision.state.status == "pending"
    assert not bf.candidate(decision.state)  # pending: a second backfill leaves it alone
    created = TicketCreated(event_id=event.event_id, halo_ticket_id=7, intent_key=action.intent_key)
    opened = evolve(decision.state, created, NOW).state
    assert opened.status == "open"
    assert not bf.candidate(opened)


def test_a_ticket_closed_by_a_technician_is_not_reopened_by_an_update():
    base = seen([an_event("raised", "e1")]).model_copy(
        update={"status": "closed", "closed_by": "halo", "halo_ticket_id": 5}
    )
    updated = an_event("updated", "e2", minute=2)
    state = bf.keep_raise(decide(base, updated, OFF, NOW), updated).state
    assert not bf.candidate(state)
    raised = an_event("raised", "e3", minute=3)
    assert bf.candidate(bf.keep_raise(decide(base, raised, OFF, NOW), raised).state)


def test_preview_lists_with_config_routing_and_caps_the_list():
    states = [seen([an_event("raised", f"e{i}", alert_id=f"a{i}", minute=i)]) for i in range(3)]
    ticketed = seen([an_event("raised", "x", alert_id="t")], LIVE)
    config = a_config(default_priority_id=4, default_tickettype_id=9)
    answer = bf.preview("acme", [*states, ticketed], config, NOW, limit=2)
    assert answer["count"] == 3
    assert answer["truncated"] is True
    assert answer["already_ticketed"] == 1
    assert [a["alert_id"] for a in answer["alerts"]] == ["a0", "a1"]
    item = answer["alerts"][0]
    assert item["computer"] == "MacBook"
    assert item["alert_name"] == "Disk space low"
    assert item["would"]["action"] == "create"
    assert (item["would"]["client_id"], item["would"]["site_id"]) == (10, 20)
    assert (item["would"]["priority_id"], item["would"]["tickettype_id"]) == (4, 9)
    assert item["would"]["looked_up_at_create"] == ["asset_id", "user_id"]


def test_progress_counts_to_done():
    status = bf.started(empty_status(), "b1", 3, NOW)
    assert status["backfill"]["state"] == "running"
    assert status["counters"]
    status, done = bf.counted(status, ["created", "skipped"], NOW)
    assert not done
    assert status["backfill"]["created"] == 1
    later = NOW + timedelta(seconds=5)
    status, done = bf.counted(status, ["failed"], later)
    assert done
    assert status["backfill"]["state"] == "done"
    assert status["backfill"]["finished_at"] == later.isoformat()
    assert "1 ticket(s) created" in bf.summary(status["backfill"])
    again, done = bf.counted(status, ["created"], later)  # a late result: not counted
    assert again == status
    assert not done


def test_an_empty_backfill_is_done_at_once():
    progress = bf.started(None, "b1", 0, NOW)["backfill"]
    assert progress["state"] == "done"
    assert progress["finished_at"] is not None


def test_a_pending_kept_raise_is_re_driven_under_its_intent_key():
    state = seen([an_event("raised", "e1")])
    event = bf.backfill_event(state, "b1")
    pending = bf.keep_raise(decide(state, event, LIVE, NOW), event).state
    assert bf.left_pending(pending)
    assert not bf.would_ticket(pending)
    again = decide(pending, bf.backfill_event(pending, "b1"), LIVE, NOW)
    (action,) = again.actions
    assert action.kind == "resolve_pending_ticket"
    assert action.intent_key == pending.intent_key

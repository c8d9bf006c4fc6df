"""AlertTicketState: JSON round trip, intent keys, helpers."""

from __future__ import annotations

from core_builders import NOW, at

from streamproc.core import AlertTicketState, intent_key, needs_close, state_key, warning_intent_key


def test_state_round_trips_through_json() -> None:
    state = AlertTicketState(
        company_id="acme",
        alert_id="a-1",
        status="open",
        halo_ticket_id=5,
        intent_key="k",
        intent_attempts=2,
        opened_at=NOW,
        last_raised_at=at(1),
        recent_event_ids=("e1", "e2"),
    )
    assert AlertTicketState.model_validate_json(state.model_dump_json()) == state


def test_intent_key_is_deterministic_short_and_distinct() -> None:
    key = intent_key("acme", "a-1", 1)
    assert key == intent_key("acme", "a-1", 1)
    assert len(key) == 35
    assert key.startswith("wm-")
    assert len(intent_key("x" * 200, "y" * 200, 10**9)) == 35
    keys = {intent_key("acme", "a-1", n) for n in range(1, 50)}
    keys |= {intent_key("acme-a", "1", 1), intent_key("acme", "a-2", 1)}
    assert len(keys) == 51
    assert not any(a != b and a in b for a in keys for b in keys)
    assert warning_intent_key("acme", "a-1") not in keys


def test_state_key_is_unambiguous() -> None:
    assert state_key("a/b", "c") != state_key("a", "b/c")


def test_needs_close_only_for_open_ticket_of_cleared_alert() -> None:
    base = AlertTicketState(
        company_id="c", alert_id="a", status="open", halo_ticket_id=1, last_raised_at=at(0)
    )
    assert not needs_close(base)
    assert needs_close(base.model_copy(update={"last_cleared_at": at(1)}))
    assert not needs_close(base.model_copy(update={"status": "closed", "last_cleared_at": at(1)}))

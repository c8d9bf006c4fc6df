"""Table-driven rules of decide(state, event, config, now)."""

from __future__ import annotations

from typing import Any

import pytest
from core_builders import NOW, a_config, an_event, at

from streamproc.contracts import AlertEvent, IntegrationConfig
from streamproc.core import (
    AlertTicketState,
    CloseTicket,
    EmitActivity,
    EmitResult,
    OpenTicket,
    ResolvePendingTicket,
    decide,
    intent_key,
)

K1 = intent_key("acme", "a-1", 1)


def state(**fields: Any) -> AlertTicketState:
    return AlertTicketState(company_id="acme", alert_id="a-1", **fields)


PENDING = state(status="pending", intent_key=K1, intent_attempts=1, last_raised_at=at(0))
OPEN = state(
    status="open", halo_ticket_id=77, intent_key=K1, intent_attempts=1, last_raised_at=at(0)
)
CLOSED_BY_US = OPEN.model_copy(
    update={"status": "closed", "closed_by": "us", "closed_at": NOW, "last_cleared_at": at(5)}
)
CLOSED_BY_HALO = OPEN.model_copy(update={"status": "closed", "closed_by": "halo", "closed_at": NOW})
CLOSED_BY_HALO_THEN_CLEARED = CLOSED_BY_HALO.model_copy(update={"last_cleared_at": at(5)})
CLEARED_FIRST = state(last_cleared_at=at(5))
CONFIG = a_config()
DISABLED = a_config(enabled=False)

ROWS: list[tuple[str, AlertTicketState | None, AlertEvent, IntegrationConfig | None, str, str]] = [
    # name, state, event, config, expected reason, expected status
    ("first raise opens", None, an_event(), CONFIG, "open_ticket", "pending"),
    ("update with no ticket opens", None, an_event("updated"), CONFIG, "open_ticket", "pending"),
    ("not configured", None, an_event(), None, "integration_not_configured", "idle"),
    ("disabled", None, an_event(), DISABLED, "integration_disabled", "idle"),
    ("hidden", None, an_event(visible=False), CONFIG, "not_visible", "idle"),
    ("muted by someone else", None, an_event(muted=True), CONFIG, "muted", "idle"),
    (
        "muted by us while open",
        OPEN,
        an_event("updated", "e2", minute=1, muted=True),
        CONFIG,
        "already_open",
        "open",
    ),
    ("raise while open", OPEN, an_event("raised", "e2", minute=1), CONFIG, "already_open", "open"),
    (
        "raise while open, disabled",
        OPEN,
        an_event("raised", "e2"),
        DISABLED,
        "already_open",
        "open",
    ),
    (
        "raise while pending",
        PENDING,
        an_event("raised", "e2", minute=1),
        CONFIG,
        "resolve_pending",
        "pending",
    ),
    ("redelivered raise while pending", PENDING, an_event(), CONFIG, "resolve_pending", "pending"),
    (
        "pending but disabled",
        PENDING,
        an_event("updated", "e2"),
        DISABLED,
        "integration_disabled",
        "pending",
    ),
    (
        "raise after we closed",
        CLOSED_BY_US,
        an_event("raised", "e3", minute=6),
        CONFIG,
        "open_ticket",
        "pending",
    ),
    (
        "update after we closed",
        CLOSED_BY_US,
        an_event("updated", "e3", minute=6),
        CONFIG,
        "open_ticket",
        "pending",
    ),
    (
        "raise after technician closed",
        CLOSED_BY_HALO,
        an_event("raised", "e3", minute=6),
        CONFIG,
        "open_ticket",
        "pending",
    ),
    (
        "update after technician closed",
        CLOSED_BY_HALO,
        an_event("updated", "e3", minute=6),
        CONFIG,
        "ticket_closed_in_halo",
        "closed",
    ),
    (
        "update after technician closed and alert cleared",
        CLOSED_BY_HALO_THEN_CLEARED,
        an_event("updated", "e3", minute=6),
        CONFIG,
        "open_ticket",
        "pending",
    ),
    (
        "raise older than clear",
        CLEARED_FIRST,
        an_event("raised", "e3", minute=4),
        CONFIG,
        "stale_event",
        "idle",
    ),
    (
        "raise at clear time",
        CLEARED_FIRST,
        an_event("raised", "e3", minute=5),
        CONFIG,
        "stale_event",
        "idle",
    ),
    (
        "raise newer than clear",
        CLEARED_FIRST,
        an_event("raised", "e3", minute=6),
        CONFIG,
        "open_ticket",
        "pending",
    ),
    ("clear while open", OPEN, an_event("cleared", "e2", minute=3), CONFIG, "close_ticket", "open"),
    (
        "resolve while open",
        OPEN,
        an_event("resolved", "e2", minute=3),
        CONFIG,
        "close_ticket",
        "open",
    ),
    (
        "clear while open, disabled",
        OPEN,
        an_event("cleared", "e2", minute=3),
        DISABLED,
        "integration_disabled",
        "open",
    ),
    (
        "clear while open, config removed",
        OPEN,
        an_event("cleared", "e2", minute=3),
        None,
        "integration_not_configured",
        "open",
    ),
    (
        "clear older than raise",
        OPEN,
        an_event("cleared", "e2", minute=-1),
        CONFIG,
        "stale_event",
        "open",
    ),
    ("clear with no ticket", None, an_event("cleared"), CONFIG, "no_ticket", "idle"),
    (
        "clear while pending",
        PENDING,
        an_event("cleared", "e2", minute=1),
        CONFIG,
        "ticket_pending",
        "pending",
    ),
    (
        "clear after close",
        CLOSED_BY_HALO,
        an_event("cleared", "e2", minute=1),
        CONFIG,
        "already_closed",
        "closed",
    ),
]


@pytest.mark.parametrize(
    ("current", "event", "config", "reason", "status"),
    [row[1:] for row in ROWS],
    ids=[row[0] for row in ROWS],
)
def test_rule(
    current: AlertTicketState | None,
    event: AlertEvent,
    config: IntegrationConfig | None,
    reason: str,
    status: str,
) -> None:
    decision = decide(current, event, config, NOW)
    assert decision.reasons == (reason,)
    assert decision.state is not None
    assert decision.state.status == status
    results = [a.result for a in decision.actions if isinstance(a, EmitResult)]
    if reason in {"open_ticket", "resolve_pending", "close_ticket"}:
        assert results == []
        assert event.event_id not in decision.state.recent_event_ids
    else:
        assert [(r.outcome, r.reason, r.event_id) for r in results] == [
            ("skipped", reason, event.event_id)
        ]
        assert event.event_id in decision.state.recent_event_ids


def test_open_ticket_action_carries_intent_and_source() -> None:
    decision = decide(None, an_event(), CONFIG, NOW)
    (action,) = decision.actions
    assert isinstance(action, OpenTicket)
    assert decision.state is not None
    assert action.intent_key == K1 == decision.state.intent_key
    assert (action.company_id, action.alert_id, action.event_id) == ("acme", "a-1", "ev-1")
    assert action.source.alert.name == "Disk space low"


def test_new_ticket_after_close_uses_a_new_intent_key() -> None:
    decision = decide(CLOSED_BY_US, an_event("raised", "e3", minute=6), CONFIG, NOW)
    (action,) = decision.actions
    assert isinstance(action, OpenTicket)
    assert action.intent_key == intent_key("acme", "a-1", 2) != K1
    assert decision.state is not None
    assert decision.state.halo_ticket_id is None


def test_pending_reissues_the_same_intent_key() -> None:
    (action,) = decide(PENDING, an_event("updated", "e2"), CONFIG, NOW).actions
    assert isinstance(action, ResolvePendingTicket)
    assert action.intent_key == K1


def test_clear_while_open_closes_our_ticket() -> None:
    (action,) = decide(OPEN, an_event("cleared", "e2", minute=3), CONFIG, NOW).actions
    assert action == CloseTicket(
        company_id="acme", alert_id="a-1", halo_ticket_id=77, event_id="e2", cleared_at=at(3)
    )


def test_clear_is_recorded_for_out_of_order_raise() -> None:
    decision = decide(None, an_event("cleared", "e0", minute=5), CONFIG, NOW)
    assert decision.state is not None
    assert decision.state.last_cleared_at == at(5)
    later = decide(decision.state, an_event("raised", "e1", minute=2), CONFIG, NOW)
    assert later.reasons == ("stale_event",)


def test_duplicate_event_has_no_actions() -> None:
    first = decide(None, an_event(visible=False), CONFIG, NOW)
    again = decide(first.state, an_event(visible=False), CONFIG, NOW)
    assert again == type(again)(first.state, (), ("duplicate_event",))


def test_routine_skips_have_no_activity_but_noteworthy_ones_do() -> None:
    quiet = decide(OPEN, an_event("raised", "e2", minute=1), CONFIG, NOW)
    assert not any(isinstance(a, EmitActivity) for a in quiet.actions)
    loud = decide(None, an_event(muted=True), CONFIG, NOW)
    (entry,) = [a.entry for a in loud.actions if isinstance(a, EmitActivity)]
    assert (entry.level, entry.kind, entry.alert_id) == ("info", "skipped", "a-1")
    assert "Unmute it" in entry.message


def test_recent_event_ids_are_bounded() -> None:
    current = OPEN
    for i in range(100):
        current = decide(current, an_event("updated", f"u{i}", minute=1), CONFIG, NOW).state
        assert current is not None
    assert len(current.recent_event_ids) == 64
    assert current.recent_event_ids[-1] == "u99"


def test_state_for_another_alert_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="different company/alert"):
        decide(OPEN, an_event(alert_id="other"), CONFIG, NOW)

"""Rules of evolve(state, outcome, now): what Halo's answers do to the ticket state."""

from __future__ import annotations

from core_builders import NOW, a_config, an_event, at

from streamproc.core import (
    AlertTicketState,
    CloseTicket,
    EmitActivity,
    EmitCommand,
    EmitResult,
    HaloReportsClosed,
    RouteWarning,
    TicketAlreadyClosed,
    TicketClosedByUs,
    TicketCloseFailed,
    TicketCreated,
    TicketCreateFailed,
    decide,
    evolve,
    intent_key,
)
from streamproc.core.decision import Decision

K1 = intent_key("acme", "a-1", 1)
PENDING = AlertTicketState(
    company_id="acme",
    alert_id="a-1",
    status="pending",
    intent_key=K1,
    intent_attempts=1,
    last_raised_at=at(0),
)
OPEN = PENDING.model_copy(update={"status": "open", "halo_ticket_id": 77, "opened_at": NOW})
CLEARING = OPEN.model_copy(update={"last_cleared_at": at(5)})


def kinds(decision: Decision) -> list[str]:
    return [a.kind for a in decision.actions]


def results(decision: Decision) -> list[tuple[str, str]]:
    return [
        (a.result.outcome, a.result.reason) for a in decision.actions if isinstance(a, EmitResult)
    ]


def commands(decision: Decision) -> list[tuple[str, str, int]]:
    return [
        (a.command.command, a.command.reason, a.command.halo_ticket_id)
        for a in decision.actions
        if isinstance(a, EmitCommand)
    ]


def activities(decision: Decision) -> list[tuple[str, str]]:
    return [(a.entry.level, a.entry.kind) for a in decision.actions if isinstance(a, EmitActivity)]


def test_created_opens_mutes_and_reports() -> None:
    decision = evolve(
        PENDING, TicketCreated(event_id="ev-1", intent_key=K1, halo_ticket_id=77), NOW
    )
    assert decision.state is not None
    assert (decision.state.status, decision.state.halo_ticket_id) == ("open", 77)
    assert decision.state.opened_at == NOW
    assert "ev-1" in decision.state.recent_event_ids
    assert commands(decision) == [("mute", "ticket_open", 77)]
    assert results(decision) == [("created", "ticket_created")]
    assert activities(decision) == [("info", "ticket_created")]
    assert decision.actions[0].kind == "emit_command"


def test_created_with_routing_warning_reports_it() -> None:
    warning = RouteWarning("serial_matching_broken", "Serial matching is not working")
    decision = evolve(
        PENDING,
        TicketCreated(event_id="ev-1", intent_key=K1, halo_ticket_id=77, warnings=(warning,)),
        NOW,
    )
    assert activities(decision) == [
        ("info", "ticket_created"),
        ("warning", "serial_matching_broken"),
    ]
    ids = [a.entry.id for a in decision.actions if isinstance(a, EmitActivity)]
    assert len(set(ids)) == 2


def test_recovered_ticket_is_reported_as_such() -> None:
    decision = evolve(
        PENDING,
        TicketCreated(event_id="e2", intent_key=K1, halo_ticket_id=77, recovered=True),
        NOW,
    )
    assert results(decision) == [("created", "ticket_recovered")]


def test_created_after_clear_closes_at_once_without_mute() -> None:
    cleared = PENDING.model_copy(update={"last_cleared_at": at(5)})
    decision = evolve(
        cleared, TicketCreated(event_id="ev-1", intent_key=K1, halo_ticket_id=77), NOW
    )
    assert commands(decision) == []
    assert (
        CloseTicket(company_id="acme", alert_id="a-1", halo_ticket_id=77, event_id="ev-1")
        in decision.actions
    )


def test_create_failed_returns_to_idle() -> None:
    decision = evolve(
        PENDING,
        TicketCreateFailed(
            event_id="ev-1",
            intent_key=K1,
            reason="credentials_rejected",
            message="Halo rejected the Client ID/Secret.",
        ),
        NOW,
    )
    assert decision.state is not None
    assert (decision.state.status, decision.state.intent_key) == ("idle", None)
    assert results(decision) == [("failed", "credentials_rejected")]
    assert activities(decision) == [("error", "integration_error")]
    retry = decide(decision.state, an_event("updated", "e2", minute=1), a_config(), NOW)
    assert retry.reasons == ("open_ticket",)
    assert retry.state is not None
    assert retry.state.intent_key == intent_key("acme", "a-1", 2)


def test_ambiguous_create_failure_stays_pending() -> None:
    decision = evolve(
        PENDING,
        TicketCreateFailed(
            event_id="ev-1",
            intent_key=K1,
            reason="halo_timeout",
            message="timed out",
            retriable=True,
            ambiguous=True,
        ),
        NOW,
    )
    assert decision.state is not None
    assert decision.state.status == "pending"
    assert decision.state.intent_key == K1
    again = decide(decision.state, an_event("updated", "e2"), a_config(), NOW)
    assert again.reasons == ("resolve_pending",)


def test_closed_by_us_closes_without_unmute() -> None:
    decision = evolve(CLEARING, TicketClosedByUs(event_id="e2", halo_ticket_id=77), NOW)
    assert decision.state is not None
    assert (decision.state.status, decision.state.closed_by) == ("closed", "us")
    assert commands(decision) == []
    assert results(decision) == [("closed", "ticket_closed")]
    assert activities(decision) == [("info", "ticket_closed")]


def test_already_closed_is_a_skip() -> None:
    decision = evolve(CLEARING, TicketAlreadyClosed(event_id="e2", halo_ticket_id=77), NOW)
    assert decision.state is not None
    assert (decision.state.status, decision.state.closed_by) == ("closed", "halo")
    assert results(decision) == [("skipped", "already_closed")]
    assert commands(decision) == []


def test_close_failed_keeps_ticket_open() -> None:
    decision = evolve(
        CLEARING,
        TicketCloseFailed(
            event_id="e2", halo_ticket_id=77, reason="permission_denied", message="no permission"
        ),
        NOW,
    )
    assert decision.state is not None
    assert decision.state.status == "open"
    assert results(decision) == [("failed", "permission_denied")]
    assert activities(decision) == [("error", "integration_error")]


def test_technician_close_unmutes_active_alert() -> None:
    decision = evolve(OPEN, HaloReportsClosed(event_id="sweep-1", halo_ticket_id=77), NOW)
    assert decision.state is not None
    assert (decision.state.status, decision.state.closed_by) == ("closed", "halo")
    assert commands(decision) == [("unmute", "ticket_closed_in_halo", 77)]
    assert results(decision) == []
    assert activities(decision) == [("info", "ticket_closed")]


def test_ticket_deleted_in_halo() -> None:
    decision = evolve(OPEN, HaloReportsClosed(event_id="s", halo_ticket_id=77, how="deleted"), NOW)
    assert commands(decision) == [("unmute", "ticket_deleted_in_halo", 77)]


def test_halo_close_after_alert_cleared_does_not_unmute() -> None:
    decision = evolve(CLEARING, HaloReportsClosed(event_id="s", halo_ticket_id=77), NOW)
    assert commands(decision) == []


def test_stale_outcomes_change_nothing() -> None:
    other = intent_key("acme", "a-1", 9)
    for current, outcome in [
        (OPEN, HaloReportsClosed(event_id="s", halo_ticket_id=78)),
        (PENDING, TicketClosedByUs(event_id="s", halo_ticket_id=77)),
        (OPEN, TicketCreateFailed(event_id="s", intent_key=K1, reason="x", message="m")),
        (PENDING, TicketCreateFailed(event_id="s", intent_key=other, reason="x", message="m")),
    ]:
        assert evolve(current, outcome, NOW) == Decision(current, (), ("stale_outcome",))


def test_stale_created_warns_about_a_possible_duplicate() -> None:
    decision = evolve(OPEN, TicketCreated(event_id="s", intent_key=K1, halo_ticket_id=99), NOW)
    assert decision.state == OPEN
    assert activities(decision) == [("warning", "possible_duplicate_ticket")]


def test_outputs_are_deterministic() -> None:
    outcome = TicketCreated(event_id="ev-1", intent_key=K1, halo_ticket_id=77)
    assert evolve(PENDING, outcome, NOW) == evolve(PENDING, outcome, NOW)

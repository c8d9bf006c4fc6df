"""Manual warnings: decide_warning and evolve_warning."""

from __future__ import annotations

from core_builders import NOW, a_config, a_warning

from streamproc.core import (
    EmitActivity,
    EmitResult,
    OpenWarningTicket,
    RouteWarning,
    WarningTicketCreated,
    WarningTicketFailed,
    decide_warning,
    evolve_warning,
    warning_intent_key,
)


def test_enabled_config_opens_a_ticket_with_a_stable_key() -> None:
    decision = decide_warning(a_config(), a_warning(), NOW)
    (action,) = decision.actions
    assert isinstance(action, OpenWarningTicket)
    assert action.intent_key == warning_intent_key("acme", "w-1")
    assert (action.warning_id, action.event_id) == ("w-1", "ev-w")
    assert decision.state is None
    assert decision.reasons == ("open_ticket",)


def test_not_configured_or_disabled_is_skipped() -> None:
    quiet = decide_warning(None, a_warning(), NOW)
    assert [a.kind for a in quiet.actions] == ["emit_result"]
    disabled = decide_warning(a_config(enabled=False), a_warning(), NOW)
    result = disabled.actions[0]
    assert isinstance(result, EmitResult)
    assert (result.result.outcome, result.result.reason) == ("skipped", "integration_disabled")
    assert result.result.warning_id == "w-1"
    assert result.result.alert_id is None
    assert isinstance(disabled.actions[1], EmitActivity)


def test_created_and_failed_outcomes() -> None:
    created = evolve_warning(
        WarningTicketCreated(
            event_id="ev-w",
            company_id="acme",
            warning_id="w-1",
            halo_ticket_id=9,
            warnings=(RouteWarning("serial_matching_broken", "fix it"),),
        ),
        NOW,
    )
    assert [a.kind for a in created.actions] == ["emit_result", "emit_activity", "emit_activity"]
    first = created.actions[0]
    assert isinstance(first, EmitResult)
    assert first.result.halo_ticket_id == 9
    failed = evolve_warning(
        WarningTicketFailed(
            event_id="ev-w",
            company_id="acme",
            warning_id="w-1",
            reason="no_client",
            message="Set a default client.",
        ),
        NOW,
    )
    result = failed.actions[0]
    assert isinstance(result, EmitResult)
    assert (result.result.outcome, result.result.reason) == ("failed", "no_client")
    assert "Set a default client." in result.result.message

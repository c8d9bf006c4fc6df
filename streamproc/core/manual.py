"""Manual warnings: every warning becomes one Halo ticket, with no lifecycle to track.

There is no per-warning state: idempotency comes from the intent key (derived from company and
warning id), which the shell looks up in Halo before creating, so a redelivered warning finds
its ticket instead of creating a second one.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from streamproc.contracts import IntegrationConfig, ManualWarning
from streamproc.core import outputs
from streamproc.core.actions import (
    Action,
    OpenWarningTicket,
    WarningOutcome,
    WarningTicketCreated,
    WarningTicketFailed,
)
from streamproc.core.decision import Decision, skip_message
from streamproc.core.dryrun import REASON, describe, dry, with_would
from streamproc.core.lifecycle import config_problem
from streamproc.core.previews import (
    PreviewFailed,
    PreviewOutcome,
    PreviewWarningTicket,
    TicketPreviewed,
)
from streamproc.core.state import INTENT_PREFIX, state_key


def warning_key(company_id: str, warning_id: str) -> bytes:
    """The table key under which a manual warning's handled event ids are kept."""
    return state_key(company_id, f"\x00warning/{warning_id}").encode()


def warning_intent_key(company_id: str, warning_id: str) -> str:
    """Idempotency key (Halo ``supplier_reference``) for a manual warning's ticket; 35 chars."""
    material = f"warning\x1f{company_id}\x1f{warning_id}".encode()
    return INTENT_PREFIX + hashlib.sha256(material).hexdigest()[:32]


def decide_warning(
    config: IntegrationConfig | None, warning: ManualWarning, now: datetime
) -> Decision:
    """Decide what to do with a manual warning: open its ticket, or skip when not usable.

    Returns a :class:`Decision` with ``state=None``: either one :class:`OpenWarningTicket`, or a
    ``skipped`` result (``integration_not_configured`` / ``integration_disabled``) plus
    activity; in dry run one :class:`~streamproc.core.previews.PreviewWarningTicket`.
    """
    problem = config_problem(config)
    if problem is None and dry(config):
        return preview_warning(warning)
    if problem is None:
        action = OpenWarningTicket(
            company_id=warning.company_id,
            warning_id=warning.warning.id,
            intent_key=warning_intent_key(warning.company_id, warning.warning.id),
            event_id=warning.event_id,
            source=warning,
        )
        return Decision(None, (action,), ("open_ticket",))
    message = skip_message(problem, None)
    actions: list[Action] = [
        outputs.result(
            event_id=warning.event_id,
            company_id=warning.company_id,
            warning_id=warning.warning.id,
            outcome="skipped",
            reason=problem,
            message=message,
            now=now,
        )
    ]
    if problem != "integration_not_configured":  # a technician asked for this ticket: say why not
        text = f"Manual warning {warning.warning.title!r}: {message}"
        actions.append(
            outputs.activity(
                "info",
                "skipped",
                text,
                company_id=warning.company_id,
                event_id=warning.event_id,
                now=now,
            )
        )
    return Decision(None, tuple(actions), (problem,))


def evolve_warning(outcome: WarningOutcome | PreviewOutcome, now: datetime) -> Decision:
    """Turn the shell's report on a warning ticket (or its dry-run preview) into a result and
    activity entries."""
    if not isinstance(outcome, WarningTicketCreated | WarningTicketFailed):
        return warning_previewed(outcome, now)
    ids = {"company_id": outcome.company_id, "event_id": outcome.event_id, "now": now}
    if isinstance(outcome, WarningTicketCreated):
        ticket = outcome.halo_ticket_id
        verb = "Found the existing" if outcome.recovered else "Created"
        reason = "ticket_recovered" if outcome.recovered else "ticket_created"
        text = f"{verb} Halo ticket #{ticket} for manual warning {outcome.warning_id!r}."
        actions: list[Action] = [
            outputs.result(
                warning_id=outcome.warning_id,
                outcome="created",
                reason=reason,
                message=text,
                halo_ticket_id=ticket,
                **ids,
            ),
            outputs.activity("info", "ticket_created", text, halo_ticket_id=ticket, **ids),
        ]
        actions += [
            outputs.activity(
                "warning", w.kind, w.message, halo_ticket_id=ticket, index=index, **ids
            )
            for index, w in enumerate(outcome.warnings)
        ]
        return Decision(None, tuple(actions), (reason,))
    text = f"Could not create a Halo ticket for manual warning {outcome.warning_id!r}:"
    text += f" {outcome.message}"
    return Decision(
        None,
        (
            outputs.result(
                warning_id=outcome.warning_id,
                outcome="failed",
                reason=outcome.reason,
                message=text,
                **ids,
            ),
            outputs.activity("error", "integration_error", text, **ids),
        ),
        (outcome.reason,),
    )


def preview_warning(warning: ManualWarning) -> Decision:
    """A manual warning in dry run: the owner reads its routing, writes nothing."""
    action = PreviewWarningTicket(
        company_id=warning.company_id,
        warning_id=warning.warning.id,
        event_id=warning.event_id,
        source=warning,
    )
    return Decision(None, (action,), ("preview_ticket",))


def warning_previewed(outcome: TicketPreviewed | PreviewFailed, now: datetime) -> Decision:
    """The owner's answer to a :class:`PreviewWarningTicket`: its result and activity."""
    assert outcome.company_id is not None
    assert outcome.warning_id is not None
    ids = {"company_id": outcome.company_id, "event_id": outcome.event_id, "now": now}
    subject = f"manual warning {outcome.warning_id!r}"
    if isinstance(outcome, PreviewFailed):
        text = f"Dry run: live mode could not create a Halo ticket for {subject}:"
        text += f" {outcome.message}"
        failed = outputs.result(
            warning_id=outcome.warning_id,
            outcome="failed",
            reason=outcome.reason,
            message=text,
            **ids,
        )
        entry = outputs.activity("error", "integration_error", text, **ids)
        return Decision(None, (failed, entry), (outcome.reason,))
    text = f"Dry run, {subject}: {describe(outcome.would, None, outcome.matrix_entry)}"
    text += " Nothing was written to Halo."
    record = outputs.result(
        warning_id=outcome.warning_id, outcome="skipped", reason=REASON, message=text, **ids
    )
    actions: list[Action] = [with_would(record, outcome.would)]
    actions.append(outputs.activity("info", REASON, text, **ids))
    actions += [
        outputs.activity("warning", w.kind, w.message, index=index, **ids)
        for index, w in enumerate(outcome.warnings)
    ]
    return Decision(None, tuple(actions), (REASON,))

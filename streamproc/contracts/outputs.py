"""Records streamproc publishes: ticket results, alert commands and activity entries.

Topics: ``halopsa.ticket-results`` (:class:`TicketResult`), ``watchman.alert-commands``
(:class:`AlertCommand`) and ``watchman.activity-feed`` (:class:`ActivityEntry`), all keyed by
company id. Unknown fields are rejected.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, StringConstraints, model_validator

from streamproc.contracts._base import HaloId, Id, OutputModel, OutputPart, Text, Timestamp, Word

TicketUrl = Annotated[str, StringConstraints(max_length=2100, pattern=r"^https?://")]
_URL_DOC = "The ticket's agent view on the company's Halo instance (SPEC §7), when there is one."

Outcome = Literal["created", "closed", "skipped", "failed"]
CommandName = Literal["mute", "unmute"]
Level = Literal["info", "warning", "error"]


WouldAction = Literal["create", "close", "reopen", "note"]
Routing = Literal["asset", "reference_email", "default_client"]


class Would(OutputPart):
    """What live mode would have written to Halo, for a result of a dry run (SPEC §8)."""

    action: WouldAction = Field(description="create | close | reopen | note.")
    client_id: HaloId | None = Field(default=None, description="Halo client of the ticket.")
    site_id: HaloId | None = Field(default=None, description="Halo site of the ticket.")
    asset_id: HaloId | None = Field(default=None, description="Halo asset linked to the ticket.")
    user_id: HaloId | None = Field(default=None, description="Requester (Halo user).")
    priority_id: HaloId | None = Field(default=None, description="Halo priority.")
    tickettype_id: HaloId | None = Field(default=None, description="Halo ticket type.")
    routed_by: Routing | None = Field(
        default=None,
        description="For a create: what chose the client (a matched asset, the reference email's"
        " user, or the company's default client because nothing matched).",
    )


class TicketResult(OutputModel):
    """What happened to one input event: exactly one result per handled alert or warning event.

    Exactly one of ``alert_id`` and ``warning_id`` is set.
    """

    event_id: Id = Field(description="event_id of the input event this result is for.")
    company_id: Id = Field(description="Watchman company id.")
    alert_id: Id | None = Field(default=None, description="Alert id, for alert events.")
    warning_id: Id | None = Field(default=None, description="Warning id, for manual warnings.")
    outcome: Outcome = Field(description="created | closed | skipped | failed.")
    reason: Word = Field(
        description="Machine word, e.g. ticket_created, already_open, not_visible, muted, "
        "integration_disabled, already_closed, credentials_rejected."
    )
    message: Text = Field(description="Human-readable explanation.")
    halo_ticket_id: HaloId | None = Field(default=None, description="Halo ticket id, if any.")
    halo_ticket_url: TicketUrl | None = Field(default=None, description=_URL_DOC)
    would: Would | None = Field(
        default=None,
        description="Dry run (SPEC §8, reason dry_run): what live mode would have done in Halo.",
    )
    at: Timestamp = Field(description="When the result was decided.")

    @model_validator(mode="after")
    def _one_subject(self) -> Self:
        if (self.alert_id is None) == (self.warning_id is None):
            raise ValueError("exactly one of alert_id and warning_id must be set")
        return self


class AlertCommand(OutputModel):
    """Ask Watchman to mute an alert (while its ticket is open) or unmute it."""

    command: CommandName = Field(description="mute | unmute.")
    company_id: Id = Field(description="Watchman company id.")
    alert_id: Id = Field(description="Alert to mute or unmute.")
    halo_ticket_id: HaloId = Field(description="The Halo ticket the command is about.")
    halo_ticket_url: TicketUrl | None = Field(default=None, description=_URL_DOC)
    reason: Word = Field(description="Machine word, e.g. ticket_open, ticket_closed_in_halo.")
    at: Timestamp = Field(description="When the command was decided.")


class ActivityEntry(OutputModel):
    """A human-readable line for the company's activity feed."""

    id: Id = Field(description="Unique, deterministic id of the entry (safe to deduplicate on).")
    company_id: Id = Field(description="Watchman company id.")
    at: Timestamp = Field(description="When it happened.")
    level: Level = Field(description="info | warning | error.")
    kind: Word = Field(
        description="Machine word, e.g. ticket_created, ticket_closed, skipped, "
        "integration_error, serial_matching_broken, config_changed."
    )
    message: Text = Field(description="What happened and, when something is wrong, what to do.")
    alert_id: Id | None = Field(default=None, description="Alert concerned, if any.")
    halo_ticket_id: HaloId | None = Field(default=None, description="Halo ticket, if any.")
    halo_ticket_url: TicketUrl | None = Field(default=None, description=_URL_DOC)

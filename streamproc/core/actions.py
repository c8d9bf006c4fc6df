"""Actions the core asks the shell to perform, and outcomes the shell reports back.

Actions are data. The shell executes them in order and, for the Halo ones, reports exactly one
outcome per action to :func:`~streamproc.core.lifecycle.evolve` (alerts) or
:func:`~streamproc.core.manual.evolve_warning` (manual warnings):

=====================  ===========================================================================
action                 shell's job → outcome
=====================  ===========================================================================
OpenTicket             route + render + create with ``supplier_reference=intent_key`` →
                       TicketCreated | TicketCreateFailed
ResolvePendingTicket   find the ticket whose supplier_reference equals ``intent_key``; adopt it if
                       found (TicketCreated, recovered=True), else create as OpenTicket
ReopenTicket           reopen the alert's last ticket with a note (TicketCreated, reopened=True),
                       or create as ResolvePendingTicket when Halo's record forbids a reopen
CloseTicket            read it; open → close policy → set the config's ``close_status_id`` →
                       TicketClosedByUs, or a note → TicketLeftOpen; already closed/deleted →
                       TicketAlreadyClosed; error → TicketCloseFailed
AddOccurrenceNote      a private note with the repeat count → NoteAdded | NoteFailed
OpenWarningTicket      like ResolvePendingTicket for a manual warning → WarningTicketCreated |
                       WarningTicketFailed
PreviewTicket          dry run: the reads of OpenTicket (routing; a reopen reads the old ticket),
                       no write → TicketPreviewed | PreviewFailed
EmitResult             publish to ``halopsa.ticket-results``
EmitCommand            publish to ``watchman.alert-commands``
EmitActivity           publish to ``watchman.activity-feed``
=====================  ===========================================================================
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from streamproc.contracts import AlertEvent, ManualWarning
from streamproc.contracts._base import HaloId, Id, Text, Timestamp, Word
from streamproc.contracts.outputs import ActivityEntry, AlertCommand, TicketResult
from streamproc.contracts.policies import ClosePolicy
from streamproc.core.previews import PreviewAction, PreviewOutcome
from streamproc.core.routing import RouteWarning
from streamproc.core.state import Baseline


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OpenTicket(_Data):
    """Create a Halo ticket for ``source`` with ``supplier_reference = intent_key``."""

    kind: Literal["open_ticket"] = "open_ticket"
    company_id: Id
    alert_id: Id
    intent_key: str
    event_id: Id
    source: AlertEvent = Field(description="The event to render and route the ticket from.")


class ResolvePendingTicket(_Data):
    """Look the ticket up by ``intent_key`` (a create may have happened); create it if absent."""

    kind: Literal["resolve_pending_ticket"] = "resolve_pending_ticket"
    company_id: Id
    alert_id: Id
    intent_key: str
    event_id: Id
    source: AlertEvent


class CloseTicket(_Data):
    """Close ``halo_ticket_id`` (config ``close_status_id``) if Halo still reports it open.

    Under a ``policy`` other than ``always`` the shell reads what was done to the ticket since
    ``baseline`` and asks :func:`~streamproc.core.policies.close_verdict` whether to close.
    """

    kind: Literal["close_ticket"] = "close_ticket"
    company_id: Id
    alert_id: Id
    halo_ticket_id: HaloId
    event_id: Id
    policy: ClosePolicy = "always"
    cleared_at: Timestamp | None = None
    baseline: Baseline | None = None


class ReopenTicket(_Data):
    """Reopen ``halo_ticket_id`` with a note (reopen window) unless Halo's record forbids it
    (deleted, merged, a status in ``no_reopen_status_ids``): then create a ticket as OpenTicket.
    A ticket already found under ``intent_key`` is adopted (a replay)."""

    kind: Literal["reopen_ticket"] = "reopen_ticket"
    company_id: Id
    alert_id: Id
    intent_key: str
    event_id: Id
    halo_ticket_id: HaloId
    no_reopen_status_ids: tuple[HaloId, ...] = ()
    source: AlertEvent


class AddOccurrenceNote(_Data):
    """Add a private note to the open ``halo_ticket_id``: the alert was raised again
    ``occurrences`` times since the last note (unless a replayed job added it already)."""

    kind: Literal["add_occurrence_note"] = "add_occurrence_note"
    company_id: Id
    alert_id: Id
    halo_ticket_id: HaloId
    event_id: Id
    occurrences: int = Field(ge=1)
    raised_at: Timestamp


class OpenWarningTicket(_Data):
    """Create the ticket for a manual warning unless one with ``intent_key`` already exists."""

    kind: Literal["open_warning_ticket"] = "open_warning_ticket"
    company_id: Id
    warning_id: Id
    intent_key: str
    event_id: Id
    source: ManualWarning


class EmitResult(_Data):
    """Publish ``result`` to ``halopsa.ticket-results``."""

    kind: Literal["emit_result"] = "emit_result"
    result: TicketResult


class EmitCommand(_Data):
    """Publish ``command`` to ``watchman.alert-commands``."""

    kind: Literal["emit_command"] = "emit_command"
    command: AlertCommand


class EmitActivity(_Data):
    """Publish ``entry`` to ``watchman.activity-feed``."""

    kind: Literal["emit_activity"] = "emit_activity"
    entry: ActivityEntry


Action = (
    OpenTicket
    | ResolvePendingTicket
    | ReopenTicket
    | CloseTicket
    | AddOccurrenceNote
    | OpenWarningTicket
    | PreviewAction
    | EmitResult
    | EmitCommand
    | EmitActivity
)
"""Everything the core may ask of the shell."""


class TicketCreated(_Data):
    """The ticket for ``intent_key`` exists in Halo (created now, or found when ``recovered``)."""

    kind: Literal["ticket_created"] = "ticket_created"
    event_id: Id = Field(description="event_id of the action that asked for it.")
    intent_key: str
    halo_ticket_id: HaloId
    recovered: bool = Field(default=False, description="Found by intent key, not created now.")
    reopened: bool = Field(default=False, description="An earlier ticket of the alert, reopened.")
    baseline: Baseline | None = Field(default=None, description="The ticket as we left it.")
    matrix_entry: int | None = Field(
        default=None, ge=0, description="The priority matrix entry that chose priority/type."
    )
    warnings: tuple[RouteWarning, ...] = Field(default=(), description="From routing.")


class TicketCreateFailed(_Data):
    """Creating the ticket failed; ``ambiguous`` when it may have been created anyway."""

    kind: Literal["ticket_create_failed"] = "ticket_create_failed"
    event_id: Id
    intent_key: str
    reason: Word = Field(description="Machine word, e.g. credentials_rejected, no_client.")
    message: Text = Field(description="What went wrong and what the administrator should do.")
    retriable: bool = False
    ambiguous: bool = Field(default=False, description="e.g. timeout after the request was sent.")


class TicketClosedByUs(_Data):
    """We closed ``halo_ticket_id`` because the alert cleared."""

    kind: Literal["ticket_closed_by_us"] = "ticket_closed_by_us"
    event_id: Id
    halo_ticket_id: HaloId


class TicketAlreadyClosed(_Data):
    """Asked to close ``halo_ticket_id``, Halo reported it already closed (or deleted)."""

    kind: Literal["ticket_already_closed"] = "ticket_already_closed"
    event_id: Id
    halo_ticket_id: HaloId


class TicketLeftOpen(_Data):
    """The close policy kept ``halo_ticket_id`` open; a private note says the alert cleared."""

    kind: Literal["ticket_left_open"] = "ticket_left_open"
    event_id: Id
    halo_ticket_id: HaloId
    reason: Literal["ticket_touched", "close_policy_never"]
    touched: tuple[str, ...] = Field(default=(), description="What showed it was worked on.")


class NoteAdded(_Data):
    """The occurrence note is on ``halo_ticket_id``."""

    kind: Literal["note_added"] = "note_added"
    event_id: Id
    halo_ticket_id: HaloId


class NoteFailed(_Data):
    """Adding the occurrence note failed."""

    kind: Literal["note_failed"] = "note_failed"
    event_id: Id
    halo_ticket_id: HaloId
    reason: Word
    message: Text
    retriable: bool = False


class TicketCloseFailed(_Data):
    """Closing ``halo_ticket_id`` failed; the ticket is still open as far as we know."""

    kind: Literal["ticket_close_failed"] = "ticket_close_failed"
    event_id: Id
    halo_ticket_id: HaloId
    reason: Word
    message: Text
    retriable: bool = False


class HaloReportsClosed(_Data):
    """A sweep or webhook saw ``halo_ticket_id`` closed, deleted or merged in Halo.

    ``event_id`` identifies the observation (e.g. ``sweep-<ticket>-<time>``, webhook delivery id).
    """

    kind: Literal["halo_reports_closed"] = "halo_reports_closed"
    event_id: Id
    halo_ticket_id: HaloId
    how: Literal["closed", "deleted", "merged"] = "closed"


Outcome = (
    TicketCreated
    | TicketCreateFailed
    | TicketClosedByUs
    | TicketAlreadyClosed
    | TicketLeftOpen
    | TicketCloseFailed
    | NoteAdded
    | NoteFailed
    | HaloReportsClosed
    | PreviewOutcome
)
"""What the shell reports back about an alert ticket."""


class WarningTicketCreated(_Data):
    """The ticket for a manual warning exists in Halo (created now or ``recovered``)."""

    kind: Literal["warning_ticket_created"] = "warning_ticket_created"
    event_id: Id
    company_id: Id
    warning_id: Id
    halo_ticket_id: HaloId
    recovered: bool = False
    warnings: tuple[RouteWarning, ...] = ()


class WarningTicketFailed(_Data):
    """Creating the ticket for a manual warning failed."""

    kind: Literal["warning_ticket_failed"] = "warning_ticket_failed"
    event_id: Id
    company_id: Id
    warning_id: Id
    reason: Word
    message: Text
    retriable: bool = False


WarningOutcome = WarningTicketCreated | WarningTicketFailed
"""What the shell reports back about a manual-warning ticket."""

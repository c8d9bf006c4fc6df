"""Halo work passed from a company's lane to the owner of its Halo instance, and the replies.

A company's lane never calls Halo. It writes what it decided (a pending intent first), then sends
a :class:`HaloJob` keyed by the Halo instance: the worker that owns that key's partition owns the
instance's budget, create queue, caches and sweep, whatever the number of workers (SPEC §9). The
owner answers with a :class:`HaloReply` keyed by the company, which the company's lane applies
(``evolve``) like any other record of its partition. Jobs are idempotent: a replayed job finds
the reply of its first run (by ``job_id``), and creates are found again by their intent key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from streamproc.contracts import IntegrationConfig
from streamproc.contracts._base import HaloId, Id, Text, Timestamp, Word
from streamproc.core.actions import (
    AddOccurrenceNote,
    CloseTicket,
    HaloReportsClosed,
    NoteAdded,
    NoteFailed,
    OpenTicket,
    OpenWarningTicket,
    ReopenTicket,
    ResolvePendingTicket,
    TicketAlreadyClosed,
    TicketClosedByUs,
    TicketCloseFailed,
    TicketCreated,
    TicketCreateFailed,
    TicketLeftOpen,
    WarningTicketCreated,
    WarningTicketFailed,
)
from streamproc.core.credentials import CredentialsTested, TestCredentials
from streamproc.core.previews import (
    PreviewFailed,
    PreviewTicket,
    PreviewWarningTicket,
    TicketPreviewed,
)
from streamproc.core.selftest import RunSelfTest, SelfTestReport


class _Data(BaseModel):
    # Workers of two versions meet during a rolling deploy: a newer worker's extra fields are
    # ignored, not a reason to drop its job or reply.
    model_config = ConfigDict(frozen=True, extra="ignore")


class ObserveTicket(_Data):
    """Read ``halo_ticket_id`` (a webhook said it changed); reply HaloReportsClosed if closed."""

    kind: Literal["observe_ticket"] = "observe_ticket"
    company_id: Id
    alert_id: Id | None = None
    halo_ticket_id: HaloId
    event_id: Id


class WatchTickets(_Data):
    """The company's open tickets (ticket id → alert id), for the instance's closure sweep."""

    kind: Literal["watch_tickets"] = "watch_tickets"
    company_id: Id
    tickets: dict[int, str]
    every_seconds: float = Field(gt=0, description="How often each ticket is checked.")
    event_id: Id


JobAction = Annotated[
    OpenTicket
    | ResolvePendingTicket
    | ReopenTicket
    | CloseTicket
    | AddOccurrenceNote
    | OpenWarningTicket
    | PreviewTicket
    | PreviewWarningTicket
    | RunSelfTest
    | TestCredentials
    | ObserveTicket
    | WatchTickets,
    Field(discriminator="kind"),
]

ReplyOutcome = Annotated[
    TicketCreated
    | TicketCreateFailed
    | TicketClosedByUs
    | TicketAlreadyClosed
    | TicketLeftOpen
    | TicketCloseFailed
    | NoteAdded
    | NoteFailed
    | HaloReportsClosed
    | WarningTicketCreated
    | WarningTicketFailed
    | TicketPreviewed
    | PreviewFailed
    | SelfTestReport
    | CredentialsTested,
    Field(discriminator="kind"),
]


def job_id(action: JobAction) -> str:
    """The job's identity: the same decision replayed yields the same id."""
    target = (
        getattr(action, "intent_key", None)
        or getattr(action, "halo_ticket_id", None)
        or action.company_id
    )
    return f"{action.kind}:{action.event_id}:{target}"


class HaloJob(_Data):
    """One piece of Halo work for the instance ``config.instance`` (the Kafka key)."""

    job_id: str
    company_id: Id
    config: IntegrationConfig = Field(description="The company's config when it decided.")
    action: JobAction
    subject: str | None = Field(
        default=None, description="The state key of the alert or warning the job is for."
    )
    at: Timestamp

    @property
    def instance(self) -> str:
        return self.config.instance

    @classmethod
    def of(
        cls, config: IntegrationConfig, action: JobAction, at: datetime, subject: str | None = None
    ) -> HaloJob:
        """The job doing ``action`` with ``config`` (its id is the action's: a replayed decision
        yields the same job)."""
        return cls(
            job_id=job_id(action),
            company_id=action.company_id,
            config=config,
            action=action,
            subject=subject,
            at=at,
        )


class Notice(_Data):
    """Something the company's administrator should read (an activity entry)."""

    level: Literal["info", "warning", "error"]
    kind: Word
    message: Text
    alert_id: Id | None = None


class Backlog(_Data):
    """Halo work queued for the company's instance, when its budget is the bottleneck."""

    queued: int = Field(ge=0)
    drain_seconds: float = Field(ge=0)


class HaloReply(_Data):
    """The owner's answer to a job (``outcome``), or news for the company (``notice``)."""

    job_id: str | None = None
    company_id: Id
    subject: str | None = None
    outcome: ReplyOutcome | None = None
    notice: Notice | None = None
    backlog: Backlog | None = None
    at: Timestamp

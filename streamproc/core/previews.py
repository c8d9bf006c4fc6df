"""Dry run (SPEC §8): the job that reads what a create would need, and its outcomes.

Part of the job and reply contract (``core/jobs.py``): they travel through Kafka or are handed
over in-process (``agents/handover.py``) like every other action and outcome.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from streamproc.contracts import AlertEvent, ManualWarning
from streamproc.contracts._base import HaloId, Id, Text, Word
from streamproc.contracts.outputs import Would
from streamproc.core.routing import RouteWarning


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PreviewTicket(_Data):
    """Dry run (SPEC §8): read from Halo what a create (or reopen of ``halo_ticket_id``) of
    ``source``'s ticket would need, as live mode would, and write nothing."""

    kind: Literal["preview_ticket"] = "preview_ticket"
    company_id: Id
    alert_id: Id
    event_id: Id
    would: Literal["create", "reopen"] = "create"
    halo_ticket_id: HaloId | None = None
    no_reopen_status_ids: tuple[HaloId, ...] = ()
    source: AlertEvent


class PreviewWarningTicket(_Data):
    """Dry run: the reads of a manual warning's create (its routing), and no write."""

    kind: Literal["preview_warning_ticket"] = "preview_warning_ticket"
    company_id: Id
    warning_id: Id
    event_id: Id
    source: ManualWarning


class TicketPreviewed(_Data):
    """Dry run: what live mode would have done for the raise (or manual warning) ``event_id``
    (nothing written)."""

    kind: Literal["ticket_previewed"] = "ticket_previewed"
    event_id: Id
    company_id: Id | None = Field(default=None, description="Set for a manual warning.")
    warning_id: Id | None = Field(default=None, description="Set for a manual warning.")
    would: Would
    halo_ticket_id: HaloId | None = Field(default=None, description="The ticket a reopen reopens.")
    matrix_entry: int | None = Field(default=None, ge=0)
    warnings: tuple[RouteWarning, ...] = Field(default=(), description="From routing.")


class PreviewFailed(_Data):
    """Dry run: the reads failed; live mode would have failed to create the ticket too."""

    kind: Literal["preview_failed"] = "preview_failed"
    event_id: Id
    company_id: Id | None = Field(default=None, description="Set for a manual warning.")
    warning_id: Id | None = Field(default=None, description="Set for a manual warning.")
    reason: Word
    message: Text
    retriable: bool = False


PreviewAction = PreviewTicket | PreviewWarningTicket
PreviewOutcome = TicketPreviewed | PreviewFailed

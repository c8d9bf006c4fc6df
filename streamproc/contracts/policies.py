"""Per-company ticket policies (SPEC §7): fields shared by the saved config and the API body.

Every default keeps the behaviour of SPEC §1, so a config saved before these fields existed
means what it always meant.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, StringConstraints, model_validator

from streamproc.contracts._base import HaloId, InputPart

ClosePolicy = Literal["always", "untouched_only", "never"]
MAX_WINDOW = 30 * 86_400  # seconds; a longer window is a typo, not a policy


class MatrixEntry(InputPart):
    """One row of the priority matrix: alerts it matches get its priority and/or ticket type."""

    severity: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        default=None, description="Watchman severity (critical, warning, info, …); any if unset."
    )
    alert_name_pattern: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = (
        Field(
            default=None,
            description="Shell-style pattern over the alert name, case-insensitive (e.g. 'Disk*');"
            " any if unset.",
        )
    )
    priority_id: HaloId | None = Field(default=None, description="Halo priority (of the SLA).")
    tickettype_id: HaloId | None = Field(default=None, description="Halo ticket type.")

    @model_validator(mode="after")
    def _sets_something(self) -> Self:
        if self.priority_id is None and self.tickettype_id is None:
            raise ValueError("an entry must set priority_id or tickettype_id")
        return self


class TicketPolicies(InputPart):
    """What to do with a ticket beyond "open on raise, close on clear"."""

    priority_matrix: tuple[MatrixEntry, ...] = Field(
        default=(),
        max_length=50,
        description="First matching entry sets the ticket's priority and/or type; the defaults"
        " fill in the rest.",
    )

    close_policy: ClosePolicy = Field(
        default="always",
        description="always: close on clear | untouched_only: leave a ticket a technician"
        " worked on open, with a private note | never: only add the note.",
    )
    reopen_window_seconds: int = Field(
        default=0,
        ge=0,
        le=MAX_WINDOW,
        description="A raise this soon after the alert's ticket was closed reopens it (0 = off).",
    )
    no_reopen_status_ids: tuple[HaloId, ...] = Field(
        default=(),
        max_length=50,
        description="Closed statuses meaning 'won't fix': such tickets are never reopened.",
    )
    repeat_note_interval_seconds: int = Field(
        default=0,
        ge=0,
        le=MAX_WINDOW,
        description="Repeat raises of an alert whose ticket is open add at most one private note"
        " per interval, with the number of occurrences since the last note (0 = off).",
    )
    hold_down_seconds: int = Field(
        default=0,
        ge=0,
        le=86_400,
        description="Flap hold-down: a raise cleared within it makes no ticket, a clear raised"
        " again within it closes nothing (0 = off).",
    )

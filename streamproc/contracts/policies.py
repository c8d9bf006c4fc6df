"""Per-company ticket policies (SPEC §7): fields shared by the saved config and the API body.

Every default keeps the behaviour of SPEC §1, so a config saved before these fields existed
means what it always meant.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from streamproc.contracts._base import HaloId, InputPart

ClosePolicy = Literal["always", "untouched_only", "never"]
MAX_WINDOW = 30 * 86_400  # seconds; a longer window is a typo, not a policy


class TicketPolicies(InputPart):
    """What to do with a ticket beyond "open on raise, close on clear"."""

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

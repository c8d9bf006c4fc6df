"""How an integration runs (SPEC §8): for real, or as a dry run that writes nothing to Halo.

Shared by the saved config and the API body; the default keeps the behaviour of SPEC §1.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from streamproc.contracts._base import InputPart

Mode = Literal["live", "dry_run"]


class OperatingSettings(InputPart):
    """The company's operating mode (part of its integration config and the API body)."""

    mode: Mode = Field(
        default="live",
        description="live: tickets are created and closed. dry_run: Halo is read as in live mode"
        " (routing lookups) but nothing is written to Halo and no mute is sent; results are"
        " skipped/dry_run with what would have happened (``would``).",
    )

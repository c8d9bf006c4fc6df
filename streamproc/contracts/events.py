"""Input events from Watchman: alert lifecycle events and manual warnings.

Topics: ``watchman.alerts`` (:class:`AlertEvent`) and ``watchman.manual-warnings``
(:class:`ManualWarning`). Both are keyed by company id. Unknown extra fields are ignored.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from streamproc.contracts._base import (
    Id,
    InputModel,
    InputPart,
    Name,
    OptionalName,
    Text,
    Timestamp,
)

AlertEventType = Literal["raised", "updated", "cleared", "resolved"]


class Reference(InputPart):
    """Free-text reference fields an administrator set on the computer in Watchman."""

    email: OptionalName = Field(default=None, description="Reference email (requester hint).")
    user: OptionalName = Field(default=None, description="Reference user name.")
    site: OptionalName = Field(default=None, description="Reference site.")
    asset: OptionalName = Field(default=None, description="Reference asset tag.")


class Computer(InputPart):
    """The computer an alert or warning is about."""

    watchman_id: Id = Field(description="Watchman's id of the computer.")
    name: Name = Field(description="Computer name as shown in Watchman.")
    serial_number: OptionalName = Field(
        default=None, description="Hardware serial number, used to find the Halo asset."
    )
    platform: Name = Field(description="Platform, e.g. 'mac' or 'windows'.")
    os_version: OptionalName = Field(default=None, description="Operating system version.")
    reference: Reference = Field(
        default_factory=Reference, description="Reference fields; empty when not set."
    )


class Alert(InputPart):
    """The Watchman alert as of the event."""

    id: Id = Field(description="Watchman's alert id; stable across the alert's lifecycle.")
    name: Name = Field(description="Alert name, e.g. 'Disk space low'.")
    summary: Text = Field(description="Alert summary text.")
    severity: Name = Field(description="Watchman severity label.")
    visible: bool = Field(
        description="False when the alert is hidden; hidden alerts make no ticket."
    )
    muted: bool = Field(description="True when the alert is muted in Watchman.")


class AlertEvent(InputModel):
    """One alert lifecycle event (``watchman.alerts``).

    Redelivery of the same ``event_id`` is a no-op.
    """

    event_id: Id = Field(
        description="Unique id of this event; redelivery of the same id is a no-op."
    )
    event_type: AlertEventType = Field(description="raised | updated | cleared | resolved.")
    occurred_at: Timestamp = Field(description="When the event happened (RFC 3339, with offset).")
    company_id: Id = Field(description="Watchman company the computer belongs to; the Kafka key.")
    alert: Alert = Field(description="The alert.")
    computer: Computer = Field(description="The computer the alert is on.")


class WarningDetails(InputPart):
    """A manual warning raised by a user on a computer."""

    id: Id = Field(description="Watchman's warning id.")
    title: Name = Field(description="Warning title.")
    body: Text = Field(description="Warning body text.")
    created_by: Name = Field(description="Who raised the warning.")


class ManualWarning(InputModel):
    """A manual warning event (``watchman.manual-warnings``); each becomes one Halo ticket."""

    event_id: Id = Field(
        description="Unique id of this event; redelivery of the same id is a no-op."
    )
    occurred_at: Timestamp = Field(
        description="When the warning was raised (RFC 3339, with offset)."
    )
    company_id: Id = Field(description="Watchman company; the Kafka key.")
    warning: WarningDetails = Field(description="The warning.")
    computer: Computer = Field(description="The computer the warning is about.")

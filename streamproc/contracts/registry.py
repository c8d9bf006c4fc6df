"""The topic registry: one entry per SPEC §3 topic, naming its value contract.

The shell builds its faust topics from :data:`TOPICS` (adding the configured prefix) and the
schema generator writes one JSON Schema per entry, so a topic's shape is defined only here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from streamproc.contracts.config import IntegrationConfig
from streamproc.contracts.deadletter import DeadLetter
from streamproc.contracts.events import AlertEvent, ManualWarning
from streamproc.contracts.outputs import ActivityEntry, AlertCommand, TicketResult

Direction = Literal["in", "out", "internal"]


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """What travels on one topic: value model, compaction, direction and a description.

    Keys are always the company id (UTF-8 string), except on the dead-letter topic where the
    original record's key is kept.
    """

    name: str
    value_model: type[BaseModel]
    compacted: bool
    direction: Direction
    description: str


def _spec(
    name: str, model: type[BaseModel], direction: Direction, text: str, *, compacted: bool = False
) -> tuple[str, TopicSpec]:
    return name, TopicSpec(name, model, compacted, direction, text)


TOPICS: dict[str, TopicSpec] = dict(
    [
        _spec("watchman.alerts", AlertEvent, "in", "Alert lifecycle events from Watchman."),
        _spec(
            "watchman.manual-warnings",
            ManualWarning,
            "in",
            "Manual warnings raised by a user on a computer; each becomes a Halo ticket.",
        ),
        _spec(
            "halopsa.integration-config",
            IntegrationConfig,
            "internal",
            "Per-company HaloPSA integration config (secret encrypted); tombstone = removed.",
            compacted=True,
        ),
        _spec(
            "halopsa.ticket-results",
            TicketResult,
            "out",
            "One result per handled input event: created, closed, skipped or failed.",
        ),
        _spec(
            "watchman.alert-commands",
            AlertCommand,
            "out",
            "Mute/unmute commands for Watchman: an alert stays muted while its ticket is open.",
        ),
        _spec(
            "watchman.activity-feed",
            ActivityEntry,
            "out",
            "Human-readable activity: tickets created/closed, skips, integration errors.",
        ),
        _spec(
            "streamproc.dead-letter",
            DeadLetter,
            "out",
            "Input records that could not be parsed, validated or processed, with the error.",
        ),
    ]
)
"""Logical topic name (SPEC §3, without prefix) → :class:`TopicSpec`."""

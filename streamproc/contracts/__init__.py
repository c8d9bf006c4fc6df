"""Topic contracts: the one definition of every record streamproc reads or writes.

Pure: imports pydantic and the standard library only. See :data:`TOPICS` for the topic list.
"""

from streamproc.contracts.codec import ContractError, decode_event, encode, format_validation_error
from streamproc.contracts.config import IntegrationConfig
from streamproc.contracts.deadletter import DeadLetter, dead_letter
from streamproc.contracts.events import (
    Alert,
    AlertEvent,
    Computer,
    ManualWarning,
    Reference,
    WarningDetails,
)
from streamproc.contracts.outputs import ActivityEntry, AlertCommand, TicketResult
from streamproc.contracts.registry import TOPICS, TopicSpec

__all__ = [
    "TOPICS",
    "ActivityEntry",
    "Alert",
    "AlertCommand",
    "AlertEvent",
    "Computer",
    "ContractError",
    "DeadLetter",
    "IntegrationConfig",
    "ManualWarning",
    "Reference",
    "TicketResult",
    "TopicSpec",
    "WarningDetails",
    "dead_letter",
    "decode_event",
    "encode",
    "format_validation_error",
]

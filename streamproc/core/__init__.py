"""Functional core: pure decisions about alert tickets. No I/O, no clock, no faust.

May import :mod:`streamproc.contracts` and the standard library only.
"""

from streamproc.core.actions import (
    Action,
    AddOccurrenceNote,
    CloseTicket,
    EmitActivity,
    EmitCommand,
    EmitResult,
    HaloReportsClosed,
    NoteAdded,
    NoteFailed,
    OpenTicket,
    OpenWarningTicket,
    Outcome,
    ReopenTicket,
    ResolvePendingTicket,
    TicketAlreadyClosed,
    TicketClosedByUs,
    TicketCloseFailed,
    TicketCreated,
    TicketCreateFailed,
    TicketLeftOpen,
    WarningOutcome,
    WarningTicketCreated,
    WarningTicketFailed,
)
from streamproc.core.decision import Decision
from streamproc.core.lifecycle import decide, evolve, fire
from streamproc.core.manual import decide_warning, evolve_warning, warning_intent_key
from streamproc.core.previews import (
    PreviewFailed,
    PreviewTicket,
    PreviewWarningTicket,
    TicketPreviewed,
)
from streamproc.core.render import (
    alert_details_html,
    alert_summary,
    warning_details_html,
    warning_summary,
)
from streamproc.core.routing import AssetMatch, Route, RouteError, RouteWarning, UserMatch, route
from streamproc.core.state import AlertTicketState, intent_key, needs_close, state_key

__all__ = [
    "Action",
    "AddOccurrenceNote",
    "AlertTicketState",
    "AssetMatch",
    "CloseTicket",
    "Decision",
    "EmitActivity",
    "EmitCommand",
    "EmitResult",
    "HaloReportsClosed",
    "NoteAdded",
    "NoteFailed",
    "OpenTicket",
    "OpenWarningTicket",
    "Outcome",
    "PreviewFailed",
    "PreviewTicket",
    "PreviewWarningTicket",
    "ReopenTicket",
    "ResolvePendingTicket",
    "Route",
    "RouteError",
    "RouteWarning",
    "TicketAlreadyClosed",
    "TicketCloseFailed",
    "TicketClosedByUs",
    "TicketCreateFailed",
    "TicketCreated",
    "TicketLeftOpen",
    "TicketPreviewed",
    "UserMatch",
    "WarningOutcome",
    "WarningTicketCreated",
    "WarningTicketFailed",
    "alert_details_html",
    "alert_summary",
    "decide",
    "decide_warning",
    "evolve",
    "evolve_warning",
    "fire",
    "intent_key",
    "needs_close",
    "route",
    "state_key",
    "warning_details_html",
    "warning_intent_key",
    "warning_summary",
]

"""Ticket policies (SPEC §7) as pure functions: the shell brings Halo's facts, these decide.

* close policy: is a ticket "touched" (a technician's action, note, time entry, status or
  assignee change after our create), and does the policy close it or leave it with a note;
* reopen window: may a raise reopen the alert's last ticket instead of creating one;
* occurrence notes: does a repeat raise add a note now, and what it says;
* priority matrix: which priority and ticket type an alert's ticket gets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Literal

from streamproc.contracts import IntegrationConfig
from streamproc.contracts.policies import ClosePolicy
from streamproc.core.state import AlertTicketState, Baseline

NOTE_MARK = "[streamproc] "
"""Every note we write starts with this: it tells our actions from a technician's."""


@dataclass(frozen=True, slots=True)
class ActionFact:
    """One action in the ticket's history, as Halo lists it."""

    id: int
    note: str = ""
    who: str = ""
    time_taken: float = 0.0


def ours(action: ActionFact) -> bool:
    """True for a note streamproc wrote."""
    return action.note.lstrip().startswith(NOTE_MARK.strip())


def touches(
    baseline: Baseline | None,
    status_id: int | None,
    agent_id: int | None,
    actions: Iterable[ActionFact],
) -> tuple[str, ...]:
    """What shows a technician worked on the ticket since ``baseline`` (empty: untouched).

    Without a baseline (a ticket adopted after a crash) every action not ours counts.
    """
    base = baseline or Baseline()
    found: list[str] = []
    for action in actions:
        if action.id <= base.last_action_id or ours(action):
            continue
        if action.time_taken > 0:
            found.append(f"time entry by {action.who or 'someone'}")
        else:
            found.append(f"action by {action.who or 'someone'}")
    if baseline is not None and status_id != baseline.status_id:
        found.append("status changed")
    if (agent_id or 0) != (base.agent_id or 0):
        found.append("assignee changed")
    return tuple(dict.fromkeys(found))


CloseVerdict = Literal["close", "ticket_touched", "close_policy_never"]


def close_verdict(policy: ClosePolicy, touched: tuple[str, ...]) -> CloseVerdict:
    """Close the ticket, or leave it open with a note (the word is the result's reason)."""
    if policy == "never":
        return "close_policy_never"
    if policy == "untouched_only" and touched:
        return "ticket_touched"
    return "close"


def clear_note(cleared_at: datetime | None, verdict: CloseVerdict, touched: tuple[str, ...]) -> str:
    """The private note left instead of a close."""
    when = cleared_at.isoformat() if cleared_at else "an unknown time"
    why = (
        f"a technician worked on it ({', '.join(touched)})"
        if verdict == "ticket_touched"
        else "this company's close policy is 'never'"
    )
    return f"{NOTE_MARK}Watchman reports the alert cleared at {when}. The ticket stays open: {why}."


def reopen_note(raised_at: datetime) -> str:
    """The private note on a ticket reopened by a raise within the reopen window."""
    return (
        f"{NOTE_MARK}Watchman raised the alert again at {raised_at.isoformat()}, within the"
        " reopen window: the ticket was reopened."
    )


CLOSE_NOTE = f"{NOTE_MARK}Closed: the Watchman alert cleared."


def reopens(state: AlertTicketState, config: IntegrationConfig, now: datetime) -> bool:
    """A raise now reopens the alert's closed ticket (window open, not deleted or merged)."""
    window = config.reopen_window_seconds
    if window <= 0 or state.status != "closed" or state.halo_ticket_id is None:
        return False
    if state.closed_at is None or state.closed_how not in (None, "closed"):
        return False
    return now - state.closed_at < timedelta(seconds=window)


def may_reopen(
    status_id: int | None, deleted: bool, merged: bool, no_reopen_status_ids: Iterable[int]
) -> bool:
    """Halo's ticket may be reopened: it exists, was not merged away, no "won't fix" status."""
    return not deleted and not merged and status_id not in set(no_reopen_status_ids)


def note_due(state: AlertTicketState, config: IntegrationConfig | None, now: datetime) -> bool:
    """A repeat raise now adds an occurrence note (interval set and passed since the last)."""
    if config is None or not config.enabled or config.repeat_note_interval_seconds <= 0:
        return False
    since = state.noted_at or state.opened_at
    return since is None or now - since >= timedelta(seconds=config.repeat_note_interval_seconds)


def occurrence_note(occurrences: int, raised_at: datetime) -> str:
    """The private note counting repeat raises of an alert whose ticket is open."""
    times = "once" if occurrences == 1 else f"{occurrences} times"
    return (
        f"{NOTE_MARK}Watchman re-triggered the alert {times} since the last note"
        f" (latest at {raised_at.isoformat()})."
    )


@dataclass(frozen=True, slots=True)
class TicketClass:
    """The priority and ticket type of a new ticket, and the matrix entry that chose them."""

    priority_id: int | None
    tickettype_id: int | None
    entry: int | None = None  # index in the priority matrix; None: the defaults


def ticket_class(config: IntegrationConfig, severity: str | None, name: str) -> TicketClass:
    """The first matrix entry matching the alert's severity and name, the defaults filling in
    what it leaves unset (no severity: a manual warning, only entries without one match)."""
    for index, entry in enumerate(config.priority_matrix):
        if entry.severity is not None and (
            severity is None or entry.severity.casefold() != severity.casefold()
        ):
            continue
        pattern = entry.alert_name_pattern
        if pattern is not None and not fnmatchcase(name.casefold(), pattern.casefold()):
            continue
        return TicketClass(
            entry.priority_id or config.default_priority_id,
            entry.tickettype_id or config.default_tickettype_id,
            index,
        )
    return TicketClass(config.default_priority_id, config.default_tickettype_id)

"""When to re-check a company's config against Halo without being asked (issue 16.4, SPEC §8).

A drift check (``RunSelfTest(purpose="check")``, ``core/selftest.py``) re-reads every id and
name the config holds; a missing one puts the integration in ``error`` with what to do. Besides
the on-demand ``POST …/check`` it runs:

* once per ``interval`` (a day) per configured company, each company at its own moment of the
  interval (a stable hash of its id), so that 100 companies do not all fire at once; the owner
  of the Halo instance runs these only on spare budget (``background``);
* after a Halo error that suggests drift (a create, close or lookup refused with a 400 or 404
  naming a ticket type, priority, status, client, site or field), at most once per
  ``debounce`` seconds per company: a storm of failing creates asks once.
"""

from __future__ import annotations

import hashlib

# Halo errors about the request's content or a record that is not there (``halopsa/errors.py``)
DRIFT_REASONS = frozenset({"validation_failed", "not_found"})
# ... that name something a config holds (Halo's messages: "Priority 3 is not valid for SLA 1.",
# "Ticket Type 7 does not exist.", "Status 77 does not exist.", "Site 24 does not exist.")
DRIFT_WORDS = (
    "ticket type",
    "tickettype",
    "priority",
    "status",
    "client",
    "site",
    "field",
    "sla",
)


def suggests_drift(reason: str | None, message: str | None) -> bool:
    """True for a Halo failure that may mean a configured id no longer exists in Halo."""
    if reason not in DRIFT_REASONS or not message:
        return False
    return any(word in halo_said(message).lower() for word in DRIFT_WORDS)


def halo_said(message: str) -> str:
    """Halo's own words in a Halo error's text (``halopsa/errors.py`` renders "summary (where)
    Halo said: … Action: …"): our advice after "Action:" names ticket types and priorities
    whatever went wrong."""
    said = message.split("Halo said:", 1)[1] if "Halo said:" in message else message
    return said.split("Action:", 1)[0]


def offset(company_id: str, interval: float) -> float:
    """The company's moment within each interval, in [0, interval): stable across workers and
    restarts, spread evenly over companies."""
    digest = hashlib.sha256(company_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 * interval


def latest_slot(company_id: str, now: float, interval: float) -> float:
    """The company's latest check moment at or before ``now`` (epoch seconds)."""
    start = offset(company_id, interval)
    return now - ((now - start) % interval)


def daily_check_due(
    company_id: str, last_checked: float | None, saved: float, now: float, interval: float
) -> bool:
    """Whether the company's periodic check is due: its moment of the interval came since its
    last check (``last_checked``; a config saved at ``saved`` was tested then, so a company
    never checked waits for its first moment after the save)."""
    since = max(saved, last_checked or 0.0)
    return since < latest_slot(company_id, now, interval)


def recheck_due(last_requested: float | None, now: float, debounce: float) -> bool:
    """Whether a check after a drift-like Halo error may be asked for now (debounced)."""
    return last_requested is None or now - last_requested >= debounce

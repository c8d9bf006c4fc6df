"""Self-test (SPEC §8): which steps run against the company's Halo instance, which are skipped
after a failed prerequisite, and what the administrator should do about a failed one.

The job (:class:`RunSelfTest`) goes to the owner of the Halo instance like any other Halo work
(``core/jobs.py``); the owner's executor runs the steps in :func:`plan`'s order, asks
:func:`blocked_by` before each, and reports each with :func:`passed` / :func:`failed` /
:func:`skipped`. The report comes back to the company's lane, which keeps the latest in the
company's status (``status.self_test``) where the web view reads it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from streamproc.contracts import IntegrationConfig
from streamproc.contracts._base import Id, Text, Timestamp, Word
from streamproc.core.status import empty_status

TEST_SUMMARY = "[streamproc] self-test — safe to ignore"

StepName = Literal[
    "token",
    "asset_search",
    "user_lookup",
    "ticket_type",
    "priority",
    "default_client",
    "default_site",
    "create_ticket",
    "read_back",
    "close_ticket",
    "close_status",
    "serial_field",
]
Purpose = Literal["self_test", "check"]  # check: drift detection, the configured ids only

# A step runs only when each of its prerequisites that is in the plan passed.
NEEDS: dict[str, tuple[str, ...]] = {
    "token": (),
    "asset_search": ("token",),
    "user_lookup": ("token",),
    "ticket_type": ("token",),
    "priority": ("token",),
    "default_client": ("token",),
    "default_site": ("token", "default_client"),
    "create_ticket": ("token", "ticket_type", "priority", "default_client", "default_site"),
    "read_back": ("create_ticket",),
    "close_ticket": ("create_ticket",),
    "close_status": ("token",),
    "serial_field": ("token",),
}


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class RunSelfTest(_Data):
    """Run the self-test of ``company_id``'s integration (``write``: create, read back and
    close a test ticket too)."""

    kind: Literal["run_self_test"] = "run_self_test"
    company_id: Id
    event_id: Id = Field(description="The test's id.")
    write: bool = False
    purpose: Purpose = "self_test"
    background: bool = Field(default=False, description="Run on the instance's spare budget.")


class SelfTestStep(_Data):
    name: StepName
    ok: bool
    ms: int = Field(ge=0, description="Time the step took (0 when skipped).")
    detail: Text
    fix: Text | None = Field(default=None, description="What to do, for a failed step.")
    reason: Word | None = Field(default=None, description="Why a step failed (Halo's reason).")
    skipped: bool = False


class SelfTestReport(_Data):
    """The owner's answer to :class:`RunSelfTest`."""

    kind: Literal["self_test_report"] = "self_test_report"
    event_id: Id = Field(description="The test's id.")
    ok: bool
    write: bool
    purpose: Purpose = "self_test"
    steps: tuple[SelfTestStep, ...]
    at: Timestamp


def plan(config: IntegrationConfig, write: bool, purpose: Purpose = "self_test") -> tuple[str, ...]:
    """The steps for ``config``: the lookups the pipeline makes with it, then the test ticket;
    for a drift ``check``: every id and name the config names, and nothing else."""
    if purpose == "check":
        named = [
            ("ticket_type", config.default_tickettype_id is not None),
            ("priority", bool(priority_ids(config))),
            ("default_client", config.default_client_id is not None),
            ("default_site", config.default_site_id is not None),
            ("close_status", True),
            ("serial_field", True),
        ]
        return ("token", *(name for name, wanted in named if wanted))
    steps = ["token", "asset_search"]
    if config.use_reference_email:
        steps.append("user_lookup")
    if config.default_tickettype_id is not None:
        steps.append("ticket_type")
    if priority_ids(config):
        steps.append("priority")
    steps.append("default_client")
    if config.default_site_id is not None:
        steps.append("default_site")
    if write:
        steps += ["create_ticket", "read_back", "close_ticket"]
    return tuple(steps)


def priority_ids(config: IntegrationConfig) -> tuple[int, ...]:
    """Every priority the config can put on a ticket: the default and the matrix's."""
    ids = [config.default_priority_id] + [e.priority_id for e in config.priority_matrix]
    return tuple(sorted({i for i in ids if i is not None}))


def blocked_by(name: str, done: Mapping[str, SelfTestStep]) -> str | None:
    """The prerequisite of ``name`` that failed (or was skipped), if any."""
    return next((n for n in NEEDS[name] if n in done and not done[n].ok), None)


def passed(name: str, ms: int, detail: str) -> SelfTestStep:
    return SelfTestStep(name=name, ok=True, ms=ms, detail=detail)  # type: ignore[arg-type]


def skipped(name: str, because: str) -> SelfTestStep:
    detail = f"skipped: {because} did not pass"
    return SelfTestStep(name=name, ok=False, ms=0, detail=detail, skipped=True)  # type: ignore[arg-type]


def failed(
    name: str,
    ms: int,
    reason: str,
    detail: str,
    config: IntegrationConfig,
    *,
    available: str = "",
    missing: str = "",
) -> SelfTestStep:
    """A failed step, with the fix for its ``reason`` (a Halo error's reason, or ``missing``:
    the configured id does not exist in Halo; ``available``: what does)."""
    fix = fix_for(name, reason, config, available, missing)
    return SelfTestStep(name=name, ok=False, ms=ms, detail=detail, fix=fix, reason=reason)  # type: ignore[arg-type]


def report(
    test_id: str,
    write: bool,
    steps: Sequence[SelfTestStep],
    at: object,
    purpose: Purpose = "self_test",
) -> SelfTestReport:
    ok = all(s.ok for s in steps)
    return SelfTestReport(
        event_id=test_id,
        ok=ok,
        write=write,
        purpose=purpose,
        steps=tuple(steps),
        at=at,  # type: ignore[arg-type]
    )


_ANY_REASON = {
    "credentials_rejected": "the client id/secret were refused: check the API application in"
    " Halo (Configuration > Integrations > HaloPSA API), then enter its client id and secret"
    " again and save",
    "scope_invalid": "the API application lacks a permission: give it the 'all' scope (or"
    " read:tickets edit:tickets read:assets read:customers) in Halo",
    "tenant_unknown": "Halo does not know this tenant: check the tenant name (hosted Halo only)",
    "permission_denied": "Halo refused this for the API application's agent: give that agent"
    " access to tickets, assets and customers in Halo",
    "secret_unreadable": "the stored client secret cannot be decrypted with this deployment's key:"
    " enter the client secret again and save",
    "rate_limited": "Halo's rate limit was reached: run the self-test again in a few minutes",
    "halo_unavailable": "Halo did not answer: check the base URL, that the instance is up, and"
    " run the self-test again",
}


def fix_for(
    name: str, reason: str, config: IntegrationConfig, available: str = "", missing: str = ""
) -> str:
    """One sentence telling the administrator what to do about step ``name`` failing."""
    pick = f": pick one from {available}" if available else ""
    if reason in ("missing", "not_found"):
        if name == "ticket_type":
            return f"ticket type {config.default_tickettype_id} does not exist in Halo{pick}"
        if name == "priority":
            return f"priority {missing or '?'} does not exist in Halo for this ticket type{pick}"
        if name == "default_client":
            return (
                f"client {config.default_client_id} does not exist (or is inactive) in Halo:"
                " choose the default client again"
            )
        if name == "default_site":
            return (
                f"site {config.default_site_id} does not exist in Halo: choose a site of the"
                " default client again"
            )
        if name == "read_back":
            return (
                "Halo did not return the test ticket it created: check that the API"
                " application's agent may read tickets of the default client"
            )
        if name == "close_ticket":
            return (
                f"closing with status {config.close_status_id} failed: set close_status_id to"
                " a closed status that exists in Halo, and close the test ticket by hand"
            )
    if name == "close_status" and reason == "missing":
        return (
            f"status {config.close_status_id} does not exist in Halo: set close_status_id to a"
            f" closed status{pick}"
        )
    if name == "serial_field" and reason == "missing":
        return (
            f"no asset in Halo has a field named {config.serial_field_name!r}: set"
            f" serial_field_name to the asset field that holds the serial number"
            f"{f' (fields seen: {available})' if available else ''}"
        )
    if name == "default_site" and reason == "wrong_client":
        return (
            f"site {config.default_site_id} belongs to another client: choose a site of client"
            f" {config.default_client_id}"
        )
    if name == "default_client" and reason == "not_configured":
        return (
            "no default client is set: alerts whose computer matches no Halo asset cannot get a"
            " ticket; choose a default client (and site)"
        )
    if reason in _ANY_REASON:
        return _ANY_REASON[reason]
    if name == "create_ticket":
        return (
            "Halo refused the test ticket: check that the ticket type and priority go together"
            " (the priority must belong to the ticket type's SLA) and that the API application"
            " may create tickets"
        )
    if name == "close_ticket":
        return (
            f"the test ticket could not be closed with status {config.close_status_id}: check"
            " close_status_id, and close the test ticket by hand"
        )
    return "check the integration settings and Halo's API application, then run the test again"


DRIFT = "config_drift"  # the last_error reason of a failed drift check
TRANSIENT = frozenset({"rate_limited", "halo_unavailable"})  # no verdict on the config


def with_report(status: Mapping[str, Any] | None, report: SelfTestReport) -> dict[str, Any]:
    """The company's status keeping ``report`` as its latest self-test or drift check (the web
    view waits for it there).

    A drift check that found a configured id missing in Halo puts the integration in ``error``,
    the fixes as its last error, before tickets fail; one that passes ends an error it raised.
    A check that could not reach Halo says nothing about the config.
    """
    new: dict[str, Any] = {**(status or empty_status())}
    if report.purpose == "self_test":
        new["self_test"] = report.model_dump(mode="json")
        return new
    new["drift_check"] = report.model_dump(mode="json")
    broken = [s for s in report.steps if s.fix and s.ok is False]
    if any(s.reason in TRANSIENT for s in broken):
        return new
    last = new.get("last_error") if isinstance(new.get("last_error"), dict) else None
    if broken:
        new["state"] = "error"
        new["last_error"] = {
            "reason": DRIFT,
            "message": "Halo no longer matches the configuration: "
            + "; ".join(s.fix or "" for s in broken),
            "at": report.at.isoformat(),
            "event_id": report.event_id,
        }
    elif last is not None and last.get("reason") == DRIFT and new.get("state") == "error":
        new["state"] = "active"
    return new

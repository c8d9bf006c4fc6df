"""Self-test decisions (SPEC §8): the plan, skipping after a failed prerequisite, fix texts."""

from __future__ import annotations

from typing import Any

from streamproc.core.jobs import HaloJob, HaloReply, job_id
from streamproc.core.selftest import (
    RunSelfTest,
    blocked_by,
    failed,
    fix_for,
    passed,
    plan,
    report,
    skipped,
    with_report,
)
from streamproc.core.status import empty_status
from tests.unit.core.core_builders import T0, a_config

WRITES = ("create_ticket", "read_back", "close_ticket")


def test_the_plan_checks_what_the_pipeline_uses_and_writes_only_when_asked() -> None:
    config = a_config(default_tickettype_id=1, default_priority_id=3)
    assert plan(config, write=True) == (
        "token",
        "asset_search",
        "ticket_type",
        "priority",
        "default_client",
        "default_site",
        *WRITES,
    )
    reads = plan(config, write=False)
    assert not set(WRITES) & set(reads)
    assert "user_lookup" not in reads
    assert "user_lookup" in plan(a_config(use_reference_email=True), write=False)


def test_unset_ids_are_not_checked_but_the_default_client_always_is() -> None:
    config = a_config(default_site_id=None, default_client_id=None)
    steps = plan(config, write=False)
    assert "ticket_type" not in steps
    assert "priority" not in steps
    assert "default_site" not in steps
    assert "default_client" in steps


def test_matrix_priorities_are_checked_too() -> None:
    config = a_config(priority_matrix=[{"severity": "critical", "priority_id": 1}])
    assert "priority" in plan(config, write=False)


def test_a_failed_prerequisite_blocks_its_dependents_and_skips_chain() -> None:
    config = a_config(default_tickettype_id=1, default_priority_id=3)
    done = {"token": failed("token", 12, "credentials_rejected", "401", config)}
    assert blocked_by("asset_search", done) == "token"
    done["priority"] = skipped("priority", "token")
    # a skipped prerequisite blocks too (the first one in order is named)
    assert blocked_by("create_ticket", done) == "token"
    ok = {
        "token": passed("token", 5, "ok"),
        "priority": failed("priority", 3, "missing", "", config),
    }
    assert blocked_by("ticket_type", ok) is None
    assert blocked_by("create_ticket", ok) == "priority"
    assert blocked_by("read_back", {"create_ticket": skipped("create_ticket", "priority")})


def test_fix_texts_tell_what_to_do() -> None:
    config = a_config(default_tickettype_id=7, default_priority_id=3, close_status_id=12)
    assert "client id/secret were refused" in fix_for("token", "credentials_rejected", config)
    assert "check the API application in Halo" in fix_for("token", "credentials_rejected", config)
    pick = fix_for("priority", "missing", config, available="1 Critical, 2 High", missing="3")
    wanted = "priority 3 does not exist in Halo for this ticket type: pick one from"
    assert pick == f"{wanted} 1 Critical, 2 High"
    assert "ticket type 7 does not exist" in fix_for("ticket_type", "missing", config, "1 Incident")
    assert "client 10 does not exist" in fix_for("default_client", "not_found", config)
    assert "choose a default client" in fix_for("default_client", "not_configured", config)
    assert "belongs to another client" in fix_for("default_site", "wrong_client", config)
    assert "status 12" in fix_for("close_ticket", "missing", config)
    assert "in a few minutes" in fix_for("token", "rate_limited", config)
    assert "enter the client secret again" in fix_for("token", "secret_unreadable", config)
    # any step, any reason: a sentence, never empty
    for name in plan(config, write=True):
        for reason in ("missing", "halo_unavailable", "validation_failed", "whatever"):
            assert fix_for(name, reason, config).strip()


def test_report_is_ok_only_when_every_step_passed_and_skips_have_no_fix() -> None:
    config = a_config()
    good = report("t1", False, [passed("token", 4, "ok")], T0)
    assert good.ok
    bad = report(
        "t2",
        False,
        [
            failed("token", 4, "credentials_rejected", "401", config),
            skipped("asset_search", "token"),
        ],
        T0,
    )
    assert not bad.ok
    assert bad.steps[0].fix
    assert bad.steps[1].fix is None
    assert bad.steps[1].skipped
    assert bad.steps[1].detail == "skipped: token did not pass"


def test_job_and_report_travel_as_job_and_reply_and_land_in_the_status() -> None:
    config = a_config()
    action = RunSelfTest(company_id="acme", event_id="t1", write=True)
    job = HaloJob(job_id=job_id(action), company_id="acme", config=config, action=action, at=T0)
    assert HaloJob.model_validate_json(job.model_dump_json()).action == action
    outcome = report("t1", True, [passed("token", 4, "ok")], T0)
    reply = HaloReply(job_id=job.job_id, company_id="acme", outcome=outcome, at=T0)
    assert HaloReply.model_validate_json(reply.model_dump_json()).outcome == outcome
    status = with_report({**empty_status(), "events_consumed": 5}, outcome)
    assert status["events_consumed"] == 5
    assert status["self_test"]["event_id"] == "t1"
    assert status["self_test"]["ok"] is True


def test_a_drift_check_checks_the_configured_ids_and_names_only() -> None:
    config = a_config(default_tickettype_id=1, default_site_id=None, use_reference_email=True)
    assert plan(config, write=True, purpose="check") == (
        "token",
        "ticket_type",
        "default_client",
        "close_status",
        "serial_field",
    )


def _check(*steps: Any) -> Any:
    return report("c1", False, list(steps), T0, purpose="check")


def test_a_drift_check_that_finds_an_id_missing_puts_the_status_in_error() -> None:
    config = a_config(close_status_id=77)
    gone = failed("close_status", 4, "missing", "no status 77", config, available="9 Closed")
    status = with_report(empty_status(), _check(passed("token", 3, "ok"), gone))
    assert status["state"] == "error"
    assert status["last_error"]["reason"] == "config_drift"
    assert "status 77 does not exist in Halo" in status["last_error"]["message"]
    assert "9 Closed" in status["last_error"]["message"]
    assert status["drift_check"]["event_id"] == "c1"
    assert status["self_test"] is None
    # fixed in Halo (or in the config): the next check ends the error it raised
    fine = with_report(status, _check(passed("token", 3, "ok"), passed("close_status", 2, "ok")))
    assert fine["state"] == "active"


def test_a_drift_check_says_nothing_when_halo_is_unreachable_or_the_error_is_not_its_own() -> None:
    config = a_config()
    down = failed("token", 4, "halo_unavailable", "503", config)
    assert with_report(empty_status(), _check(down))["state"] == "active"
    other = {**empty_status(), "state": "error", "last_error": {"reason": "no_client"}}
    after = with_report(other, _check(passed("token", 3, "ok")))
    assert after["state"] == "error"
    assert after["last_error"] == {"reason": "no_client"}

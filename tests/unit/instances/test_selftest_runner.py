"""The self-test's Halo steps against the project's Halo sandbox over loopback HTTP (the owner's
executor runs them; ``core/selftest.py`` decides order, skips and fixes)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from streamproc.core.selftest import TEST_SUMMARY, RunSelfTest
from streamproc.halo_sandbox import SandboxConfig, create_app
from streamproc.halo_sandbox import seed as s
from streamproc.halopsa import HaloClient, HaloCredentials
from streamproc.instances.selftest_runner import SelfTestRun
from tests.unit.core.core_builders import a_config
from tests.unit.halopsa.halo_fake import fast_config


@pytest.fixture
async def sandbox(aiohttp_server: Any) -> Any:
    server = await aiohttp_server(create_app(SandboxConfig()))
    async with aiohttp.ClientSession() as session:
        yield str(server.make_url("")).rstrip("/"), session


@pytest.fixture
async def halo() -> Any:
    async with HaloClient(fast_config(max_attempts=1)) as client:
        yield client


def _config(url: str, **overrides: Any) -> Any:
    values = {
        "base_url": url,
        "default_tickettype_id": s.TICKETTYPE_INCIDENT,
        "default_priority_id": 3,
        "default_client_id": s.CLIENT_INITECH,
        "default_site_id": s.SITE_INITECH_MAIN,
        "use_reference_email": True,
    }
    return a_config(**(values | overrides))


async def _run(halo: HaloClient, url: str, secret: str = s.DEMO_CLIENT_SECRET, **kw: Any) -> Any:
    creds = HaloCredentials(url, s.DEMO_CLIENT_ID, secret)
    action = RunSelfTest(company_id="acme", event_id="t1", write=True)
    return await SelfTestRun(halo, creds, _config(url, **kw)).run(action)


def _steps(report: Any) -> dict[str, Any]:
    return {step.name: step for step in report.steps}


async def test_a_good_config_passes_every_step_and_leaves_the_test_ticket_closed(
    sandbox: Any, halo: HaloClient
) -> None:
    url, session = sandbox
    report = await _run(halo, url)
    assert report.ok, report
    assert [st.name for st in report.steps] == [
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
    ]
    async with session.get(f"{url}/_sandbox/tickets") as r:
        tickets = (await r.json())["tickets"]
    assert len(tickets) == 1
    assert tickets[0]["summary"] == TEST_SUMMARY
    assert tickets[0]["client_id"] == s.CLIENT_INITECH
    assert tickets[0]["status_id"] == 9


async def test_a_refused_secret_fails_the_token_and_skips_the_rest(
    sandbox: Any, halo: HaloClient
) -> None:
    url, session = sandbox
    report = await _run(halo, url, secret="wrong")
    steps = _steps(report)
    assert not report.ok
    assert not steps["token"].ok
    assert "client id/secret were refused" in (steps["token"].fix or "")
    assert all(st.skipped for name, st in steps.items() if name != "token")
    async with session.get(f"{url}/_sandbox/journal") as r:
        paths = [e["path"].lower() for e in (await r.json())["entries"]]
    assert set(paths) == {"/api/authinfo", "/auth/token"}  # token discovery, then nothing


async def test_a_missing_priority_and_a_foreign_site_fail_with_their_fix(
    sandbox: Any, halo: HaloClient
) -> None:
    url, _ = sandbox
    report = await _run(halo, url, default_priority_id=99, default_site_id=s.SITE_ACME_HQ)
    steps = _steps(report)
    assert steps["token"].ok
    assert steps["ticket_type"].ok
    assert steps["priority"].fix == (
        "priority 99 does not exist in Halo for this ticket type: pick one from"
        " 1 Critical, 2 High, 3 Medium, 4 Low"
    )
    assert "belongs to another client" in (steps["default_site"].fix or "")
    assert steps["create_ticket"].skipped
    assert steps["create_ticket"].detail == "skipped: priority did not pass"
    assert steps["read_back"].skipped
    assert steps["close_ticket"].skipped


async def test_halo_failing_the_create_is_reported_with_its_timing_and_a_fix(
    sandbox: Any, halo: HaloClient
) -> None:
    url, session = sandbox
    fault = {"kind": "error5xx", "path": "/api/tickets", "method": "POST", "count": None}
    async with session.post(f"{url}/_sandbox/faults", json=fault) as r:
        assert r.status < 300
    report = await _run(halo, url)
    steps = _steps(report)
    assert steps["default_site"].ok
    assert not steps["create_ticket"].ok
    assert steps["create_ticket"].ms >= 0
    assert "run the self-test again" in (steps["create_ticket"].fix or "")
    assert steps["read_back"].skipped


async def _check(halo: HaloClient, url: str, **kw: Any) -> Any:
    creds = HaloCredentials(url, s.DEMO_CLIENT_ID, s.DEMO_CLIENT_SECRET)
    action = RunSelfTest(company_id="acme", event_id="c1", purpose="check")
    return await SelfTestRun(halo, creds, _config(url, **kw)).run(action)


async def test_a_drift_check_reads_only_and_finds_a_renamed_field_and_a_missing_status(
    sandbox: Any, halo: HaloClient
) -> None:
    url, session = sandbox
    good = await _check(halo, url)
    assert good.ok, good
    assert {"close_status", "serial_field"} <= set(_steps(good))
    bad = await _check(halo, url, close_status_id=77, serial_field_name="Serial No")
    steps = _steps(bad)
    assert steps["close_status"].fix.startswith("status 77 does not exist in Halo")
    assert "'Serial Number'" in steps["serial_field"].fix  # the field the assets do have
    assert steps["priority"].ok
    async with session.get(f"{url}/_sandbox/journal") as r:
        methods = {e["method"] for e in (await r.json())["entries"] if "/api/" in e["path"]}
    assert methods == {"GET"}


async def test_each_run_searches_halo_again_no_cache_answers_for_it(
    sandbox: Any, halo: HaloClient
) -> None:
    url, session = sandbox
    creds = HaloCredentials(url, s.DEMO_CLIENT_ID, s.DEMO_CLIENT_SECRET)
    for test_id in ("r1", "r2"):
        action = RunSelfTest(company_id="acme", event_id=test_id)
        assert (await SelfTestRun(halo, creds, _config(url)).run(action)).ok
    async with session.get(f"{url}/_sandbox/journal") as r:
        paths = [e["path"].lower() for e in (await r.json())["entries"]]
    assert paths.count("/api/asset") == 2
    assert paths.count("/api/users") == 2

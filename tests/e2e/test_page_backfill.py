"""Issue 16 (6): names, not bare ids, on the integration page, and its backfill section.

Three alerts are raised while the integration is off. Headless Chromium opens the page with an
edit link, presses Test (ticket type, priority, client, site and close status pick-lists fill with
Halo's names; a client is found by searching its name), chooses a client and one of its sites,
switches the integration on and saves. After the reload the backfill preview lists the three
alerts with where their tickets would go by name; Start creates them, the progress is polled to
"done", and the sandbox has exactly those three tickets. A view link (another browser, nothing in
its session) shows the saved ids with the names the server kept from the test.
"""

from __future__ import annotations

import re

from streamproc.halo_sandbox.seed import DEMO_CLIENT_SECRET
from tests.e2e.api_client import api, body, call, wait_configured
from tests.e2e.test_settings_page import link, options, result
from tests.support.browser import Browser
from tests.support.scenario import Stack, alert_event
from tests.support.worker import wait_for

COMPANY = "names"


def _raise(n: int) -> dict:
    # serials no sandbox asset has: the tickets go to the default client and site
    return alert_event(
        COMPANY, f"p-{n}", serial=f"SNPAGE{n}", computer_name=f"Mac {n}", minute=n, name=f"Disk {n}"
    )


def _text(browser: Browser, element: str, start: str, what: str) -> str:
    return browser.wait(
        f"(() => {{ const t = document.getElementById('{element}').innerText;"
        f" return t.startsWith({start!r}) ? t : null; }})()",
        what=what,
        timeout=90,
    )


def test_names_on_the_page_and_a_backfill_started_from_it(
    chromium,
    make_worker,
    kafka_bootstrap,
    halo_url,
    artifacts_dir,
    tmp_path,
):
    worker = make_worker("w1").start()
    stack = Stack(kafka_bootstrap, worker.topic_prefix, halo_url)
    assert call("PUT", api(worker, COMPANY), body(halo_url, enabled=False)).status == 200
    wait_configured(worker, COMPANY)
    alerts = [_raise(n) for n in range(3)]
    stack.send("watchman.alerts", *alerts)
    wait_for(lambda: len(stack.results()) >= 3, 90, "results while off", worker)
    assert {r["reason"] for r in stack.results()} == {"integration_disabled"}
    assert stack.tickets() == []

    with Browser(chromium, tmp_path / "edit", time_zone="Europe/Berlin") as browser:
        browser.open(link(worker, COMPANY, "edit"))
        browser.fill("#f-client_secret", DEMO_CLIENT_SECRET)
        browser.click("#test")
        said = result(browser, "test-result", "the pick-lists filled by Test")
        assert said.startswith("Connected:"), said
        assert "Incident (1)" in options(browser, "f-default_tickettype_id")
        assert "Medium (3)" in options(browser, "f-default_priority_id")
        assert "Initech (13)" in options(browser, "f-default_client_id")
        assert options(browser, "f-default_site_id") == ["— none —", "Initech Main Office (24)"]
        assert "Closed (9)" in options(browser, "f-close_status_id")
        assert re.fullmatch(r"(\d+) of \1 clients\.", browser.text("#client-count"))

        # a client found by name: the search is a Test on the instance owner, as Test is
        browser.fill("#client-search", "glob")
        _text(browser, "client-count", "1 of 1 clients matching", "the client search")
        assert options(browser, "f-default_client_id") == [
            "— none —",
            "Globex Ltd (12)",
            "Initech (13)",  # the chosen client stays chosen
        ]
        browser.fill("#client-search", "")
        _text(browser, "client-count", "3 of 3", "the list again")
        browser.fill("#f-default_client_id", "11")  # its sites: Test runs again by itself
        browser.wait(
            "[...document.querySelectorAll('#f-default_site_id option')]"
            ".some(o => o.text === 'Acme HQ (21)')",
            what="Acme's sites",
        )
        assert "Initech Main Office (24)" not in options(browser, "f-default_site_id")
        browser.fill("#f-default_site_id", "21")
        browser.fill("#f-close_status_id", "9")
        browser.eval("document.getElementById('f-enabled').checked = true")
        browser.screenshot(artifacts_dir / "page-names-tested.png")
        browser.click_and_reload("#save")
        said = result(browser, "save-result", "the save")
        assert said.startswith("Saved. State: active"), said
        assert browser.eval("document.getElementById('f-default_client_id').value") == "11"
        assert "Acme Corporation (11)" in options(browser, "f-default_client_id")

        # the backfill preview: the three alerts, raised in local time, routed by name
        preview = _text(browser, "backfill-body", "3 raised", "the backfill preview")
        rows = browser.eval(
            "[...document.querySelectorAll('#backfill-body tbody tr')]"
            ".map(r => [...r.cells].map(c => c.textContent))"
        )
        assert sorted(r[1] for r in rows) == ["Mac 0", "Mac 1", "Mac 2"], preview
        raised, _, alert, severity, would = rows[0]
        assert "T" not in raised  # not the ISO text: the viewer's local rendering
        assert (alert, severity) == ("Disk 0", "critical")
        assert would == (
            "create: priority Medium (3), type Incident (1), client Acme Corporation (11),"
            " site Acme HQ (21)"
        )
        browser.screenshot(artifacts_dir / "page-backfill-preview.png")
        browser.click("#start-backfill")
        done = _text(browser, "backfill-body", "Backfill done", "the backfill done")
        assert done == "Backfill done: 3 created, 0 skipped, 0 failed of 3."
        browser.screenshot(artifacts_dir / "page-backfill-done.png")

    tickets = stack.tickets()
    assert len(tickets) == 3
    assert {(t["client_id"], t["site_id"]) for t in tickets} == {(11, 21)}
    assert len({t["supplier_reference"] for t in tickets}) == 3

    # the names the server kept: a view link in a fresh browser (no Test in its session)
    status = call("GET", api(worker, COMPANY)).body["status"]
    assert status["halo_names"]["clients"]["11"] == "Acme Corporation"
    with Browser(chromium, tmp_path / "view", time_zone="Europe/Berlin") as browser:
        browser.open(link(worker, COMPANY, "view"))
        page = browser.text("#config dl")
        assert "Incident (1)" in page
        assert "Medium (3)" in page
        assert "Acme Corporation (11) / Acme HQ (21)" in page
        assert "Closed (9)" in page
        browser.screenshot(artifacts_dir / "page-names-view.png")

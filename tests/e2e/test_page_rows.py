"""Issue 16 (6): maintenance windows and the priority matrix edited as rows, not JSON.

Headless Chromium in New York time opens the page with an edit link: the windows saved by the
API are rows (kind, days, times, zone, computers; a one-off in New York time). The weekly one is
removed; a weekly and a one-off window are added through the row editor. A one-off ending before
it starts is refused with the API's own words at its row; corrected, the API has exactly those
windows: the new one-off converted from New York wall-clock time (across the March DST change) to
RFC 3339 with the right offsets, the untouched one-off exactly as it was saved. Two matrix entries
are added by name (a third that sets nothing is refused at its row, then removed), reordered, and
saved with the settings: the API has exactly them, in that order.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tests.e2e.api_client import api, body, call, wait_configured
from tests.e2e.test_settings_page import link, options, result
from tests.support.browser import Browser

COMPANY = "rows"
W1, W2, W3 = (f"#window-rows .row:nth-child({n})" for n in (1, 2, 3))
M1, M2 = "#matrix .row:nth-child(1)", "#matrix .row:nth-child(2)"


def value(browser: Browser, selector: str) -> str:
    return browser.eval(f"document.querySelector({json.dumps(selector)}).value")


def test_windows_and_matrix_are_edited_as_rows(
    chromium,
    make_worker,
    halo_url,
    artifacts_dir,
    tmp_path,
):
    worker = make_worker("w1").start()
    assert call("PUT", api(worker, COMPANY), body(halo_url)).status == 200
    wait_configured(worker, COMPANY)
    old = {
        "id": "old-night",
        "weekly": {"days": ["sat"], "from": "22:00", "to": "02:00"},
        "time_zone": "Europe/Paris",
        "computers": ["Mac 1"],
    }
    freeze = {
        "id": "freeze",
        "start": "2027-01-01T09:00:00+01:00",
        "end": "2027-01-02T09:00:00+01:00",
        "computers": [],
    }
    windows_url = api(worker, COMPANY, "/maintenance-windows")
    assert call("PUT", windows_url, {"maintenance_windows": [old, freeze]}).status == 200
    edit = link(worker, COMPANY, "edit")

    with Browser(chromium, tmp_path / "edit", time_zone="America/New_York") as browser:
        browser.open(edit)
        # the saved windows, as rows (a one-off in the viewer's time: 08:00 UTC is 03:00 EST)
        assert browser.eval("document.querySelectorAll('#window-rows .row').length") == 2
        assert value(browser, f"{W2} [data-field=kind]") == "once"
        assert value(browser, f"{W2} [data-field=start]") == "2027-01-01T03:00"
        assert value(browser, f"{W1} [data-field=id]") == "old-night"
        assert value(browser, f"{W1} [data-field=kind]") == "weekly"
        assert value(browser, f"{W1} [data-field=time_zone]") == "Europe/Paris"
        assert value(browser, f"{W1} [data-field='weekly.to']") == "02:00"
        assert value(browser, f"{W1} [data-field=computers]") == "Mac 1"
        checked = f"[...document.querySelectorAll('{W1} .days input:checked')].map(c => c.value)"
        assert browser.eval(checked) == ["sat"]
        browser.click(f"{W1} .row-buttons button")  # Remove
        assert browser.eval("document.querySelectorAll('#window-rows .row').length") == 1
        assert value(browser, f"{W1} [data-field=id]") == "freeze"

        # a weekly window: the browser's time zone is the default
        browser.click("#add-window")
        assert value(browser, f"{W2} [data-field=time_zone]") == "America/New_York"
        browser.fill(f"{W2} [data-field=id]", "patch-night")
        browser.click(f"{W2} .days input[value=sun]")
        browser.click(f"{W2} .days input[value=wed]")
        browser.fill(f"{W2} [data-field='weekly.from']", "01:00")
        browser.fill(f"{W2} [data-field='weekly.to']", "03:30")
        browser.fill(f"{W2} [data-field=alert_name_pattern]", "Windows Update*")

        # a one-off window, first ending before it starts
        browser.click("#add-window")
        browser.fill(f"{W3} [data-field=kind]", "once")
        assert browser.eval(f"document.querySelector('{W3} [data-field=start]').offsetWidth > 0")
        assert browser.eval(f"document.querySelector('{W3} .days').offsetWidth") == 0
        browser.fill(f"{W3} [data-field=id]", "move-datacenter")
        browser.fill(f"{W3} [data-field=start]", "2027-03-10T22:00")
        browser.fill(f"{W3} [data-field=end]", "2027-03-10T21:00")
        browser.fill(f"{W3} [data-field=computers]", "MAC-1,  srv-02 ,")
        browser.click("#save-windows")
        said = result(browser, "windows-result", "the refusal of the one-off window")
        assert said == "maintenance_windows.2: end must be after start", said
        rows_bad = "[...document.querySelectorAll('#window-rows .row')].map(r => r.className)"
        assert browser.eval(rows_bad) == ["row window", "row window", "row window bad"]
        assert "end must be after start" in browser.text(f"{W3} .row-error")
        assert browser.text(f"{W2} .row-error") == ""
        browser.screenshot(artifacts_dir / "page-rows-window-error.png")

        browser.fill(f"{W3} [data-field=end]", "2027-03-15T02:30")  # after the DST change
        browser.click_and_reload("#save-windows")
        assert result(browser, "windows-result", "windows saved") == "Saved 3 window(s)."
        # back in rows after the reload, in the viewer's time again
        assert value(browser, f"{W3} [data-field=start]") == "2027-03-10T22:00"
        assert value(browser, f"{W3} [data-field=end]") == "2027-03-15T02:30"
        config_list = browser.text("#config dl")
        assert "patch-night: wed,sun 01:00 to 03:30 America/New_York" in config_list

        # the matrix: two entries by name, the second moved up
        browser.click("#add-matrix")
        priorities = options(browser, "matrix .row:nth-child(1) [data-field=priority_id]")
        assert "Critical (1)" in priorities, priorities
        browser.fill(f"{M1} [data-field=severity]", "critical")
        browser.fill(f"{M1} [data-field=alert_name_pattern]", "Backup*")
        browser.fill(f"{M1} [data-field=tickettype_id] select", "2")
        browser.click("#add-matrix")
        browser.fill(f"{M2} [data-field=severity]", "warning")
        browser.fill(f"{M2} [data-field=priority_id] select", "1")
        browser.click("#add-matrix")  # an entry that sets nothing: the API's words at its row
        m3 = "#matrix .row:nth-child(3)"
        browser.fill(f"{m3} [data-field=severity]", "info")
        browser.click("#save")
        said = result(browser, "save-result", "the refusal of an entry that sets nothing")
        assert said == "priority_matrix.2: an entry must set priority_id or tickettype_id", said
        rows_bad = "[...document.querySelectorAll('#matrix .row')].map(r => r.className)"
        assert browser.eval(rows_bad) == ["row entry", "row entry", "row entry bad"]
        assert "an entry must set" in browser.text(f"{m3} .row-error")
        browser.click(f"{m3} button[title='Remove this row']")
        browser.click(f"{M2} button[title='Move up']")
        assert value(browser, f"{M1} [data-field=severity]") == "warning"
        browser.screenshot(artifacts_dir / "page-rows-editing.png")
        browser.click_and_reload("#save")
        said = result(browser, "save-result", "the save")
        assert said.startswith("Saved. State: active"), said
        assert browser.eval("document.querySelectorAll('#matrix .row').length") == 2
        assert value(browser, f"{M2} [data-field=tickettype_id] select") == "2"
        config_list = browser.text("#config dl")
        assert "1. warning, any name → priority Critical (1), type default" in config_list
        assert "2. critical, Backup* → priority default, type Alert (2)" in config_list
        browser.screenshot(artifacts_dir / "page-rows-saved.png")
        assert not [line for line in browser.console if line.startswith("uncaught")]

    saved = call("GET", windows_url).body["maintenance_windows"]
    assert saved == [
        freeze,  # untouched: sent exactly as saved, its own offset
        {
            "id": "patch-night",
            "weekly": {"days": ["wed", "sun"], "from": "01:00", "to": "03:30"},
            "time_zone": "America/New_York",
            "computers": [],
            "alert_name_pattern": "Windows Update*",
        },
        {
            "id": "move-datacenter",
            "start": "2027-03-10T22:00:00-05:00",
            "end": "2027-03-15T02:30:00-04:00",
            "computers": ["MAC-1", "srv-02"],
        },
    ], saved
    start = datetime.fromisoformat(saved[2]["start"]).astimezone(UTC)
    assert start == datetime(2027, 3, 11, 3, 0, tzinfo=UTC)
    config = call("GET", api(worker, COMPANY)).body["config"]
    assert config["priority_matrix"] == [
        {
            "severity": "warning",
            "alert_name_pattern": None,
            "priority_id": 1,
            "tickettype_id": None,
        },
        {
            "severity": "critical",
            "alert_name_pattern": "Backup*",
            "priority_id": None,
            "tickettype_id": 2,
        },
    ]
    ids = [w["id"] for w in config["maintenance_windows"]]
    assert ids == ["freeze", "patch-night", "move-datacenter"]

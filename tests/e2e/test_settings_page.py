"""Issue 16 (6): the integration page is where an administrator sets the integration up.

Headless Chromium, driven over the DevTools protocol, opens the page with an edit link, fills the
sandbox's base URL, client id and secret, presses Test (the pick-lists fill with Halo's names),
chooses, saves, and the API shows the saved config; a view link shows it all read-only, in the
viewer's local time. Screenshots land in artifacts/ for people to look at.
"""

from __future__ import annotations

import re

from streamproc.halo_sandbox.seed import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from tests.e2e.api_client import api, body, call, wait_configured
from tests.support.browser import Browser


def link(worker, company: str, scope: str) -> str:
    reply = call("POST", api(worker, company, "/links"), {"scope": scope, "ttl_seconds": 900})
    assert reply.status == 201, reply.text
    return worker.url + reply.body["url"]


def options(browser: Browser, select: str) -> list[str]:
    return browser.eval(f"[...document.querySelectorAll('#{select} option')].map(o => o.text)")


def result(browser: Browser, element: str, what: str) -> str:
    """The text a button put in ``element`` once it is no longer "…ing"."""
    return browser.wait(
        f"(() => {{ const t = document.getElementById('{element}').textContent;"
        " return t && !t.endsWith('…') && !t.startsWith('Running') ? t : null; })()",
        what=what,
    )


def test_an_edit_link_sets_up_the_integration_from_the_page(
    chromium, make_worker, halo_url, sandbox_url, unique_id, artifacts_dir, tmp_path
):
    worker = make_worker("w1").start()
    # saved once by the API (links belong to a saved config), switched off, on another instance
    old_url = f"{sandbox_url}/t/old{unique_id[-8:]}"
    assert call("PUT", api(worker, "acme"), body(old_url, enabled=False)).status == 200
    wait_configured(worker, "acme")
    edit = link(worker, "acme", "edit")

    with Browser(chromium, tmp_path / "edit", time_zone="Europe/Berlin") as browser:
        browser.open(edit)
        assert browser.eval("!!document.getElementById('settings')")
        assert browser.eval("document.getElementById('f-client_secret').value") == ""
        assert DEMO_CLIENT_SECRET not in browser.eval("document.documentElement.outerHTML")
        # the name the PUT's credential test learned, kept in the status (halo_names)
        assert "Incident (1)" in options(browser, "f-default_tickettype_id")

        # a wrong base URL: the API's validation and its words
        browser.fill("#f-base_url", "ftp://halo.example")
        browser.click("#save")
        said = result(browser, "save-result", "the refusal of a bad base URL")
        assert said == "base_url: must be a URL such as https://yourcompany.halopsa.com"

        # the new instance: without its secret the stored one is not sent to another host
        browser.fill("#f-base_url", halo_url)
        browser.fill("#f-client_id", DEMO_CLIENT_ID)
        browser.click("#test")
        said = result(browser, "test-result", "the test without a secret")
        assert "client_secret: required when the base URL, client ID or tenant changes" in said

        browser.fill("#f-client_secret", "wrong-secret")
        browser.click("#test")
        assert "credentials_rejected" in result(browser, "test-result", "a rejected secret")

        browser.fill("#f-client_secret", DEMO_CLIENT_SECRET)
        browser.click("#test")
        said = result(browser, "test-result", "the pick-lists filled by Test")
        assert said.startswith("Connected:"), said
        assert "Alert (2)" in options(browser, "f-default_tickettype_id")
        assert "High (2)" in options(browser, "f-default_priority_id")
        assert browser.eval("document.getElementById('f-default_tickettype_id').value") == "1"

        browser.fill("#f-default_tickettype_id", "2")  # another SLA: Test runs again by itself
        said = result(browser, "test-result", "the test for the new ticket type")
        assert said.startswith("Connected:"), said
        browser.fill("#f-default_priority_id", "2")
        browser.fill("#f-mode", "dry_run")
        browser.fill("#f-hold_down_seconds", "60")
        browser.eval("document.getElementById('f-enabled').checked = true")
        browser.screenshot(artifacts_dir / "settings-page-tested.png")
        browser.click_and_reload("#save")
        said = result(browser, "save-result", "the save")
        assert said.startswith("Saved. State: active"), said
        assert browser.eval("document.getElementById('f-client_secret').value") == ""
        assert browser.text("#config dl").count("dry run") == 1  # the page shows what is saved
        assert browser.eval("document.getElementById('f-default_tickettype_id').value") == "2"
        assert "Alert (2)" in options(browser, "f-default_tickettype_id")  # names kept

        browser.click("#add-window")  # a row (tests/e2e/test_page_rows.py has the rest)
        row = "#window-rows .row:nth-child(1)"
        browser.fill(f"{row} [data-field=id]", "patch-night")
        browser.click(f"{row} .days input[value=sun]")
        browser.fill(f"{row} [data-field='weekly.from']", "01:00")
        browser.fill(f"{row} [data-field='weekly.to']", "03:00")
        browser.fill(f"{row} [data-field=time_zone]", "Europe/Paris")
        browser.click_and_reload("#save-windows")
        assert result(browser, "windows-result", "windows saved") == "Saved 1 window(s)."

        backfill = browser.wait(
            "(() => { const t = document.getElementById('backfill-body').textContent;"
            " return t.startsWith('Loading') ? null : t; })()",
            what="the backfill preview",
        )
        assert "not available" in backfill or "raised alert(s)" in backfill

        browser.eval("document.getElementById('f-write').checked = false")
        browser.click("#run-self-test")
        said = result(browser, "self-test-result", "the self-test report")
        assert said.startswith("All steps passed."), said
        browser.screenshot(artifacts_dir / "settings-page-saved.png")

    saved = call("GET", api(worker, "acme")).body
    config = saved["config"]
    assert config["base_url"] == halo_url
    assert (config["default_tickettype_id"], config["default_priority_id"]) == (2, 2)
    assert (config["mode"], config["hold_down_seconds"], config["enabled"]) == ("dry_run", 60, True)
    assert saved["status"]["state"] == "active"
    assert config["maintenance_windows"][0]["id"] == "patch-night"
    assert DEMO_CLIENT_SECRET not in str(saved)

    # a view link: everything read-only, in the viewer's local time, nothing to send
    view = link(worker, "acme", "view")
    with Browser(chromium, tmp_path / "view", time_zone="Europe/Berlin") as browser:
        browser.open(view)
        assert not browser.eval("!!document.getElementById('settings')")
        assert browser.eval("document.querySelectorAll('input, select, textarea').length") == 0
        page = browser.eval("document.body.innerText")
        assert "patch-night: sun 01:00 to 03:00 Europe/Paris" in page
        assert "dry run" in page
        # the script rewrote the UTC text of every <time> to Berlin time (an hour ahead)
        saved_at = browser.eval(
            "(() => { const t = document.querySelector('#config time');"
            " return [t.title, t.textContent, t.getAttribute('datetime')]; })()"
        )
        assert saved_at[0].endswith(" UTC")
        assert saved_at[1] != saved_at[0]
        utc_hour = int(re.search(r"T(\d\d):", saved_at[2]).group(1))
        shown = re.search(r"(\d{1,2}):\d\d:\d\d\s*([AP]M)?", saved_at[1])
        hour = int(shown.group(1)) % 12 + (12 if shown.group(2) == "PM" else 0)
        hour = hour if shown.group(2) else int(shown.group(1))
        assert hour == (utc_hour + 1) % 24, saved_at
        browser.screenshot(artifacts_dir / "settings-page-view.png")


def test_page_actions_need_an_edit_link_its_form_token_and_this_origin(make_worker, halo_url):
    worker = make_worker("w1").start()
    assert call("PUT", api(worker, "acme"), body(halo_url)).status == 200
    wait_configured(worker, "acme")
    edit, view = link(worker, "acme", "edit"), link(worker, "acme", "view")
    page = call("GET", edit, token=None).text
    token = re.search(r'data-token="([^"]+)"', page).group(1)

    def action(url: str, name: str, **headers: str):
        path, _, query = url.partition("?")
        return call("POST", f"{path}/page-api/{name}?{query}", {}, token=None, headers=headers)

    assert action(view, "status", **{"X-Form-Token": token}).status == 403
    assert action(edit, "status").status == 403  # no form token
    foreign = {"X-Form-Token": token, "Origin": "https://evil.example"}
    assert action(edit, "status", **foreign).status == 403
    assert action(edit, "links", **{"X-Form-Token": token}).status == 404  # not an action
    ok = action(edit, "status", **{"X-Form-Token": token})
    assert ok.status == 200, ok.text
    assert ok.body["config"]["company_id"] == "acme"
    # the grant is not a way around the admin token for the API itself
    assert call("GET", api(worker, "acme"), token=None).status == 401

"""HTML rendering of the integration page: colours per state, fixes, escaping."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from streamproc.contracts import IntegrationConfig
from streamproc.web.page import Access, render_denied, render_page, security_headers, stylesheet
from streamproc.web.shaping import normalize_status

EVIL = "<script>alert('x')</script>"


def config(**overrides: object) -> IntegrationConfig:
    data = {
        "company_id": "acme",
        "enabled": True,
        "base_url": "https://acme.halopsa.com",
        "client_id": EVIL,
        "client_secret_encrypted": "gAAAA-ciphertext",
        "webhook_password_hash": "scrypt$hash",
        "webhook_username": "halo-acme",
        "updated_at": datetime(2026, 5, 1, tzinfo=UTC),
        **overrides,
    }
    return IntegrationConfig.model_validate(data)


def page(status: dict | None = None, activity: list | None = None, cfg=None) -> str:
    cfg = cfg if cfg is not None else config()
    return render_page(
        EVIL,
        cfg,
        normalize_status(status, cfg),
        activity or [],
        "/api/v1/halopsa/webhook/acme",
    )


def test_states_have_their_colour_class():
    assert 'data-state="active"' in page({"state": "active"})
    assert 'class="wide state state-error"' in page({"state": "error"})
    assert 'data-state="disabled"' in page(cfg=config(enabled=False))
    assert 'data-state="error"' in page({"state": "<bogus>"})


def test_last_error_shows_message_and_fix():
    html = page(
        {
            "state": "error",
            "last_error": {"reason": "permission_denied", "message": EVIL, "at": "2026-05-01"},
        }
    )
    assert 'id="last-error"' in html
    assert "How to fix" in html
    assert "agent it logs in as" in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html


def test_everything_is_escaped_and_no_secret_material_shown():
    activity = [
        {"at": "t2", "level": "error", "kind": "integration_error", "message": EVIL},
        {"at": "t1", "level": EVIL, "kind": EVIL, "message": "ok", "halo_ticket_id": 1001},
    ]
    html = page({"counters": {"created": 3, "skipped": {EVIL: 2}}}, activity)
    assert "<script>" not in html
    assert EVIL not in html
    assert "gAAAA-ciphertext" not in html
    assert "scrypt$hash" not in html
    assert "********" in html
    assert html.index("t2") < html.index("t1")  # shown in the order given (newest first)
    assert "<b>3</b>Created" in html
    assert "1001" in html


def test_no_config_and_no_activity():
    html = render_page("acme", None, normalize_status(None), [], "/x")
    assert "No HaloPSA integration" in html
    assert "No activity yet" in html


def test_denied_page_says_how_to_get_in():
    assert "signed link" in render_denied()
    assert "expired" in render_denied("expired")
    assert "revoked" in render_denied("invalid")
    assert "edit link" in render_denied("view_only")
    assert "Reload" in render_denied("form_expired")


def test_csp_allows_only_our_stylesheet_and_script_file_and_no_framing():
    import base64
    import hashlib
    import re

    headers = security_headers()
    csp = headers["Content-Security-Policy"]
    digest = base64.b64encode(hashlib.sha256(stylesheet().encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "form-action 'self'" in csp
    assert "unsafe-inline" not in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    html = page()
    [style] = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert style == stylesheet()  # exactly what the hash allows
    assert "script-src 'self';" in csp  # our script file only, never inline script
    assert re.findall(r"<script[^>]*>(.*?)</script>", html, re.S) == [""]
    assert '<script src="/static/integration.js" defer>' in html


def access(scope: str, **overrides: object) -> Access:
    fields = {
        "scope": scope,
        "expires_at": 1_800_000_000,
        "by_admin": False,
        "form_action": "/companies/acme/integrations/halopsa?link=v1.edit.1800000000.MAC",
        "form_token": "1800000000.TOKEN",
        **overrides,
    }
    return Access(**fields)


def test_a_view_link_shows_no_form_and_says_when_it_expires():
    html = render_page("acme", config(), normalize_status(None), [], "/x", access("view"))
    assert 'data-scope="view"' in html
    assert re.search(
        r'a view link, which expires at <time datetime="2027-01-15T08:00:00\+00:00">'
        r"2027-01-15 08:00 UTC</time>",
        html,
    )
    assert "<form" not in html
    assert 'id="settings"' not in html  # no settings form, nothing to send
    assert "page-api" not in html


def test_an_edit_link_shows_the_settings_form_without_the_secret():
    saved = config(default_tickettype_id=4, default_priority_id=3, hold_down_seconds=60)
    html = render_page("acme", saved, normalize_status(None), [], "/x", access("edit"))
    api = "/companies/acme/integrations/halopsa/page-api/ACTION?link=v1.edit.1800000000.MAC"
    assert f'id="settings" data-api="{api}" data-token="1800000000.TOKEN"' in html
    assert '<input type="password" name="client_secret" id="f-client_secret" value=""' in html
    assert "ID 4 (press Test for names)" in html
    assert 'id="f-hold_down_seconds" value="60"' in html
    parts = ("window-rows", "add-matrix", "run-self-test", "start-backfill", 'id="test"')
    for part in (*parts, 'id="save"'):
        assert part in html


def test_an_edit_link_shows_the_switch_with_its_form_token():
    html = render_page("acme", config(), normalize_status(None), [], "/x", access("edit"))
    assert '<form method="post" action="/companies/acme/integrations/halopsa?link=v1.edit.' in html
    assert '<input type="hidden" name="csrf" value="1800000000.TOKEN">' in html
    assert '<input type="hidden" name="enabled" value="false">' in html
    assert "Switch off" in html
    off = config(enabled=False)
    html = render_page("acme", off, normalize_status(None, off), [], "/x", access("edit"))
    assert '<input type="hidden" name="enabled" value="true">' in html
    assert "Switch on" in html
    by_admin = access("edit", by_admin=True, notice=EVIL)
    html = render_page("acme", config(), normalize_status(None), [], "/x", by_admin)
    assert "Opened with admin token." in html
    assert EVIL not in html


def test_a_halo_backlog_is_shown_while_the_budget_is_the_bottleneck():
    html = page({"state": "active", "halo_backlog": {"queued": 412, "drain_seconds": 430}})
    assert 'id="backlog"' in html
    assert "412 actions queued" in html
    assert "about 7 min" in html
    assert 'id="backlog"' not in page({"state": "active", "halo_backlog": None})


def test_ticket_links_and_policies_are_shown():
    activity = [
        {
            "at": "t1",
            "level": "info",
            "kind": "ticket_created",
            "message": "ok",
            "halo_ticket_id": 1001,
            "halo_ticket_url": "https://acme.halopsa.com/tickets?id=1001",
        },
        {
            "at": "t0",
            "level": "info",
            "kind": "x",
            "message": "m",
            "halo_ticket_id": 7,
            "halo_ticket_url": "javascript:alert(1)",
        },
    ]
    cfg = config(
        close_policy="untouched_only",
        reopen_window_seconds=3600,
        priority_matrix=[{"severity": EVIL, "priority_id": 1}],
    )
    html = page(activity=activity, cfg=cfg)
    assert '<a href="https://acme.halopsa.com/tickets?id=1001"' in html
    assert "javascript:" not in html  # only http(s) links
    assert "untouched only" in html
    assert "3600 s" in html
    assert "<script>" not in html


def test_times_are_marked_for_the_viewers_local_time_with_utc_text_without_script():
    from streamproc.web.page_form import local_time

    shown = local_time("2026-05-01T10:15:00+02:00")
    assert shown == '<time datetime="2026-05-01T10:15:00+02:00">2026-05-01 08:15 UTC</time>'
    assert local_time(None) == "never"
    assert local_time("<b>not a time</b>") == "&lt;b&gt;not a time&lt;/b&gt;"


NAMES = {
    "ticket_types": {"1": "Alert"},
    "priorities": {"2": "High"},
    "clients": {"11": "Acme <Corp>"},
    "sites": {"21": "Acme HQ"},
    "statuses": {"9": "Closed"},
    "at": "2026-05-01T00:00:00+00:00",
}


def test_saved_ids_show_halo_names_kept_from_the_latest_test_and_bare_ids_otherwise():
    cfg = config(
        default_tickettype_id=1,
        default_priority_id=2,
        default_client_id=11,
        default_site_id=22,
        close_status_id=9,
        priority_matrix=[{"severity": "critical", "priority_id": 2, "tickettype_id": 3}],
    )
    html = page({"halo_names": NAMES}, cfg=cfg)
    assert "<dd>Alert (1)</dd>" in html
    assert "<dd>High (2)</dd>" in html
    assert "<dd>Acme &lt;Corp&gt; (11) / 22</dd>" in html  # site 22 was never named
    assert "<dd>Closed (9)</dd>" in html
    assert "priority High (2), type 3" in html
    bare = page(None, cfg=cfg)
    assert "<dd>1</dd>" in bare
    assert "<dd>11 / 22</dd>" in bare


def test_the_form_offers_the_kept_names_until_test_fills_the_lists():
    cfg = config(default_client_id=11, default_site_id=21, close_status_id=9)
    status = normalize_status({"halo_names": NAMES}, cfg)
    html = render_page("acme", cfg, status, [], "/x", access("edit"))
    assert '<option value="11" selected>Acme &lt;Corp&gt; (11)</option>' in html
    assert '<option value="21" selected>Acme HQ (21)</option>' in html
    assert '<option value="9" selected>Closed (9)</option>' in html
    assert 'id="client-search"' in html
    assert "data-names=" in html


def test_the_row_editors_get_the_saved_matrix_and_windows_as_escaped_json():
    from html import unescape

    window = {"id": EVIL, "start": "2027-03-10T22:00:00-05:00", "end": "2027-03-11T02:00:00-05:00"}
    cfg = config(
        priority_matrix=[{"severity": EVIL, "priority_id": 1}],
        maintenance_windows=[window],
    )
    html = render_page("acme", cfg, normalize_status(None, cfg), [], "/x", access("edit"))
    assert "<script>" not in html
    assert "<textarea" not in html  # rows, not JSON to write by hand
    matrix = re.search(r'id="matrix" data-matrix="([^"]*)"', html).group(1)
    assert json.loads(unescape(matrix)) == [{"severity": EVIL, "priority_id": 1}]
    windows = re.search(r'id="window-rows" data-windows="([^"]*)"', html).group(1)
    assert json.loads(unescape(windows)) == [{**window, "computers": []}]


def test_the_saved_windows_show_one_off_times_in_local_time_and_escape_names():
    once = {"id": EVIL, "start": "2027-03-10T22:00:00-05:00", "end": "2027-03-11T02:00:00-05:00"}
    weekly = {"id": "nightly", "weekly": {"days": ["sun"], "from": "01:00", "to": "03:00"}}
    cfg = config(maintenance_windows=[once, {**weekly, "time_zone": "Europe/Paris"}])
    html = render_page("acme", cfg, normalize_status(None, cfg), [], "/x", access("view"))
    shown = re.search(r"<dt>Maintenance windows</dt><dd>(.*?)</dd>", html).group(1)
    assert "<script>" not in shown  # the window's id is escaped
    # the script rewrites <time> to the viewer's zone; without it, UTC
    assert '<time datetime="2027-03-10T22:00:00-05:00">2027-03-11 03:00 UTC</time>' in shown
    assert "nightly: sun 01:00 to 03:00 Europe/Paris" in shown

"""The settings form of the integration page (pure HTML; the behaviour is static/integration.js).

Shown to editors only (admin token or an edit link); a view link sees the saved configuration as
a list instead. Every field has the API body's name; the script sends them as the JSON body of
the API (through :mod:`streamproc.web.page_api`), so validation and error texts are the API's.
The client secret is write-only: never rendered, and left empty it keeps the stored one.
Pick-lists hold the saved id until "Test" fills them with Halo's names.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html import escape
from typing import Any

from streamproc.contracts import IntegrationConfig
from streamproc.core.halo_names import name_of


def e(value: Any) -> str:
    """Escape any value for HTML text and attributes ("" for None)."""
    return "" if value is None else escape(str(value), quote=True)


def local_time(iso: Any) -> str:
    """A timestamp the script shows in the viewer's local time (UTC text without script)."""
    if not iso:
        return "never"
    try:
        moment = datetime.fromisoformat(str(iso))
    except ValueError:
        return e(iso)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    text = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f'<time datetime="{e(moment.isoformat())}">{e(text)}</time>'


def _text(name: str, label: str, value: Any, hint: str = "", kind: str = "text") -> str:
    extra = f'<small class="muted">{e(hint)}</small>' if hint else ""
    return (
        f'<label>{e(label)}<input type="{kind}" name="{name}" id="f-{name}" value="{e(value)}"'
        f' autocomplete="off">{extra}</label>'
    )


def _check(name: str, label: str, on: bool) -> str:
    checked = " checked" if on else ""
    return (
        f'<label class="check"><input type="checkbox" name="{name}" id="f-{name}"{checked}>'
        f"{e(label)}</label>"
    )


def _select(name: str, label: str, options: list[tuple[Any, str]], chosen: Any) -> str:
    items = "".join(
        f'<option value="{e(v)}"{" selected" if v == chosen else ""}>{e(text)}</option>'
        for v, text in options
    )
    return f'<label>{e(label)}<select name="{name}" id="f-{name}">{items}</select></label>'


def named(names: Any, kind: str, value: Any, none: str = "—") -> str:
    """``Name (id)`` with Halo's name the latest credential test learned, else the bare id."""
    if value is None:
        return none
    name = name_of(names, kind, value)
    return f"{name} ({value})" if name else str(value)


def _picked(name: str, label: str, current: int | None, names: Any = None, kind: str = "") -> str:
    """A pick-list Test fills with Halo's names; until then it holds the saved id (with the
    name learned by the latest test, when there is one)."""
    options: list[tuple[Any, str]] = [("", "— none —")]
    if current is not None:
        known = name_of(names, kind, current)
        options.append(
            (current, f"{known} ({current})" if known else f"ID {current} (press Test for names)")
        )
    return _select(name, label, options, current if current is not None else "")


def _ids(values: tuple[int, ...]) -> str:
    return ", ".join(map(str, values))


def _matrix(config: IntegrationConfig) -> str:
    """The matrix entries as JSON for the script's row editor (data-matrix)."""
    return json.dumps(
        [m.model_dump(mode="json", exclude_none=True) for m in config.priority_matrix]
    )


def _windows(config: IntegrationConfig) -> str:
    """The maintenance windows as JSON for the script's row editor (data-windows)."""
    return json.dumps(
        [w.model_dump(mode="json", exclude_none=True) for w in config.maintenance_windows]
    )


def render_form(config: IntegrationConfig, api_url: str, token: str, names: Any = None) -> str:
    """The editor's sections: settings (with Test and Save), maintenance windows, self-test and
    backfill. ``api_url`` has ``ACTION`` where the page action goes; ``names``: the status's
    ``halo_names`` (the pick-lists show them until Test fills in Halo's lists)."""
    c = config
    connection = "".join(
        [
            _text("base_url", "Base URL", c.base_url, "e.g. https://yourcompany.halopsa.com"),
            _text("client_id", "Client ID", c.client_id),
            '<label>Client secret<input type="password" name="client_secret"'
            ' id="f-client_secret" value="" autocomplete="new-password"'
            ' placeholder="saved — leave empty to keep it"></label>',
            _text("tenant", "Tenant (hosted Halo only)", c.tenant),
            '<div class="actions"><button type="button" id="test">Test</button>'
            '<span class="result" id="test-result" role="status"></span></div>',
        ]
    )
    tickets = "".join(
        [
            _picked(
                "default_tickettype_id",
                "Ticket type",
                c.default_tickettype_id,
                names,
                "ticket_types",
            ),
            _picked("default_priority_id", "Priority", c.default_priority_id, names, "priorities"),
            _picked("default_client_id", "Default client", c.default_client_id, names, "clients"),
            '<label>Find a client by name<input type="search" id="client-search"'
            ' autocomplete="off" placeholder="type part of the name, then Enter">'
            '<small class="muted" id="client-count"></small></label>',
            _picked("default_site_id", "Default site", c.default_site_id, names, "sites"),
            _check("use_reference_email", "Requester by reference email", c.use_reference_email),
            _text("serial_field_name", "Serial field", c.serial_field_name),
            _picked("close_status_id", "Close status", c.close_status_id, names, "statuses"),
        ]
    )
    modes = [("live", "Live"), ("dry_run", "Dry run (reads Halo, writes nothing)")]
    closes = [
        ("always", "Always close on clear"),
        ("untouched_only", "Only tickets nobody worked on"),
        ("never", "Never (add a note)"),
    ]
    policies = "".join(
        [
            _check("enabled", "Integration on", c.enabled),
            _select("mode", "Mode", modes, c.mode),  # type: ignore[arg-type]
            _select("close_policy", "Close policy", closes, c.close_policy),  # type: ignore[arg-type]
            _text("reopen_window_seconds", "Reopen window (s, 0 = off)", c.reopen_window_seconds),
            _text(
                "no_reopen_status_ids",
                "Never reopen statuses (IDs)",
                _ids(c.no_reopen_status_ids),
            ),
            _text("hold_down_seconds", "Flap hold-down (s, 0 = off)", c.hold_down_seconds),
            _text(
                "repeat_note_interval_seconds",
                "Occurrence notes at most every (s, 0 = off)",
                c.repeat_note_interval_seconds,
            ),
        ]
    )
    # rows the script builds from data-matrix / data-windows (and reads back into the API's JSON)
    matrix = (
        "<fieldset><legend>Priority matrix</legend>"
        '<p class="muted">The first entry that matches an alert sets its ticket\'s priority and/or'
        " type; the defaults above fill in the rest. Name patterns are shell-style (Disk*),"
        " case-insensitive.</p>"
        f'<div class="rows" id="matrix" data-matrix="{e(_matrix(c))}"></div>'
        '<div class="actions"><button type="button" id="add-matrix">Add entry</button></div>'
        "</fieldset>"
    )
    known = json.dumps(names if isinstance(names, dict) else {})
    return (
        f'<section class="wide" id="settings" data-api="{e(api_url)}" data-token="{e(token)}"'
        f' data-names="{e(known)}">'
        "<h2>Settings</h2>"
        f'<fieldset><legend>Connection</legend><div class="grid">{connection}</div></fieldset>'
        f'<fieldset><legend>Tickets</legend><div class="grid">{tickets}</div></fieldset>'
        f'<fieldset><legend>Operation and policies</legend><div class="grid">{policies}</div>'
        "</fieldset>"
        f"{matrix}"
        '<div class="actions"><button type="button" id="save" class="primary">Save</button>'
        '<span class="result" id="save-result" role="status"></span></div></section>'
        '<section class="wide" id="windows"><h2>Maintenance windows</h2>'
        '<p class="muted">An alert raised inside a window gets no ticket until the window ends'
        " (then it gets one if it is still raised). One-off times are in your time zone; weekly"
        " times in the window's own. Leave computers and alert names empty for all.</p>"
        f'<div class="rows" id="window-rows" data-windows="{e(_windows(c))}"></div>'
        '<datalist id="time-zones"></datalist>'
        '<div class="actions"><button type="button" id="add-window">Add window</button>'
        '<button type="button" id="save-windows" class="primary">Save windows</button>'
        '<span class="result" id="windows-result" role="status"></span></div></section>'
        '<section class="wide" id="self-test"><h2>Self-test</h2>'
        + _check("write", "Create, read back and close a test ticket", c.mode == "live")
        + '<div class="actions"><button type="button" id="run-self-test">Run self-test</button>'
        '<button type="button" id="run-check">Check saved IDs</button></div>'
        '<div class="result" id="self-test-result" role="status"></div></section>'
        '<section class="wide" id="backfill"><h2>Backfill</h2>'
        '<div id="backfill-body" class="muted">Loading the preview…</div>'
        '<div class="actions"><button type="button" id="start-backfill" hidden>'
        "Create these tickets</button></div></section>"
    )

"""The integration page for people (pure HTML rendering; every value is HTML-escaped).

One inline stylesheet allowed by its hash and one script file from this origin
(static/integration.js: the settings form, local times): :func:`security_headers` sends a
Content-Security-Policy that allows nothing else (no inline script), lets the script talk only to
this origin, posts forms only here and lets no other site frame the page (clickjacking).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from typing import Any

from streamproc.contracts import IntegrationConfig
from streamproc.web.page_form import e, local_time, named, render_form
from streamproc.web.shaping import ACTIONS
from streamproc.web.validation import OBSCURED

STATE_LABELS = {"active": "Active", "error": "Error", "disabled": "Disabled"}


@lru_cache(maxsize=1)
def stylesheet() -> str:
    """The page's CSS (shipped in streamproc/web/static)."""
    return resources.files("streamproc.web").joinpath("static/integration.css").read_text()


@lru_cache(maxsize=1)
def security_headers() -> dict[str, str]:
    """The headers of every HTML answer: CSP (only our stylesheet), no framing, no caching."""
    digest = base64.b64encode(hashlib.sha256(stylesheet().encode()).digest()).decode()
    return {
        "Content-Security-Policy": (
            f"default-src 'none'; style-src 'sha256-{digest}'; script-src 'self';"
            " connect-src 'self'; form-action 'self';"
            " frame-ancestors 'none'; base-uri 'none'"
        ),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
    }


@dataclass(frozen=True)
class Access:
    """What the viewer may do (shown on the page) and, to edit, the form's action and token."""

    scope: str  # "view" or "edit"
    expires_at: int
    by_admin: bool
    form_action: str = ""
    form_token: str = ""
    notice: str = ""


def _when(epoch: int) -> str:
    return local_time(datetime.fromtimestamp(epoch, UTC).isoformat())


def _access_section(access: Access, config: IntegrationConfig | None) -> str:
    who = (
        "admin token"
        if access.by_admin
        else f"{'an edit' if access.scope == 'edit' else 'a view'} link"
    )
    until = "" if access.by_admin else f", which expires at {_when(access.expires_at)}"
    notice = f'<p class="notice" id="notice">{e(access.notice)}</p>' if access.notice else ""
    parts = [
        f'<section class="wide" id="access" data-scope="{e(access.scope)}">',
        f'{notice}<p class="muted">Opened with {e(who)}{until}.</p>',
    ]
    if access.scope == "edit" and config is not None:
        turn_on = not config.enabled
        parts.append(
            f'<form method="post" action="{e(access.form_action)}" id="switch">'
            f'<input type="hidden" name="csrf" value="{e(access.form_token)}">'
            f'<input type="hidden" name="enabled" value="{"true" if turn_on else "false"}">'
            f'<button type="submit">{"Switch on" if turn_on else "Switch off"}</button>'
            "</form>"
        )
    parts.append("</section>")
    return "".join(parts)


def _backlog_line(backlog: Any) -> str:
    """While Halo's rate limit is the bottleneck: how much waits and for how long."""
    if not isinstance(backlog, dict) or not backlog.get("queued"):
        return ""
    minutes = max(1, round(float(backlog.get("drain_seconds") or 0) / 60))
    return (
        f'<div class="backlog" id="backlog">Halo\'s rate limit is the bottleneck:'
        f" {e(backlog['queued'])} actions queued for this Halo instance, about {minutes} min to"
        " work through. Nothing is lost.</div>"
    )


def _dry_run_line(summary: Any) -> str:
    """What dry run would have done in the last 24 h (SPEC §8), as one sentence."""
    if not isinstance(summary, dict) or not summary.get("sentence"):
        return ""
    return f'<div class="dry-run" id="dry-run">{e(summary["sentence"])}</div>'


def _state_section(status: dict[str, Any]) -> str:
    state = status.get("state") if status.get("state") in STATE_LABELS else "error"
    err = status.get("last_error") if isinstance(status.get("last_error"), dict) else None
    parts = [
        f'<section class="wide state state-{e(state)}" id="state" data-state="{e(state)}">',
        f'<span class="badge">{e(STATE_LABELS[state])}</span>',
        "<div><h2>Integration status</h2>",
        f'<div class="muted">Last success: {local_time(status.get("last_success"))}</div>',
        _backlog_line(status.get("halo_backlog")),
        _dry_run_line(status.get("dry_run")),
        "</div></section>",
    ]
    if err:
        action = err.get("action") or ACTIONS.get(str(err.get("reason")), "")
        parts.append(
            '<section class="wide" id="last-error"><h2>Last error</h2><div class="error-box">'
            f"<div><b>{e(err.get('reason'))}</b> at {local_time(err.get('at'))}</div>"
            f'<div class="message">{e(err.get("message"))}</div>'
            f'<div class="fix"><b>How to fix:</b> {e(action)}</div>'
            "</div></section>"
        )
    return "".join(parts)


def _config_section(config: IntegrationConfig | None, webhook_url: str, names: Any = None) -> str:
    if config is None:
        return (
            '<section id="config"><h2>Configuration</h2><p class="muted">No HaloPSA integration '
            "is saved for this company.</p></section>"
        )
    rows = [
        ("Enabled", "yes" if config.enabled else "no"),
        ("Base URL", config.base_url),
        ("Client ID", config.client_id),
        ("Client secret", OBSCURED),
        ("Tenant", config.tenant or "—"),
        ("Default ticket type", named(names, "ticket_types", config.default_tickettype_id)),
        ("Default priority", named(names, "priorities", config.default_priority_id)),
        (
            "Default client / site",
            f"{named(names, 'clients', config.default_client_id)} /"
            f" {named(names, 'sites', config.default_site_id)}",
        ),
        ("Requester by reference email", "yes" if config.use_reference_email else "no"),
        ("Serial field", config.serial_field_name),
        ("Close status", named(names, "statuses", config.close_status_id)),
        *_policy_rows(config, names),
        ("Webhook URL", webhook_url),
        ("Webhook user", config.webhook_username or "—"),
    ]
    items = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in rows)
    items += f"<dt>Maintenance windows</dt><dd>{_windows(config)}</dd>"
    items += f"<dt>Saved at</dt><dd>{local_time(config.updated_at.isoformat())}</dd>"
    return f'<section id="config"><h2>Configuration</h2><dl>{items}</dl></section>'


def _seconds(value: int) -> str:
    return f"{value} s" if value else "off"


def _policy_rows(config: IntegrationConfig, names: Any = None) -> list[tuple[str, Any]]:
    """The ticket policies (SPEC §7) in words (Halo's names beside the ids when known)."""
    matrix = "; ".join(
        f"{i + 1}. {m.severity or 'any severity'}, {m.alert_name_pattern or 'any name'} →"
        f" priority {named(names, 'priorities', m.priority_id, 'default')},"
        f" type {named(names, 'ticket_types', m.tickettype_id, 'default')}"
        for i, m in enumerate(config.priority_matrix)
    )
    never = ", ".join(named(names, "statuses", i) for i in config.no_reopen_status_ids)
    mode = "dry run (reads Halo, writes nothing)" if config.mode == "dry_run" else "live"
    return [
        ("Mode", mode),
        ("Priority matrix", matrix or "— (the defaults)"),
        ("Close policy", config.close_policy.replace("_", " ")),
        ("Reopen window", _seconds(config.reopen_window_seconds)),
        ("Never reopen statuses", never or "—"),
        ("Occurrence notes at most every", _seconds(config.repeat_note_interval_seconds)),
        ("Flap hold-down", _seconds(config.hold_down_seconds)),
    ]


def _windows(config: IntegrationConfig) -> str:
    """The maintenance windows in words, as HTML: a one-off window's times in the viewer's local
    time (``<time>``), a weekly window's in its own time zone (that is what it is kept in)."""
    out = []
    for w in config.maintenance_windows:
        if w.weekly is not None:
            days = ",".join(w.weekly.days)
            out.append(e(f"{w.id}: {days} {w.weekly.from_} to {w.weekly.to} {w.time_zone}"))
        else:
            start, end = w.start and w.start.isoformat(), w.end and w.end.isoformat()
            out.append(f"{e(w.id)}: {local_time(start)} to {local_time(end)}")
    return "; ".join(out) or "—"


def _counters_section(status: dict[str, Any]) -> str:
    counters = status.get("counters") if isinstance(status.get("counters"), dict) else {}
    skipped = counters.get("skipped") if isinstance(counters.get("skipped"), dict) else {}
    boxes = [
        ("Created", counters.get("created", 0)),
        ("Closed", counters.get("closed", 0)),
        ("Failed", counters.get("failed", 0)),
        ("Skipped", sum(v for v in skipped.values() if isinstance(v, int))),
        ("Events", status.get("events_consumed", 0)),
    ]
    html = "".join(f'<div class="counter"><b>{e(v)}</b>{e(k)}</div>' for k, v in boxes)
    reasons = "".join(f"<li>{e(k)}: {e(v)}</li>" for k, v in sorted(skipped.items()))
    extra = f'<ul class="muted">{reasons}</ul>' if reasons else ""
    return (
        f'<section id="counters"><h2>Counters</h2><div class="counters">{html}</div>{extra}'
        "</section>"
    )


def _ticket_cell(entry: dict[str, Any]) -> str:
    """The entry's ticket number, linked to the ticket in Halo when the entry has its URL."""
    ticket, url = entry.get("halo_ticket_id"), entry.get("halo_ticket_url")
    if not ticket:
        return ""
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        return f'<a href="{e(url)}" target="_blank" rel="noopener noreferrer">#{e(ticket)}</a>'
    return f"#{e(ticket)}"


def _activity_section(entries: list[dict[str, Any]]) -> str:
    if not entries:
        body = '<p class="muted">No activity yet.</p>'
    else:
        rows = "".join(
            f'<tr class="entry"><td>{local_time(x.get("at"))}</td>'
            f'<td class="lvl lvl-{e(x.get("level"))}">{e(x.get("level"))}</td>'
            f"<td>{e(x.get('kind'))}</td><td>{e(x.get('message'))}</td>"
            f"<td>{_ticket_cell(x)}</td></tr>"
            for x in entries
        )
        body = (
            "<table><thead><tr><th>When</th><th>Level</th><th>What</th><th>Message</th>"
            f"<th>Ticket</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    return f'<section class="wide" id="activity"><h2>Recent activity</h2>{body}</section>'


def render_page(
    company_id: str,
    config: IntegrationConfig | None,
    status: dict[str, Any],
    activity: list[dict[str, Any]],
    webhook_url: str,
    access: Access | None = None,
) -> str:
    """The whole page: state (colour-coded), last error with its fix, config, counters, activity,
    and who opened it with what right (with the on/off form when that right is to edit).

    ``activity`` is shown in the order given (pass it newest first).
    """
    names = status.get("halo_names")  # what the latest credential test learned
    access_html = _access_section(access, config) if access is not None else ""
    editing = access is not None and access.scope == "edit" and config is not None
    form_html = ""
    if editing:
        path, _, query = access.form_action.partition("?")  # type: ignore[union-attr]
        api_url = f"{path}/page-api/ACTION" + (f"?{query}" if query else "")
        form_html = render_form(config, api_url, access.form_token, names)  # type: ignore[arg-type,union-attr]
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>HaloPSA integration · {e(company_id)}</title>"
        f'<style>{stylesheet()}</style><script src="/static/integration.js" defer></script>'
        "</head><body>"
        f"<header><h1>HaloPSA integration</h1><p>Company {e(company_id)}</p></header><main>"
        f"{access_html}{_state_section(status)}{form_html}"
        f"{_config_section(config, webhook_url, names)}"
        f"{_counters_section(status)}{_activity_section(activity)}"
        "</main></body></html>"
    )


DENIED = {
    "missing": "Open this page with a signed link (<code>?link=</code>) or an admin bearer token.",
    "invalid": "This link is not valid, or it was revoked. Ask your administrator for a new one.",
    "expired": "This link has expired. Ask your administrator for a new one.",
    "view_only": "This link lets you view the page, not change it. Ask for an edit link.",
    "form_expired": "This form is out of date or did not come from this page. Reload the page.",
    "throttled": "Too many failed attempts from your address. Try again in a minute.",
}


def render_denied(reason: str = "missing") -> str:
    """The page refusing access, saying why and what to do (texts in :data:`DENIED`)."""
    title = "Too many attempts" if reason == "throttled" else "Unauthorized"
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{stylesheet()}</style></head><body><header><h1>{title}</h1></header>"
        f'<main><section class="wide" id="denied" data-reason="{e(reason)}">'
        f"{DENIED.get(reason, DENIED['missing'])}</section></main></body></html>"
    )

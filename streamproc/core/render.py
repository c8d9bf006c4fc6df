"""Ticket content: the Halo ``summary`` and ``details_html`` for alerts and manual warnings.

Deterministic and HTML-safe: every value from Watchman passes through :func:`html.escape`.
Summaries are at most 255 characters (Halo's subject length), truncated with "…".
"""

from __future__ import annotations

from html import escape

from streamproc.contracts import AlertEvent, Computer, ManualWarning

SUMMARY_MAX = 255
ELLIPSIS = "…"


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in "…" when it was cut."""
    if len(text) <= limit:
        return text
    return text[: limit - len(ELLIPSIS)] + ELLIPSIS


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _rows(rows: list[tuple[str, str | None]]) -> str:
    cells = [
        f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>"
        for label, value in rows
        if value
    ]
    return "<table>" + "".join(cells) + "</table>"


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{escape(line)}</p>" for line in text.splitlines() if line.strip())


def computer_html(computer: Computer) -> str:
    """HTML section describing the computer and its reference fields (empty ones left out)."""
    ref = computer.reference
    rows = [
        ("Watchman ID", computer.watchman_id),
        ("Computer", computer.name),
        ("Platform", computer.platform),
        ("OS", computer.os_version),
        ("Serial number", computer.serial_number),
        ("Reference email", ref.email),
        ("Reference user", ref.user),
        ("Reference site", ref.site),
        ("Reference asset", ref.asset),
    ]
    return "<h3>Computer</h3>" + _rows(rows)


def alert_summary(event: AlertEvent) -> str:
    """Ticket subject: ``<alert name> on <computer name>``, single line, ≤ 255 characters."""
    text = f"{_one_line(event.alert.name)} on {_one_line(event.computer.name)}"
    return truncate(text, SUMMARY_MAX)


def alert_details_html(event: AlertEvent) -> str:
    """Ticket body: alert name, severity and summary, then the computer section."""
    alert = event.alert
    return (
        f"<h2>{escape(alert.name)}</h2>"
        + _rows([("Severity", alert.severity), ("Watchman alert ID", alert.id)])
        + _paragraphs(alert.summary)
        + computer_html(event.computer)
    )


def warning_summary(warning: ManualWarning) -> str:
    """Ticket subject for a manual warning: ``<title> on <computer name>``, ≤ 255 characters."""
    text = f"{_one_line(warning.warning.title)} on {_one_line(warning.computer.name)}"
    return truncate(text, SUMMARY_MAX)


def warning_details_html(warning: ManualWarning) -> str:
    """Ticket body for a manual warning: title, who raised it, body, then the computer."""
    details = warning.warning
    return (
        f"<h2>{escape(details.title)}</h2>"
        + _rows([("Raised by", details.created_by), ("Watchman warning ID", details.id)])
        + _paragraphs(details.body)
        + computer_html(warning.computer)
    )

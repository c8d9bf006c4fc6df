"""The `make run` demo: configure a company against the sandbox and stream alerts through it.

It talks to the running worker only through Kafka (and the sandbox's admin routes to work on and
close tickets as a technician would), and prints each result, command and activity entry as it
happens. The demo company uses two ticket policies (SPEC §7): tickets a technician worked on are
left open with a note (``close_policy: untouched_only``), and an alert raised again within ten
minutes of its ticket's close reopens that ticket (``reopen_window_seconds: 600``).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from streamproc.contracts import IntegrationConfig, encode
from streamproc.halo_sandbox.seed import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from streamproc.kafka.connection import client_kwargs
from streamproc.secretbox import SecretBox
from streamproc.settings import Settings

# A fresh company per run: Kafka keeps the last run's ticket state, the sandbox starts empty.
COMPANY = f"demo-msp-{uuid.uuid4().hex[:6]}"
OUTPUTS = (
    "halopsa.ticket-results",
    "watchman.alert-commands",
    "watchman.activity-feed",
    "streamproc.dead-letter",
)


def _alert(
    alert_id: str, event_type: str, *, company: str = COMPANY, **overrides: Any
) -> dict[str, Any]:
    computer = {
        "watchman_id": "wm-1001",
        "name": "Alice's MacBook Pro",
        "serial_number": "C02ABC123XYZ",
        "platform": "mac",
        "os_version": "14.6",
        "reference": {"email": "alice@acme.example"},
    }
    computer.update(overrides.pop("computer", {}))
    alert = {
        "id": alert_id,
        "name": "Disk almost full",
        "summary": "The boot volume has less than 5% free space.",
        "severity": "critical",
        "visible": True,
        "muted": False,
    }
    alert.update(overrides)
    return {
        "event_id": f"demo-{uuid.uuid4().hex[:10]}",
        "event_type": event_type,
        "occurred_at": datetime.now(UTC).isoformat(),
        "company_id": company,
        "alert": alert,
        "computer": computer,
    }


TOUCH = "touch"  # a script step working on a ticket in the sandbox, not a Kafka record
NOTES = "notes"  # a script step printing a ticket's status and notes from the sandbox


def _script() -> list[tuple[str, str, Any]]:
    """(topic, what it shows, record), or (TOUCH, what it shows, summary of the ticket)."""
    return [
        (
            "watchman.alerts",
            "an actionable alert (serial matches a Halo asset)",
            _alert("a-1", "raised"),
        ),
        ("watchman.alerts", "the same alert again", _alert("a-1", "updated")),
        ("watchman.alerts", "a hidden alert", _alert("a-2", "raised", visible=False)),
        (
            "watchman.alerts",
            "an alert on a computer Halo does not know",
            _alert("a-3", "raised", name="Backup overdue", computer={"serial_number": "UNKNOWN1"}),
        ),
        (
            "watchman.alerts",
            "a computer whose asset type renamed 'Serial Number'",
            _alert(
                "a-4", "raised", name="SMART warning", computer={"serial_number": "C02RENAMED01"}
            ),
        ),
        (
            "watchman.manual-warnings",
            "a manual warning",
            {
                "event_id": f"demo-{uuid.uuid4().hex[:10]}",
                "occurred_at": datetime.now(UTC).isoformat(),
                "company_id": COMPANY,
                "warning": {
                    "id": "w-1",
                    "title": "Replace battery",
                    "body": "Battery health at 61%.",
                    "created_by": "tech@msp.example",
                },
                "computer": {"watchman_id": "wm-2", "name": "Front desk PC", "platform": "windows"},
            },
        ),
        ("watchman.alerts", "the first alert clears", _alert("a-1", "cleared")),
        (
            "watchman.alerts",
            "the first alert is raised again within the reopen window",
            _alert("a-1", "raised"),
        ),
        (TOUCH, "a technician logs time on the SMART warning's ticket in Halo", "SMART warning"),
        (
            "watchman.alerts",
            "the SMART warning clears (a technician worked on its ticket)",
            _alert(
                "a-4", "cleared", name="SMART warning", computer={"serial_number": "C02RENAMED01"}
            ),
        ),
        (NOTES, "the SMART warning's ticket in Halo: still open, with our private note", "SMART"),
        ("watchman.alerts", "not JSON at all", b"{oops"),
    ]


def _line(topic: str, record: dict[str, Any]) -> str:
    if topic.endswith("ticket-results"):
        ticket = f" #{record['halo_ticket_id']}" if record.get("halo_ticket_id") else ""
        subject = record.get("alert_id") or record.get("warning_id")
        link = f"  [{record['halo_ticket_url']}]" if record.get("halo_ticket_url") else ""
        return (
            f"result   {record['outcome']:<8}{ticket:<6} {subject} ({record['reason']}):"
            f" {record['message']}{link}"
        )
    if topic.endswith("alert-commands"):
        ticket = record["halo_ticket_id"]
        return f"command  {record['command']:<8} alert {record['alert_id']} (ticket #{ticket})"
    if topic.endswith("dead-letter"):
        return f"dead-letter {record['error_kind']}: {record['error']}"
    return f"activity {record['level']:<8} {record['message']}"


async def _demo(settings: Settings, sandbox_url: str) -> None:
    producer = AIOKafkaProducer(**client_kwargs(settings))
    consumer = AIOKafkaConsumer(
        *(settings.topic(t) for t in OUTPUTS),
        **client_kwargs(settings),
        auto_offset_reset="latest",
        group_id=f"demo-viewer-{uuid.uuid4().hex[:6]}",
    )
    await producer.start()
    await consumer.start()
    try:
        await _configure(producer, settings, sandbox_url)
        await asyncio.sleep(1.0)
        for topic, what, record in _script():
            click.secho(f"\n--> {what}", fg="yellow")
            if topic == TOUCH:
                await _in_halo(sandbox_url, record, "touch", {"kind": "time", "hours": 0.5})
                await _show(consumer, seconds=0.5)
                continue
            if topic == NOTES:
                await _print_notes(sandbox_url, record)
                continue
            value = record if isinstance(record, bytes) else json.dumps(record).encode()
            await producer.send_and_wait(settings.topic(topic), value, key=COMPANY.encode())
            await _show(consumer, seconds=2.0)
        click.secho("\n--> a technician closes ticket for alert a-3 in Halo", fg="yellow")
        await _in_halo(sandbox_url, "Backup overdue", "close", {"note": "Fixed on site"})
        await _show(consumer, seconds=settings.sweep_interval + 3)
        await _dry_run(producer, consumer, settings, sandbox_url)
    finally:
        await consumer.stop()
        await producer.stop()
    await _self_test(settings)
    await _next_steps(settings)


async def _call(settings: Settings, method: str, path: str, body: Any = None) -> Any:
    """The running worker's HTTP API (``/api/v1/companies/<path>``), as an administrator."""
    import aiohttp

    assert settings.admin_token is not None
    url = f"http://127.0.0.1:{settings.web_port}/api/v1/companies/{path}"
    headers = {"Authorization": f"Bearer {settings.admin_token.get_secret_value()}"}
    timeout = aiohttp.ClientTimeout(total=90)  # a self-test waits for its report
    async with (
        aiohttp.ClientSession(headers=headers, timeout=timeout) as http,
        http.request(method, url, json=body) as resp,
    ):
        return await resp.json()


async def _dry_run(
    producer: AIOKafkaProducer, consumer: AIOKafkaConsumer, settings: Settings, sandbox_url: str
) -> None:
    """A second company in dry run: decided and read from Halo, nothing written (SPEC §8)."""
    company = f"{COMPANY}-dry"
    click.secho(f"\n--> company {company!r} in dry run: two alerts", fg="yellow")
    await _configure(producer, settings, sandbox_url, company=company, mode="dry_run")
    await asyncio.sleep(1.0)
    for alert in (
        _alert("d-1", "raised", company=company),
        _alert("d-2", "raised", company=company, computer={"serial_number": "UNKNOWN2"}),
    ):
        await producer.send_and_wait(
            settings.topic("watchman.alerts"), json.dumps(alert).encode(), key=company.encode()
        )
    await _show(consumer, seconds=3.0)
    body = await _call(settings, "GET", f"{company}/integrations/halopsa")
    summary = ((body.get("status") or {}).get("dry_run") or {}).get("sentence")
    click.echo(f"    summary  {summary or '(none yet)'}")


async def _self_test(settings: Settings) -> None:
    """The integration's self-test against the sandbox (SPEC §8), as the page's button runs it."""
    click.secho(f"\n--> self-test of {COMPANY!r} against its Halo", fg="yellow")
    report = await _call(settings, "POST", f"{COMPANY}/integrations/halopsa/self-test", {})
    for step in report.get("steps", []):
        mark = "ok  " if step.get("ok") else ("skip" if step.get("skipped") else "FAIL")
        click.echo(f"    {mark}     {step['name']:<15} {step.get('ms', 0):>5} ms  {step['detail']}")
    if "steps" not in report:
        click.echo(f"    self-test did not run: {report}")


async def _next_steps(settings: Settings) -> None:
    """Where to go from here: the integration page, and a command to send your own alert."""
    body = {"scope": "edit", "ttl_seconds": 3600}
    link = (await _call(settings, "POST", f"{COMPANY}/integrations/halopsa/links", body)).get("url")
    if link and link.startswith("/"):
        link = f"http://127.0.0.1:{settings.web_port}{link}"
    click.secho("\nkeep playing:", fg="green")
    click.echo(f"  the integration page (valid for an hour): {link}")
    click.echo(
        f"  send your own alert:  .venv/bin/streamproc send-alert --company {COMPANY}"
        " --serial C02ABC123XYZ --name 'Battery failing'"
    )


async def _configure(
    producer: AIOKafkaProducer,
    settings: Settings,
    sandbox_url: str,
    *,
    company: str = COMPANY,
    mode: str = "live",
) -> None:
    assert settings.secret_key is not None
    config = IntegrationConfig(
        company_id=company,
        mode=mode,
        enabled=True,
        base_url=sandbox_url,
        client_id=DEMO_CLIENT_ID,
        client_secret_encrypted=SecretBox(settings.secret_key).encrypt(DEMO_CLIENT_SECRET),
        default_tickettype_id=1,
        default_priority_id=3,
        default_client_id=13,
        default_site_id=24,
        use_reference_email=True,
        close_policy="untouched_only",
        reopen_window_seconds=600,
        updated_at=datetime.now(UTC),
    )
    topic = settings.topic("halopsa.integration-config")
    await producer.send_and_wait(topic, encode(config), key=company.encode())
    click.secho(f"configured company {company!r} against the sandbox at {sandbox_url}", fg="green")


async def _show(consumer: AIOKafkaConsumer, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        batch = await consumer.getmany(timeout_ms=int(min(left, 0.5) * 1000))
        for tp, records in batch.items():
            for r in records:
                click.echo("    " + _line(tp.topic, json.loads(r.value)))


async def _in_halo(sandbox_url: str, summary: str, what: str, body: dict[str, Any]) -> None:
    """Act on the ticket whose summary names ``summary`` as a technician (sandbox admin route)."""
    import aiohttp

    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sandbox_url}/_sandbox/tickets") as resp:
            found = await resp.json()
        tickets = found["tickets"] if isinstance(found, dict) else found
        target = next((t for t in tickets if summary in t["summary"]), None)
        if target is None:
            return
        url = f"{sandbox_url}/_sandbox/tickets/{target['id']}/{what}"
        async with http.post(url, json=body) as resp:
            resp.raise_for_status()


async def _print_notes(sandbox_url: str, summary: str) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sandbox_url}/_sandbox/tickets") as resp:
            found = await resp.json()
        tickets = found["tickets"] if isinstance(found, dict) else found
        ticket = next((t for t in tickets if summary in t["summary"]), None)
        if ticket is None:
            return
        async with http.get(f"{sandbox_url}/_sandbox/tickets/{ticket['id']}/actions") as resp:
            actions = (await resp.json())["actions"]
    click.echo(f"    halo     ticket #{ticket['id']} status {ticket['status_name']!r}")
    for action in actions:
        hours = f", {action['timetaken']} h" if action.get("timetaken") else ""
        note = action["note"] or "(no note)"
        click.echo(f"    halo     {action['who']} ({action['outcome']}{hours}): {note}")


def run_demo(*, settings: Settings, sandbox_url: str, data_dir: Path) -> None:
    """Configure the demo company and stream the demo alerts, printing what happens."""
    click.secho(f"demo: topics in Kafka, state in {data_dir}", fg="cyan")
    asyncio.run(_demo(settings, sandbox_url))

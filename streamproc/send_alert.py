"""``streamproc send-alert``: put one Watchman alert event on the alerts topic, as Watchman would.

For trying the bridge by hand (``make run`` prints a ready-made command). The event is validated
with the same contract the worker applies, so a mistake is reported here, not dead-lettered.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import click
from aiokafka import AIOKafkaProducer

from streamproc.contracts import AlertEvent, encode
from streamproc.kafka.connection import client_kwargs
from streamproc.settings import Settings, SettingsError


def build_alert(
    *,
    company: str,
    serial: str,
    alert_id: str,
    name: str,
    event: str,
    computer: str,
    severity: str,
) -> AlertEvent:
    """The event as Watchman sends it (raises pydantic's ValidationError on bad values)."""
    return AlertEvent.model_validate(
        {
            "event_id": f"cli-{uuid.uuid4().hex[:12]}",
            "event_type": event,
            "occurred_at": datetime.now(UTC),
            "company_id": company,
            "alert": {
                "id": alert_id,
                "name": name,
                "summary": f"{name} (sent with streamproc send-alert)",
                "severity": severity,
                "visible": True,
                "muted": False,
            },
            "computer": {
                "watchman_id": f"wm-{serial.lower()}",
                "name": computer,
                "serial_number": serial,
                "platform": "mac",
            },
        }
    )


@click.command("send-alert")
@click.option("--company", required=True, help="Watchman company id (the Kafka key).")
@click.option("--serial", required=True, help="The computer's serial number (matched in Halo).")
@click.option("--alert-id", default=None, help="The alert's id (default: a new one).")
@click.option("--name", default="Disk almost full", show_default=True, help="The alert's name.")
@click.option(
    "--event",
    type=click.Choice(["raised", "updated", "cleared", "resolved"]),
    default="raised",
    show_default=True,
)
@click.option("--computer", default="My Mac", show_default=True, help="The computer's name.")
@click.option("--severity", default="critical", show_default=True, help="Watchman's severity.")
def send_alert(
    company: str,
    serial: str,
    alert_id: str | None,
    name: str,
    event: str,
    computer: str,
    severity: str,
) -> None:
    """Send one alert event to the alerts topic (Kafka settings from the environment)."""
    try:
        settings = Settings(dev_mode=True)  # dev mode only waives the worker's two secrets
        alert = build_alert(
            company=company,
            serial=serial,
            alert_id=alert_id or f"cli-{uuid.uuid4().hex[:8]}",
            name=name,
            event=event,
            computer=computer,
            severity=severity,
        )
    except (SettingsError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    topic = settings.topic("watchman.alerts")
    asyncio.run(_send(settings, topic, alert))
    click.echo(
        f"sent {event} of alert {alert.alert.id!r} for company {company!r} to {topic}"
        f" (event id {alert.event_id}); results appear on"
        f" {settings.topic('halopsa.ticket-results')}"
    )


async def _send(settings: Settings, topic: str, alert: AlertEvent) -> None:
    producer = AIOKafkaProducer(**client_kwargs(settings))
    await producer.start()
    try:
        await producer.send_and_wait(topic, encode(alert), key=alert.company_id.encode())
    finally:
        await producer.stop()

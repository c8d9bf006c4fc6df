"""The `streamproc` command: worker, local Kafka, HaloPSA sandbox, sending an alert by hand."""

from __future__ import annotations

import click

from streamproc import __version__
from streamproc.devstack import dev
from streamproc.halo_sandbox.cli import halo_sandbox
from streamproc.kafka.cli import kafka
from streamproc.send_alert import send_alert
from streamproc.topics_cli import topics


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="streamproc")
def main() -> None:
    """Watchman Monitoring alerts → HaloPSA tickets, as a Kafka stream processor."""


@main.command()
def worker() -> None:
    """Run a worker (settings from the environment, see README)."""
    from streamproc.kafka.preflight import KafkaUnreachable
    from streamproc.kafka.topics import TopicMismatchError
    from streamproc.settings import SettingsError, load_settings
    from streamproc.worker import run_worker

    try:
        settings = load_settings()
        run_worker(settings)
    except (SettingsError, KafkaUnreachable, TopicMismatchError) as exc:
        raise click.ClickException(str(exc)) from None


main.add_command(kafka)
main.add_command(topics)
main.add_command(dev)
main.add_command(halo_sandbox, name="halo-sandbox")
main.add_command(send_alert)

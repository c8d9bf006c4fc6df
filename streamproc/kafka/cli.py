"""`streamproc kafka up | down | status`: a local broker for development and tests."""

from __future__ import annotations

from pathlib import Path

import click

from streamproc.kafka.broker import BrokerLayout, LocalBroker, describe_cluster
from streamproc.kafka.connection import KafkaConnection
from streamproc.kafka.jars import KafkaSetupError

_home = click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".cache/kafka"),
    envvar="STREAMPROC_KAFKA_HOME",
    show_default=True,
    help="Jars, data, config and log of the local broker.",
)
_port = click.option("--port", default=9092, show_default=True, envvar="STREAMPROC_KAFKA_PORT")
_external = click.option(
    "--external",
    envvar="KAFKA_BOOTSTRAP_SERVERS",
    default=None,
    hidden=True,
    help="An existing cluster: start nothing.",
)


def _broker(home: Path, port: int, partitions: int = 8) -> LocalBroker:
    return LocalBroker(
        BrokerLayout(
            home=home.resolve(), port=port, controller_port=port + 1, partitions=partitions
        )
    )


@click.group()
def kafka() -> None:
    """Run a local Apache Kafka broker (KRaft) from Maven Central jars."""


@kafka.command()
@_home
@_port
@_external
@click.option("--partitions", default=8, show_default=True, envvar="STREAMPROC_PARTITIONS")
def up(home: Path, port: int, external: str | None, partitions: int) -> None:
    """Start the broker (idempotent) and wait until it answers metadata requests."""
    import asyncio

    if external:
        asyncio.run(describe_cluster(KafkaConnection()))  # with its KAFKA_* TLS/SASL settings
        click.echo(
            f"KAFKA_BOOTSTRAP_SERVERS={external} is set: using that cluster, starting nothing"
        )
        return
    broker = _broker(home, port, partitions)
    try:
        took = broker.start()
    except KafkaSetupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"kafka ready at {broker.layout.bootstrap} (pid {broker.pid()}) in {took:.1f}s")


@kafka.command()
@_home
@_port
@_external
def down(home: Path, port: int, external: str | None) -> None:
    """Stop the broker: controlled shutdown, then SIGKILL after 20 s."""
    if external:
        click.echo("KAFKA_BOOTSTRAP_SERVERS is set: not stopping an external cluster")
        return
    stopped = _broker(home, port).stop()
    click.echo("kafka stopped" if stopped else "kafka was not running")


@kafka.command()
@_home
@_port
@_external
def status(home: Path, port: int, external: str | None) -> None:
    """Print running/stopped, bootstrap address, pid and data dir."""
    if external:
        click.echo(f"external cluster: {external}")
        return
    broker = _broker(home, port)
    pid = broker.pid()
    click.echo(f"state: {'running' if pid else 'stopped'}")
    click.echo(f"bootstrap: {broker.layout.bootstrap}")
    click.echo(f"pid: {pid or '-'}")
    click.echo(f"data dir: {broker.layout.data}")
    click.echo(f"log: {broker.layout.log}")
    if pid is None:
        raise SystemExit(3)

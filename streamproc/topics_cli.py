"""`streamproc topics check | create | describe`: the topics a deployment needs, as configured.

Reads the same settings as a worker (``KAFKA_*`` for the connection; ``STREAMPROC_TOPIC_PREFIX``,
``STREAMPROC_APP_ID``, ``STREAMPROC_PARTITIONS``, ``STREAMPROC_REPLICATION_FACTOR``,
``STREAMPROC_MIN_INSYNC_REPLICAS``, ``STREAMPROC_COMPACTED_TOPICS``). Managing topics needs no
admin token or secret key, so those are not asked for.
"""

from __future__ import annotations

import asyncio

import click

from streamproc.kafka.preflight import KafkaUnreachable, check_connection
from streamproc.kafka.topics import create_topics, describe_topics
from streamproc.settings import Settings, SettingsError


def _settings():
    from streamproc.topology import topic_specs

    try:
        settings = Settings(dev_mode=True)  # dev mode only waives the worker's two secrets
        specs = topic_specs(settings)
        asyncio.run(check_connection(settings.connection()))
    except (SettingsError, KafkaUnreachable) as exc:
        raise click.ClickException(str(exc)) from None
    except ValueError as exc:  # pydantic's ValidationError
        raise click.ClickException(f"invalid settings: {exc}") from None
    return settings, specs


@click.group()
def topics() -> None:
    """Check, create or describe the deployment's topics (and its tables' changelogs)."""


@topics.command()
def describe() -> None:
    """One line per topic: partitions, replicas, min.insync.replicas, cleanup.policy."""
    settings, specs = _settings()
    rows = asyncio.run(describe_topics(settings.connection(), specs))
    click.echo(f"{'topic':<60} {'parts':>5} {'repl':>4} {'min.isr':>7}  cleanup  status")
    for spec, state, found in rows:
        if state is None:
            click.echo(f"{spec.name:<60} {'-':>5} {'-':>4} {'-':>7}  {'-':<7}  missing")
            continue
        isr = state.min_insync or "-"
        cleanup = state.configs.get("cleanup.policy", "-")
        status = "; ".join(found) or "ok"
        line = f"{spec.name:<60} {state.partitions:>5} {state.replication:>4} {isr!s:>7}"
        click.echo(f"{line}  {cleanup:<7}  {status}")


@topics.command()
def check() -> None:
    """Exit 1 and list what differs when a topic is missing or not as configured."""
    settings, specs = _settings()
    rows = asyncio.run(describe_topics(settings.connection(), specs))
    wrong = [(spec, found) for spec, _, found in rows if found]
    for spec, found in wrong:
        click.echo(f"{spec.name}: {'; '.join(found)}")
    if wrong:
        missing = sum(1 for _, found in wrong if found == ["missing"])
        hint = " (`streamproc topics create` makes the missing ones)" if missing else ""
        raise click.ClickException(f"{len(wrong)} of {len(rows)} topics not as configured{hint}")
    click.echo(f"all {len(rows)} topics as configured")


@topics.command()
def create() -> None:
    """Create the missing topics with the configured partitions, replicas and configs."""
    settings, specs = _settings()
    created = asyncio.run(create_topics(settings.connection(), specs))
    for name in created:
        click.echo(f"created {name}")
    click.echo(f"{len(created)} created, {len(specs) - len(created)} already there")

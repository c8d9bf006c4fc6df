"""The `make run` demo: what the running stack does with alerts (grows with the pipeline)."""

from __future__ import annotations

from pathlib import Path

import click


def run_demo(*, bootstrap: str, data_dir: Path, sandbox_port: int) -> None:
    """Explain what is running; later: configure a demo company and stream alerts through it."""
    click.echo(
        f"Kafka {bootstrap} · sandbox http://127.0.0.1:{sandbox_port} · state in {data_dir}.\n"
        "The worker counts events per company; produce to watchman.alerts to see it work."
    )

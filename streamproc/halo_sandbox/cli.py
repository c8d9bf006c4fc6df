"""``streamproc halo-sandbox``: serve the HaloPSA sandbox on loopback (local runs, e2e tests)."""

from __future__ import annotations

import click

from .app import run


@click.command("halo-sandbox")
@click.option("--host", default="127.0.0.1", show_default=True, help="Bind address.")
@click.option("--port", default=9080, show_default=True, type=int)
@click.option("--seed", default="demo", show_default=True, help='"demo" or "empty".')
@click.option(
    "--rate-limit",
    type=int,
    default=300,
    show_default=True,
    help="Requests per rolling window per client id.",
)
@click.option("--rate-window", type=float, default=300.0, show_default=True, help="Seconds.")
@click.option(
    "--retry-after/--no-retry-after",
    default=False,
    show_default=True,
    help="Send Retry-After on 429.",
)
@click.option("--token-lifetime", type=float, default=3600.0, show_default=True, help="Seconds.")
@click.option(
    "--error-shape",
    type=click.Choice(["text", "classname", "modelstate"]),
    default="text",
    show_default=True,
    help="Shape of 400 bodies.",
)
@click.option("--tenant-id", default=None, help="Tenant id reported by authinfo and enforced.")
def halo_sandbox(host: str, port: int, seed: str, **config: object) -> None:
    """Run a simulated HaloPSA REST API (in memory; admin routes under /_sandbox/)."""
    run(host=host, port=port, seed=None if seed in ("", "none", "empty") else seed, **config)

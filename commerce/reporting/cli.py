"""`flask reporting rebuild`, `rebuild-customers` and `rebuild-shipped`: recompute the rollups
from the raw orders."""

from __future__ import annotations

import datetime as dt
import time

import click
from flask.cli import AppGroup

from commerce.reporting import customers, operations, rollups

reporting_cli = AppGroup("reporting", help="Sales rollups the dashboards read.")


@reporting_cli.command("rebuild")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First day (UTC) to rebuild.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day (UTC) to rebuild.")
def rebuild_command(since: dt.datetime | None, until: dt.datetime | None) -> None:
    """Rebuild the rollups of every day (or of --since..--until). Raises click's UsageError if
    --until is before --since."""
    if since and until and until < since:
        raise click.UsageError("--until is before --since")
    started = time.perf_counter()
    done = rollups.rebuild(
        since.date() if since else None,
        until.date() if until else None,
        progress=lambda line: click.echo(f"  {line}"),
    )
    if done is None:
        click.echo("no orders: nothing to rebuild")
        return
    click.echo(f"rebuilt {done[0]} .. {done[1]} in {time.perf_counter() - started:.1f}s")


@reporting_cli.command("rebuild-customers")
def rebuild_customers_command() -> None:
    """Rebuild the customers dashboard's rollup (customer_months) of every customer."""
    started = time.perf_counter()
    done = customers.rebuild_customers()
    click.echo(f"{done} in {time.perf_counter() - started:.1f}s")


@reporting_cli.command("rebuild-shipped")
def rebuild_shipped_command() -> None:
    """Rebuild the operations dashboard's rollup (shipped_orders) of every order."""
    started = time.perf_counter()
    done = operations.rebuild_shipped_orders()
    click.echo(f"{done} in {time.perf_counter() - started:.1f}s")

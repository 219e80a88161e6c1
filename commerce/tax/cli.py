"""`flask tax ...`: load the published tax rates."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from commerce.audit import Actor
from commerce.tax.service import load_published_rates

tax_cli = AppGroup("tax", help="Tax zones and rates.")


@tax_cli.command("load-rates")
def load_rates_command() -> None:
    """Create or update the published EU VAT and US state sales tax rates (safe to re-run)."""
    report = load_published_rates(Actor.system("cli"))
    click.echo(
        f"Published tax rates as of {report.as_of}: "
        f"{report.zones_created} zone(s) created, {report.zones_updated} updated, "
        f"{report.rates_created} rate(s) created, {report.rates_updated} updated, "
        f"{report.unchanged} zone(s) unchanged."
    )

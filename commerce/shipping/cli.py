"""`flask shipping ...`: load the default shipping zones and methods."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from commerce.audit import Actor
from commerce.shipping.service import load_default_shipping

shipping_cli = AppGroup("shipping", help="Shipping zones and methods.")


@shipping_cli.command("load-defaults")
def load_defaults_command() -> None:
    """Create the default zones and methods that do not exist yet (safe to re-run)."""
    report = load_default_shipping(Actor.system("cli"))
    click.echo(
        f"Default shipping: {report.zones_created} zone(s) and {report.methods_created} "
        f"method(s) created; {report.zones_existing} zone(s) and {report.methods_existing} "
        "method(s) already there, left as they are."
    )

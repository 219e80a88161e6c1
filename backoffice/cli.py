"""`flask users ...`: staff accounts from the command line."""

from __future__ import annotations

import secrets

import click
from flask.cli import AppGroup

from commerce.audit import Actor
from commerce.errors import DomainError
from commerce.staff import service as staff

users_cli = AppGroup("users", help="Staff accounts.")


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--name", default="Administrator", show_default=True)
@click.option(
    "--password",
    envvar="ADMIN_PASSWORD",
    default=None,
    help="Password (or ADMIN_PASSWORD); a strong one is generated and printed when absent.",
)
def create_admin(email: str, name: str, password: str | None) -> None:
    """Create an admin account with EMAIL."""
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    try:
        user = staff.create_staff_user(
            email=email, name=name, role="admin", password=password, actor=Actor.system("cli")
        )
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Created admin {user.email} (id {user.id}).")
    if generated:
        click.echo(f"Password: {password}")

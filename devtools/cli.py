"""`flask dev up` starts web + worker + relay on the embedded services; `flask seed demo` fills a
shop."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_migrate import upgrade
from sqlalchemy import select

from commerce import db
from commerce.audit import Actor
from commerce.staff import service as staff
from commerce.staff.models import StaffUser

dev_cli = AppGroup("dev", help="Development: run everything locally.")
seed_cli = AppGroup("seed", help="Demo and benchmark data.")

DEMO_ADMIN_EMAIL = "admin@shop.example"


def _instance_file(name: str, make) -> str:
    """Read instance/<name>, creating it (mode 600) with make() the first time."""
    path = Path(current_app.instance_path) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def ensure_demo_admin() -> tuple[str, str]:
    """Make sure the demo admin exists with the password kept in instance/. Returns (email,
    password)."""
    password = _instance_file("demo-admin-password", lambda: secrets.token_urlsafe(12))
    user = db.session.scalar(select(StaffUser).where(StaffUser.email == DEMO_ADMIN_EMAIL))
    if user is None:
        staff.create_staff_user(
            email=DEMO_ADMIN_EMAIL,
            name="Demo Admin",
            role="admin",
            password=password,
            actor=Actor.system("dev up"),
        )
    return DEMO_ADMIN_EMAIL, password


@seed_cli.command("demo")
@click.option("--products", default=3000, show_default=True, help="How many products.")
@click.option("--customers", default=5000, show_default=True, help="How many customers.")
@click.option("--orders", default=20000, show_default=True, help="How many orders (18 months).")
@click.option("--seed", "random_seed", default=42, show_default=True, help="Random seed.")
@click.option("--if-empty", is_flag=True, help="Do nothing when demo data is already there.")
def seed_demo(products: int, customers: int, orders: int, random_seed: int, if_empty: bool) -> None:
    """Fill the database with a shop that looks real (bulk COPY: a million orders take minutes)."""
    from devtools import seed

    if if_empty and seed.has_demo_data():
        click.echo("demo data already present; nothing to do")
        return
    started = time.monotonic()
    counts = seed.seed_demo(
        products=products,
        customers=customers,
        orders=orders,
        random_seed=random_seed,
        progress=click.echo,
    )
    summary = ", ".join(f"{count:,} {name}" for name, count in counts.items())
    click.echo(f"seeded {summary} in {time.monotonic() - started:.1f}s")


@dev_cli.command("up")
@click.option(
    "--port", type=int, default=lambda: int(os.environ.get("PORT", "5000")), show_default="5000"
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--no-seed", is_flag=True, help="Skip the demo data.")
def dev_up(port: int, host: str, no_seed: bool) -> None:
    """Migrate, seed demo data, then run web, worker and relay until Ctrl-C."""
    config = current_app.config
    click.echo("applying migrations ...")
    upgrade(directory=str(Path(current_app.root_path) / "migrations"))
    email, password = ensure_demo_admin()
    if not no_seed:
        from devtools import seed

        if not seed.has_demo_data():
            click.echo("seeding demo data (first run only) ...")
            seed.seed_demo(progress=click.echo)
            # The seed writes rows directly, without events: build the dashboards' rollups now
            # rather than leave them empty until the nightly rebuilds.
            from commerce.reporting import customers, operations, rollups

            rollups.rebuild()
            customers.rebuild_customers()
            operations.rebuild_shipped_orders()
        # Idempotent: tax zones follow the published table; shipping only adds what is missing.
        from commerce.audit import Actor
        from commerce.shipping.service import load_default_shipping
        from commerce.tax.service import load_published_rates

        load_published_rates(Actor.system("make run"))
        load_default_shipping(Actor.system("make run"))

    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": config["DATABASE_URL"],
            "REDIS_URL": config["REDIS_URL"],
            # One key for every process, kept across runs so sign-ins survive a restart.
            "SECRET_KEY": os.environ.get("SECRET_KEY")
            or _instance_file("secret-key", lambda: secrets.token_hex(32)),
            "PUBLIC_URL": f"http://{host}:{port}",
        }
    )
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    commands: dict[str, list[str]] = {}
    if not config.get("STRIPE_SECRET_KEY"):
        # No Stripe account configured: payments go to the local Stripe-compatible test server,
        # through the real stripe library, and its webhooks come back signed to this app.
        stripe_port = port + 7
        env.update(
            {
                "STRIPE_SECRET_KEY": "sk_test_local",
                "STRIPE_WEBHOOK_SECRET": "whsec_local",
                "STRIPE_API_BASE": f"http://127.0.0.1:{stripe_port}",
            }
        )
        commands["stripe"] = [
            sys.executable,
            "-m",
            "commerce.payments.stripe_server",
            "--port",
            str(stripe_port),
            "--forward-to",
            f"http://{host}:{port}/api/v1/webhooks/stripe",
        ]
    commands |= {
        "web": [
            sys.executable,
            "-m",
            "gunicorn",
            "wsgi:create_app()",
            "--bind",
            f"{host}:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--access-logfile",
            "-",
        ],
        "worker": [*flask, "jobs", "worker"],
        "relay": [*flask, "jobs", "relay"],
        "scheduler": [*flask, "jobs", "scheduler"],
    }
    children = {name: subprocess.Popen(cmd, env=env) for name, cmd in commands.items()}
    click.echo("")
    click.echo(f"  Back-office   http://{host}:{port}/admin/")
    click.echo(f"  Dashboards    http://{host}:{port}/dashboards/")
    click.echo(f"  API health    http://{host}:{port}/api/v1/health")
    click.echo(f"  API document  http://{host}:{port}/api/v1/openapi.json")
    if "stripe" in commands:
        click.echo(f"  Stripe (test) {env['STRIPE_API_BASE']}  (local server, no real charges)")
    click.echo(f"  Sign in as    {email} / {password}")
    click.echo("  Ctrl-C stops everything.")
    click.echo("")
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    click.echo(f"{name} exited with {child.returncode}; stopping", err=True)
                    stopping = True
            time.sleep(0.5)
    finally:
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        for child in children.values():
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()

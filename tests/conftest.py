"""Test fixtures on real PostgreSQL and Redis.

With DATABASE_URL / REDIS_URL unset, the embedded servers start under instance/test-*; when set, the
suite uses a `commerce_test` database on that server and Redis database 15, never the URLs' own
data. The schema is built once per session by running the migrations. Each test runs inside a
transaction that is rolled back (SQLAlchemy's "join a session into an external transaction" recipe);
tests marked `committed` write real rows (workers, concurrency) and the tables are emptied after
them.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from commerce import db, embedded
from commerce.kv import get_redis
from commerce.notifications import sink
from commerce.payments.gateway import StripeGateway
from commerce.payments.stripe_server import StripeTestServer
from tests import factories
from wsgi import ROOT, create_app

# One database (and embedded Redis) per pytest process, so two runs on one machine never collide.
TEST_DATABASE = f"commerce_test_{os.getpid()}"


def _test_redis_url() -> str:
    external = os.environ.get("REDIS_URL")
    if not external:
        return embedded.start_redis(ROOT / "instance" / f"test-redis-{os.getpid()}")
    # Keep the external server's own data: tests use database 15.
    if external.startswith("unix://"):
        return (
            re.sub(r"([?&])db=\d+", r"\1db=15", external)
            if "db=" in external
            else (external + ("&" if "?" in external else "?") + "db=15")
        )
    return re.sub(r"(/\d+)?$", "/15", external.split("?")[0], count=1)


class FreshContextClient(FlaskClient):
    """A test client whose every request gets its own app context (and so its own `g`), as in
    production, even though the test itself holds an app context for factories and queries."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    server = os.environ.get("DATABASE_URL") or embedded.start_postgres(
        ROOT / "instance" / "test-postgres"
    )
    _drop_stale_test_databases(server)
    database_url = embedded.create_database(server, TEST_DATABASE, drop_first=True)
    app = create_app(
        APP_ENV="test",
        TESTING=True,
        SECRET_KEY="test-secret-key",
        DATABASE_URL=database_url,
        REDIS_URL=_test_redis_url(),
        SMTP_URL=None,
        MAIL_SINK_DIR=str(tmp_path_factory.mktemp("mail")),
        MEDIA_DIR=str(tmp_path_factory.mktemp("media")),
        PRIVATE_STORAGE_DIR=str(tmp_path_factory.mktemp("private")),
        INVOICES_DIR=str(tmp_path_factory.mktemp("invoices")),
        PUBLIC_URL="http://shop.example",
        STOREFRONT_ORIGINS=["https://shop.example"],
        SIGNIN_MAX_FAILURES=5,
        SIGNIN_WINDOW_SECONDS=900,
    )
    app.test_client_class = FreshContextClient
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        get_redis().flushdb()
    yield app
    with app.app_context():
        db.engine().dispose()
    embedded.drop_database(server, TEST_DATABASE)
    if not os.environ.get("REDIS_URL"):
        embedded.stop_redis(ROOT / "instance" / f"test-redis-{os.getpid()}")
        shutil.rmtree(ROOT / "instance" / f"test-redis-{os.getpid()}", ignore_errors=True)


def _drop_stale_test_databases(server: str) -> None:
    """Drop test databases left by runs that were killed (their process no longer exists)."""
    for name in embedded.list_databases(server, prefix="commerce_test_"):
        pid = name.rsplit("_", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            embedded.drop_database(server, name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture(autouse=True)
def _clean_side_stores(app: Flask) -> Iterator[None]:
    """Empty Redis and the mail sink before each test."""
    with app.app_context():
        get_redis().flushdb()
        sink.clear(app.config["MAIL_SINK_DIR"])
    yield


@pytest.fixture
def db_session(app: Flask, request: pytest.FixtureRequest) -> Iterator[object]:
    """The app's scoped session inside an outer transaction rolled back after the test."""
    if request.node.get_closest_marker("committed"):
        with app.app_context():
            yield db.session
            db.session.remove()
            truncate_all()
        return
    with app.app_context():
        connection = db.engine().connect()
        outer = connection.begin()
        db.session.remove()
        db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield db.session
        finally:
            db.session.remove()
            outer.rollback()
            connection.close()
            db.session.configure(bind=db.engine(), join_transaction_mode="conditional_savepoint")


def truncate_all() -> None:
    """Empty every table (after a test that committed rows)."""
    from commerce.db import Base

    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.engine().begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def client(app: Flask, db_session: object) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def mailbox(app: Flask):
    """Read the messages the SMTP sink caught: mailbox() -> [email.message.Message]."""

    def read() -> list:
        return [message for _key, message in sink.read_messages(Path(app.config["MAIL_SINK_DIR"]))]

    return read


@pytest.fixture
def sign_in(client: FlaskClient, db_session: object):
    """sign_in(role="admin") -> (client, user): a staff user of `role`, signed in on `client`."""

    def do(role: str = "admin", **overrides) -> tuple[FlaskClient, object]:
        password = overrides.pop("password", factories.PASSWORD)
        user = factories.make_staff(role=role, password=password, **overrides)
        factories.sign_in(client, user.email, password)
        return client, user

    return do


@pytest.fixture
def stripe_server(app: Flask) -> Iterator[StripeTestServer]:
    """A fresh local Stripe-compatible server; the app is pointed at it for the test."""
    names = ("STRIPE_SECRET_KEY", "STRIPE_API_BASE", "STRIPE_WEBHOOK_SECRET")
    with StripeTestServer(api_key="sk_test_suite", webhook_secret="whsec_suite") as server:
        saved = {name: app.config.get(name) for name in names}
        app.config.update(
            STRIPE_SECRET_KEY=server.api_key,
            STRIPE_API_BASE=server.base_url,
            STRIPE_WEBHOOK_SECRET=server.webhook_secret,
        )
        yield server
        app.config.update(saved)


@pytest.fixture
def gateway(stripe_server: StripeTestServer) -> StripeGateway:
    """Our Stripe gateway (the real stripe library) talking to `stripe_server`, no retries."""
    return StripeGateway(stripe_server.api_key, stripe_server.base_url, max_network_retries=0)

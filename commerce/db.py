"""Database core: the declarative Base, one scoped session, engine set-up and column mixins.

Plain SQLAlchemy 2 (no Flask-SQLAlchemy session) so that tests can bind the same scoped session to
an outer transaction, and job handlers and CLI commands share exactly what the web process uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, func, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, scoped_session, sessionmaker

if TYPE_CHECKING:
    from flask import Flask

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every model. Constraint names follow NAMING_CONVENTION so migrations stay stable."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class TimestampMixin:
    """created_at / updated_at, set by the database and by the ORM on update."""

    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=utcnow, nullable=False
    )


# One session per thread (per request in the web process, per job in the worker).
session = scoped_session(sessionmaker(expire_on_commit=False))
_engine: Engine | None = None


MAX_ID = 2**63 - 1  # ids and order numbers are PostgreSQL bigints


def is_id(value: object) -> bool:
    """Whether `value` can be a row id (or order number): a positive int that fits a bigint. A
    larger one is no row of ours, and asking PostgreSQL about it would fail, not find nothing."""
    return type(value) is int and 0 < value <= MAX_ID


def one_of(column: str, values: Sequence[str]) -> str:
    """A CHECK constraint's text: `column` holds one of `values` ("status IN ('a', 'b')")."""
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write `rows` (values in `columns` order) into `table` with COPY, in the current session's
    transaction: the batch write path for append-only rows (audit, ledger, outbox), tens of
    thousands a second. Columns not named get their server defaults. JSONB values are passed as
    psycopg Jsonb wrappers."""
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def reserve_ids(table: str, count: int) -> list[int]:
    """Take `count` ids from the sequence behind `table`.id, for rows written by `copy_rows`."""
    if count <= 0:
        return []
    stmt = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)")
    return list(session.scalars(stmt, {"table": table, "n": count}))


def sqlalchemy_url(url: str) -> str:
    """Return `url` with the psycopg 3 driver named (postgres:// and postgresql:// are accepted)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """Build an engine for `url` with the settings every process uses."""
    return create_engine(
        sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        future=True,
    )


def init_app(app: Flask) -> None:
    """Create the engine from DATABASE_URL, bind the scoped session and remove it after each
    request."""
    global _engine
    _engine = make_engine(app.config["DATABASE_URL"], pool_size=app.config["DATABASE_POOL_SIZE"])
    session.configure(bind=_engine)
    app.extensions["commerce_db"] = _engine

    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        session.remove()


def engine() -> Engine:
    """The engine bound by init_app. Raises RuntimeError before init_app ran."""
    if _engine is None:
        raise RuntimeError("commerce.db.init_app(app) has not been called")
    return _engine


def dispose_after_fork() -> None:
    """Drop pooled connections inherited from a parent process (RQ forks a work horse per job)."""
    session.remove()
    if _engine is not None:
        _engine.dispose(close=False)

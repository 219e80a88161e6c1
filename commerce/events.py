"""Domain events through a transactional outbox, and the relay that moves them onto RQ.

A service calls `record(name, **payload)`; the row commits with the change or not at all. The relay
(`relay_pending`) reads unsent rows with `FOR UPDATE SKIP LOCKED` (so several relays may run),
enqueues one RQ job per subscribed handler under a deterministic job id with `unique=True`, then
marks the row sent. A relay that dies after enqueueing but before marking finds, on its next pass,
that the job id exists and marks the row without enqueueing again: nothing is delivered twice by the
relay. Handlers are still written to be idempotent, because RQ itself delivers at least once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from psycopg.types.json import Jsonb
from redis import Redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from sqlalchemy import BigInteger, DateTime, Index, String, delete, func, select, text
from sqlalchemy import event as sa_event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, Session, SessionTransaction, mapped_column

from commerce import audit, db
from commerce.audit import Actor
from commerce.db import Base, utcnow
from commerce.errors import InvalidInput

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "outbox_events"
# Keep a delivered job's id in Redis this long, so a relay restarted within that window can tell it
# already enqueued an event. Failed jobs stay a month for staff to inspect and retry.
RESULT_TTL = 7 * 24 * 3600
FAILURE_TTL = 30 * 24 * 3600
RETRY = Retry(max=5, interval=[10, 30, 120, 600, 1800])


class OutboxEvent(Base):
    __tablename__ = "outbox_events"
    __table_args__ = (
        Index("ix_outbox_events_unsent", "id", postgresql_where=text("sent_at IS NULL")),
        Index("ix_outbox_events_name", "name", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    def as_message(self) -> dict[str, Any]:
        """The JSON-safe dict a handler receives."""
        return {
            "id": self.id,
            "name": self.name,
            "payload": self.payload,
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }


@dataclasses.dataclass(frozen=True, slots=True)
class Route:
    """One subscriber of an event: the handler's dotted path and the RQ queue it runs on."""

    handler: str
    queue: str = "default"

    @property
    def short_name(self) -> str:
        return self.handler.rsplit(".", 1)[-1]


# Session.info key: this session's transaction recorded events, so its commit wakes the relay.
_WAKE_RELAY = "outbox_wake_relay"


def _wake_relay_on_commit() -> None:
    db.session().info[_WAKE_RELAY] = True


@sa_event.listens_for(Session, "before_commit")
def _notify_relay(session: Session) -> None:
    """One NOTIFY per transaction that recorded events, sent as it commits: PostgreSQL delivers it
    to a listening relay when (and only if) the transaction commits. A use case recording three
    events sends one statement, not three. A savepoint's release is no commit: it waits."""
    if not session.in_nested_transaction() and session.info.pop(_WAKE_RELAY, False):
        session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_wake_up(session: Session, transaction: SessionTransaction) -> None:
    # A rolled back transaction's events are gone; the next transaction starts without a wake-up.
    if transaction.parent is None:
        session.info.pop(_WAKE_RELAY, None)


def record(name: str, **payload: Any) -> OutboxEvent:
    """Add an event to the current transaction's outbox (the caller commits); its commit wakes a
    listening relay. Returns the row."""
    event = OutboxEvent(name=name, payload=payload)
    db.session.add(event)
    _wake_relay_on_commit()
    return event


def record_many(events: Iterable[tuple[str, Mapping[str, Any]]]) -> int:
    """Add one outbox row per (name, payload) to the current transaction with one COPY (the
    caller commits; its commit wakes a listening relay). Returns the count."""
    rows = [(name, Jsonb(dict(payload))) for name, payload in events]
    if rows:
        db.copy_rows("outbox_events", ("name", "payload"), rows)
        _wake_relay_on_commit()
    return len(rows)


def job_id(event_id: int, route: Route) -> str:
    """The deterministic RQ job id of one event delivered to one handler."""
    return f"evt-{event_id}-{route.short_name}"


def publish(event: OutboxEvent, routes: Sequence[Route], connection: Redis) -> int:
    """Enqueue `event` once per route; a job id already in Redis is skipped. Returns jobs
    enqueued."""
    enqueued = 0
    message = event.as_message()
    for route in routes:
        queue = Queue(route.queue, connection=connection)
        try:
            queue.enqueue_call(
                func=route.handler,
                args=(message,),
                job_id=job_id(event.id, route),
                unique=True,
                retry=RETRY,
                result_ttl=RESULT_TTL,
                failure_ttl=FAILURE_TTL,
                description=f"{event.name} #{event.id} -> {route.handler}",
            )
            enqueued += 1
        except DuplicateJobError:
            log.info("event %s already enqueued for %s; not sending twice", event.id, route.handler)
    return enqueued


def mark_sent(event: OutboxEvent) -> None:
    """Mark `event` as handed to RQ (committed by the relay with the rest of its batch)."""
    event.sent_at = utcnow()


def relay_pending(
    connection: Redis, routes: Mapping[str, Sequence[Route]], *, batch_size: int = 200
) -> int:
    """Move up to `batch_size` unsent events onto RQ in id order. Returns how many events were
    relayed."""
    with Session(db.engine(), expire_on_commit=False) as session, session.begin():
        stmt = (
            select(OutboxEvent)
            .where(OutboxEvent.sent_at.is_(None))
            .order_by(OutboxEvent.id)
            .limit(batch_size)
            .with_for_update(skip_locked=True)
        )
        events = list(session.scalars(stmt))
        for event in events:
            publish(event, routes.get(event.name, ()), connection)
            mark_sent(event)
    return len(events)


def prune_sent(*, older_than_days: int, actor: Actor) -> int:
    """Delete events relayed more than `older_than_days` days ago (audited). Returns the count."""
    if older_than_days < 1:
        raise InvalidInput(
            "older_than_days: must be at least 1", fields={"older_than_days": "must be at least 1"}
        )
    cutoff = utcnow() - dt.timedelta(days=older_than_days)
    result = db.session.execute(
        delete(OutboxEvent).where(OutboxEvent.sent_at.is_not(None), OutboxEvent.sent_at < cutoff)
    )
    count = result.rowcount or 0
    if count:
        audit.record(
            actor,
            "outbox.prune",
            "outbox_event",
            "*",
            {"deleted": [None, count], "relayed_before": [None, cutoff.isoformat()]},
        )
    db.session.commit()
    return count


def pending_count() -> int:
    """How many events wait for the relay."""
    stmt = select(func.count()).select_from(OutboxEvent).where(OutboxEvent.sent_at.is_(None))
    return db.session.scalar(stmt) or 0


@contextlib.contextmanager
def listening() -> Iterator[Callable[[float], bool]]:
    """Hold a connection LISTENing on the outbox channel; yields `wait(timeout) -> notified`."""
    raw = db.engine().raw_connection()
    pg = raw.driver_connection  # psycopg.Connection
    pg.autocommit = True
    pg.execute(f"LISTEN {NOTIFY_CHANNEL}")

    def wait(timeout: float) -> bool:
        return any(True for _ in pg.notifies(timeout=timeout, stop_after=1))

    try:
        yield wait
    finally:
        pg.execute(f"UNLISTEN {NOTIFY_CHANNEL}")
        pg.autocommit = False
        raw.close()

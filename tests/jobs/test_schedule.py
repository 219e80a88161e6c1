"""The periodic-job table and the housekeeping it runs."""

import datetime as dt

import pytest
from sqlalchemy import func, select
from werkzeug.utils import import_string

from commerce import events
from commerce.audit import Actor, AuditEntry
from commerce.db import utcnow
from commerce.errors import InvalidInput
from commerce.events import OutboxEvent
from jobs.maintenance import prune_outbox
from jobs.schedule import SCHEDULE


def test_every_scheduled_job_imports_and_has_a_timing():
    for entry in SCHEDULE:
        assert callable(import_string(entry.func))
        assert bool(entry.cron) != bool(entry.interval)


def test_prune_outbox_deletes_only_old_relayed_events(db_session):
    old_sent = events.record("test.old", n=1)
    recent_sent = events.record("test.recent", n=2)
    unsent = events.record("test.unsent", n=3)
    db_session.flush()
    old_sent.sent_at = utcnow() - dt.timedelta(days=45)
    recent_sent.sent_at = utcnow() - dt.timedelta(days=2)
    db_session.commit()

    assert prune_outbox(days=30) == 1
    names = set(db_session.scalars(select(OutboxEvent.name).where(OutboxEvent.name.like("test.%"))))
    assert names == {"test.recent", "test.unsent"}
    assert unsent.sent_at is None
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "outbox.prune"))
    assert entry.changes["deleted"] == [None, 1]
    assert entry.actor_label == "scheduler"


def test_prune_refuses_a_zero_window_and_deletes_nothing(db_session):
    event = events.record("test.sent", n=1)
    db_session.flush()
    event.sent_at = utcnow() - dt.timedelta(hours=1)
    db_session.commit()
    before = db_session.scalar(select(func.count()).select_from(OutboxEvent))
    with pytest.raises(InvalidInput, match="older_than_days"):
        events.prune_sent(older_than_days=0, actor=Actor.system())
    assert db_session.scalar(select(func.count()).select_from(OutboxEvent)) == before

"""Outbox events reach a real RQ worker on the real Redis; the relay never delivers twice."""

import pytest
from rq import Queue
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select

from commerce import events
from commerce.errors import Conflict
from commerce.events import OutboxEvent
from commerce.kv import get_redis
from commerce.notifications.models import EmailMessage
from jobs.cli import relay_loop
from jobs.registry import routes
from jobs.worker import AppWorker
from tests import factories


def run_worker(app, queues=("mail", "default")) -> None:
    """Run a real (forking) RQ worker until the queues are empty."""
    redis = get_redis()
    worker = AppWorker([Queue(q, connection=redis) for q in queues], connection=redis, app=app)
    worker.work(burst=True, logging_level="WARNING")


def unsent_count(db_session) -> int:
    return db_session.scalar(
        select(func.count()).select_from(OutboxEvent).where(OutboxEvent.sent_at.is_(None))
    )


@pytest.mark.committed
def test_staff_created_event_reaches_worker_and_welcome_email_lands(app, db_session, mailbox):
    user = factories.make_staff(role="merchandiser", name="Mia Merch")
    assert mailbox() == []  # nothing is sent inside the request's transaction

    assert relay_loop(once=True) == 1
    assert unsent_count(db_session) == 0
    run_worker(app)

    [message] = mailbox()
    assert message["To"] == user.email
    assert message["Subject"] == "Welcome to the Shop back-office"
    text = message.get_body(("plain",)).get_content()
    assert "Hello Mia Merch" in text and "Merchandiser" in text
    assert "http://shop.example/admin/login" in text
    assert message.get_body(("html",)) is not None
    row = db_session.scalar(select(EmailMessage).where(EmailMessage.to_address == user.email))
    assert (row.status, row.dedupe_key) == ("sent", f"staff_welcome:{user.id}")


@pytest.mark.committed
def test_relay_stopped_between_enqueue_and_mark_sent_does_not_send_twice(
    app, db_session, mailbox, monkeypatch
):
    user = factories.make_staff()

    def killed(_event):
        raise SystemExit("relay killed after enqueueing")

    monkeypatch.setattr(events, "mark_sent", killed)
    with pytest.raises(SystemExit):
        relay_loop(once=True)
    assert unsent_count(db_session) == 1  # the mark never committed ...
    assert Queue("mail", connection=get_redis()).count == 1  # ... but the job was enqueued

    monkeypatch.undo()
    assert relay_loop(once=True) == 1  # the restarted relay marks it ...
    assert Queue("mail", connection=get_redis()).count == 1  # ... without enqueueing again
    assert unsent_count(db_session) == 0

    run_worker(app)
    assert [m["To"] for m in mailbox()] == [user.email]


@pytest.mark.committed
def test_welcome_handler_run_twice_sends_once(app, db_session, mailbox):
    user = factories.make_staff()
    from jobs.handlers.staff import send_staff_welcome

    message = {"id": 1, "name": "staff_user.created", "payload": {"staff_user_id": user.id}}
    assert send_staff_welcome(message) == "sent"
    assert send_staff_welcome(message) == "skipped: already sent"
    assert len(mailbox()) == 1


def test_event_is_rolled_back_with_a_failed_use_case(db_session):
    existing = factories.make_staff()
    before = db_session.scalar(select(func.count()).select_from(OutboxEvent))
    with pytest.raises(Conflict):
        factories.make_staff(email=existing.email)
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(OutboxEvent)) == before


@pytest.mark.committed
def test_a_commit_with_events_wakes_the_relay_and_a_rollback_does_not(app, db_session):
    with events.listening() as wait:
        events.record("test.rolled_back", n=1)
        db_session.rollback()
        assert not wait(0.3)

        events.record("test.first", n=1)
        events.record("test.second", n=2)
        db_session.commit()
        assert wait(2)
        assert not wait(0.3)  # one wake-up for the transaction's two events

        db_session.commit()  # a transaction without events wakes nobody
        assert not wait(0.3)

        with db_session.begin_nested():  # released, not committed: the commit wakes the relay
            events.record("test.in_savepoint", n=3)
        assert not wait(0.3)
        db_session.commit()
        assert wait(2)


def test_handlers_register_by_event_name():
    table = routes()
    [route] = table["staff_user.created"]
    assert route.handler == "jobs.handlers.staff.send_staff_welcome"
    assert route.queue == "mail"


@pytest.mark.committed
def test_failed_job_is_listed_for_admins_and_can_be_retried(app, db_session, sign_in):
    redis = get_redis()
    queue = Queue("mail", connection=redis)
    job = queue.enqueue(
        "jobs.handlers.staff.send_staff_welcome", {"payload": {}}, job_id="broken-welcome"
    )
    run_worker(app)
    assert "broken-welcome" in FailedJobRegistry(queue=queue)

    client, admin = sign_in("admin")
    page = client.get("/admin/failed_jobs/").get_data(as_text=True)
    assert "broken-welcome" in page and "KeyError" in page

    response = client.post(
        "/admin/failed_jobs/broken-welcome/retry", data={"csrf_token": client.csrf}
    )
    assert response.status_code == 302
    assert "broken-welcome" not in FailedJobRegistry(queue=queue)
    assert job.id in queue.job_ids
    history = client.get("/admin/audit/?search=job.retry").get_data(as_text=True)
    assert "broken-welcome" in history and admin.email in history


@pytest.mark.committed
def test_support_cannot_retry_failed_jobs(app, db_session, sign_in):
    queue = Queue("mail", connection=get_redis())
    queue.enqueue("jobs.handlers.staff.send_staff_welcome", {"payload": {}}, job_id="broken-2")
    run_worker(app)
    client, _user = sign_in("support")
    response = client.post("/admin/failed_jobs/broken-2/retry", data={"csrf_token": client.csrf})
    assert response.status_code == 403
    assert "broken-2" in FailedJobRegistry(queue=queue)


@pytest.mark.committed
def test_a_failing_handler_is_retried_with_backoff_not_dropped(app, db_session):
    from rq.job import Job
    from rq.registry import ScheduledJobRegistry

    event = events.record("staff_user.created", staff_user_id=999_999)
    db_session.commit()
    broken = events.Route(handler="jobs.handlers.staff.no_such_handler", queue="mail")
    assert events.publish(event, [broken], get_redis()) == 1
    run_worker(app)

    queue = Queue("mail", connection=get_redis())
    job = Job.fetch(events.job_id(event.id, broken), connection=get_redis())
    assert job.id in ScheduledJobRegistry(queue=queue)  # waiting for its retry ...
    assert job.id not in FailedJobRegistry(queue=queue)  # ... not failed for good
    assert job.retries_left == events.RETRY.max - 1


def test_welcome_for_a_user_deleted_meanwhile_is_skipped(db_session, mailbox):
    from jobs.handlers.staff import send_staff_welcome

    result = send_staff_welcome(
        {"id": 1, "name": "staff_user.created", "payload": {"staff_user_id": 424242}}
    )
    assert result == "skipped: user no longer exists"
    assert mailbox() == []

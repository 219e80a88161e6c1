"""Low stock: one `stock.low` event per crossing of the threshold, collected by a real RQ worker
into one hourly digest email for the staff who can act on it."""

import pytest
from rq import Queue
from sqlalchemy import select

from commerce.events import OutboxEvent
from commerce.inventory import service as inventory
from commerce.kv import get_redis
from commerce.notifications import mailer
from commerce.notifications.models import EmailMessage
from commerce.staff import service as staff
from jobs.cli import relay_loop
from jobs.handlers import inventory as handlers
from tests import factories
from tests.inventory.factories import BUYER, CLERK, make_product, make_variant, make_warehouse
from tests.jobs.test_events import run_worker


def low_events(db_session) -> list[dict]:
    stmt = select(OutboxEvent.payload).where(OutboxEvent.name == "stock.low")
    return list(db_session.scalars(stmt.order_by(OutboxEvent.id)))


def test_stock_low_is_recorded_once_per_crossing(db_session):
    warehouse = make_warehouse()
    variant = make_variant()
    inventory.receive_stock(variant.id, warehouse.id, 5, actor=CLERK)
    inventory.set_inventory_policy(variant.id, "deny", 3, actor=CLERK)
    assert low_events(db_session) == []

    inventory.allocate_stock([(variant.id, 2)], "order:1", actor=BUYER)  # 3 left: crossed
    inventory.allocate_stock([(variant.id, 1)], "order:2", actor=BUYER)  # still low: no repeat
    inventory.reserve_stock([(variant.id, 1)], "checkout:1", 600, actor=BUYER)
    assert low_events(db_session) == [{"variant_id": variant.id, "available": 3, "threshold": 3}]

    inventory.receive_stock(variant.id, warehouse.id, 10, actor=CLERK)  # 11: back above
    inventory.allocate_stock([(variant.id, 9)], "order:3", actor=BUYER)  # 2: crossed again
    assert [event["available"] for event in low_events(db_session)] == [3, 2]


def test_a_threshold_set_above_current_stock_alerts_at_once(db_session):
    warehouse = make_warehouse()
    variant = make_variant()
    inventory.receive_stock(variant.id, warehouse.id, 2, actor=CLERK)

    settings = inventory.set_inventory_policy(variant.id, "deny", 5, actor=CLERK)
    assert settings.low_stock_alerted_at is not None  # the returned settings carry the flag
    inventory.set_inventory_policy(variant.id, "allow", 4, actor=CLERK)

    assert low_events(db_session) == [{"variant_id": variant.id, "available": 2, "threshold": 5}]
    # Back above the threshold: the flag is cleared, so the next crossing alerts again.
    assert (
        inventory.set_inventory_policy(variant.id, "allow", 1, actor=CLERK).low_stock_alerted_at
        is None
    )


def test_collecting_a_variant_twice_lists_it_once(db_session):
    event = {"id": 1, "name": "stock.low", "payload": {"variant_id": 42}}
    handlers.collect_low_stock(event)
    handlers.collect_low_stock(event)
    assert get_redis().smembers(handlers.PENDING_KEY) == {b"42"}


def digests(mailbox) -> list:
    return [m for m in mailbox() if m["X-Template"] == "low_stock_digest"]


@pytest.mark.committed
def test_the_low_stock_digest_reaches_staff_who_can_adjust_stock(app, db_session, mailbox):
    merchandiser = factories.make_staff("merchandiser", name="Mia Merch")
    admin = factories.make_staff("admin", name="Ada Admin")
    factories.make_staff("support")  # may view stock, not adjust it
    gone = factories.make_staff("merchandiser")
    staff.update_staff_user(gone.id, {"is_active": False}, actor=factories.SYSTEM)
    warehouse = make_warehouse()
    lamp = make_variant(sku="LAMP-9", product=make_product(title="Desk Lamp"))
    mug = make_variant(sku="MUG-1", product=make_product(title="Mug"))
    for variant in (lamp, mug):
        inventory.receive_stock(variant.id, warehouse.id, 5, actor=CLERK)
        inventory.set_inventory_policy(variant.id, "deny", 2, actor=CLERK)
    inventory.allocate_stock([(lamp.id, 4)], "order:1", actor=BUYER)  # 1 left of 2
    inventory.allocate_stock([(mug.id, 3)], "order:2", actor=BUYER)  # 2 left of 2

    relay_loop(once=True)
    run_worker(app)  # the stock.low handler collects both variants
    assert digests(mailbox) == []  # nothing is mailed per event
    Queue("mail", connection=get_redis()).enqueue(handlers.send_low_stock_digest)
    run_worker(app)

    sent = digests(mailbox)
    assert sorted(m["To"] for m in sent) == sorted([merchandiser.email, admin.email])
    message = next(m for m in sent if m["To"] == merchandiser.email)
    assert message["Subject"] == "Low stock: 2 variants at or below threshold"
    body = message.get_body(("plain",)).get_content()
    assert "Hello Mia Merch" in body
    assert "- LAMP-9  Desk Lamp: 1 available (threshold 2)" in body
    assert "- MUG-1  Mug: 2 available (threshold 2)" in body
    assert "http://shop.example/admin/" in body
    html = message.get_body(("html",)).get_content()
    assert "LAMP-9" in html and "Desk Lamp" in html

    # The batch is cleared: the next hourly run has nothing to say.
    assert handlers.send_low_stock_digest() == "nothing to send"
    assert len(digests(mailbox)) == 2


def test_a_digest_that_failed_halfway_is_finished_without_repeats(db_session, mailbox, monkeypatch):
    first = factories.make_staff("merchandiser")
    second = factories.make_staff("merchandiser")
    warehouse = make_warehouse()
    variant = make_variant(sku="CUP-3")
    inventory.receive_stock(variant.id, warehouse.id, 1, actor=CLERK)
    inventory.set_inventory_policy(variant.id, "deny", 1, actor=CLERK)
    handlers.collect_low_stock({"payload": {"variant_id": variant.id}})

    real_send = mailer.send_email

    def smtp_dies_on_second(template, to, context, **kwargs):
        if to == second.email:
            raise OSError("connection reset")
        return real_send(template, to, context, **kwargs)

    monkeypatch.setattr(handlers, "send_email", smtp_dies_on_second)
    with pytest.raises(OSError):
        handlers.send_low_stock_digest()
    # Flagged meanwhile: waits for the next digest instead of joining the half-sent one.
    handlers.collect_low_stock({"payload": {"variant_id": 999}})
    monkeypatch.setattr(handlers, "send_email", real_send)
    assert handlers.send_low_stock_digest() == "sent 1 digest(s) listing 1 variant(s)"

    assert sorted(m["To"] for m in digests(mailbox)) == sorted([first.email, second.email])
    keys = db_session.scalars(
        select(EmailMessage.dedupe_key).where(EmailMessage.template == "low_stock_digest")
    ).all()
    assert len(set(keys)) == 2
    assert get_redis().smembers(handlers.PENDING_KEY) == {b"999"}

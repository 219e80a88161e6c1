"""Refunds at the same moment, each on its own connection to the real PostgreSQL, never give back
more than was captured."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from commerce import db
from commerce.errors import InvalidInput
from commerce.payments.models import Payment, Refund
from commerce.payments.refunds import refund_order
from tests.payments_ops.factories import CLERK, card_order

STAFF = 6


@pytest.mark.committed
def test_parallel_refunds_never_exceed_what_was_captured(app, db_session, gateway, stripe_server):
    order = card_order(gateway, stripe_server, lines=((1, 5000),))  # 50.00 captured
    start = threading.Barrier(STAFF)
    outcomes: list[str] = [""] * STAFF

    def refund(n: int) -> None:
        with app.app_context():
            try:
                start.wait(timeout=30)
                refund_order(order.id, amount=2000, reason=f"clerk {n}", actor=CLERK)
                outcomes[n] = "refunded"
            except InvalidInput as exc:
                outcomes[n] = str(exc)
            except Exception as exc:  # reported by the assertion, not lost in the thread
                outcomes[n] = repr(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=refund, args=(n,)) for n in range(STAFF)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(outcomes).count("refunded") == 2, outcomes
    refused = [o for o in outcomes if o != "refunded"]
    assert len(refused) == STAFF - 2
    # Each refusal names what was left when it was checked: 10.00 EUR once both were in.
    assert all(o.startswith("amount: at most ") for o in refused), refused
    assert any("at most 10.00 EUR" in o for o in refused), refused
    with app.app_context():
        payment = db.session.scalar(select(Payment).where(Payment.order_id == order.id))
        assert payment.refunded_amount == 4000
        amounts = db.session.scalars(select(Refund.amount).where(Refund.status == "succeeded"))
        assert sorted(amounts) == [2000, 2000]
        at_stripe = gateway.list_refunds(payment.provider_reference)
        assert sorted(r.amount for r in at_stripe) == [2000, 2000]
        db.session.remove()

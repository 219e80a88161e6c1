"""Gift cards: issued by staff with the code shown once, spent as a tender by a conditional UPDATE
that parallel checkouts cannot overspend, with a ledger that always sums to the balance."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from commerce import db
from commerce.audit import Actor, AuditEntry
from commerce.errors import Conflict, DomainError, PermissionDenied
from commerce.pricing import gift_cards
from commerce.pricing.errors import GiftCardRejected, InsufficientBalance
from commerce.pricing.models import GiftCard, GiftCardTransaction
from tests.carts.factories import SHOPPER, make_gift_card, now_plus

CHECKOUT = Actor.system("checkout")


def ledger(db_session, gift_card_id):
    return list(
        db_session.scalars(
            select(GiftCardTransaction)
            .where(GiftCardTransaction.gift_card_id == gift_card_id)
            .order_by(GiftCardTransaction.id)
        )
    )


def balance(db_session, gift_card_id) -> int:
    card = db_session.get(GiftCard, gift_card_id, populate_existing=True)
    return card.balance_amount


def test_a_card_is_issued_with_its_code_shown_once_and_stored_hashed(db_session):
    issued = make_gift_card(5000, note="Goodwill for order #100042")
    card = issued.gift_card

    assert len(issued.code) == 19 and issued.code.count("-") == 3
    assert issued.code.replace("-", "") not in (card.code_hash, card.last4)
    assert card.last4 == issued.code[-4:]
    assert (card.initial_amount, card.balance_amount, card.currency) == (5000, 5000, "EUR")
    assert [(t.kind, t.amount, t.balance_after) for t in ledger(db_session, card.id)] == [
        ("issued", 5000, 5000)
    ]
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "gift_card.issue"))
    assert entry.object_id == str(card.id) and entry.changes["amount"] == [None, 5000]
    # Found by its code however it is typed.
    assert gift_cards.find_gift_card(issued.code.lower().replace("-", " ")).id == card.id


def test_only_staff_issue_gift_cards(db_session):
    with pytest.raises(PermissionDenied):
        gift_cards.issue_gift_card(5000, "EUR", actor=SHOPPER)


def test_a_partial_redemption_leaves_the_rest_and_the_ledger_adds_up(db_session):
    issued = make_gift_card(5000)

    gift_cards.redeem_gift_card(issued.code, 1999, "order:1", actor=CHECKOUT)

    assert balance(db_session, issued.gift_card.id) == 3001
    assert gift_cards.ledger_balance(issued.gift_card.id) == 3001
    assert [t.kind for t in ledger(db_session, issued.gift_card.id)] == ["issued", "redeemed"]


def test_a_card_cannot_pay_more_than_it_holds(db_session):
    issued = make_gift_card(1000)
    with pytest.raises(InsufficientBalance) as refused:
        gift_cards.redeem_gift_card(issued.code, 1001, "order:2", actor=CHECKOUT)
    assert refused.value.status == 409
    assert refused.value.details["balance"] == 1000
    assert balance(db_session, issued.gift_card.id) == 1000


def test_redeeming_again_for_the_same_checkout_takes_nothing_more(db_session):
    issued = make_gift_card(1000)
    first = gift_cards.redeem_gift_card(issued.code, 400, "order:3", actor=CHECKOUT)
    again = gift_cards.redeem_gift_card(issued.code, 400, "order:3", actor=CHECKOUT)

    assert again.id == first.id
    assert balance(db_session, issued.gift_card.id) == 600
    with pytest.raises(Conflict):
        gift_cards.redeem_gift_card(issued.code, 500, "order:3", actor=CHECKOUT)


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ({"expires_at": "past"}, "expired"),
        ({"disabled": True}, "disabled"),
        ({"code": "NOT-A-REAL-CODE"}, "unknown"),
    ],
)
def test_unusable_cards_are_refused_with_a_reason(db_session, setup, reason):
    issued = make_gift_card(1000, expires_at=now_plus(1))
    code = setup.get("code", issued.code)
    if setup.get("expires_at"):
        issued.gift_card.expires_at = now_plus(-1)
        db_session.commit()
    if setup.get("disabled"):
        gift_cards.set_gift_card_active(issued.gift_card.id, False, actor=Actor.system())
    with pytest.raises(GiftCardRejected) as refused:
        gift_cards.redeem_gift_card(code, 100, "order:4", actor=CHECKOUT)
    assert refused.value.reason == reason and refused.value.status == 422


def test_a_refund_puts_back_at_most_what_the_checkout_spent(db_session):
    issued = make_gift_card(1000)
    gift_cards.redeem_gift_card(issued.code, 700, "order:5", actor=CHECKOUT)

    gift_cards.refund_gift_card(issued.gift_card.id, 500, "order:5", actor=CHECKOUT)
    with pytest.raises(Conflict):
        gift_cards.refund_gift_card(issued.gift_card.id, 201, "order:5", actor=CHECKOUT)

    assert balance(db_session, issued.gift_card.id) == 800
    assert gift_cards.ledger_balance(issued.gift_card.id) == 800
    assert [t.kind for t in ledger(db_session, issued.gift_card.id)] == [
        "issued",
        "redeemed",
        "refunded",
    ]


CHECKOUTS = 20


@pytest.mark.committed
def test_parallel_checkouts_cannot_overspend_a_card(app, db_session):
    issued = make_gift_card(10000)
    barrier = threading.Barrier(CHECKOUTS)
    outcomes = [""] * CHECKOUTS

    def checkout(n: int) -> None:
        with app.app_context(), Session(db.engine(), expire_on_commit=False) as session:
            barrier.wait(timeout=30)
            try:
                gift_cards.redeem_gift_card(
                    issued.code, 3000, f"order:{n}", actor=CHECKOUT, session=session
                )
                outcomes[n] = "paid"
            except InsufficientBalance:
                session.rollback()
                outcomes[n] = "refused"
            except DomainError as exc:  # reported by the assertion, not lost in the thread
                outcomes[n] = repr(exc)
            except Exception as exc:
                outcomes[n] = repr(exc)

    threads = [threading.Thread(target=checkout, args=(n,)) for n in range(CHECKOUTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert Counter(outcomes) == {"paid": 3, "refused": 17}
    db_session.expire_all()
    assert balance(db_session, issued.gift_card.id) == 1000
    assert gift_cards.ledger_balance(issued.gift_card.id) == 1000
    entries = ledger(db_session, issued.gift_card.id)
    assert sorted(t.amount for t in entries) == [-3000, -3000, -3000, 10000]
    assert entries[-1].balance_after >= 0

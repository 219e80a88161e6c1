"""Vouchers: staff create them with checked rules; checkout records uses within the limits, in all
and per customer, even when many checkouts use one code at once."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commerce import db
from commerce.audit import Actor, AuditEntry
from commerce.errors import Conflict, InvalidInput
from commerce.pricing import vouchers
from commerce.pricing.errors import VoucherRejected
from commerce.pricing.models import Voucher, VoucherRedemption
from tests.carts.factories import make_customer, make_voucher, now_plus

CHECKOUT = Actor.system("checkout")


def redemptions(db_session, voucher_id) -> int:
    return db_session.scalar(
        select(func.count())
        .select_from(VoucherRedemption)
        .where(VoucherRedemption.voucher_id == voucher_id)
    )


def test_a_voucher_is_created_with_its_code_upper_case_and_audited(db_session):
    voucher = make_voucher(" spring-25 ", percent="25", description="Spring sale")
    assert (voucher.code, voucher.percent, voucher.times_used) == ("SPRING-25", 25, 0)
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "voucher.create"))
    assert entry.changes["code"] == [None, "SPRING-25"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"code": "a b"}, "code"),
        ({"percent": "150"}, "percent"),
        ({"percent": "0"}, "percent"),
        ({"percent": "12.345"}, "percent"),
        ({"kind": "fixed", "amount": 0}, "amount"),
        ({"kind": "free_shipping", "percent": "5"}, "percent"),
        ({"scope": "categories"}, "category_ids"),
        ({"starts_at": now_plus(2), "ends_at": now_plus(1)}, "ends_at"),
        ({"usage_limit": 0}, "usage_limit"),
        ({"currency": "euro"}, "currency"),
    ],
)
def test_a_voucher_with_a_bad_rule_is_refused_naming_the_field(db_session, overrides, field):
    code = overrides.pop("code", "GOODCODE")
    kind = overrides.pop("kind", "percentage")
    values = {"percent": "10"} if kind == "percentage" else {}
    values.update(overrides)
    with pytest.raises(InvalidInput) as refused:
        vouchers.create_voucher(code, kind, actor=CHECKOUT, **{"currency": "EUR", **values})
    assert field in refused.value.fields


def test_a_voucher_code_is_unique_whatever_its_case(db_session):
    make_voucher("SUMMER")
    with pytest.raises(Conflict):
        make_voucher("summer")


def test_a_redemption_counts_once_per_checkout_and_can_be_given_back(db_session):
    voucher = make_voucher("ONEUSE", usage_limit=1)

    first = vouchers.record_voucher_redemption(
        "oneuse", reference="order:1", amount=250, currency="EUR", actor=CHECKOUT
    )
    again = vouchers.record_voucher_redemption(
        "ONEUSE", reference="order:1", amount=250, currency="EUR", actor=CHECKOUT
    )
    assert again.id == first.id
    with pytest.raises(VoucherRejected) as refused:
        vouchers.record_voucher_redemption(
            "ONEUSE", reference="order:2", amount=250, currency="EUR", actor=CHECKOUT
        )
    assert refused.value.reason == "used_up"

    assert vouchers.cancel_voucher_redemption("order:1", actor=CHECKOUT)
    assert not vouchers.cancel_voucher_redemption("order:1", actor=CHECKOUT)
    db_session.refresh(voucher)
    assert voucher.times_used == 0
    vouchers.record_voucher_redemption(
        "ONEUSE", reference="order:2", amount=250, currency="EUR", actor=CHECKOUT
    )


def test_an_expired_voucher_cannot_be_redeemed_at_checkout(db_session):
    make_voucher("GONE", starts_at=now_plus(-5), ends_at=now_plus(-1))
    with pytest.raises(VoucherRejected) as refused:
        vouchers.record_voucher_redemption(
            "GONE", reference="order:3", amount=100, currency="EUR", actor=CHECKOUT
        )
    assert refused.value.reason == "expired"


def _race(app, count, redeem) -> list[str]:
    barrier = threading.Barrier(count)
    outcomes = [""] * count

    def checkout(n: int) -> None:
        with app.app_context(), Session(db.engine(), expire_on_commit=False) as session:
            barrier.wait(timeout=30)
            try:
                redeem(session, n)
                outcomes[n] = "redeemed"
            except VoucherRejected as exc:
                session.rollback()
                outcomes[n] = exc.reason
            except Exception as exc:  # reported by the assertion, not lost in the thread
                outcomes[n] = repr(exc)

    threads = [threading.Thread(target=checkout, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.mark.committed
def test_parallel_checkouts_never_pass_the_usage_limit(app, db_session):
    voucher = make_voucher("FIRST3", usage_limit=3)

    outcomes = _race(
        app,
        12,
        lambda session, n: vouchers.record_voucher_redemption(
            "FIRST3",
            reference=f"order:{n}",
            amount=100,
            currency="EUR",
            actor=CHECKOUT,
            session=session,
        ),
    )

    assert Counter(outcomes) == {"redeemed": 3, "used_up": 9}
    db_session.expire_all()
    assert db_session.get(Voucher, voucher.id).times_used == 3
    assert redemptions(db_session, voucher.id) == 3


@pytest.mark.committed
def test_parallel_checkouts_of_one_customer_never_pass_their_limit(app, db_session):
    voucher = make_voucher("ONCEEACH", usage_limit_per_customer=1)
    customer = make_customer()

    outcomes = _race(
        app,
        8,
        lambda session, n: vouchers.record_voucher_redemption(
            "ONCEEACH",
            reference=f"order:{n}",
            amount=100,
            currency="EUR",
            customer_id=customer.id,
            actor=CHECKOUT,
            session=session,
        ),
    )

    assert Counter(outcomes) == {"redeemed": 1, "customer_limit_reached": 7}
    assert redemptions(db_session, voucher.id) == 1

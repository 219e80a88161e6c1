"""Cash on delivery: the parcel goes out before the money comes in; other unpaid orders wait."""

from __future__ import annotations

import pytest

from commerce.fulfilment.picking import pick_list
from commerce.fulfilment.service import create_shipment
from commerce.orders.models import Order
from commerce.orders.states import TransitionNotAllowed
from tests.fulfilment.factories import PACKER, make_shippable_order


@pytest.mark.parametrize(
    ("method", "ships"), [("cash_on_delivery", True), ("bank_transfer", False)]
)
def test_only_cash_on_delivery_ships_unpaid(db_session, method, ships):
    order = make_shippable_order((1,), status="pending_payment", payment_method=method)

    assert bool(pick_list([order.id]).skipped) is not ships
    if ships:
        create_shipment(order.id, actor=PACKER)
        assert db_session.get(Order, order.id, populate_existing=True).status == "fulfilled"
    else:
        with pytest.raises(TransitionNotAllowed, match="not paid"):
            create_shipment(order.id, actor=PACKER)

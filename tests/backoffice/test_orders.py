"""Support staff find orders in the back-office list (search, filters, sort, pages, saved views),
read an order's page (lines, totals, addresses, payments, timeline, customer) and act on it
through the order service: notes, holds, cancellation after a confirmation page, offline
payments. Each action needs its permission; a role without it gets the 403 page naming it."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from sqlalchemy import select

from commerce.audit import AuditEntry
from commerce.db import utcnow
from commerce.orders import service as orders
from commerce.orders import timeline
from commerce.orders.models import Order
from commerce.orders.saved_views import SavedView
from commerce.payments.models import Payment
from tests import factories
from tests.carts.factories import make_customer
from tests.checkout.factories import make_order
from tests.factories import SYSTEM

LIST = "/admin/orders/"
NUMBER = re.compile(r'class="order-link">#(\d+)<')


def _numbers(body: str) -> list[int]:
    """The order numbers a list page shows, top to bottom."""
    return [int(n) for n in NUMBER.findall(body)]


def _list(client, **params) -> str:
    response = client.get(LIST + ("?" + urlencode(params, doseq=True) if params else ""))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _page(client, order) -> str:
    response = client.get(f"/admin/orders/details/?id={order.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _audit(db_session, action, object_id):
    return db_session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == action, AuditEntry.object_id == str(object_id)
        )
    ).all()


@pytest.fixture
def browser(app, db_session):
    """browser(role) -> (client, user): another staff member signed in on a browser of their own."""

    def open_as(role: str):
        client = app.test_client()
        user = factories.make_staff(role=role)
        factories.sign_in(client, user.email)
        return client, user

    return open_as


def _fresh(db_session, order) -> Order:
    return db_session.get(Order, order.id, populate_existing=True)


# --- list ----------------------------------------------------------------------------------------


def test_search_by_number_finds_exactly_that_order(sign_in):
    client, _user = sign_in("support")
    first, second, third = make_order(), make_order(), make_order()

    assert _numbers(_list(client, search=str(second.number))) == [second.number]
    assert _numbers(_list(client, search=f"#{third.number}")) == [third.number]
    assert first.number not in _numbers(_list(client, search=str(second.number)))


def test_search_by_email_customer_or_shipping_name(sign_in):
    client, _user = sign_in("support")
    customer = make_customer(first_name="Katherine", last_name="Johnson")
    by_email = make_order(email="zoe.quinn@mail.example")
    by_shipping = make_order(shipping_address={"name": "Ada Lovelace", "country": "GB"})
    by_customer = make_order(customer_id=customer.id)
    other = make_order(email="someone.else@mail.example")

    assert _numbers(_list(client, search="zoe.quinn@")) == [by_email.number]
    assert _numbers(_list(client, search="QUINN")) == [by_email.number]
    assert _numbers(_list(client, search="lovelace")) == [by_shipping.number]
    assert _numbers(_list(client, search="katherine johnson")) == [by_customer.number]
    assert other.number not in _numbers(_list(client, search="quinn"))


def test_search_by_sku_finds_orders_with_a_line_of_that_prefix(sign_in, db_session):
    client, _user = sign_in("support")
    red, blue, plain = make_order(lines=((1, 1000), (2, 500))), make_order(), make_order()
    red.lines[1].sku = "ZEBRA-RED-M"
    blue.lines[0].sku = "ZEBRA-BLUE-L"
    db_session.commit()

    assert sorted(_numbers(_list(client, search="zebra"))) == sorted([red.number, blue.number])
    assert _numbers(_list(client, search="ZEBRA-RED")) == [red.number]
    assert plain.number not in _numbers(_list(client, search="zebra"))


FILTERED = "filtered.example"


@pytest.fixture
def varied_orders(db_session):
    """Two orders differing in every filtered field: (matching, other) per filter below."""
    now = utcnow()
    a = make_order(
        email=f"a@{FILTERED}",
        lines=((1, 1000),),
        status="paid",
        payment_status="paid",
        fulfilment_status="partial",
        placed_at=now - dt.timedelta(days=10),
        shipping_country="DE",
        channel="app",
        payment_method="bank_transfer",
    )
    b = make_order(
        email=f"b@{FILTERED}",
        lines=((4, 2500),),
        status="cancelled",
        payment_status="voided",
        fulfilment_status="unfulfilled",
        placed_at=now - dt.timedelta(days=1),
        shipping_country="FR",
        channel="web",
        payment_method="stripe",
    )
    return {"a": a, "b": b, "now": now}


def _day(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


@pytest.mark.parametrize(
    ("arg", "value", "expected"),
    [
        ("status_equals", "paid", "a"),
        ("status_not_equal", "paid", "b"),
        ("payment_equals", "voided", "b"),
        ("fulfilment_equals", "partial", "a"),
        ("placed_before", "days_ago:5", "a"),
        ("placed_after", "days_ago:5", "b"),
        ("placed_between", "between:12:5", "a"),
        ("shipping_country_equals", "fr", "b"),
        ("total_at_least", "50", "b"),
        ("total_at_most", "10.00", "a"),
        ("channel_equals", "app", "a"),
        ("payment_method_equals", "bank_transfer", "a"),
    ],
)
def test_each_filter_returns_the_right_orders(sign_in, varied_orders, arg, value, expected):
    client, _user = sign_in("support")
    now = varied_orders["now"]
    if value.startswith("days_ago:"):
        value = _day(now - dt.timedelta(days=int(value.split(":")[1])))
    elif value.startswith("between:"):
        _, start, end = value.split(":")
        value = (
            f"{_day(now - dt.timedelta(days=int(start)))} to "
            f"{_day(now - dt.timedelta(days=int(end)))}"
        )

    body = _list(client, search=FILTERED, **{f"flt0_{arg}": value})

    assert _numbers(body) == [varied_orders[expected].number], body[-2000:]


def test_list_sorts_by_total_and_pages_on_the_server(sign_in, db_session):
    client, _user = sign_in("support")
    made = [
        make_order(email=f"p{i}@pages.example", lines=((1, 1000 + i * 100),)) for i in range(21)
    ]
    total_column = 10  # column_list's index of total_amount

    first = _list(client, search="pages.example", sort=total_column, page_size=20)
    second = _list(client, search="pages.example", sort=total_column, page_size=20, page=1)

    assert _numbers(first) == [o.number for o in made[:20]]
    assert _numbers(second) == [made[20].number]
    assert "10.00 EUR" in first and "30.00 EUR" in second  # money formatted
    descending = _list(client, search="pages.example", sort=total_column, desc=1, page_size=20)
    assert _numbers(descending)[0] == made[20].number


# --- saved views ---------------------------------------------------------------------------------


def _save(client, name, **list_args):
    return client.post(
        "/admin/orders/saved-views/?" + urlencode(list_args),
        data={"name": name, "csrf_token": client.csrf},
    )


def test_saved_views_save_list_and_delete_per_staff_member(
    sign_in, browser, db_session, varied_orders
):
    client, user = sign_in("support")

    response = _save(client, "Paid app orders", flt0_status_equals="paid", search=FILTERED, page=3)

    assert response.status_code == 302
    saved = parse_qs(urlparse(response.location).query)
    assert saved == {"flt0_status_equals": ["paid"], "search": [FILTERED]}  # page is not kept
    view = db_session.scalar(select(SavedView).where(SavedView.staff_user_id == user.id))
    body = _list(client)
    assert "Paid app orders" in body and "flt0_status_equals=paid" in body
    assert _numbers(_list(client, **{k: v[0] for k, v in saved.items()})) == [
        varied_orders["a"].number
    ]
    [entry] = _audit(db_session, "saved_view.create", view.id)
    assert entry.actor_id == user.id

    client, other = browser("support")
    assert "Paid app orders" not in _list(client)
    refused = client.post(
        f"/admin/orders/saved-views/{view.id}/delete", data={"csrf_token": client.csrf}
    )
    assert refused.status_code == 302
    assert db_session.get(SavedView, view.id) is not None
    assert "That saved view does not exist" in _list(client)

    mine = _save(client, "Cancelled", flt0_status_equals="cancelled")
    assert mine.status_code == 302
    own = db_session.scalar(select(SavedView).where(SavedView.staff_user_id == other.id))
    deleted = client.post(
        f"/admin/orders/saved-views/{own.id}/delete", data={"csrf_token": client.csrf}
    )
    assert deleted.status_code == 302
    assert db_session.get(SavedView, own.id) is None
    assert "Saved view deleted." in _list(client)
    assert _audit(db_session, "saved_view.delete", own.id)


def test_saving_a_view_without_a_name_keeps_the_list_and_says_why(sign_in, db_session):
    client, user = sign_in("support")
    response = _save(client, "  ", flt0_status_equals="paid")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Name: is required" in body
    assert db_session.scalar(select(SavedView).where(SavedView.staff_user_id == user.id)) is None


def test_saving_a_name_again_replaces_that_view(sign_in, db_session):
    client, user = sign_in("support")
    _save(client, "Mine", flt0_status_equals="paid")
    _save(client, "mine", flt0_status_equals="cancelled")
    [view] = db_session.scalars(select(SavedView).where(SavedView.staff_user_id == user.id)).all()
    assert view.query == "flt0_status_equals=cancelled"


# --- the order page ------------------------------------------------------------------------------


def test_order_page_shows_lines_totals_addresses_customer_and_timeline(sign_in, db_session):
    client, _user = sign_in("support")
    customer = make_customer(first_name="Grace", last_name="Hopper")
    earlier = make_order(
        customer_id=customer.id, lines=((1, 4000),), status="paid", payment_status="paid"
    )
    make_order(customer_id=customer.id, lines=((1, 9999),), status="cancelled")
    order = make_order(
        customer_id=customer.id,
        lines=((2, 1250), (1, 999)),
        shipping_amount=495,
        total_amount=2 * 1250 + 999 + 495,
        gift_card_amount=1000,
        shipping_address={"name": "Grace Hopper", "line1": "1 Navy Way", "city": "Arlington",
                          "postcode": "22201", "country": "US"},
        shipping_method={"name": "Express", "carrier": "offline", "service": "express"},
        shipping_country="US",
    )  # fmt: skip
    order.lines[0].option_values = {"size": "M", "colour": "Red"}
    db_session.commit()
    orders.add_note(order.id, "Customer asked for gift wrap.", actor=SYSTEM)

    body = _page(client, order)

    assert f"Order #{order.number}" in body
    lines = body[body.index('id="order-lines"') : body.index('id="order-totals"')]
    assert order.lines[0].sku in lines and "colour: Red / size: M" in lines
    assert "12.50 EUR" in lines and "25.00 EUR" in lines and "9.99 EUR" in lines
    totals = body[body.index('id="order-totals"') :]
    assert 'Shipping</th><td class="text-right">4.95 EUR' in totals
    assert 'Total</th><td class="text-right">39.94 EUR' in totals
    assert 'Gift cards</th><td class="text-right">-10.00 EUR' in totals
    assert 'Amount due</th><td class="text-right">29.94 EUR' in totals
    assert "1 Navy Way" in body and "Express" in body
    customer_panel = body[body.index('id="order-customer"') :]
    assert "Grace Hopper" in customer_panel
    assert 'id="customer-orders"' in customer_panel
    assert re.search(r'id="customer-orders"><a [^>]*>3</a>', customer_panel)
    # lifetime value: only what was paid (not this unpaid order, nor the cancelled one)
    assert 'id="customer-ltv">40.00 EUR<' in body
    assert earlier.number != order.number
    tl = body[body.index('id="order-timeline"') :]
    assert "Customer asked for gift wrap." in tl


def test_a_merchandiser_reads_orders_but_is_offered_no_action(sign_in):
    order = make_order(status="paid", payment_status="paid", payment_method="bank_transfer")
    client, _user = sign_in("merchandiser")  # orders.view only
    assert order.number in _numbers(_list(client))
    body = _page(client, order)
    for action in ("note-form", "hold-form", "cancel-link", "mark-paid-form", "refund-form"):
        assert f'id="{action}"' not in body, action


# --- actions -------------------------------------------------------------------------------------


def _post(client, url, **data):
    return client.post(url, data={"csrf_token": client.csrf, **data})


def _refused(response, permission):
    assert response.status_code == 403
    assert f'<code id="missing-permission">{permission}</code>' in response.get_data(as_text=True)


def test_support_adds_a_note_merchandiser_may_not(sign_in, browser, db_session):
    order = make_order()
    client, user = browser("merchandiser")
    _refused(_post(client, f"/admin/orders/{order.id}/note", note="Hi"), "orders.edit")
    assert "Add note" not in _page(client, order)

    client, user = sign_in("support")
    response = _post(client, f"/admin/orders/{order.id}/note", note="Called the customer.")

    assert response.status_code == 302
    [entry] = timeline.entries(order.id)
    assert (entry.kind, entry.message, entry.actor_id) == ("note", "Called the customer.", user.id)
    assert _audit(db_session, "order.note", order.id)[0].actor_id == user.id
    assert "Called the customer." in _page(client, order)


def test_an_empty_note_is_flashed_naming_the_field(sign_in):
    order = make_order()
    client, _user = sign_in("support")
    response = _post(client, f"/admin/orders/{order.id}/note", note="  ")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "note: is required" in body and "Note: is required" in body
    assert timeline.entries(order.id) == []


def test_support_holds_with_a_reason_and_releases(sign_in, db_session):
    order = make_order(status="paid", payment_status="paid")
    client, user = sign_in("support")

    missing = _post(client, f"/admin/orders/{order.id}/hold", reason="")
    assert missing.status_code == 200 and "Reason: is required" in missing.get_data(as_text=True)
    assert _fresh(db_session, order).status == "paid"

    held = _post(client, f"/admin/orders/{order.id}/hold", reason="Fraud check")
    assert held.status_code == 302
    assert _fresh(db_session, order).status == "on_hold"
    page = _page(client, order)
    assert "Status paid → on hold: Fraud check" in page and "Release hold" in page

    released = _post(client, f"/admin/orders/{order.id}/release")
    assert released.status_code == 302
    assert _fresh(db_session, order).status == "paid"
    assert [e.data["after"] for e in timeline.entries(order.id)] == ["paid", "on_hold"]
    assert all(e.actor_id == user.id for e in timeline.entries(order.id))


def test_hold_and_release_are_refused_without_orders_edit(sign_in, db_session):
    order = make_order(status="paid", payment_status="paid")
    client, _user = sign_in("merchandiser")
    _refused(_post(client, f"/admin/orders/{order.id}/hold", reason="x"), "orders.edit")
    _refused(_post(client, f"/admin/orders/{order.id}/release"), "orders.edit")
    assert _fresh(db_session, order).status == "paid"


def test_a_refused_transition_is_flashed_with_the_order_number(sign_in, db_session):
    order = make_order(status="cancelled", payment_status="voided")
    client, _user = sign_in("support")
    response = _post(client, f"/admin/orders/{order.id}/hold", reason="Fraud check")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert f"Order #{order.number}: an order that is cancelled cannot become on hold." in body


def test_cancel_needs_confirmation_then_cancels_with_the_reason(sign_in, db_session):
    order = make_order()
    client, user = sign_in("support")

    page = client.get(f"/admin/orders/{order.id}/cancel")
    assert page.status_code == 200
    assert f"Cancel order #{order.number}?" in page.get_data(as_text=True)
    unconfirmed = _post(client, f"/admin/orders/{order.id}/cancel", reason="Customer asked")
    assert unconfirmed.status_code == 200
    assert _fresh(db_session, order).status == "pending_payment"

    confirmed = _post(
        client, f"/admin/orders/{order.id}/cancel", reason="Customer asked", confirm="yes"
    )

    assert confirmed.status_code == 302
    order = _fresh(db_session, order)
    assert (order.status, order.payment_status) == ("cancelled", "voided")
    entry = timeline.entries(order.id)[0]
    assert entry.message.endswith("Customer asked") and entry.actor_id == user.id
    assert f"Order #{order.number} is cancelled." in _page(client, order)


def test_cancel_without_a_reason_keeps_the_confirmation_page(sign_in, db_session):
    order = make_order()
    client, _user = sign_in("support")
    response = _post(client, f"/admin/orders/{order.id}/cancel", reason="", confirm="yes")
    assert response.status_code == 200
    assert "Reason: is required" in response.get_data(as_text=True)
    assert _fresh(db_session, order).status == "pending_payment"


@pytest.mark.parametrize("role", ["merchandiser", "manager"])
def test_cancel_is_refused_without_orders_cancel(sign_in, db_session, role):
    order = make_order()
    client, _user = sign_in(role)
    _refused(client.get(f"/admin/orders/{order.id}/cancel"), "orders.cancel")
    _refused(
        _post(client, f"/admin/orders/{order.id}/cancel", reason="x", confirm="yes"),
        "orders.cancel",
    )
    assert _fresh(db_session, order).status == "pending_payment"


def test_support_marks_an_offline_order_paid_with_a_reference(sign_in, db_session):
    order = make_order(payment_method="bank_transfer", lines=((1, 5000),))
    client, user = sign_in("support")
    assert "Mark as paid" in _page(client, order)

    response = _post(client, f"/admin/orders/{order.id}/mark-paid", reference="SEPA-123")

    assert response.status_code == 302
    order = _fresh(db_session, order)
    assert (order.status, order.payment_status) == ("paid", "paid")
    payment = db_session.scalar(select(Payment).where(Payment.order_id == order.id))
    assert (payment.amount, payment.provider_reference) == (5000, "SEPA-123")
    assert _audit(db_session, "order.mark_paid", order.id)[0].actor_id == user.id
    assert "SEPA-123" in _page(client, order)


def test_mark_paid_is_refused_without_the_permission_and_for_card_orders(
    sign_in, browser, db_session
):
    offline = make_order(payment_method="bank_transfer")
    card = make_order(payment_method="stripe")
    client, _user = browser("merchandiser")
    _refused(
        _post(client, f"/admin/orders/{offline.id}/mark-paid", reference="X"),
        "payments.mark_paid",
    )
    assert _fresh(db_session, offline).payment_status == "pending"

    client, _user = sign_in("support")
    assert "Mark as paid" not in _page(client, card)
    response = _post(client, f"/admin/orders/{card.id}/mark-paid", reference="X")
    assert response.status_code == 200
    assert f"Order #{card.number} is not paid offline (stripe)." in response.get_data(as_text=True)


def test_shipping_a_cancelled_order_is_flashed(sign_in, db_session):
    pytest.importorskip("commerce.fulfilment.service")
    order = make_order(status="cancelled", payment_status="voided")
    client, _user = sign_in("support")
    response = _post(client, f"/admin/orders/{order.id}/fulfil")
    assert response.status_code == 200
    assert f"Order #{order.number}: cannot ship a cancelled order." in response.get_data(
        as_text=True
    )


def test_refund_confirms_the_amount_then_refunds_once(sign_in, browser, db_session):
    refunds = pytest.importorskip("commerce.payments.refunds")
    order = make_order(payment_method="bank_transfer", lines=((1, 5000),))
    orders.mark_paid_offline(order.id, reference="SEPA-1", actor=SYSTEM)
    data = {
        "amount": "10.00",
        "reason": "Damaged box",
        "reference": "SEPA-BACK-1",
        "idempotency_key": "form-1",
    }
    client, _user = browser("merchandiser")
    _refused(
        _post(client, f"/admin/orders/{order.id}/refund", confirm="yes", **data), "payments.refund"
    )

    client, user = sign_in("support")
    assert 'id="refund-form"' in _page(client, order)
    asked = _post(client, f"/admin/orders/{order.id}/refund", **data)
    assert asked.status_code == 200
    body = asked.get_data(as_text=True)
    assert f"Refund order #{order.number}?" in body and ">10.00</strong>" in body
    assert refunds.refunds_of(order.id) == []

    done = _post(client, f"/admin/orders/{order.id}/refund", confirm="yes", **data)
    again = _post(client, f"/admin/orders/{order.id}/refund", confirm="yes", **data)

    assert (done.status_code, again.status_code) == (302, 302)
    [refund] = refunds.refunds_of(order.id)
    assert (refund.amount, refund.status, refund.actor_id) == (1000, "succeeded", user.id)
    assert "Damaged box" in _page(client, order)  # the refunds panel


@pytest.mark.parametrize("term", ["\x00", "¹²", "100%_", "#", "a\x00b@"])
def test_odd_searches_answer_a_list_not_an_error(sign_in, term):
    client, _user = sign_in("support")
    make_order()
    response = client.get(LIST + "?" + urlencode({"search": term}))
    assert response.status_code == 200

"""Editing an unfulfilled order's lines: add variants, remove lines, change quantities.

`edit_order` works on an order that is pending payment, paid or on hold and has shipped nothing,
under the order's row lock (two staff editing at once take turns; the second edits the first's
result). In one transaction it:
1. re-prices every resulting line with the pricing engine (commerce.pricing.engine.quote): today's
   unit prices, automatic promotions and tax are recalculated for the order's customer and
   addresses, and the shipping method the order has is quoted again for the new items. The
   voucher the order was placed with is kept when it is still valid (re-checked as for a new order:
   active, within its dates and minimum); when it is not, it is dropped and the edit says so.
   Gift cards keep what they paid; an edit that would bring the total below that is refused;
2. changes the stock allocation by the difference per variant (allocate_stock for added units,
   OutOfStock naming the line's SKU; deallocate_stock for removed ones; digital lines hold no
   stock);
3. rewrites the order's line snapshots (existing lines keep their ids) and totals (the CHECKs in
   commerce/orders/models.py hold), and records an OrderEdit row (lines and totals before and
   after), a timeline entry, an audit row and `order.edited`.
Then, after that commit, it settles the payment difference for an order that has been paid:
the buyer owes more → a payment link for the difference is emailed (commerce.payments.links) and
the order's payment status is "pending" until it is paid; the buyer owes less → the difference is
refunded through commerce.payments.refunds.refund_order (a separate transaction: a failed refund
stays on the order as a failed refund staff can retry), or, for an offline payment, recorded as a
pending refund for staff to pay back by hand. An unpaid order simply has a new amount due.

Rounding: all rounding happens in the pricing and tax engines (half up, per line); this module only
adds and subtracts whole minor units.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, select

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.catalog.models import Variant
from commerce.errors import Conflict, InvalidInput, PermissionDenied
from commerce.inventory import service as inventory
from commerce.orders import timeline
from commerce.orders.edit_models import OrderEdit, PaymentLink
from commerce.orders.models import Order, OrderLine
from commerce.orders.service import lock_order, order_reference
from commerce.payments.gateway import StripeGateway
from commerce.pricing.engine import quote, tax_address
from commerce.pricing.quotes import PricingLine, Quote
from commerce.shipping.engine import ShippingItem, get_quote

__all__ = ["EditResult", "PricedOrder", "edit_order", "preview_edit", "price_order_lines"]

EDITABLE_STATUSES = ("pending_payment", "paid", "on_hold")
PAID_STATUSES = ("paid", "partially_refunded")
OFFLINE = ("bank_transfer", "cash_on_delivery")
MAX_QUANTITY = 10_000


@dataclasses.dataclass(frozen=True, slots=True)
class PricedOrder:
    """Lines and totals priced for an order (not written yet)."""

    quote: Quote
    lines: list[dict[str, Any]]  # OrderLine field values, with "key"
    totals: dict[str, Any]  # Order field values
    shipping_method: dict[str, Any] | None
    voucher_dropped: str | None  # the code of a voucher that no longer applies


@dataclasses.dataclass(frozen=True, slots=True)
class EditResult:
    """What an edit did: the order, its amount due before and after, and how the difference was
    settled ("none", "payment_link", "refunded", "refund_pending")."""

    order: Order
    edit: OrderEdit
    old_amount_due: int
    new_amount_due: int
    difference: int
    settlement: str
    payment_link: PaymentLink | None
    refund_id: int | None
    voucher_dropped: str | None


# --- pricing (shared with draft orders) ------------------------------------------------------


def _voucher_code(adjustments: Iterable[Mapping[str, Any]]) -> str | None:
    for item in adjustments or ():
        if item.get("kind") == "voucher":
            return str(item.get("code") or "") or None
    return None


def price_order_lines(
    lines: list[tuple[str, int, int]],
    *,
    currency: str,
    customer_id: int | None,
    email: str | None,
    voucher_code: str | None,
    shipping_address: Mapping[str, Any] | None,
    billing_address: Mapping[str, Any] | None,
    shipping_method_id: int | None,
    gift_card_amount: int = 0,
) -> PricedOrder:
    """Price `lines` ((key, variant_id, quantity), ...) as checkout would (see the module
    docstring). Raises NotFound (a variant), InvalidInput naming the field (no address or method
    for goods to ship), and the shipping engine's errors."""
    variants = {
        v.id: v
        for v in db.session.scalars(
            select(Variant).where(Variant.id.in_([variant_id for _, variant_id, _ in lines]))
        )
    }
    items = [
        ShippingItem(
            weight_grams=variants[v].weight_grams or 0 if v in variants else 0,
            quantity=q,
            is_digital=bool(variants[v].is_digital) if v in variants else False,
            shipping_class=variants[v].shipping_class if v in variants else None,
        )
        for _, v, q in lines
    ]
    ships = any(not item.is_digital for item in items)
    chosen: dict[str, Any] = {}
    shipping: Any = None
    if ships:
        if not shipping_address:
            problem = "is required: the order holds goods to ship"
            raise InvalidInput(f"shipping_address: {problem}", fields={"shipping_address": problem})
        if shipping_method_id is None:
            problem = "choose one of the methods offered for the address"
            raise InvalidInput(f"shipping_method: {problem}", fields={"shipping_method": problem})

        def shipping(items_amount: int) -> int:
            quoted = get_quote(shipping_method_id, shipping_address, items, items_amount, currency)
            chosen.update(quoted.snapshot())
            return quoted.amount

    priced = quote(
        [PricingLine(key, variant_id, quantity) for key, variant_id, quantity in lines],
        currency=currency,
        customer_id=customer_id,
        email=email,
        voucher_code=voucher_code,
        shipping_amount=shipping,
        address=tax_address(shipping_address, billing_address, ships_goods=ships),
    )
    tax_by_key = {item.key: item for item in priced.tax_result.lines} if priced.tax_result else {}
    # As checkout: tax taken out of tax-inclusive prices for an exempt buyer shows as a discount.
    exempt_off = {
        line.key: line.subtotal - line.discount - line.total
        for line in priced.lines
        if priced.prices_include_tax and line.subtotal - line.discount > line.total
    }
    out_lines = [
        {
            "key": line.key,
            "variant_id": line.variant_id,
            "sku": line.sku,
            "title": line.title,
            "quantity": line.quantity,
            "unit_price_amount": line.unit_price,
            "discount_amount": line.discount + exempt_off.get(line.key, 0),
            "tax_amount": line.tax,
            "total_amount": line.total,
            "tax_included": priced.prices_include_tax,
            "tax_rate": tax_by_key[line.key].rate if line.key in tax_by_key else None,
            "tax_class": line.tax_class,
            "option_values": dict(variants[line.variant_id].option_values or {}),
            "is_digital": line.is_digital,
        }
        for line in priced.lines
    ]
    from commerce.checkout.service import _adjustments  # the one place adjustments are described

    adjustments = [
        a for a in _adjustments(priced, sum(exempt_off.values())) if a["kind"] != "gift_card"
    ]
    totals = {
        "currency": priced.currency,
        "prices_include_tax": priced.prices_include_tax,
        "subtotal_amount": priced.subtotal,
        "discount_amount": priced.discount + sum(exempt_off.values()),
        "shipping_amount": (
            priced.shipping_total if priced.prices_include_tax else priced.shipping_charged
        ),
        "tax_amount": priced.tax,
        "total_amount": priced.total,
        "gift_card_amount": gift_card_amount,
        "tax_lines": priced.tax_result.snapshot()["tax_lines"] if priced.tax_result else [],
        "adjustments": adjustments,
    }
    dropped = voucher_code if voucher_code and priced.voucher is None else None
    return PricedOrder(priced, out_lines, totals, chosen or None, dropped)


def _snapshot(order: Order) -> dict[str, Any]:
    return {
        "lines": [
            {
                "id": line.id,
                "variant_id": line.variant_id,
                "sku": line.sku,
                "quantity": line.quantity,
                "unit_price_amount": line.unit_price_amount,
                "discount_amount": line.discount_amount,
                "tax_amount": line.tax_amount,
                "total_amount": line.total_amount,
            }
            for line in order.lines
        ],
        "totals": {
            "subtotal_amount": order.subtotal_amount,
            "discount_amount": order.discount_amount,
            "shipping_amount": order.shipping_amount,
            "tax_amount": order.tax_amount,
            "total_amount": order.total_amount,
            "gift_card_amount": order.gift_card_amount,
            "amount_due": order.amount_due,
        },
    }


# --- edit ------------------------------------------------------------------------------------


def _check_editable(order: Order) -> None:
    why = None
    if order.fulfilment_status != "unfulfilled":
        why = "units have shipped; open a return instead"
    elif order.status not in EDITABLE_STATUSES:
        why = f"an order that is {order.status.replace('_', ' ')} cannot be edited"
    elif order.payment_status == "authorized":
        why = "its card payment is authorised; capture or void it first"
    elif order.payment_status in ("refunded", "voided"):
        why = f"its payment is {order.payment_status}"
    if why:
        raise Conflict(f"Order #{order.number} cannot be edited: {why}.", details={"reason": why})


def _quantity(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_QUANTITY:
        problem = f"must be a whole number from 1 to {MAX_QUANTITY}"
        raise InvalidInput(f"{field}: {problem}", fields={field: problem})
    return value


def _wanted(
    order: Order,
    add: Mapping[int, int] | None,
    remove: Iterable[int] | None,
    quantities: Mapping[int, int] | None,
) -> list[tuple[str, int, int]]:
    """The resulting (key, variant_id, quantity) lines: "line:<id>" for kept lines, "new:<id>" for
    added variants. Raises InvalidInput naming the field."""
    by_id = {line.id: line for line in order.lines}
    removed = set(remove or ())
    for line_id in removed | set((quantities or {}).keys()):
        if line_id not in by_id:
            field = "remove" if line_id in removed else f"quantities[{line_id}]"
            raise InvalidInput(
                f"{field}: line {line_id} is not on order #{order.number}",
                fields={field: "not a line of this order"},
            )
    out: list[tuple[str, int, int]] = []
    index: dict[int, int] = {}
    for line in order.lines:
        if line.id in removed:
            continue
        quantity = _quantity(
            (quantities or {}).get(line.id, line.quantity), f"quantities[{line.id}]"
        )
        if line.variant_id is None:
            raise InvalidInput(
                f"lines: {line.sku} is no longer in the catalog, so the order cannot be re-priced;"
                " remove the line",
                fields={f"quantities[{line.id}]": "variant deleted"},
            )
        index.setdefault(line.variant_id, len(out))
        out.append((f"line:{line.id}", line.variant_id, quantity))
    for variant_id, quantity in (add or {}).items():
        field = f"add[{variant_id}]"
        _quantity(quantity, field)
        if db.session.get(Variant, variant_id) is None:
            raise InvalidInput(f"{field}: no such variant", fields={field: "no such variant"})
        if variant_id in index:  # more of a variant already on the order: that line grows
            key, v, q = out[index[variant_id]]
            out[index[variant_id]] = (key, v, _quantity(q + quantity, field))
        else:
            index[variant_id] = len(out)
            out.append((f"new:{variant_id}", variant_id, quantity))
    if not out:
        raise InvalidInput(
            "lines: an order keeps at least one line; cancel the order instead",
            fields={"lines": "empty"},
        )
    return out


def _stock_units(lines: Iterable[tuple[int | None, int, bool]]) -> dict[int, int]:
    units: dict[int, int] = {}
    for variant_id, quantity, digital in lines:
        if variant_id is not None and not digital:
            units[variant_id] = units.get(variant_id, 0) + quantity
    return units


def _priced_for(order: Order, wanted: list[tuple[str, int, int]]) -> PricedOrder:
    method = order.shipping_method or {}
    return price_order_lines(
        wanted,
        currency=order.currency,
        customer_id=order.customer_id,
        email=order.email,
        voucher_code=_voucher_code(order.adjustments),
        shipping_address=order.shipping_address,
        billing_address=order.billing_address,
        shipping_method_id=method.get("method_id"),
        gift_card_amount=order.gift_card_amount,
    )


def _collected(order: Order) -> int:
    """What the order's payments hold now (succeeded payments less refunds, pending ones too)."""
    from commerce.payments.refundable import state_of

    return state_of(order).refundable(order.currency).payment


def _open_links(order_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(PaymentLink.amount), 0)).where(
                PaymentLink.order_id == order_id, PaymentLink.status == "open"
            )
        )
        or 0
    )


def _owed(order: Order, old_due: int, new_due: int, collected: int) -> int:
    """What the buyer of a paid order owes after an edit (negative: what we owe them): the new
    amount due less what the payments hold and less what open payment links already ask for, as
    far as those links cover what was still owed before the edit (a draft's link left open after
    an offline payment covers nothing)."""
    covered = min(_open_links(order.id), max(0, old_due - collected))
    return new_due - collected - covered


def preview_edit(
    order_id: int,
    *,
    add: Mapping[int, int] | None = None,
    remove: Iterable[int] | None = None,
    quantities: Mapping[int, int] | None = None,
) -> dict[str, Any]:
    """The totals an edit would give and the payment difference, without writing (for the
    confirmation page). Raises NotFound, Conflict (not editable), InvalidInput."""
    order = lock_order(order_id)
    try:
        _check_editable(order)
        priced = _priced_for(order, _wanted(order, add, remove, quantities))
        totals = priced.totals
        new_due = totals["total_amount"] - totals["gift_card_amount"]
        paid = _is_paid(order)
        owed = _owed(order, order.amount_due, new_due, _collected(order)) if paid else 0
        return {
            "lines": priced.lines,
            "totals": {**{k: v for k, v in totals.items() if k.endswith("_amount")}},
            "old_amount_due": order.amount_due,
            "new_amount_due": new_due,
            "difference": owed if paid else new_due - order.amount_due,
            "paid": paid,
            "voucher_dropped": priced.voucher_dropped,
        }
    finally:
        db.session.rollback()


def _is_paid(order: Order) -> bool:
    return order.payment_status in PAID_STATUSES or (
        order.payment_status == "pending" and _collected(order) > 0
    )


def edit_order(
    order_id: int,
    *,
    add: Mapping[int, int] | None = None,
    remove: Iterable[int] | None = None,
    quantities: Mapping[int, int] | None = None,
    actor: Actor,
    gateway: StripeGateway | None = None,
) -> EditResult:
    """Edit an unfulfilled order's lines and settle the payment difference (see the module
    docstring). `add` is {variant_id: quantity}, `remove` order line ids, `quantities`
    {order_line_id: new quantity}. Raises NotFound, PermissionDenied (not staff), InvalidInput
    naming the field, Conflict (shipped, cancelled, authorised ... saying why; gift cards paid more
    than the new total), OutOfStock (naming the line's SKU); a refund's RefundFailed / PaymentError
    come after the edit committed (the edit stands; the refund is kept for a retry)."""
    if actor.kind not in ("staff", "system"):
        raise PermissionDenied("orders.edit")
    order = lock_order(order_id)
    try:
        result = _edit(order, add, remove, quantities, actor)
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    return _settle(order, result, actor, gateway)


def _edit(order, add, remove, quantities, actor) -> dict[str, Any]:
    _check_editable(order)
    wanted = _wanted(order, add, remove, quantities)
    priced = _priced_for(order, wanted)
    totals = priced.totals
    if totals["total_amount"] < order.gift_card_amount:
        raise Conflict(
            f"Order #{order.number}: gift cards paid {order.gift_card_amount}, more than the new "
            f"total {totals['total_amount']}; refund to the gift card first.",
            details={"reason": "gift cards paid more than the new total"},
        )
    paid = _is_paid(order)
    collected = _collected(order) if paid else 0
    before = _snapshot(order)
    old_due = order.amount_due

    # Stock: the difference per variant.
    old_units = _stock_units((ln.variant_id, ln.quantity, ln.is_digital) for ln in order.lines)
    new_units = _stock_units(
        (ln["variant_id"], ln["quantity"], ln["is_digital"]) for ln in priced.lines
    )
    reference = order_reference(order)
    more = [(v, q - old_units.get(v, 0)) for v, q in new_units.items() if q > old_units.get(v, 0)]
    less = [(v, q - new_units.get(v, 0)) for v, q in old_units.items() if q > new_units.get(v, 0)]
    if less:
        inventory.deallocate_stock(reference, less, actor=actor, commit=False)
    if more:
        inventory.allocate_stock(more, reference, actor=actor, commit=False)

    # Lines: kept ones updated in place, removed ones deleted, new ones added.
    by_id = {line.id: line for line in order.lines}
    keep: set[int] = set()
    for values in priced.lines:
        fields = {k: v for k, v in values.items() if k != "key"}
        if values["key"].startswith("line:"):
            line_id = int(values["key"].split(":", 1)[1])
            keep.add(line_id)
            line = by_id[line_id]
            for name, value in fields.items():
                setattr(line, name, value)
        else:
            order.lines.append(OrderLine(**fields))
    for line in list(order.lines):
        if line.id is not None and line.id not in keep:
            order.lines.remove(line)
    for name, value in totals.items():
        setattr(order, name, value)
    if priced.shipping_method is not None:
        order.shipping_method = priced.shipping_method
    db.session.flush()
    db.session.refresh(order, ["lines"])
    after = _snapshot(order)
    new_due = order.amount_due
    owed = _owed(order, old_due, new_due, collected) if paid else 0
    if priced.voucher_dropped:
        after["voucher_dropped"] = priced.voucher_dropped
    settlement = "none"
    if paid and owed > 0:
        settlement = "payment_link"
    elif paid and owed < 0:
        settlement = "refund_pending" if order.payment_method in OFFLINE else "refunded"
    edit = OrderEdit(
        order_id=order.id,
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_label=actor.label[:255],
        before=before,
        after=after,
        difference=owed if paid else new_due - old_due,
        settlement=settlement,
    )
    db.session.add(edit)
    db.session.flush()
    summary = ", ".join(f"{ln['quantity']} x {ln['sku']}" for ln in after["lines"])
    message = f"Order edited: {summary}; amount due {old_due} → {new_due} {order.currency}"
    if priced.voucher_dropped:
        message += f"; voucher {priced.voucher_dropped} no longer applies and was removed"
    timeline.record(order.id, "edit", message, actor=actor, order_edit_id=edit.id)
    audit.record(
        actor,
        "order.edit",
        "order",
        order.id,
        {
            "total_amount": [before["totals"]["total_amount"], order.total_amount],
            "lines": [len(before["lines"]), len(after["lines"])],
        },
    )
    events.record(
        "order.edited",
        order_id=order.id,
        order_edit_id=edit.id,
        old_amount_due=old_due,
        new_amount_due=new_due,
    )
    link = None
    token = None
    from commerce.payments.links import expire_open_links

    # What is owed was worked out again just now: an open link for an old amount is closed, and
    # an unpaid order that had one (a sent draft) gets a new one for its new amount due.
    replaced = expire_open_links(order.id, reason="the order was edited", actor=actor)
    if not paid and replaced and new_due > 0:
        settlement, owed = "payment_link", new_due
    if settlement == "payment_link":
        from commerce.payments.links import new_payment_link

        link, token = new_payment_link(order, owed, purpose="order edit", actor=actor)
        edit.payment_link_id = link.id
        if order.payment_status in PAID_STATUSES:
            order.payment_status = "pending"  # until the link is paid (the webhook says "paid")
    elif settlement == "refund_pending":
        timeline.record(
            order.id,
            "refund",
            f"{-owed} {order.currency} to pay back by {order.payment_method.replace('_', ' ')}"
            " after the edit (record it as a refund once paid)",
            actor=actor,
            order_edit_id=edit.id,
        )
    return {
        "edit": edit,
        "old_due": old_due,
        "new_due": new_due,
        "owed": owed if paid else new_due - old_due,
        "settlement": settlement,
        "link": link,
        "token": token,
        "voucher_dropped": priced.voucher_dropped,
    }


def _settle(order: Order, result: dict[str, Any], actor: Actor, gateway) -> EditResult:
    refund_id = None
    if result["settlement"] == "payment_link":
        from commerce.payments.links import email_payment_link

        email_payment_link(order, result["link"], result["token"])
    elif result["settlement"] == "refunded":
        from commerce.payments.refunds import refund_order

        edit_id = result["edit"].id
        refund = refund_order(
            order.id,
            amount=-result["owed"],
            reason=f"Order edited (edit {edit_id})",
            idempotency_key=f"edit-{edit_id}",
            actor=actor,
            gateway=gateway,
        )
        refund_id = refund.id
        edit = db.session.get(OrderEdit, edit_id)
        assert edit is not None
        edit.refund_id = refund.id
        db.session.commit()
    return EditResult(
        order=order,
        edit=result["edit"],
        old_amount_due=result["old_due"],
        new_amount_due=result["new_due"],
        difference=result["owed"],
        settlement=result["settlement"],
        payment_link=result["link"],
        refund_id=refund_id,
        voucher_dropped=result["voucher_dropped"],
    )

"""What an invoice or credit note prints, as a JSON-safe snapshot kept on its row.

An invoice copies the paid order: the seller (SHOP_NAME, SELLER_ADDRESS, SELLER_VAT_ID), the buyer
(the billing address, else the shipping address, and the email), every line with its quantity,
unit price as sold, discount, tax rate and net / tax / gross amounts, the shipping as a line of its
own, the tax breakdown by rate and the totals. For each line:

    prices exclusive of tax:  net = quantity * unit price - discount,  gross = net + tax
    prices inclusive of tax:  gross = quantity * unit price - discount,  net = gross - tax

so the invoice's gross is the order's total and its tax the order's tax, whichever way prices were
given. Gift cards are a tender, not a discount: they show under the totals as paid with a gift
card, and do not lower the amounts taxed.

A credit note takes back part of one invoice, with negative amounts:
- by lines: `quantity` units of invoice lines, each unit worth its share of what the line has left
  to credit (so crediting every unit, in one go or several, gives back the line exactly);
- by amount: a gross amount spread over the invoice's tax rates in proportion to what each rate
  has left to credit (largest remainder, so the parts add up exactly), its tax in proportion too.
Either way, no line, rate or invoice is ever credited beyond what it was invoiced for.

Rounding is half up to the minor unit, on amounts before their sign is applied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import current_app

from commerce.errors import Conflict, InvalidInput
from commerce.money import format_money
from commerce.orders.models import Order

Document = dict[str, Any]


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _share(amount: int, numerator: int, denominator: int) -> int:
    """amount * numerator / denominator, rounded half up (0 when the denominator is 0)."""
    if denominator == 0:
        return 0
    return _half_up(Decimal(amount) * numerator / denominator)


def _rate_text(rate: Decimal | str | None) -> str | None:
    return None if rate is None else str(Decimal(str(rate)).normalize())


# --- Parties ----------------------------------------------------------------------------------


def seller() -> dict[str, Any]:
    """The seller as configured: SHOP_NAME, SELLER_ADDRESS (lines separated by newlines) and
    SELLER_VAT_ID."""
    config = current_app.config
    address = str(config.get("SELLER_ADDRESS") or "").replace("\\n", "\n")
    return {
        "name": str(config.get("SHOP_NAME") or "Shop"),
        "address": [line.strip() for line in address.splitlines() if line.strip()],
        "vat_id": str(config.get("SELLER_VAT_ID") or "") or None,
    }


def address_lines(address: Mapping[str, Any]) -> list[str]:
    """A postal address snapshot as printed lines, blank parts left out."""
    place = " ".join(str(p) for p in (address.get("postcode"), address.get("city")) if p)
    if address.get("region"):
        place = f"{place} {address['region']}".strip()
    parts = [address.get("company"), address.get("line1"), address.get("line2"), place]
    parts.append(address.get("country"))
    return [str(p) for p in parts if p]


def buyer(order: Order) -> dict[str, Any]:
    """The buyer as the order recorded them: its billing address (else shipping) and email."""
    address = order.billing_address or order.shipping_address or {}
    return {
        "name": str(address.get("name") or order.email),
        "address": address_lines(address),
        "email": order.email,
        "vat_id": address.get("vat_id") or None,
    }


# --- Invoices ---------------------------------------------------------------------------------


def _line(
    *,
    line_id: int | None,
    sku: str | None,
    title: str,
    quantity: int,
    unit_price: int | None,
    discount: int,
    rate: str | None,
    net: int,
    tax: int,
) -> dict[str, Any]:
    return {
        "line_id": line_id,
        "sku": sku,
        "title": title,
        "quantity": quantity,
        "unit_price": unit_price,
        "discount": discount,
        "tax_rate": rate,
        "net": net,
        "tax": tax,
        "gross": net + tax,
    }


def _shipping_rate(net: int, tax: int, known: Iterable[str | None]) -> str | None:
    """The rate among `known` that gives `tax` on `net` (the order does not keep the shipping's
    rate on its own), or None when none does."""
    if tax == 0:
        return "0"
    for rate in known:
        if rate is not None and _half_up(Decimal(net) * Decimal(rate)) == tax:
            return rate
    return None


def _breakdown_of_lines(lines: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows: dict[str | None, dict[str, Any]] = {}
    for line in lines:
        row = rows.setdefault(
            line["tax_rate"],
            {"name": "", "rate": line["tax_rate"], "net": 0, "tax": 0, "gross": 0},
        )
        for key in ("net", "tax", "gross"):
            row[key] += line[key]
    return sorted(rows.values(), key=lambda r: -Decimal(r["rate"] or "-1"))


def _breakdown(order: Order, lines: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The order's own breakdown (the tax engine's rows) when it adds up to the invoice, else one
    row per rate worked out from the lines."""
    rows = [
        {
            "name": str(row.get("name") or ""),
            "rate": _rate_text(row.get("rate")),
            "net": int(row["taxable_amount"]),
            "tax": int(row["tax_amount"]),
            "gross": int(row["taxable_amount"]) + int(row["tax_amount"]),
        }
        for row in order.tax_lines or []
    ]
    gross = sum(line["gross"] for line in lines)
    if (
        rows
        and sum(r["tax"] for r in rows) == order.tax_amount
        and sum(r["gross"] for r in rows) == gross
    ):
        return rows
    return _breakdown_of_lines([line for line in lines if line["gross"] or line["tax"]])


def invoice_document(order: Order) -> Document:
    """The snapshot of the invoice of `order` (without number and date, which the service adds
    once it has taken them). Raises Conflict when the order's amounts do not add up (it would
    print an invoice whose total differs from what was paid)."""
    inclusive = order.prices_include_tax
    lines = []
    for line in order.lines:
        amount = line.quantity * line.unit_price_amount - line.discount_amount
        net = amount - line.tax_amount if inclusive else amount
        lines.append(
            _line(
                line_id=line.id,
                sku=line.sku,
                title=line.title,
                quantity=line.quantity,
                unit_price=line.unit_price_amount,
                discount=line.discount_amount,
                rate=_rate_text(line.tax_rate),
                net=net,
                tax=line.tax_amount,
            )
        )
    shipping_tax = order.tax_amount - sum(line.tax_amount for line in order.lines)
    if order.shipping_amount or shipping_tax:
        net = order.shipping_amount - shipping_tax if inclusive else order.shipping_amount
        known = [_rate_text(r.get("rate")) for r in order.tax_lines or []]
        method = (order.shipping_method or {}).get("name")
        lines.append(
            _line(
                line_id=None,
                sku=None,
                title=f"Shipping ({method})" if method else "Shipping",
                quantity=1,
                unit_price=order.shipping_amount,
                discount=0,
                rate=_shipping_rate(net, shipping_tax, [*known, *(li["tax_rate"] for li in lines)]),
                net=net,
                tax=shipping_tax,
            )
        )
    net_total = sum(line["net"] for line in lines)
    if net_total + order.tax_amount != order.total_amount:
        raise Conflict(
            f"Order #{order.number}'s amounts do not add up; it cannot be invoiced as it is.",
            details={"total": order.total_amount, "lines": net_total + order.tax_amount},
        )
    return {
        "kind": "invoice",
        "currency": order.currency,
        "prices_include_tax": inclusive,
        "seller": seller(),
        "buyer": buyer(order),
        "order": {
            "id": order.id,
            "number": order.number,
            "placed_at": order.placed_at.isoformat(),
        },
        "lines": lines,
        "tax_breakdown": _breakdown(order, lines),
        "totals": {
            "net": net_total,
            "tax": order.tax_amount,
            "gross": order.total_amount,
            "gift_card": order.gift_card_amount,
            "charged": order.total_amount - order.gift_card_amount,
        },
    }


# --- Credit notes -----------------------------------------------------------------------------


def _negated(line: Mapping[str, Any]) -> dict[str, Any]:
    return {**line, **{k: -line[k] for k in ("net", "tax", "gross")}}


def _left_on_lines(
    invoice: Mapping[str, Any], credited: Sequence[Mapping[str, Any]]
) -> dict[int, dict[str, int]]:
    """Per invoice line id: the quantity, net, tax and gross not yet credited."""
    left = {
        line["line_id"]: {k: line[k] for k in ("quantity", "net", "tax", "gross")}
        for line in invoice["lines"]
        if line["line_id"] is not None
    }
    for note in credited:
        for line in note["lines"]:
            if line.get("line_id") in left:
                row = left[line["line_id"]]
                row["quantity"] -= line["quantity"]
                for key in ("net", "tax", "gross"):
                    row[key] += line[key]  # credited amounts are negative
    return left


def _left_by_rate(
    invoice: Mapping[str, Any], credited: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The invoice's tax breakdown less what earlier credit notes took back."""
    rows = {(r["name"], r["rate"]): dict(r) for r in invoice["tax_breakdown"]}
    for note in credited:
        for r in note["tax_breakdown"]:
            key = (r["name"], r["rate"])
            if key not in rows:  # credited by lines: match on the rate alone
                key = next((k for k in rows if k[1] == r["rate"]), key)
            row = rows.setdefault(key, {"name": r["name"], "rate": r["rate"], "net": 0, "tax": 0})
            for k in ("net", "tax", "gross"):
                row[k] = row.get(k, 0) + r[k]
    return list(rows.values())


def _credit_lines(
    invoice: Mapping[str, Any],
    credited: Sequence[Mapping[str, Any]],
    wanted: Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    left = _left_on_lines(invoice, credited)
    by_id = {line["line_id"]: line for line in invoice["lines"] if line["line_id"] is not None}
    lines: list[dict[str, Any]] = []
    seen: set[int] = set()
    for i, item in enumerate(wanted):
        field = f"lines[{i}]"
        line_id, quantity = item.get("line_id"), item.get("quantity")
        if not isinstance(line_id, int) or isinstance(line_id, bool) or line_id not in by_id:
            raise InvalidInput(
                f"{field}.line_id: is not a line of this order",
                fields={f"{field}.line_id": "is not a line of this order"},
            )
        if line_id in seen:
            raise InvalidInput(
                f"{field}.line_id: is named twice", fields={f"{field}.line_id": "is named twice"}
            )
        seen.add(line_id)
        rest = left[line_id]
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
            raise InvalidInput(
                f"{field}.quantity: must be a whole number above 0",
                fields={f"{field}.quantity": "must be a whole number above 0"},
            )
        if quantity > rest["quantity"]:
            problem = f"only {rest['quantity']} left to credit"
            raise InvalidInput(
                f"{field}.quantity: {problem}", fields={f"{field}.quantity": problem}
            )
        source = by_id[line_id]
        gross = _share(rest["gross"], quantity, rest["quantity"])
        tax = _share(rest["tax"], quantity, rest["quantity"])
        discount = _share(source["discount"], quantity, source["quantity"])
        credit = {**source, "quantity": quantity, "discount": discount}
        lines.append(_negated({**credit, "net": gross - tax, "tax": tax, "gross": gross}))
    if not lines:
        raise InvalidInput("lines: name at least one line", fields={"lines": "is empty"})
    return lines


def _credit_amount(
    invoice: Mapping[str, Any], credited: Sequence[Mapping[str, Any]], amount: int
) -> list[dict[str, Any]]:
    rows = [r for r in _left_by_rate(invoice, credited) if r["gross"] > 0]
    total = sum(r["gross"] for r in rows)
    # Largest remainder: floor shares, then the leftover minor units to the largest fractions.
    exact = [(Decimal(amount) * r["gross"] / total) if total else Decimal(0) for r in rows]
    parts = [int(x) for x in exact]
    order = sorted(range(len(rows)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[: amount - sum(parts)]:
        parts[i] += 1
    lines = []
    for row, part in zip(rows, parts, strict=True):
        if part == 0:
            continue
        tax = _share(row["tax"], part, row["gross"])
        label = f"Refund ({row['name']})" if row["name"] else "Refund"
        lines.append(
            _negated(
                _line(
                    line_id=None,
                    sku=None,
                    title=label,
                    quantity=1,
                    unit_price=None,
                    discount=0,
                    rate=row["rate"],
                    net=part - tax,
                    tax=tax,
                )
            )
        )
    return lines


def _beyond(invoice: Mapping[str, Any], left: int, amount: int) -> Conflict:
    money = format_money(left, invoice["currency"])
    return Conflict(
        f"Only {money} of invoice {invoice['number']} is left to credit.",
        details={"left": left, "amount": amount},
    )


def credit_note_document(
    invoice: Mapping[str, Any],
    credited: Sequence[Mapping[str, Any]],
    *,
    amount: int | None = None,
    lines: Sequence[Mapping[str, Any]] | None = None,
    reason: str | None = None,
) -> Document:
    """The snapshot of a credit note against the invoice snapshot `invoice`, after the credit
    notes `credited` issued against it before (see the module docstring). Exactly one of `amount`
    (a positive gross amount in minor units) and `lines` ([{"line_id", "quantity"}]) is given.
    Raises InvalidInput (neither or both, a bad line or quantity, an amount not above 0),
    Conflict (more than the invoice has left to credit)."""
    if (amount is None) == (lines is None):
        raise InvalidInput(
            "Give either an amount or lines to credit.",
            fields={"amount": "give an amount or lines, not both"},
        )
    already = -sum(note["totals"]["gross"] for note in credited)
    left = invoice["totals"]["gross"] - already
    if lines is not None:
        if not isinstance(lines, list | tuple):
            raise InvalidInput("lines: must be a list", fields={"lines": "must be a list"})
        rows = _credit_lines(invoice, credited, lines)
    else:
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise InvalidInput(
                "amount: must be a whole number of minor units above 0",
                fields={"amount": "must be a whole number of minor units above 0"},
            )
        if amount > left:
            raise _beyond(invoice, left, amount)
        rows = _credit_amount(invoice, credited, amount)
    gross = sum(r["gross"] for r in rows)
    if -gross > left:
        raise _beyond(invoice, left, -gross)
    breakdown = _breakdown_of_lines(rows)
    names = {r["rate"]: r["name"] for r in invoice["tax_breakdown"]}
    for row in breakdown:
        row["name"] = names.get(row["rate"], "")
    tax = sum(r["tax"] for r in rows)
    return {
        "kind": "credit_note",
        "currency": invoice["currency"],
        "prices_include_tax": invoice["prices_include_tax"],
        "seller": invoice["seller"],
        "buyer": invoice["buyer"],
        "order": invoice["order"],
        "credits": {"number": invoice["number"], "issued_at": invoice["issued_at"]},
        "reason": reason,
        "lines": rows,
        "tax_breakdown": breakdown,
        "totals": {
            "net": gross - tax,
            "tax": tax,
            "gross": gross,
            "gift_card": 0,
            "charged": gross,
        },
    }

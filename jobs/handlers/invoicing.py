"""Invoicing handlers: a paid order gets its invoice, a refund its credit note.

Both may run twice (RQ delivers at least once): an order has one invoice, and a refund one credit
note (by its refund id), so a second run returns what the first issued.
"""

from __future__ import annotations

from typing import Any

from commerce import db
from commerce.audit import Actor
from commerce.errors import Conflict
from commerce.invoicing import service as invoicing
from commerce.orders.models import Order
from jobs.registry import subscribe


@subscribe("order.paid")
def issue_paid_order_invoice(event: dict[str, Any]) -> str:
    """Issue the invoice of a paid order (once per order). Raises what issue_invoice raises
    but Conflict (an order no longer paid is skipped), and the job is retried."""
    order_id = int(event["payload"]["order_id"])
    if db.session.get(Order, order_id) is None:
        return "skipped: order no longer exists"
    try:
        invoice = invoicing.issue_invoice(order_id, actor=Actor.system("order.paid"))
    except Conflict as exc:
        return f"skipped: {exc.message}"
    return f"invoice {invoice.number}"


@subscribe("order.refunded")
def issue_refund_credit_note(event: dict[str, Any]) -> str:
    """Issue the credit note of a refund (once per refund id) for the refunded amount, issuing
    the order's invoice first if it was not yet. Raises what issue_credit_note raises (the job
    is retried; a refund beyond what is left to credit stays in the failed jobs for staff)."""
    payload = event["payload"]
    order_id = int(payload["order_id"])
    if db.session.get(Order, order_id) is None:
        return "skipped: order no longer exists"
    refund_id = payload.get("refund_id")
    note = invoicing.issue_credit_note(
        order_id,
        refund_id=int(refund_id) if refund_id is not None else None,
        amount=int(payload["amount"]),
        reason=payload.get("reason"),
        actor=Actor.system("order.refunded"),
    )
    return f"credit note {note.number}"

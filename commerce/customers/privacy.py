"""Personal data rights: export everything we hold on a customer, take an erasure request, and
erase (anonymise) a customer.

Erasure keeps the customer's row (their orders point at it) but replaces the name, email and
phone, removes the password, every token, the address book and staff notes on the person, and
withdraws marketing consent (data-export archives go with the next purge, see data_exports.py).
Orders are kept with their snapshot of what was sold and its amounts, which accounting law
requires; issued invoices keep their own immutable snapshot of the addressee (legal retention).
The order's shipping and billing addresses keep only country, region and postcode (they decided
the tax), and the order's email becomes the same placeholder, because nobody may contact the
person any more. Erasure waits until no order is still open, so support never loses the address
of an order in progress. The log of sent emails gets the placeholder too. Audit rows are kept as
they are: they never held personal data (see accounts.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update

from commerce import audit, db, events
from commerce.audit import Actor, AuditEntry
from commerce.customers import accounts, history
from commerce.customers.addresses import address_data, list_addresses
from commerce.customers.models import Customer, CustomerAddress, CustomerToken, ErasureRequest
from commerce.customers.notes import CustomerNote
from commerce.db import utcnow
from commerce.errors import Conflict, NotFound
from commerce.notifications.models import EmailMessage
from commerce.orders.models import Order

# Orders still being paid, packed or held: erasing now would lose the way to reach the buyer.
OPEN_ORDER_STATUSES = ("pending_payment", "paid", "partially_fulfilled", "on_hold")
ERASED_FIRST_NAME = "Erased"
ERASED_LAST_NAME = "Customer"
# An order keeps of its addresses only what decided the tax. The invoice, which the law keeps,
# holds its addressee in its own immutable snapshot (commerce/invoicing), not in the order row.
ADDRESS_KEPT_KEYS = ("country", "region", "postcode")


def placeholder_email(customer_id: int) -> str:
    """The address an erased customer's email becomes (the .invalid domain never delivers)."""
    return f"erased-{customer_id}@erased.invalid"


def erasure_request_data(request: ErasureRequest) -> dict[str, Any]:
    """An erasure request as JSON-safe data."""
    return {
        "id": request.id,
        "status": request.status,
        "requested_at": request.requested_at.isoformat(),
        "completed_at": request.completed_at.isoformat() if request.completed_at else None,
    }


def _account_events(customer_id: int) -> list[AuditEntry]:
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.object_type == "customer", AuditEntry.object_id == str(customer_id))
        .order_by(AuditEntry.id)
    )
    return list(db.session.scalars(stmt))


def export_customer_data(customer_id: int) -> dict[str, Any]:
    """Everything we hold on the customer as JSON-safe data: profile, marketing consent and its
    history, addresses, orders with lines, account events and erasure requests. Raises
    NotFound."""
    customer = accounts.get(customer_id)
    entries = _account_events(customer_id)
    consent_history = [
        {
            "accepts_marketing": entry.changes["accepts_marketing"][1],
            "at": entry.occurred_at.isoformat(),
            "action": entry.action,
        }
        for entry in entries
        if "accepts_marketing" in entry.changes
    ]
    requests = db.session.scalars(
        select(ErasureRequest)
        .where(ErasureRequest.customer_id == customer_id)
        .order_by(ErasureRequest.id)
    )
    return {
        "exported_at": utcnow().isoformat(),
        "profile": {
            **accounts.profile_data(customer),
            "email_verified_at": (
                customer.email_verified_at.isoformat() if customer.email_verified_at else None
            ),
            "has_password": customer.password_hash is not None,
        },
        "consent": {"accepts_marketing": customer.accepts_marketing, "history": consent_history},
        "addresses": [address_data(address) for address in list_addresses(customer_id)],
        "orders": history.all_orders(customer_id),
        "account_events": [
            {"action": entry.action, "occurred_at": entry.occurred_at.isoformat(), "ip": entry.ip}
            for entry in entries
        ],
        "erasure_requests": [erasure_request_data(request) for request in requests],
    }


def request_erasure(customer_id: int, *, password: Any, actor: Actor) -> ErasureRequest:
    """Record the customer's request to be erased, confirmed with their password, and announce
    it (`customer.erasure_requested`). Asking again while one is pending returns that one.
    Raises NotFound, InvalidInput naming `password`."""
    accounts.check_current_password(customer_id, password)
    db.session.get(Customer, customer_id, with_for_update=True)  # one pending request, not two
    pending = db.session.scalar(
        select(ErasureRequest).where(
            ErasureRequest.customer_id == customer_id, ErasureRequest.status == "pending"
        )
    )
    if pending is not None:
        db.session.commit()
        return pending
    request = ErasureRequest(customer_id=customer_id, status="pending")
    db.session.add(request)
    db.session.flush()
    audit.record(
        actor,
        "customer.erasure_request",
        "customer",
        customer_id,
        {"erasure_request_id": [None, request.id]},
    )
    events.record(
        "customer.erasure_requested", customer_id=customer_id, erasure_request_id=request.id
    )
    db.session.commit()
    db.session.refresh(request)
    return request


def _anonymise_orders(customer_id: int, placeholder: str) -> int:
    orders = list(db.session.scalars(select(Order).where(Order.customer_id == customer_id)))
    for order in orders:
        order.email = placeholder
        for field in ("shipping_address", "billing_address"):
            address = getattr(order, field)
            if address:
                setattr(order, field, {k: address[k] for k in ADDRESS_KEPT_KEYS if k in address})
    return len(orders)


def erase_customer(customer_id: int, *, actor: Actor) -> Customer:
    """Anonymise the customer and complete their pending erasure request; running it again on an
    erased customer changes nothing. Raises NotFound, Conflict (an order is still open)."""
    customer = db.session.get(Customer, customer_id, with_for_update=True, populate_existing=True)
    if customer is None:
        raise NotFound(f"Customer {customer_id} does not exist.")
    if customer.erased_at is not None:
        db.session.commit()
        return customer
    open_numbers = list(
        db.session.scalars(
            select(Order.number)
            .where(Order.customer_id == customer_id, Order.status.in_(OPEN_ORDER_STATUSES))
            .order_by(Order.number)
        )
    )
    if open_numbers:
        listed = ", ".join(f"#{n}" for n in open_numbers[:10])
        raise Conflict(
            f"The customer has open orders ({listed}); erase them once those are finished.",
            details={"open_orders": open_numbers},
        )

    old_email, placeholder = customer.email, placeholder_email(customer_id)
    old_consent = customer.accepts_marketing
    now = utcnow()
    addresses = db.session.execute(
        delete(CustomerAddress).where(CustomerAddress.customer_id == customer_id)
    ).rowcount
    db.session.execute(delete(CustomerToken).where(CustomerToken.customer_id == customer_id))
    notes = db.session.execute(
        delete(CustomerNote).where(CustomerNote.customer_id == customer_id)
    ).rowcount
    orders = _anonymise_orders(customer_id, placeholder)
    db.session.execute(
        update(EmailMessage)
        .where(EmailMessage.to_address == old_email)
        .values(to_address=placeholder),
        execution_options={"synchronize_session": False},
    )
    customer.email = placeholder
    customer.first_name, customer.last_name = ERASED_FIRST_NAME, ERASED_LAST_NAME
    customer.phone = None
    customer.accepts_marketing = False
    customer.password_hash = None
    customer.email_verified_at = None
    customer.erased_at = now
    pending = db.session.scalars(
        select(ErasureRequest).where(
            ErasureRequest.customer_id == customer_id, ErasureRequest.status == "pending"
        )
    )
    for request in pending:
        request.status, request.completed_at = "completed", now
    audit.record(
        actor,
        "customer.erase",
        "customer",
        customer_id,
        {
            "erased": [False, True],
            "accepts_marketing": [old_consent, False],
            "addresses_deleted": [None, addresses],
            "notes_deleted": [None, notes],
            "orders_anonymised": [None, orders],
        },
    )
    events.record("customer.erased", customer_id=customer_id)
    db.session.commit()
    return customer

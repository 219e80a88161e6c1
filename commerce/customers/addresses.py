"""The customer's address book: add, edit, remove addresses, and choose the default shipping and
billing address (one of each per customer, backed by partial unique indexes).

Every write locks the customer's row first, so two requests that both move a default cannot
collide on the unique index. Audit rows go on the customer (one history per person) and name the
address and its country and flags, never the address itself (audit rows outlive erasure).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select, update

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.customers import geo
from commerce.customers.accounts import get as get_customer
from commerce.customers.models import Customer, CustomerAddress
from commerce.errors import Conflict, InvalidInput, NotFound

MAX_ADDRESSES = 50
TEXT_FIELDS = {  # field: (max length, required)
    "name": (200, True),
    "company": (200, False),
    "line1": (200, True),
    "line2": (200, False),
    "city": (100, True),
    "region": (3, False),
    "postcode": (16, False),
    "country": (2, True),
    "phone": (32, False),
}
FLAGS = ("is_default_shipping", "is_default_billing")
FIELDS = (*TEXT_FIELDS, *FLAGS)
NON_PERSONAL = ("country", *FLAGS)


def address_data(address: CustomerAddress) -> dict[str, Any]:
    """An address as JSON-safe data (the API and the data export share it)."""
    return {
        "id": address.id,
        **{field: getattr(address, field) for field in FIELDS},
        "created_at": address.created_at.isoformat(),
        "updated_at": address.updated_at.isoformat(),
    }


def list_addresses(customer_id: int) -> list[CustomerAddress]:
    """The customer's addresses, oldest first."""
    stmt = (
        select(CustomerAddress)
        .where(CustomerAddress.customer_id == customer_id)
        .order_by(CustomerAddress.id)
    )
    return list(db.session.scalars(stmt))


def get_address(customer_id: int, address_id: int) -> CustomerAddress:
    """One of the customer's addresses. Raises NotFound (also for another customer's)."""
    address = db.session.get(CustomerAddress, address_id) if db.is_id(address_id) else None
    if address is None or address.customer_id != customer_id:
        raise NotFound(f"Address {address_id} does not exist.")
    return address


def clean_address(values: Mapping[str, Any]) -> dict[str, Any]:
    """A whole address, trimmed, upper-cased where codes are, and checked. Raises InvalidInput
    naming every field that is wrong (unknown fields too)."""
    problems = {field: "is not a field of an address" for field in set(values) - set(FIELDS)}
    cleaned: dict[str, Any] = {}
    for field, (limit, required) in TEXT_FIELDS.items():
        value = values.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                problems[field] = "is required"
            cleaned[field] = None
            continue
        if not isinstance(value, str):
            problems[field] = "must be text"
            continue
        value = " ".join(value.split())
        if field in ("country", "region", "postcode"):
            value = value.upper()
        if len(value) > limit:
            problems[field] = f"must be at most {limit} characters"
        cleaned[field] = value
    for flag in FLAGS:
        value = values.get(flag, False)
        if not isinstance(value, bool):
            problems[flag] = "must be true or false"
        cleaned[flag] = value
    country = cleaned.get("country")
    if country and "country" not in problems:
        if problem := geo.country_problem(country):
            problems["country"] = problem
        else:
            region, postcode = cleaned.get("region"), cleaned.get("postcode")
            if "region" not in problems and (problem := geo.region_problem(country, region)):
                problems["region"] = problem
            if "postcode" not in problems and (problem := geo.postcode_problem(country, postcode)):
                problems["postcode"] = problem
    phone = cleaned.get("phone")
    if phone and "phone" not in problems and (problem := geo.phone_problem(phone)):
        problems["phone"] = problem
    if problems:
        raise InvalidInput("Some fields of the address are not valid.", fields=problems)
    return cleaned


def _lock_customer(customer_id: int) -> Customer:
    get_customer(customer_id)  # NotFound for unknown or erased customers
    return db.session.get(Customer, customer_id, with_for_update=True, populate_existing=True)


def _clear_defaults(customer_id: int, flags: list[str], except_id: int | None) -> None:
    # Runs before the address's own flag is set, so the partial unique index never sees two.
    for flag in flags:
        stmt = (
            update(CustomerAddress)
            .where(CustomerAddress.customer_id == customer_id, getattr(CustomerAddress, flag))
            .values({flag: False})
        )
        if except_id is not None:
            stmt = stmt.where(CustomerAddress.id != except_id)
        db.session.execute(stmt, execution_options={"synchronize_session": "fetch"})


def _audit(actor: Actor, action: str, customer_id: int, address_id: int,
           before: Mapping[str, Any], after: Mapping[str, Any]) -> None:  # fmt: skip
    changes: dict[str, Any] = {"address_id": [None, address_id]}
    for field, (old, new) in audit.diff(before, after).items():
        changes[field] = [old, new] if field in NON_PERSONAL else ["(hidden)", "(changed)"]
    audit.record(actor, action, "customer", customer_id, changes)


def create_address(customer_id: int, values: Mapping[str, Any], *, actor: Actor) -> CustomerAddress:
    """Add an address; the first one becomes the default shipping and billing address unless it
    says otherwise. Raises NotFound, InvalidInput, Conflict (MAX_ADDRESSES reached)."""
    _lock_customer(customer_id)
    count = db.session.scalar(
        select(func.count())
        .select_from(CustomerAddress)
        .where(CustomerAddress.customer_id == customer_id)
    )
    if count >= MAX_ADDRESSES:
        raise Conflict(
            f"An address book holds at most {MAX_ADDRESSES} addresses; remove one first."
        )
    given = dict(values)
    if not count:
        for flag in FLAGS:
            given.setdefault(flag, True)
    cleaned = clean_address(given)
    _clear_defaults(customer_id, [f for f in FLAGS if cleaned[f]], except_id=None)
    address = CustomerAddress(customer_id=customer_id, **cleaned)
    db.session.add(address)
    db.session.flush()
    _audit(actor, "customer.address_create", customer_id, address.id, {}, cleaned)
    events.record("customer.address_created", customer_id=customer_id, address_id=address.id)
    db.session.commit()
    return address


def update_address(
    customer_id: int, address_id: int, changes: Mapping[str, Any], *, actor: Actor
) -> CustomerAddress:
    """Change some fields of an address (the whole result is checked again). Setting a default
    flag moves it from the customer's other address. Raises NotFound, InvalidInput."""
    _lock_customer(customer_id)
    address = get_address(customer_id, address_id)
    before = {field: getattr(address, field) for field in FIELDS}
    cleaned = clean_address({**before, **changes})
    _clear_defaults(
        customer_id, [f for f in FLAGS if cleaned[f] and not before[f]], except_id=address.id
    )
    for field, value in cleaned.items():
        setattr(address, field, value)
    if audit.diff(before, cleaned):
        _audit(actor, "customer.address_update", customer_id, address.id, before, cleaned)
        events.record("customer.address_updated", customer_id=customer_id, address_id=address.id)
    db.session.commit()
    return address


def delete_address(customer_id: int, address_id: int, *, actor: Actor) -> None:
    """Remove an address (a default one leaves the customer without that default). Raises
    NotFound."""
    _lock_customer(customer_id)
    address = get_address(customer_id, address_id)
    before = {field: getattr(address, field) for field in FIELDS}
    db.session.delete(address)
    audit.record(
        actor,
        "customer.address_delete",
        "customer",
        customer_id,
        {"address_id": [address_id, None], **{f: [before[f], None] for f in NON_PERSONAL}},
    )
    events.record("customer.address_deleted", customer_id=customer_id, address_id=address_id)
    db.session.commit()

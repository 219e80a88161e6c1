"""The address book: validation with field errors, one default shipping and one default billing
address per customer, and nobody else's addresses."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from commerce import audit
from commerce.customers import addresses
from commerce.errors import InvalidInput, NotFound
from tests.customers.factories import ANONYMOUS, register

HOME = {
    "name": "Ada Lovelace",
    "line1": "Unter den Linden 1",
    "city": "Berlin",
    "postcode": "10117",
    "country": "de",
}
WORK = {
    "name": "Ada Lovelace",
    "company": "Analytical Engines Ltd",
    "line1": "1600 Amphitheatre Pkwy",
    "city": "Mountain View",
    "region": "ca",
    "postcode": "94043",
    "country": "US",
    "phone": "+1 650 253 0000",
}


def defaults(customer_id: int) -> dict[str, list[int]]:
    rows = addresses.list_addresses(customer_id)
    return {
        "shipping": [a.id for a in rows if a.is_default_shipping],
        "billing": [a.id for a in rows if a.is_default_billing],
    }


def test_the_first_address_becomes_both_defaults(db_session):
    customer = register().customer
    home = addresses.create_address(customer.id, HOME, actor=ANONYMOUS)
    assert (home.country, home.postcode) == ("DE", "10117")
    assert defaults(customer.id) == {"shipping": [home.id], "billing": [home.id]}
    work = addresses.create_address(customer.id, WORK, actor=ANONYMOUS)
    assert (work.region, work.is_default_shipping) == ("CA", False)
    assert defaults(customer.id) == {"shipping": [home.id], "billing": [home.id]}


def test_making_an_address_default_moves_the_flag_from_the_other(db_session):
    customer = register().customer
    home = addresses.create_address(customer.id, HOME, actor=ANONYMOUS)
    work = addresses.create_address(
        customer.id, {**WORK, "is_default_billing": True}, actor=ANONYMOUS
    )
    assert defaults(customer.id) == {"shipping": [home.id], "billing": [work.id]}

    addresses.update_address(customer.id, work.id, {"is_default_shipping": True}, actor=ANONYMOUS)
    assert defaults(customer.id) == {"shipping": [work.id], "billing": [work.id]}

    addresses.update_address(customer.id, work.id, {"is_default_billing": False}, actor=ANONYMOUS)
    assert defaults(customer.id) == {"shipping": [work.id], "billing": []}


def test_the_database_refuses_two_default_shipping_addresses(db_session):
    customer = register().customer
    addresses.create_address(customer.id, HOME, actor=ANONYMOUS)
    second = addresses.create_address(customer.id, WORK, actor=ANONYMOUS)
    with pytest.raises(IntegrityError, match="uq_customer_addresses_default_shipping"):
        db_session.execute(
            text("UPDATE customer_addresses SET is_default_shipping = true WHERE id = :id"),
            {"id": second.id},
        )
    db_session.rollback()


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"region": None}, {"region"}),  # required in the US
        ({"region": "XX"}, {"region"}),
        ({"postcode": "ABCDE"}, {"postcode"}),
        ({"country": "ZZ"}, {"country"}),
        ({"name": "", "line1": None, "city": 7}, {"name", "line1", "city"}),
        ({"is_default_billing": "yes"}, {"is_default_billing"}),
        ({"phone": "ring ring"}, {"phone"}),
        ({"colour": "blue"}, {"colour"}),
        ({"line2": "x" * 201}, {"line2"}),
    ],
)
def test_an_invalid_address_names_its_fields(db_session, changes, fields):
    customer = register().customer
    with pytest.raises(InvalidInput) as caught:
        addresses.create_address(customer.id, {**WORK, **changes}, actor=ANONYMOUS)
    assert set(caught.value.fields) == fields
    assert addresses.list_addresses(customer.id) == []


def test_postcode_is_optional_where_the_country_has_none(db_session):
    customer = register().customer
    dubai = {"name": "A", "line1": "Sheikh Zayed Rd", "city": "Dubai", "country": "AE"}
    assert addresses.create_address(customer.id, dubai, actor=ANONYMOUS).postcode is None
    with pytest.raises(InvalidInput) as caught:
        addresses.create_address(customer.id, {**dubai, "country": "DE"}, actor=ANONYMOUS)
    assert caught.value.fields == {"postcode": "is required for this country"}


def test_an_update_is_checked_as_a_whole(db_session):
    customer = register().customer
    home = addresses.create_address(customer.id, HOME, actor=ANONYMOUS)
    with pytest.raises(InvalidInput) as caught:  # a Canadian address needs a province ...
        addresses.update_address(customer.id, home.id, {"country": "CA"}, actor=ANONYMOUS)
    # ... and a Canadian postcode, which Berlin's is not.
    assert caught.value.fields == {
        "region": "is required for this country",
        "postcode": "must look like K1A 0B1",
    }


def test_someone_elses_address_is_not_found(db_session):
    owner, other = register().customer, register().customer
    home = addresses.create_address(owner.id, HOME, actor=ANONYMOUS)
    with pytest.raises(NotFound):
        addresses.get_address(other.id, home.id)
    with pytest.raises(NotFound):
        addresses.update_address(other.id, home.id, {"city": "Paris"}, actor=ANONYMOUS)
    with pytest.raises(NotFound):
        addresses.delete_address(other.id, home.id, actor=ANONYMOUS)
    assert addresses.get_address(owner.id, home.id).city == "Berlin"


def test_deleting_an_address_is_audited_without_the_address(db_session):
    customer = register().customer
    home = addresses.create_address(customer.id, HOME, actor=ANONYMOUS)
    addresses.delete_address(customer.id, home.id, actor=ANONYMOUS)
    assert addresses.list_addresses(customer.id) == []
    actions = [e.action for e in audit.history("customer", customer.id)]
    assert actions[:2] == ["customer.address_delete", "customer.address_create"]
    for entry in audit.history("customer", customer.id)[:2]:
        assert "Unter den Linden" not in str(entry.changes)
        assert entry.changes["address_id"] in ([None, home.id], [home.id, None])

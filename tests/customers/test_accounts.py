"""Customer accounts through the services: registration, verification, sign-in, passwords, profile,
and the audit rows they leave."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from commerce import audit
from commerce.customers import accounts, tokens
from commerce.customers.models import Customer, CustomerToken
from commerce.db import utcnow
from commerce.errors import (
    AccountLocked,
    Conflict,
    InvalidCredentials,
    InvalidInput,
    Unauthenticated,
)
from commerce.events import OutboxEvent
from tests.customers.factories import ANONYMOUS, PASSWORD, register


def events_named(session, name: str) -> list[OutboxEvent]:
    return list(session.scalars(select(OutboxEvent).where(OutboxEvent.name == name)))


def test_registration_stores_an_argon2_hash_signs_in_and_announces_itself(db_session):
    grant = register(email="  Grace@Example.COM ", first_name=" Grace ", country="gb")
    customer = grant.customer

    assert customer.email == "Grace@example.com"  # domain normalised, local part kept
    assert (customer.first_name, customer.country) == ("Grace", "GB")
    assert customer.password_hash.startswith("$argon2id$")
    assert PASSWORD not in customer.password_hash
    assert customer.email_verified_at is None
    assert tokens.authenticate(grant.token.raw)[0].id == customer.id
    row = db_session.scalar(select(CustomerToken).where(CustomerToken.customer_id == customer.id))
    assert row.token_hash == tokens.digest(grant.token.raw) != grant.token.raw
    [event] = events_named(db_session, "customer.registered")
    assert event.payload == {"customer_id": customer.id}


def test_registration_audit_row_holds_no_personal_data(db_session):
    customer = register(email="private@example.com", first_name="Priv", phone="+49 30 1234567")
    [entry] = audit.history("customer", customer.customer.id)
    assert entry.action == "customer.register"
    assert (entry.actor_kind, entry.actor_id) == ("customer", customer.customer.id)
    assert entry.actor_label == f"customer #{customer.customer.id}"
    assert entry.ip == ANONYMOUS.ip
    text = str(entry.changes) + entry.actor_label
    assert "private@example.com" not in text and "Priv" not in text and "1234567" not in text
    assert entry.changes["email"] == ["(hidden)", "(changed)"]
    assert entry.changes["country"] == [None, "DE"]


def test_an_email_registers_once_whatever_its_case(db_session):
    register(email="twice@example.com")
    with pytest.raises(Conflict) as caught:
        register(email="TWICE@example.com")
    assert caught.value.details == {"fields": {"email": "already has an account"}}


@pytest.mark.parametrize(
    ("overrides", "field", "problem"),
    [
        ({"password": "short"}, "password", "must be at least 10 characters"),
        ({"password": "1234567890"}, "password", "is too easy to guess; choose another"),
        ({"password": "aaaaaaaaaaaa"}, "password", "is too easy to guess; choose another"),
        (
            {"email": "jo.longname@example.com", "password": "jo.longname"},
            "password",
            "must not be your email address",
        ),
        ({"email": "not-an-email"}, "email", None),
        ({"first_name": "  "}, "first_name", "is required"),
        ({"country": "XX"}, "country", None),
        ({"accepts_marketing": "yes"}, "accepts_marketing", "must be true or false"),
        ({"phone": "call me"}, "phone", None),
    ],
)
def test_registration_names_the_field_that_is_wrong(db_session, overrides, field, problem):
    with pytest.raises(InvalidInput) as caught:
        register(**overrides)
    assert field in caught.value.fields
    if problem:
        assert caught.value.fields[field] == problem
    assert db_session.scalar(select(Customer).where(Customer.first_name == "Ada")) is None


def test_registration_reports_every_wrong_field_at_once(db_session):
    with pytest.raises(InvalidInput) as caught:
        register(email="", password="x", first_name="", country="")
    # The password is checked against the email only once the email is valid.
    assert set(caught.value.fields) == {"email", "first_name", "country"}


def test_wrong_password_and_unknown_email_get_one_message(db_session):
    register(email="known@example.com")
    with pytest.raises(InvalidCredentials) as wrong:
        accounts.sign_in("known@example.com", "not the password", ip="198.51.100.1")
    with pytest.raises(InvalidCredentials) as unknown:
        accounts.sign_in("nobody@example.com", PASSWORD, ip="198.51.100.1")
    assert wrong.value.message == unknown.value.message == "Email or password is incorrect."


def test_sign_in_issues_a_new_token_and_audits_it(db_session):
    customer = register(email="signin@example.com").customer
    grant = accounts.sign_in("SIGNIN@example.com", PASSWORD, ip="198.51.100.2")
    assert grant.customer.id == customer.id
    assert tokens.authenticate(grant.token.raw)[0].id == customer.id
    assert grant.token.expires_at - utcnow() > dt.timedelta(days=29)
    assert audit.history("customer", customer.id)[0].action == "customer.sign_in"


def test_five_failures_lock_the_email_and_ip_even_for_the_right_password(db_session):
    register(email="locked@example.com")
    for _ in range(4):
        with pytest.raises(InvalidCredentials):
            accounts.sign_in("locked@example.com", "wrong password", ip="198.51.100.3")
    with pytest.raises(AccountLocked) as caught:
        accounts.sign_in("locked@example.com", "wrong password", ip="198.51.100.3")
    assert 0 < caught.value.retry_after <= 900
    with pytest.raises(AccountLocked):
        accounts.sign_in("locked@example.com", PASSWORD, ip="198.51.100.3")
    # Another address is not locked out by someone else's guesses.
    assert accounts.sign_in("locked@example.com", PASSWORD, ip="198.51.100.4").customer


def test_a_customer_without_password_cannot_sign_in(db_session):
    seeded = Customer(email="guest@example.com", first_name="Gus", last_name="", country="DE")
    db_session.add(seeded)
    db_session.commit()
    with pytest.raises(InvalidCredentials):
        accounts.sign_in("guest@example.com", "", ip=None)


def test_verification_token_is_single_use(db_session):
    customer = register().customer
    issued = tokens.issue_email_token(customer.id, "verify_email")
    assert accounts.verify_email(issued.raw, actor=ANONYMOUS).email_verified_at is not None
    with pytest.raises(InvalidInput) as caught:
        accounts.verify_email(issued.raw, actor=ANONYMOUS)
    assert caught.value.fields == {"token": "is not valid or has expired"}
    assert "customer.verify_email" in [e.action for e in audit.history("customer", customer.id)]


def test_expired_or_forged_verification_token_is_refused(db_session):
    customer = register().customer
    issued = tokens.issue_email_token(customer.id, "verify_email")
    db_session.execute(
        update(CustomerToken)
        .where(CustomerToken.id == issued.row.id)
        .values(created_at=utcnow() - dt.timedelta(days=3), expires_at=utcnow() - dt.timedelta(1))
    )
    for raw in (issued.raw, "forged-token", ""):
        with pytest.raises(InvalidInput):
            accounts.verify_email(raw, actor=ANONYMOUS)
    assert db_session.get(Customer, customer.id).email_verified_at is None


def test_a_reset_token_cannot_verify_an_email(db_session):
    customer = register().customer
    issued = tokens.issue_email_token(customer.id, "password_reset")
    with pytest.raises(InvalidInput):
        accounts.verify_email(issued.raw, actor=ANONYMOUS)


def test_reset_request_for_an_unknown_email_does_nothing_visible(db_session):
    accounts.request_password_reset("ghost@example.com", ip=None)
    assert events_named(db_session, "customer.password_reset_requested") == []


def test_reset_requests_are_limited_to_one_email_a_minute(db_session):
    customer = register(email="forgetful@example.com").customer
    accounts.request_password_reset("Forgetful@example.com", ip=None)
    accounts.request_password_reset("forgetful@example.com", ip=None)
    [event] = events_named(db_session, "customer.password_reset_requested")
    assert event.payload == {"customer_id": customer.id}


def test_password_reset_sets_the_password_and_revokes_every_token(db_session):
    grant = register(email="reset@example.com")
    other = accounts.sign_in("reset@example.com", PASSWORD, ip=None)
    issued = tokens.issue_email_token(grant.customer.id, "password_reset")

    accounts.reset_password(issued.raw, "a brand new passphrase", ip="198.51.100.5")

    for raw in (grant.token.raw, other.token.raw):
        with pytest.raises(Unauthenticated):
            tokens.authenticate(raw)
    with pytest.raises(InvalidCredentials):
        accounts.sign_in("reset@example.com", PASSWORD, ip=None)
    assert accounts.sign_in("reset@example.com", "a brand new passphrase", ip=None)
    with pytest.raises(InvalidInput):  # used up
        accounts.reset_password(issued.raw, "yet another passphrase", ip=None)
    entry = next(
        e for e in audit.history("customer", grant.customer.id) if e.action.endswith("password")
    )
    assert entry.action == "customer.reset_password"
    assert entry.changes["password"] == ["(hidden)", "(changed)"]


def test_a_weak_new_password_does_not_use_up_the_reset_link(db_session):
    customer = register().customer
    issued = tokens.issue_email_token(customer.id, "password_reset")
    with pytest.raises(InvalidInput) as caught:
        accounts.reset_password(issued.raw, "short", ip=None)
    assert "password" in caught.value.fields
    accounts.reset_password(issued.raw, "long enough passphrase", ip=None)


def test_reset_gives_a_passwordless_customer_a_password_and_verifies_the_email(db_session):
    seeded = Customer(email="seeded@example.com", first_name="Sid", last_name="", country="FR")
    db_session.add(seeded)
    db_session.commit()
    issued = tokens.issue_email_token(seeded.id, "password_reset")
    accounts.reset_password(issued.raw, "my very first password", ip=None)
    assert accounts.sign_in("seeded@example.com", "my very first password", ip=None)
    assert db_session.get(Customer, seeded.id).email_verified_at is not None


def test_change_password_keeps_this_session_and_ends_the_others(db_session):
    grant = register(email="change@example.com")
    other = accounts.sign_in("change@example.com", PASSWORD, ip=None)
    with pytest.raises(InvalidInput) as caught:
        accounts.change_password(
            grant.customer.id, "wrong", "new passphrase 1", keep_token_id=None, actor=ANONYMOUS
        )
    assert caught.value.fields == {"current_password": "is not correct"}

    accounts.change_password(
        grant.customer.id,
        PASSWORD,
        "new passphrase 1",
        keep_token_id=grant.token.row.id,
        actor=ANONYMOUS,
    )
    assert tokens.authenticate(grant.token.raw)
    with pytest.raises(Unauthenticated):
        tokens.authenticate(other.token.raw)


def test_sign_out_everywhere_revokes_all_access_tokens(db_session):
    grant = register(email="everywhere@example.com")
    other = accounts.sign_in("everywhere@example.com", PASSWORD, ip=None)
    assert accounts.sign_out_everywhere(grant.customer.id, actor=ANONYMOUS) == 2
    for raw in (grant.token.raw, other.token.raw):
        with pytest.raises(Unauthenticated):
            tokens.authenticate(raw)


def test_profile_update_checks_fields_and_records_consent_changes(db_session):
    customer = register(accepts_marketing=False).customer
    with pytest.raises(InvalidInput) as caught:
        accounts.update_profile(customer.id, {"email": "new@example.com"}, actor=ANONYMOUS)
    assert caught.value.fields == {"email": "cannot be changed here"}
    with pytest.raises(InvalidInput) as caught:
        accounts.update_profile(customer.id, {"first_name": "", "phone": "x"}, actor=ANONYMOUS)
    assert set(caught.value.fields) == {"first_name", "phone"}

    updated = accounts.update_profile(
        customer.id,
        {"first_name": "Augusta", "accepts_marketing": True, "phone": "+44 20 7946 0000"},
        actor=ANONYMOUS,
    )
    assert (updated.first_name, updated.accepts_marketing) == ("Augusta", True)
    entry = audit.history("customer", customer.id)[0]
    assert entry.action == "customer.update"
    assert entry.changes == {
        "accepts_marketing": [False, True],
        "first_name": ["(hidden)", "(changed)"],
        "phone": ["(hidden)", "(changed)"],
    }


def test_old_dead_tokens_are_pruned_and_live_ones_kept(db_session):
    live = register()
    dead = register()
    long_ago = utcnow() - dt.timedelta(days=60)
    db_session.execute(
        update(CustomerToken)
        .where(CustomerToken.customer_id == dead.customer.id)
        .values(created_at=long_ago, expires_at=long_ago + dt.timedelta(days=1))
    )
    assert tokens.prune(older_than_days=30) == 1
    assert tokens.authenticate(live.token.raw)[0].id == live.customer.id
    remaining = db_session.scalars(select(CustomerToken.customer_id)).all()
    assert remaining == [live.customer.id]

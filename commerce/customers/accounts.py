"""Customer account use cases: register, verify the email, sign in and out, reset or change the
password, edit the profile. Each one is one transaction.

Audit rows are append-only and outlive an erasure, so they never carry personal data: a change
of name, email or phone is recorded as "(hidden)" -> "(changed)", and the actor of a customer's
own action is labelled "customer #<id>", not by email. Marketing consent changes are recorded with
their values, which is the consent history the export shows.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import func, select

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.customers import geo, tokens
from commerce.customers.models import Customer
from commerce.customers.tokens import IssuedToken
from commerce.db import utcnow
from commerce.errors import (
    AccountLocked,
    Conflict,
    InvalidCredentials,
    InvalidInput,
    NotFound,
)
from commerce.kv import get_redis
from commerce.staff import throttle

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
_COMMON_PASSWORDS = """
    1234567890 12345678910 0123456789 1111111111 password12 password123 password1234 qwertyuiop
    qwerty1234 qwerty12345 iloveyou12 letmein123 welcome123 abcdefghij 1q2w3e4r5t 1qaz2wsx3edc
    passw0rd12 administrator changeme123 football123 baseball123 sunshine12 princess12
"""
COMMON_PASSWORDS = frozenset(_COMMON_PASSWORDS.split())
PERSONAL_FIELDS = ("email", "first_name", "last_name", "phone")
PROFILE_FIELDS = ("first_name", "last_name", "phone", "country", "accepts_marketing")
AUDITED_FIELDS = (*PERSONAL_FIELDS, "country", "accepts_marketing")
# One reset or verification email per address per this many seconds, however often it is asked.
EMAIL_INTERVAL_SECONDS = 60

_hasher = PasswordHasher()
# Verified against when the account is unknown or has no password, so every failure takes as long.
_DUMMY_HASH = _hasher.hash("not a real password")


@dataclasses.dataclass(frozen=True, slots=True)
class AccessGrant:
    """A signed-in customer and the access token just issued to them."""

    customer: Customer
    token: IssuedToken


# --- Validation ------------------------------------------------------------------------------


def _invalid(field: str, problem: str) -> InvalidInput:
    return InvalidInput(f"{field}: {problem}", fields={field: problem})


def normalise_email(value: Any, field: str = "email") -> str:
    """The normalised form of an email address. Raises InvalidInput naming `field`."""
    if not isinstance(value, str) or not value.strip():
        raise _invalid(field, "is required")
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise _invalid(field, str(exc)) from None


def check_password(password: Any, email: str, field: str = "password") -> str:
    """Return `password` if it meets the policy. Raises InvalidInput naming `field`.

    At least MIN_PASSWORD_LENGTH characters, not the email address, not one repeated character and
    not one of the most common passwords.
    """
    if not isinstance(password, str) or not password:
        raise _invalid(field, "is required")
    problem = None
    if len(password) < MIN_PASSWORD_LENGTH:
        problem = f"must be at least {MIN_PASSWORD_LENGTH} characters"
    elif len(password) > MAX_PASSWORD_LENGTH:
        problem = f"must be at most {MAX_PASSWORD_LENGTH} characters"
    elif password.strip().lower() in (email.lower(), email.split("@")[0].lower()):
        problem = "must not be your email address"
    elif len(set(password)) == 1 or password.lower() in COMMON_PASSWORDS:
        problem = "is too easy to guess; choose another"
    if problem:
        raise _invalid(field, problem)
    return password


def _text(values: Mapping[str, Any], field: str, problems: dict[str, str], *, max_length: int,
          required: bool) -> str | None:  # fmt: skip
    value = values.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems[field] = "is required"
        return None
    if not isinstance(value, str):
        problems[field] = "must be text"
        return None
    value = " ".join(value.split())
    if len(value) > max_length:
        problems[field] = f"must be at most {max_length} characters"
    return value


def clean_profile(values: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """The profile fields of `values`, trimmed and checked. With `partial`, only the fields given
    are checked. Raises InvalidInput naming every field that is wrong."""
    problems: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for field, limit, required in (("first_name", 100, True), ("last_name", 100, False)):
        if not partial or field in values:
            cleaned[field] = _text(values, field, problems, max_length=limit, required=required)
            if field == "last_name" and cleaned[field] is None:
                cleaned[field] = ""
    if not partial or "phone" in values:
        phone = _text(values, "phone", problems, max_length=32, required=False)
        if phone and (problem := geo.phone_problem(phone)):
            problems["phone"] = problem
        cleaned["phone"] = phone
    if not partial or "country" in values:
        country = _text(values, "country", problems, max_length=2, required=True)
        if country is not None and "country" not in problems:
            country = country.upper()
            if problem := geo.country_problem(country):
                problems["country"] = problem
        cleaned["country"] = country
    if not partial or "accepts_marketing" in values:
        consent = values.get("accepts_marketing", False if not partial else None)
        if not isinstance(consent, bool):
            problems["accepts_marketing"] = "must be true or false"
        cleaned["accepts_marketing"] = consent
    if problems:
        raise InvalidInput("Some fields are not valid.", fields=problems)
    return cleaned


def audit_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The audit diff of two snapshots with personal values hidden (audit rows outlive
    erasure)."""
    changed = audit.diff(before, after)
    for field in PERSONAL_FIELDS:
        if field in changed:
            changed[field] = ["(hidden)", "(changed)"]
    return changed


def customer_actor(customer_id: int, ip: str | None) -> Actor:
    """The actor for what a signed-in customer does themselves."""
    return Actor(kind="customer", id=customer_id, label=f"customer #{customer_id}", ip=ip)


# --- Reads -----------------------------------------------------------------------------------


def get(customer_id: int) -> Customer:
    """The customer with `customer_id`. Raises NotFound (also for an erased customer)."""
    customer = db.session.get(Customer, customer_id)
    if customer is None or customer.erased_at is not None:
        raise NotFound(f"Customer {customer_id} does not exist.")
    return customer


def find_by_email(email: str) -> Customer | None:
    """The customer with this email (case-insensitive), or None."""
    stmt = select(Customer).where(func.lower(Customer.email) == email.strip().lower())
    return db.session.scalar(stmt)


def profile_data(customer: Customer) -> dict[str, Any]:
    """The customer's profile as JSON-safe data (the API and the data export share it)."""
    return {
        "id": customer.id,
        "email": customer.email,
        "email_verified": customer.email_verified_at is not None,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "phone": customer.phone,
        "country": customer.country,
        "accepts_marketing": customer.accepts_marketing,
        "created_at": customer.created_at.isoformat(),
    }


# --- Registration and verification ------------------------------------------------------------


def register(
    *,
    email: Any,
    password: Any,
    first_name: Any,
    last_name: Any = "",
    country: Any,
    accepts_marketing: Any = False,
    phone: Any = None,
    actor: Actor,
) -> AccessGrant:
    """Open an account, sign it in and queue the verification email (`customer.registered`).
    Raises InvalidInput, Conflict (the email already has an account)."""
    problems: dict[str, str] = {}
    try:
        email = normalise_email(email)
    except InvalidInput as exc:
        problems.update(exc.fields)
    values = {
        "first_name": first_name,
        "last_name": last_name,
        "country": country,
        "accepts_marketing": accepts_marketing,
        "phone": phone,
    }
    try:
        profile = clean_profile(values, partial=False)
    except InvalidInput as exc:
        problems.update(exc.fields)
    if "email" not in problems:
        try:
            check_password(password, email)
        except InvalidInput as exc:
            problems.update(exc.fields)
    if problems:
        raise InvalidInput("Some fields are not valid.", fields=problems)
    if find_by_email(email) is not None:
        # Registration necessarily tells that an email is known; sign-in and reset never do.
        raise Conflict(
            "This email already has an account. Sign in, or reset your password to set one.",
            details={"fields": {"email": "already has an account"}},
        )

    customer = Customer(email=email, password_hash=_hasher.hash(password), **profile)
    db.session.add(customer)
    db.session.flush()
    actor = customer_actor(customer.id, actor.ip)
    audit.record(
        actor,
        "customer.register",
        "customer",
        customer.id,
        audit_changes({}, audit.snapshot(customer, AUDITED_FIELDS)),
    )
    events.record("customer.registered", customer_id=customer.id)
    token = tokens.issue(customer.id, "access")
    db.session.commit()
    return AccessGrant(customer=customer, token=token)


def verify_email(token: Any, *, actor: Actor) -> Customer:
    """Mark the email of the token's customer verified, using the token up. Raises InvalidInput
    naming `token` when it is unknown, used, revoked or expired."""
    customer_id = tokens.consume(token if isinstance(token, str) else "", "verify_email")
    customer = get(customer_id)
    tokens.revoke(customer.id, kinds=("verify_email",))  # the other links of older emails
    if customer.email_verified_at is None:
        customer.email_verified_at = utcnow()
        audit.record(
            customer_actor(customer.id, actor.ip),
            "customer.verify_email",
            "customer",
            customer.id,
            {"email_verified": [False, True]},
        )
        events.record("customer.email_verified", customer_id=customer.id)
    db.session.commit()
    return customer


def _first_in_interval(purpose: str, email: str) -> bool:
    key = f"customer:{purpose}:" + hashlib.sha256(email.lower().encode()).hexdigest()
    return bool(get_redis().set(key, 1, nx=True, ex=EMAIL_INTERVAL_SECONDS))


def request_verification_email(customer_id: int, *, actor: Actor) -> bool:
    """Queue a new verification email (`customer.verification_requested`). Returns False when the
    email is verified already or one was asked for within the last minute. Raises NotFound."""
    customer = get(customer_id)
    if customer.email_verified_at is not None or not _first_in_interval("verify", customer.email):
        return False
    events.record("customer.verification_requested", customer_id=customer.id)
    db.session.commit()
    return True


# --- Signing in and out ----------------------------------------------------------------------


def sign_in(email: Any, password: Any, *, ip: str | None) -> AccessGrant:
    """Check credentials and issue an access token. Raises AccountLocked, InvalidCredentials.

    Unknown emails, wrong passwords and accounts without a password all answer InvalidCredentials
    with one message. After SIGNIN_MAX_FAILURES failures within SIGNIN_WINDOW_SECONDS for one
    email and IP the pair is locked, and AccountLocked says when to retry.
    """
    email = email.strip() if isinstance(email, str) else ""
    password = password if isinstance(password, str) else ""
    config = current_app.config
    redis = get_redis()
    max_failures, window = config["SIGNIN_MAX_FAILURES"], config["SIGNIN_WINDOW_SECONDS"]
    # The "customer:" prefix keeps these counters apart from a staff user's with the same email.
    throttle_key = f"customer:{email.lower()}"
    wait = throttle.locked_for(redis, throttle_key, ip, max_failures=max_failures, window=window)
    if wait:
        raise AccountLocked(wait)

    customer = find_by_email(email) if email else None
    if customer is not None and (customer.password_hash is None or customer.erased_at):
        customer = None
    try:
        _hasher.verify(customer.password_hash if customer else _DUMMY_HASH, password or "-")
        ok = customer is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or customer is None:
        throttle.record_failure(redis, throttle_key, ip, window=window)
        wait = throttle.locked_for(
            redis, throttle_key, ip, max_failures=max_failures, window=window
        )
        if wait:
            raise AccountLocked(wait)
        raise InvalidCredentials()

    throttle.clear(redis, throttle_key, ip)
    if _hasher.check_needs_rehash(customer.password_hash):
        customer.password_hash = _hasher.hash(password)
    token = tokens.issue(customer.id, "access")
    audit.record(customer_actor(customer.id, ip), "customer.sign_in", "customer", customer.id)
    db.session.commit()
    return AccessGrant(customer=customer, token=token)


def sign_out(customer_id: int, token_id: int, *, actor: Actor) -> None:
    """Revoke one access token (the one the customer signed out with)."""
    if tokens.revoke_one(customer_id, token_id):
        audit.record(actor, "customer.sign_out", "customer", customer_id)
    db.session.commit()


def sign_out_everywhere(customer_id: int, *, actor: Actor) -> int:
    """Revoke every access token of the customer. Returns how many were live."""
    count = tokens.revoke(customer_id, kinds=("access",))
    audit.record(
        actor, "customer.sign_out_everywhere", "customer", customer_id, {"revoked": [None, count]}
    )
    db.session.commit()
    return count


# --- Passwords -------------------------------------------------------------------------------


def request_password_reset(email: Any, *, ip: str | None) -> None:
    """Queue a password reset email (`customer.password_reset_requested`) if the email has an
    account; silently do nothing otherwise, so the answer never tells whether it has. At most one
    email per address a minute. Raises nothing for a well-formed email; InvalidInput otherwise."""
    email = normalise_email(email)
    customer = find_by_email(email)
    if customer is None or customer.erased_at is not None:
        return
    if not _first_in_interval("reset", customer.email):
        return
    audit.record(
        Actor(kind="customer", id=None, label="storefront", ip=ip),
        "customer.password_reset_request",
        "customer",
        customer.id,
    )
    events.record("customer.password_reset_requested", customer_id=customer.id)
    db.session.commit()


def _set_password(customer: Customer, password: str, *, actor: Actor, action: str,
                  keep_token_id: int | None = None) -> None:  # fmt: skip
    customer.password_hash = _hasher.hash(password)
    revoked = tokens.revoke(
        customer.id, kinds=("access", "password_reset"), except_id=keep_token_id
    )
    changes: dict[str, list[Any]] = {"password": ["(hidden)", "(changed)"]}
    if revoked:
        changes["tokens_revoked"] = [None, revoked]
    audit.record(actor, action, "customer", customer.id, changes)
    events.record("customer.password_changed", customer_id=customer.id)


def reset_password(token: Any, password: Any, *, ip: str | None) -> Customer:
    """Set a new password with an emailed reset token, signing the customer out everywhere.
    Raises InvalidInput naming `token` (unknown, used or expired) or `password` (policy).

    The link proves the customer reads the address, so the email counts as verified afterwards.
    """
    raw = token if isinstance(token, str) else ""
    # Check the password before using the token up, so a weak one does not burn the link.
    pending = tokens.find_live(raw, "password_reset")
    if pending is not None:
        check_password(password, pending.email)
    customer_id = tokens.consume(raw, "password_reset")
    customer = get(customer_id)
    actor = customer_actor(customer.id, ip)
    _set_password(customer, password, actor=actor, action="customer.reset_password")
    if customer.email_verified_at is None:
        customer.email_verified_at = utcnow()
    throttle.clear(get_redis(), f"customer:{customer.email.lower()}", ip)
    db.session.commit()
    return customer


def change_password(
    customer_id: int,
    current_password: Any,
    new_password: Any,
    *,
    keep_token_id: int | None,
    actor: Actor,
) -> Customer:
    """Replace the password after checking the current one, and revoke every other access token.
    Raises NotFound, InvalidInput naming `current_password` or `new_password`."""
    customer = get(customer_id)
    check_current_password(customer_id, current_password, field="current_password")
    check_password(new_password, customer.email, field="new_password")
    _set_password(
        customer,
        new_password,
        actor=actor,
        action="customer.change_password",
        keep_token_id=keep_token_id,
    )
    db.session.commit()
    return customer


def check_current_password(customer_id: int, password: Any, field: str = "password") -> None:
    """Confirm a sensitive request with the customer's password. Raises NotFound, InvalidInput
    naming `field`."""
    customer = get(customer_id)
    try:
        ok = customer.password_hash is not None and _hasher.verify(
            customer.password_hash, password if isinstance(password, str) else ""
        )
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        raise _invalid(field, "is not correct")


# --- Profile ---------------------------------------------------------------------------------


def update_profile(customer_id: int, changes: Mapping[str, Any], *, actor: Actor) -> Customer:
    """Change names, phone, country or marketing consent. Raises NotFound, InvalidInput (also for
    a field that cannot be changed here, such as the email)."""
    unknown = sorted(set(changes) - set(PROFILE_FIELDS))
    if unknown:
        raise InvalidInput(
            "Some fields cannot be changed here.",
            fields={field: "cannot be changed here" for field in unknown},
        )
    customer = get(customer_id)
    values = clean_profile(changes, partial=True)
    before = audit.snapshot(customer, AUDITED_FIELDS)
    for field, value in values.items():
        setattr(customer, field, value)
    changed = audit_changes(before, audit.snapshot(customer, AUDITED_FIELDS))
    if changed:
        audit.record(actor, "customer.update", "customer", customer.id, changed)
        events.record("customer.updated", customer_id=customer.id, fields=sorted(changed))
    db.session.commit()
    return customer

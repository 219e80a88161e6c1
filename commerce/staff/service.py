"""Staff use cases: create, edit, deactivate, change password, sign in. Each one is one
transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import func, select

from commerce import audit, db, events
from commerce.audit import Actor
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
from commerce.staff.models import StaffUser
from commerce.staff.permissions import ROLES

MIN_PASSWORD_LENGTH = 10
EDITABLE_FIELDS = ("email", "name", "role", "is_active")
AUDITED_FIELDS = (*EDITABLE_FIELDS, "last_sign_in_at")

_hasher = PasswordHasher()
# Verified against when the email is unknown, so both failures take the same time.
_DUMMY_HASH = _hasher.hash("not a real password")


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _hasher.hash(password)


def _normalise_email(email: str, field: str = "email") -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidInput(f"{field}: {exc}", fields={field: str(exc)}) from None


def _check_password(password: str, email: str) -> None:
    problem = None
    if len(password) < MIN_PASSWORD_LENGTH:
        problem = f"must be at least {MIN_PASSWORD_LENGTH} characters"
    elif password.strip().lower() == email.lower():
        problem = "must not be the email address"
    if problem:
        raise InvalidInput(f"password: {problem}", fields={"password": problem})


def _check_role(role: str) -> None:
    if role not in ROLES:
        problem = f"must be one of {', '.join(ROLES)}"
        raise InvalidInput(f"role: {problem}", fields={"role": problem})


def _email_taken(email: str, *, except_id: int | None = None) -> bool:
    stmt = select(StaffUser.id).where(func.lower(StaffUser.email) == email.lower())
    if except_id is not None:
        stmt = stmt.where(StaffUser.id != except_id)
    return db.session.scalar(stmt) is not None


def get(user_id: int) -> StaffUser:
    """The staff user with `user_id`. Raises NotFound."""
    user = db.session.get(StaffUser, user_id)
    if user is None:
        raise NotFound(f"Staff user {user_id} does not exist.")
    return user


def find_by_email(email: str) -> StaffUser | None:
    """The staff user with this email (case-insensitive), or None."""
    stmt = select(StaffUser).where(func.lower(StaffUser.email) == email.strip().lower())
    return db.session.scalar(stmt)


def create_staff_user(
    *, email: str, name: str, role: str, password: str, actor: Actor
) -> StaffUser:
    """Create a staff user and queue the welcome email. Raises InvalidInput, Conflict."""
    email = _normalise_email(email)
    name = name.strip()
    if not name:
        raise InvalidInput("name: is required", fields={"name": "is required"})
    _check_role(role)
    _check_password(password, email)
    if _email_taken(email):
        raise Conflict(f"email: {email} already has an account.", details={"field": "email"})

    user = StaffUser(
        email=email, name=name, role=role, password_hash=hash_password(password), is_active=True
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        actor,
        "staff_user.create",
        "staff_user",
        user.id,
        audit.diff({}, audit.snapshot(user, EDITABLE_FIELDS)),
    )
    events.record("staff_user.created", staff_user_id=user.id)
    db.session.commit()
    return user


def update_staff_user(user_id: int, changes: Mapping[str, Any], *, actor: Actor) -> StaffUser:
    """Change email, name, role or active flag. Raises NotFound, InvalidInput, Conflict.

    An admin cannot demote or deactivate themselves, so the shop always keeps the admin who acted.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        field = sorted(unknown)[0]
        raise InvalidInput(f"{field}: cannot be changed here", fields={field: "cannot be changed"})
    user = get(user_id)
    before = audit.snapshot(user, EDITABLE_FIELDS)
    values = dict(changes)
    if "email" in values:
        values["email"] = _normalise_email(values["email"])
        if _email_taken(values["email"], except_id=user.id):
            raise Conflict(
                f"email: {values['email']} already has an account.", details={"field": "email"}
            )
    if "name" in values:
        values["name"] = (values["name"] or "").strip()
        if not values["name"]:
            raise InvalidInput("name: is required", fields={"name": "is required"})
    if "role" in values:
        _check_role(values["role"])
    demoting = values.get("role", user.role) != user.role or values.get("is_active") is False
    if actor.kind == "staff" and actor.id == user.id and demoting:
        raise Conflict(
            "You cannot change your own role or deactivate yourself; ask another admin.",
            details={"field": "role"},
        )

    for name, value in values.items():
        setattr(user, name, value)
    changed = audit.diff(before, audit.snapshot(user, EDITABLE_FIELDS))
    if changed:
        audit.record(actor, "staff_user.update", "staff_user", user.id, changed)
        events.record("staff_user.updated", staff_user_id=user.id, fields=sorted(changed))
    db.session.commit()
    return user


def set_password(user_id: int, password: str, *, actor: Actor) -> StaffUser:
    """Replace a staff user's password. Raises NotFound, InvalidInput."""
    user = get(user_id)
    _check_password(password, user.email)
    user.password_hash = hash_password(password)
    # The diff names the field but never carries the hash.
    audit.record(
        actor,
        "staff_user.set_password",
        "staff_user",
        user.id,
        {"password": ["(hidden)", "(changed)"]},
    )
    db.session.commit()
    return user


def sign_in(email: str, password: str, *, ip: str | None) -> StaffUser:
    """Check credentials for the back-office. Raises AccountLocked, InvalidCredentials.

    Unknown emails, wrong passwords and deactivated accounts all answer InvalidCredentials with one
    message. After SIGNIN_MAX_FAILURES failures within SIGNIN_WINDOW_SECONDS for one email and IP
    the pair is locked, and AccountLocked says when to retry.
    """
    config = current_app.config
    redis = get_redis()
    max_failures, window = config["SIGNIN_MAX_FAILURES"], config["SIGNIN_WINDOW_SECONDS"]
    wait = throttle.locked_for(redis, email, ip, max_failures=max_failures, window=window)
    if wait:
        raise AccountLocked(wait)

    user = find_by_email(email) if email.strip() else None
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        ok = user is not None and user.is_active
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None:
        throttle.record_failure(redis, email, ip, window=window)
        wait = throttle.locked_for(redis, email, ip, max_failures=max_failures, window=window)
        if wait:
            raise AccountLocked(wait)
        raise InvalidCredentials()

    throttle.clear(redis, email, ip)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_sign_in_at = utcnow()
    actor = Actor(kind="staff", id=user.id, label=user.email, ip=ip)
    audit.record(actor, "staff_user.sign_in", "staff_user", user.id)
    db.session.commit()
    return user

"""Customer tokens: bearer access tokens and the single-use links of verification and reset
emails.

A token is 32 random bytes (url-safe text) that only the customer ever holds; we keep its sha256,
so a leaked table cannot be replayed. Functions here write in the caller's transaction and never
commit: the account services (accounts.py) commit once per use case. The exception is
`issue_email_token`, which email handlers call on its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, or_, select, update

from commerce import db
from commerce.customers.models import Customer, CustomerToken
from commerce.db import utcnow
from commerce.errors import InvalidInput, NotFound, Unauthenticated

DEFAULT_TTLS = {
    "access": 30 * 24 * 3600,
    "verify_email": 48 * 3600,
    "password_reset": 3600,
}
CONFIG_NAMES = {
    "access": "CUSTOMER_TOKEN_TTL_SECONDS",
    "verify_email": "CUSTOMER_VERIFY_TTL_SECONDS",
    "password_reset": "CUSTOMER_RESET_TTL_SECONDS",
}
INVALID_SESSION = "Your session has expired or is not valid. Sign in again."


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token just issued: the raw value (shown or sent once, never stored) and its row."""

    raw: str
    row: CustomerToken

    @property
    def expires_at(self) -> dt.datetime:
        """When the token stops working."""
        return self.row.expires_at


def digest(raw: str) -> str:
    """The sha256 hex digest under which a token is stored."""
    return hashlib.sha256(raw.encode()).hexdigest()


def ttl(kind: str) -> dt.timedelta:
    """How long a token of `kind` lives (settable per kind in the app config)."""
    return dt.timedelta(seconds=int(current_app.config.get(CONFIG_NAMES[kind], DEFAULT_TTLS[kind])))


def issue(customer_id: int, kind: str) -> IssuedToken:
    """Add a new token of `kind` for the customer to the current transaction. Returns it."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    row = CustomerToken(
        customer_id=customer_id,
        kind=kind,
        token_hash=digest(raw),
        created_at=now,
        expires_at=now + ttl(kind),
    )
    db.session.add(row)
    db.session.flush()
    return IssuedToken(raw=raw, row=row)


def authenticate(raw: str) -> tuple[Customer, CustomerToken]:
    """The customer and access token that `raw` stands for. Raises Unauthenticated when it is
    unknown, expired or revoked, or its customer was erased (one message for all)."""
    if not raw or len(raw) > 200:
        raise Unauthenticated(INVALID_SESSION)
    stmt = (
        select(Customer, CustomerToken)
        .join(CustomerToken, CustomerToken.customer_id == Customer.id)
        .where(
            CustomerToken.token_hash == digest(raw),
            CustomerToken.kind == "access",
            CustomerToken.revoked_at.is_(None),
            CustomerToken.expires_at > utcnow(),
            Customer.erased_at.is_(None),
        )
    )
    row = db.session.execute(stmt).first()
    if row is None:
        raise Unauthenticated(INVALID_SESSION)
    return row[0], row[1]


def revoke(customer_id: int, *, kinds: tuple[str, ...], except_id: int | None = None) -> int:
    """Revoke the customer's live tokens of `kinds` (in the caller's transaction), all but
    `except_id`. Returns how many were revoked."""
    stmt = (
        update(CustomerToken)
        .where(
            CustomerToken.customer_id == customer_id,
            CustomerToken.kind.in_(kinds),
            CustomerToken.revoked_at.is_(None),
            CustomerToken.used_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    if except_id is not None:
        stmt = stmt.where(CustomerToken.id != except_id)
    return db.session.execute(stmt, execution_options={"synchronize_session": False}).rowcount


def revoke_one(customer_id: int, token_id: int) -> bool:
    """Revoke one live token of the customer (in the caller's transaction). Returns whether it
    was live."""
    stmt = (
        update(CustomerToken)
        .where(
            CustomerToken.id == token_id,
            CustomerToken.customer_id == customer_id,
            CustomerToken.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    return bool(db.session.execute(stmt, execution_options={"synchronize_session": False}).rowcount)


def consume(raw: str, kind: str) -> int:
    """Use up a single-use token of `kind` and return its customer's id (in the caller's
    transaction). Raises InvalidInput naming `token` when it is unknown, used, revoked or expired.

    One conditional UPDATE, so two requests with the same link cannot both succeed.
    """
    stmt = (
        update(CustomerToken)
        .where(
            CustomerToken.token_hash == digest(raw or ""),
            CustomerToken.kind == kind,
            CustomerToken.used_at.is_(None),
            CustomerToken.revoked_at.is_(None),
            CustomerToken.expires_at > utcnow(),
        )
        .values(used_at=utcnow())
        .returning(CustomerToken.customer_id)
    )
    customer_id = db.session.scalar(stmt, execution_options={"synchronize_session": False})
    if customer_id is None:
        raise InvalidInput(
            "This link is not valid or has expired. Ask for a new one.",
            fields={"token": "is not valid or has expired"},
        )
    return customer_id


def find_live(raw: str, kind: str) -> Customer | None:
    """The customer of a live (unused, unrevoked, unexpired) single-use token, or None."""
    stmt = (
        select(Customer)
        .join(CustomerToken, CustomerToken.customer_id == Customer.id)
        .where(
            CustomerToken.token_hash == digest(raw or ""),
            CustomerToken.kind == kind,
            CustomerToken.used_at.is_(None),
            CustomerToken.revoked_at.is_(None),
            CustomerToken.expires_at > utcnow(),
        )
    )
    return db.session.scalar(stmt)


def issue_email_token(customer_id: int, kind: str) -> IssuedToken:
    """Issue the single-use token of a verification or reset email and commit. Raises NotFound
    for an unknown or erased customer, ValueError for a kind that is not emailed.

    Earlier links stay valid until they expire or one of them is used (using one revokes the
    rest): revoking them here could kill a link already delivered when RQ runs a handler twice.
    """
    if kind not in ("verify_email", "password_reset"):
        raise ValueError(f"{kind} tokens are not sent by email")
    customer = db.session.get(Customer, customer_id)
    if customer is None or customer.erased_at is not None:
        raise NotFound(f"Customer {customer_id} does not exist.")
    issued = issue(customer_id, kind)
    db.session.commit()
    return issued


def prune(*, older_than_days: int = 30) -> int:
    """Delete tokens that expired, were revoked or were used more than `older_than_days` days ago
    (for a daily schedule), and commit. Returns how many went. Raises ValueError below 1 day."""
    if older_than_days < 1:
        raise ValueError("older_than_days must be at least 1")
    cutoff = utcnow() - dt.timedelta(days=older_than_days)
    stmt = delete(CustomerToken).where(
        or_(
            CustomerToken.expires_at < cutoff,
            CustomerToken.revoked_at < cutoff,
            CustomerToken.used_at < cutoff,
        )
    )
    count = db.session.execute(stmt, execution_options={"synchronize_session": False}).rowcount
    db.session.commit()
    return count or 0

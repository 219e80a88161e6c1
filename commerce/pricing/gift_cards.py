"""Gift cards: staff issue them, and paid orders issue those sold as products (see
commerce/orders/gift_cards.py); checkout spends them as a tender; refunds put money back.

Codes are 16 characters from a 32-letter alphabet without look-alikes (80 random bits), shown as
XXXX-XXXX-XXXX-XXXX once, when issued. Only their sha256 and last four characters are stored (see
commerce/pricing/models.py). Input is normalised first: case, spaces and hyphens do not matter.

Spending is one conditional UPDATE

    UPDATE gift_cards SET balance_amount = balance_amount - :amount
    WHERE id = :id AND balance_amount >= :amount AND is_active AND (not expired)

so two checkouts spending one card at once cannot overspend it: the second UPDATE waits for the
first's row lock, re-reads the balance and matches no row when too little is left. A CHECK
(balance_amount >= 0) backs it. Every change of a balance writes a ledger row
(gift_card_transactions) in the same transaction, so the balance always equals the ledger's sum.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
import secrets

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.db import utcnow
from commerce.errors import Conflict, InvalidInput, PermissionDenied
from commerce.inventory.ledger import unit_of_work
from commerce.pricing.errors import GiftCardRejected, InsufficientBalance
from commerce.pricing.lookups import check_gift_card
from commerce.pricing.models import GiftCard, GiftCardTransaction
from commerce.pricing.validation import aware, currency_code, text_value, whole_number

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16
_NOISE = re.compile(r"[\s\-]")


@dataclasses.dataclass(frozen=True, slots=True)
class IssuedGiftCard:
    """A new card and its code; the code is never shown again."""

    gift_card: GiftCard
    code: str


def normalise_code(code: str) -> str:
    """A gift card code without spaces or hyphens, upper case."""
    return _NOISE.sub("", code or "").upper()


def code_hash(code: str) -> str:
    """The sha256 (hex) of a normalised code, as stored."""
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def new_code() -> str:
    """A fresh random code, XXXX-XXXX-XXXX-XXXX."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def find_gift_card(code: str, *, session: Session | None = None) -> GiftCard | None:
    """The gift card with `code` (any case, spaces and hyphens ignored), or None."""
    s = session or db.session
    if not isinstance(code, str) or not normalise_code(code):
        return None
    return s.scalar(select(GiftCard).where(GiftCard.code_hash == code_hash(code)))


def _ledger(
    s: Session, card: GiftCard, kind: str, amount: int, reference: str, actor: Actor
) -> GiftCardTransaction:
    entry = GiftCardTransaction(
        gift_card_id=card.id,
        kind=kind,
        amount=amount,
        balance_after=card.balance_amount,
        reference=reference,
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_label=actor.label[:255],
    )
    s.add(entry)
    return entry


def issue_gift_card(
    amount: int,
    currency: str,
    *,
    expires_at: dt.datetime | None = None,
    note: str = "",
    reference: str | None = None,
    actor: Actor,
    commit: bool = True,
) -> IssuedGiftCard:
    """Issue a gift card worth `amount` minor units of `currency` (staff or the system only,
    audited). Returns the card and its code, shown this once. Raises InvalidInput,
    PermissionDenied (a customer or API client), IntegrityError (`reference` issued a card
    before: a unique index keeps it to one card).

    `reference` (default "issue:<card id>") names why the card exists, e.g. "order-line:<id>:<n>"
    for one sold in an order; find it again with issued_gift_card. With `commit` False the
    caller's transaction commits it."""
    if actor.kind not in ("staff", "system"):
        raise PermissionDenied("gift_cards.issue")
    whole_number(amount, "amount", minimum=1)
    currency = currency_code(currency)
    expires_at = aware(expires_at, "expires_at")
    if expires_at is not None and expires_at <= utcnow():
        raise InvalidInput(
            "expires_at: must be in the future", fields={"expires_at": "in the past"}
        )
    note = text_value(note, "note", max_length=255, required=False)
    if reference is not None:
        reference = text_value(reference, "reference", max_length=120)
    code = new_code()
    card = GiftCard(
        code_hash=code_hash(code),
        last4=normalise_code(code)[-4:],
        currency=currency,
        initial_amount=amount,
        balance_amount=amount,
        expires_at=expires_at,
        is_active=True,
        note=note,
    )
    db.session.add(card)
    db.session.flush()
    _ledger(db.session(), card, "issued", amount, reference or f"issue:{card.id}", actor)
    audit.record(
        actor,
        "gift_card.issue",
        "gift_card",
        card.id,
        {
            "last4": [None, card.last4],
            "amount": [None, amount],
            "currency": [None, currency],
            "expires_at": [None, expires_at],
        },
    )
    events.record("gift_card.issued", gift_card_id=card.id)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return IssuedGiftCard(card, code)


def issued_gift_card(reference: str) -> GiftCard | None:
    """The gift card issued under `reference` (see issue_gift_card), or None."""
    return db.session.scalar(
        select(GiftCard)
        .join(GiftCardTransaction, GiftCardTransaction.gift_card_id == GiftCard.id)
        .where(GiftCardTransaction.kind == "issued", GiftCardTransaction.reference == reference)
    )


def renew_gift_card_code(
    gift_card_id: int, *, reason: str, actor: Actor, commit: bool = True
) -> IssuedGiftCard:
    """Give a gift card a new code; the old one stops working at once, balance and ledger stay
    (staff or the system only, audited). Returns the card and its new code, shown this once.
    Raises GiftCardRejected (unknown), PermissionDenied, InvalidInput (reason).

    For a code that never reached its owner (the email carrying it was not sent) or was leaked.
    With `commit` False the caller's transaction commits it."""
    if actor.kind not in ("staff", "system"):
        raise PermissionDenied("gift_cards.issue")
    reason = text_value(reason, "reason", max_length=255)
    card = db.session.get(GiftCard, gift_card_id, with_for_update=True)
    if card is None:
        raise GiftCardRejected("unknown")
    code, old_last4 = new_code(), card.last4
    card.code_hash, card.last4 = code_hash(code), normalise_code(code)[-4:]
    audit.record(
        actor,
        "gift_card.renew_code",
        "gift_card",
        card.id,
        {"last4": [old_last4, card.last4], "reason": [None, reason]},
    )
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return IssuedGiftCard(card, code)


def _explain(s: Session, gift_card_id: int, amount: int, now: dt.datetime) -> Exception:
    """Why a conditional UPDATE matched no row: the card's state, read again."""
    card = s.get(GiftCard, gift_card_id, populate_existing=True)
    if card is None:
        return GiftCardRejected("unknown")
    if not card.is_active:
        return GiftCardRejected("disabled", extra={"last4": card.last4})
    if card.expires_at is not None and card.expires_at <= now:
        return GiftCardRejected("expired", extra={"last4": card.last4})
    return InsufficientBalance(card.id, card.last4, amount, card.balance_amount)


def redeem_gift_card_by_id(
    gift_card_id: int,
    amount: int,
    reference: str,
    *,
    actor: Actor,
    currency: str | None = None,
    session: Session | None = None,
    commit: bool = True,
    now: dt.datetime | None = None,
) -> GiftCardTransaction:
    """Spend `amount` of a gift card for checkout `reference`, by one conditional UPDATE (see the
    module docstring). Raises GiftCardRejected (unknown, disabled, expired, wrong_currency),
    InsufficientBalance (409; less is left than `amount`), InvalidInput, Conflict (the reference
    already spent another amount of this card).

    Idempotent per card and reference: spending the same amount again for the same reference
    returns the first ledger row and takes nothing more. With `commit` False the caller's
    transaction (on `session`) commits it."""
    whole_number(gift_card_id, "gift_card_id", minimum=1)
    whole_number(amount, "amount", minimum=1)
    reference = text_value(reference, "reference", max_length=120)
    now = now or utcnow()
    with unit_of_work(session, commit=commit) as s:
        existing = s.scalar(
            select(GiftCardTransaction).where(
                GiftCardTransaction.gift_card_id == gift_card_id,
                GiftCardTransaction.reference == reference,
                GiftCardTransaction.kind == "redeemed",
            )
        )
        if existing is not None:
            if -existing.amount != amount:
                raise Conflict(
                    f"reference: {reference} already spent {-existing.amount} of this gift card",
                    details={"reference": reference, "amount": -existing.amount},
                )
            return existing
        if currency is not None:
            card = s.get(GiftCard, gift_card_id)
            if card is not None and card.currency != currency_code(currency):
                raise GiftCardRejected("wrong_currency", extra={"last4": card.last4})
        balance = s.scalar(
            update(GiftCard)
            .where(
                GiftCard.id == gift_card_id,
                GiftCard.balance_amount >= amount,
                GiftCard.is_active,
                or_(GiftCard.expires_at.is_(None), GiftCard.expires_at > now),
            )
            .values(balance_amount=GiftCard.balance_amount - amount, updated_at=func.now())
            .returning(GiftCard.balance_amount)
        )
        if balance is None:
            raise _explain(s, gift_card_id, amount, now)
        card = s.get(GiftCard, gift_card_id, populate_existing=True)
        assert card is not None
        try:
            with s.begin_nested():
                entry = _ledger(s, card, "redeemed", -amount, reference, actor)
                s.flush()
        except IntegrityError:
            # A parallel call with the same reference won the unique index; ours is undone with
            # the savepoint of unit_of_work when this propagates.
            raise Conflict(
                f"reference: {reference} is being spent already", details={"reference": reference}
            ) from None
        events.record(
            "gift_card.redeemed", gift_card_id=card.id, amount=amount, reference=reference
        )
        if actor.kind == "staff":
            audit.record(
                actor,
                "gift_card.redeem",
                "gift_card",
                card.id,
                {"balance_amount": [balance + amount, balance]},
            )
    return entry


def redeem_gift_card(
    code: str,
    amount: int,
    reference: str,
    *,
    actor: Actor,
    currency: str | None = None,
    session: Session | None = None,
    commit: bool = True,
    now: dt.datetime | None = None,
) -> GiftCardTransaction:
    """Spend `amount` of the gift card with `code` for checkout `reference` (see
    redeem_gift_card_by_id). Raises GiftCardRejected, InsufficientBalance, InvalidInput,
    Conflict."""
    card = find_gift_card(code, session=session)
    if card is None:
        raise GiftCardRejected("unknown")
    return redeem_gift_card_by_id(
        card.id,
        amount,
        reference,
        actor=actor,
        currency=currency,
        session=session,
        commit=commit,
        now=now,
    )


def refund_gift_card(
    gift_card_id: int,
    amount: int,
    reference: str,
    *,
    actor: Actor,
    session: Session | None = None,
    commit: bool = True,
) -> GiftCardTransaction:
    """Put `amount` back on a gift card that paid checkout `reference` (a refund or a failed
    order); never more than that reference spent of it, minus earlier refunds. Raises NotFound,
    InvalidInput, Conflict (more than was spent)."""
    whole_number(amount, "amount", minimum=1)
    reference = text_value(reference, "reference", max_length=120)
    with unit_of_work(session, commit=commit) as s:
        card = s.get(GiftCard, gift_card_id, with_for_update=True, populate_existing=True)
        if card is None:
            raise GiftCardRejected("unknown")
        moved = s.scalar(
            select(func.coalesce(func.sum(GiftCardTransaction.amount), 0)).where(
                GiftCardTransaction.gift_card_id == card.id,
                GiftCardTransaction.reference == reference,
                GiftCardTransaction.kind.in_(("redeemed", "refunded")),
            )
        )
        refundable = -int(moved or 0)
        if amount > refundable:
            raise Conflict(
                f"amount: only {refundable} of what {reference} spent can be refunded",
                details={"fields": {"amount": f"at most {refundable}"}, "refundable": refundable},
            )
        card.balance_amount += amount
        entry = _ledger(s, card, "refunded", amount, reference, actor)
        s.flush()
        audit.record(
            actor,
            "gift_card.refund",
            "gift_card",
            card.id,
            {"balance_amount": [card.balance_amount - amount, card.balance_amount]},
        )
        events.record(
            "gift_card.refunded", gift_card_id=card.id, amount=amount, reference=reference
        )
    return entry


def set_gift_card_active(gift_card_id: int, active: bool, *, actor: Actor) -> GiftCard:
    """Disable a gift card (lost, fraud) or enable it again (audited). Raises GiftCardRejected
    (unknown)."""
    card = db.session.get(GiftCard, gift_card_id, with_for_update=True)
    if card is None:
        raise GiftCardRejected("unknown")
    if card.is_active != bool(active):
        audit.record(
            actor, "gift_card.update", "gift_card", card.id, {"is_active": [card.is_active, active]}
        )
        card.is_active = bool(active)
    db.session.commit()
    return card


def usable_gift_card(code: str, currency: str, *, now: dt.datetime | None = None) -> GiftCard:
    """The gift card with `code` if it can pay in `currency` now. Raises GiftCardRejected."""
    return check_gift_card(find_gift_card(code), currency, now or utcnow())


def ledger_balance(gift_card_id: int) -> int:
    """The sum of a card's ledger, which always equals its balance."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(GiftCardTransaction.amount), 0)).where(
                GiftCardTransaction.gift_card_id == gift_card_id
            )
        )
        or 0
    )

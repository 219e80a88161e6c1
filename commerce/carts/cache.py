"""Cart reads answered from Redis while nothing they depend on has changed.

Every cart read checks and prices the cart again (commerce.carts.reading). Most reads find
nothing changed since the last one — the shopper opened the cart again — so the answer is kept in
Redis beside a fingerprint of everything it was computed from, and a read whose fingerprint is
the same gets the same answer without pricing anything.

The fingerprint is one SQL statement. It covers each row the price of this cart reads, by its
row version (`xmin`, the writing transaction, with `ctid`, the tuple's place, which an update
changes even within one transaction): the cart, its lines, its gift cards and voucher (whose
`times_used` moves with every redemption, by any customer), the lines' variants and products,
their stock levels and inventory settings, and the customer (their group). The shop-wide tables
every price reads — promotions, tax zones and rates, the category tree, warehouses, customer
groups and their price lists — enter through `pricing_generations`, counters their own triggers
bump in the writing transaction (migration 0029). Any committed write to any of those rows gives
another fingerprint, so a cached answer is never served after its inputs changed.

Time changes prices too: a promotion or voucher starts or ends, a gift card expires, a product's
publication date comes. An answer is kept only until a second before the next such moment that
could touch this cart, and at most the app's CART_CACHE_SECONDS (0 turns the cache off).

An answer is stored only when the fingerprint taken before computing it equals the one taken
after: a write that lands meanwhile (or the read's own write, when it removes a line no longer on
sale or records a changed price with its notice) leaves it uncached, and the next read computes
again. Redis trouble never fails a read: the cart is priced from the database and the error is
logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import text

from commerce import db
from commerce.kv import get_redis

log = logging.getLogger(__name__)

# Part of every key: a deploy that changes what a cart answer looks like starts afresh.
FORMAT = 1

FINGERPRINT = text(
    """
    WITH c AS (
        SELECT id, customer_id, voucher_id, xmin::text || ctid::text AS v
        FROM carts WHERE id = :cart_id AND status = 'open'
    ), l AS (
        SELECT variant_id, id || ':' || xmin::text || ctid::text AS v
        FROM cart_lines WHERE cart_id = :cart_id
    ), rows AS (
        SELECT 'c' || v AS v FROM c
        UNION ALL SELECT 'l' || v FROM l
        UNION ALL SELECT 'g' || g.id || ':' || g.xmin::text || g.ctid::text
                         || ':' || cg.xmin::text || cg.ctid::text
            FROM cart_gift_cards cg JOIN gift_cards g ON g.id = cg.gift_card_id
            WHERE cg.cart_id = :cart_id
        UNION ALL SELECT 'o' || vo.xmin::text || vo.ctid::text
            FROM vouchers vo JOIN c ON vo.id = c.voucher_id
        UNION ALL SELECT 'v' || va.id || ':' || va.xmin::text || va.ctid::text
                         || ':' || p.xmin::text || p.ctid::text
            FROM variants va JOIN products p ON p.id = va.product_id
            WHERE va.id IN (SELECT variant_id FROM l)
        UNION ALL SELECT 's' || s.id || ':' || s.xmin::text || s.ctid::text
            FROM stock_levels s WHERE s.variant_id IN (SELECT variant_id FROM l)
        UNION ALL SELECT 'i' || vi.variant_id || ':' || vi.xmin::text || vi.ctid::text
            FROM variant_inventories vi WHERE vi.variant_id IN (SELECT variant_id FROM l)
        UNION ALL SELECT 'u' || cu.xmin::text || cu.ctid::text
            FROM customers cu JOIN c ON cu.id = c.customer_id
        UNION ALL SELECT 'n' || name || ':' || generation FROM pricing_generations
    )
    SELECT CASE WHEN EXISTS (SELECT 1 FROM c)
                THEN md5(string_agg(v, ',' ORDER BY v)) END
    FROM rows
    """
)

# Seconds from now to the next moment that can change this cart's price by itself: a promotion
# starting or ending, the cart's voucher starting or ending, one of its gift cards expiring, one
# of its products being published. NULL when there is none.
NEXT_CHANGE = text(
    """
    WITH moments AS (
        SELECT starts_at AS at FROM promotions WHERE is_active
        UNION ALL SELECT ends_at FROM promotions WHERE is_active
        UNION ALL SELECT vo.starts_at FROM vouchers vo JOIN carts c ON c.voucher_id = vo.id
            WHERE c.id = :cart_id
        UNION ALL SELECT vo.ends_at FROM vouchers vo JOIN carts c ON c.voucher_id = vo.id
            WHERE c.id = :cart_id
        UNION ALL SELECT g.expires_at FROM gift_cards g
            JOIN cart_gift_cards cg ON cg.gift_card_id = g.id WHERE cg.cart_id = :cart_id
        UNION ALL SELECT p.published_at FROM products p
            JOIN variants va ON va.product_id = p.id
            JOIN cart_lines l ON l.variant_id = va.id WHERE l.cart_id = :cart_id
    )
    SELECT extract(epoch FROM min(at) - statement_timestamp())
    FROM moments WHERE at > statement_timestamp()
    """
)


def fingerprint(cart_id: int) -> str | None:
    """A digest of every row and shop-wide table the open cart `cart_id`'s price reads (see the
    module docstring); None when there is no such open cart. Raises nothing of its own."""
    return db.session.execute(FINGERPRINT, {"cart_id": cart_id}).scalar()


def _longest() -> int:
    return int(current_app.config.get("CART_CACHE_SECONDS", 600))


def seconds_valid(cart_id: int) -> int:
    """How long an answer for `cart_id` computed now may be kept: CART_CACHE_SECONDS, or until a
    second before the next moment that changes its price by itself (0: do not keep it). Raises
    nothing of its own."""
    longest = _longest()
    until = db.session.execute(NEXT_CHANGE, {"cart_id": cart_id}).scalar()
    if until is None:
        return longest
    return max(0, min(longest, int(until) - 1))


def _key(cart_id: int) -> str:
    include_tax = int(bool(current_app.config.get("PRICES_INCLUDE_TAX", False)))
    return f"cart:answer:{FORMAT}:{include_tax}:{cart_id}"


def cart_answer(cart_id: int, build: Callable[[], bytes]) -> bytes:
    """The JSON bytes `build()` makes of cart `cart_id`, from Redis when they were stored for the
    same fingerprint; otherwise built, and stored when no write landed while building. Exceptions
    from `build` (NotFound for a cart that is not open) propagate and nothing is stored."""
    if _longest() <= 0:
        return build()
    before = fingerprint(cart_id)
    if before is None:
        return build()
    key = _key(cart_id)
    redis = get_redis()
    try:
        hit = redis.get(key)
    except RedisError:
        log.warning("cart cache unavailable; pricing the cart from the database", exc_info=True)
        return build()
    if hit is not None and hit[:32].decode() == before:
        return hit[32:]
    body = build()
    if fingerprint(cart_id) != before:
        return body
    seconds = seconds_valid(cart_id)
    if seconds > 0:
        try:
            redis.set(key, before.encode() + body, ex=seconds)
        except RedisError:
            log.warning("could not store cart %s in the cart cache", cart_id, exc_info=True)
    return body

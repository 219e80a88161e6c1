"""Cart reads answered from the cache (commerce/carts/cache.py): a repeated read is served from
Redis, and any change to what a cart's price depends on — the variant, its stock, a promotion,
a tax rate, the category tree, a voucher or gift card used elsewhere, a warehouse, the
customer's group — shows on the very next read."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update

from commerce import db
from commerce.carts import cache
from commerce.carts import service as carts
from commerce.catalog.models import Category, Product, Variant
from commerce.inventory import service as inventory
from commerce.inventory.models import StockLevel, Warehouse
from commerce.kv import get_redis
from commerce.pricing import gift_cards, rules, vouchers
from commerce.tax.models import TaxRate
from tests.carts.factories import (
    ADDRESS,
    STAFF,
    make_customer,
    make_gift_card,
    make_promotion,
    make_tax_zone,
    make_variant,
    make_voucher,
    now_plus,
)
from tests.storefront_api.catalog_factories import make_category

PREFIX = "/api/v1"


@pytest.fixture
def shop(db_session, client) -> dict[str, Any]:
    """A guest cart holding one unit of a 10.00 EUR variant (10 in stock, in a category),
    shipping to Germany (19 % VAT): {"token", "cart_id", "variant", "category", "zone"}."""
    zone = make_tax_zone("DE", "0.19")
    category = make_category()
    variant = make_variant(1000, stock=10, category=category)
    created = client.post(f"{PREFIX}/carts")
    token = created.get_json()["token"]
    added = client.post(f"{PREFIX}/carts/{token}/lines", json={"variant_id": variant.id})
    assert added.status_code == 200, added.get_json()
    placed = client.put(f"{PREFIX}/carts/{token}/addresses", json={"shipping_address": ADDRESS})
    assert placed.status_code == 200, placed.get_json()
    cart_id = created.get_json()["data"]["id"]
    return {
        "token": token,
        "cart_id": cart_id,
        "variant": variant,
        "category": category,
        "zone": zone,
    }


def read(client, shop: dict[str, Any]) -> dict[str, Any]:
    response = client.get(f"{PREFIX}/carts/{shop['token']}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]


def cached_entry(app, cart_id: int) -> bytes | None:
    with app.app_context():
        keys = get_redis().keys(f"cart:answer:*:{cart_id}")
        return get_redis().get(keys[0]) if keys else None


def test_a_repeated_read_is_answered_from_the_cache(app, client, shop):
    first = read(client, shop)
    assert first["lines"][0]["unit_price"]["amount"] == 1000
    entry = cached_entry(app, shop["cart_id"])
    assert entry is not None
    # Prove the next read comes from Redis: swap the stored answer for a marker, same fingerprint.
    marker = json.dumps({"data": {**first, "email": "from-the-cache@example.com"}}).encode()
    with app.app_context():
        key = get_redis().keys(f"cart:answer:*:{shop['cart_id']}")[0]
        get_redis().set(key, entry[:32] + marker)
    assert read(client, shop)["email"] == "from-the-cache@example.com"


def _stock_level(variant: Variant) -> StockLevel:
    level = db.session.scalar(select(StockLevel).where(StockLevel.variant_id == variant.id))
    assert level is not None
    return level


def _change_price(shop: dict[str, Any]) -> None:
    db.session.execute(
        update(Variant).where(Variant.id == shop["variant"].id).values(price_amount=1200)
    )
    db.session.commit()


def _receive_stock(shop: dict[str, Any]) -> None:
    level = _stock_level(shop["variant"])
    inventory.receive_stock(shop["variant"].id, level.warehouse_id, 5, actor=STAFF)


def _start_promotion(shop: dict[str, Any]) -> None:
    make_promotion(percent="10")


def _change_tax_rate(shop: dict[str, Any]) -> None:
    db.session.execute(
        update(TaxRate).where(TaxRate.zone_id == shop["zone"].id).values(rate=Decimal("0.07"))
    )
    db.session.commit()


def _archive_product(shop: dict[str, Any]) -> None:
    db.session.execute(
        update(Product).where(Product.id == shop["variant"].product_id).values(status="archived")
    )
    db.session.commit()


def _move_category_under_a_promoted_one(shop: dict[str, Any]) -> None:
    promoted = make_category()
    make_promotion(percent="20", scope="categories", category_ids=[promoted.id])
    db.session.execute(
        update(Category).where(Category.id == shop["category"].id).values(parent_id=promoted.id)
    )
    db.session.commit()


def _close_the_warehouse(shop: dict[str, Any]) -> None:
    level = _stock_level(shop["variant"])
    db.session.execute(
        update(Warehouse).where(Warehouse.id == level.warehouse_id).values(is_active=False)
    )
    db.session.commit()


CHANGES: list[tuple[str, Callable[[dict[str, Any]], None], Callable[[dict[str, Any]], bool]]] = [
    (
        "variant price",
        _change_price,
        lambda cart: (
            cart["lines"][0]["unit_price"]["amount"] == 1200
            and cart["notices"][0]["code"] == "price_changed"
        ),
    ),
    ("stock received", _receive_stock, lambda cart: cart["lines"][0]["available"] == 15),
    (
        "promotion started",
        _start_promotion,
        lambda cart: cart["lines"][0]["discount"]["amount"] == 100,
    ),
    ("tax rate", _change_tax_rate, lambda cart: cart["totals"]["tax"]["amount"] == 70),
    (
        "product archived",
        _archive_product,
        lambda cart: cart["lines"] == [] and cart["notices"][0]["code"] == "line_removed",
    ),
    (
        "category moved",
        _move_category_under_a_promoted_one,
        lambda cart: cart["lines"][0]["discount"]["amount"] == 200,
    ),
    ("warehouse closed", _close_the_warehouse, lambda cart: cart["lines"][0]["available"] == 0),
]


@pytest.mark.parametrize(
    ("change", "shows"), [(c, s) for _, c, s in CHANGES], ids=[n for n, _, _ in CHANGES]
)
def test_a_change_to_what_the_price_depends_on_shows_on_the_next_read(
    app, client, shop, change, shows
):
    before = read(client, shop)
    assert before["lines"][0]["discount"]["amount"] == 0
    assert before["totals"]["tax"]["amount"] == 190
    assert before["lines"][0]["available"] == 10
    assert cached_entry(app, shop["cart_id"]) is not None
    change(shop)
    after = read(client, shop)
    assert shows(after), after


def test_a_voucher_used_up_by_another_order_is_refused_on_the_next_read(app, client, shop):
    make_voucher("ONCE", usage_limit=1)
    applied = client.put(f"{PREFIX}/carts/{shop['token']}/voucher", json={"code": "ONCE"})
    assert applied.get_json()["data"]["voucher"]["applied"] is True
    assert read(client, shop)["voucher"]["applied"] is True
    vouchers.record_voucher_redemption(
        "ONCE", reference="order:elsewhere", amount=100, currency="EUR", actor=STAFF
    )
    voucher = read(client, shop)["voucher"]
    assert voucher["applied"] is False and voucher["problem"]["reason"] == "used_up"


def test_a_gift_card_spent_elsewhere_shows_its_new_balance_on_the_next_read(client, shop):
    issued = make_gift_card(500)
    added = client.post(f"{PREFIX}/carts/{shop['token']}/gift-cards", json={"code": issued.code})
    assert added.status_code == 200, added.get_json()
    assert read(client, shop)["gift_cards"][0]["applied"]["amount"] == 500
    gift_cards.redeem_gift_card_by_id(issued.gift_card.id, 300, "order:elsewhere", actor=STAFF)
    card = read(client, shop)["gift_cards"][0]
    assert card["applied"]["amount"] == 200 and card["balance"]["amount"] == 200


def test_the_fingerprint_changes_when_the_customer_changes_group(app, db_session):
    customer = make_customer()
    variant = make_variant(1000)
    cart = carts.get_cart_for_customer(customer.id, actor=STAFF)
    carts.add_item(cart.id, variant.id, 1, actor=STAFF)
    before = cache.fingerprint(cart.id)
    assert before is not None and cache.fingerprint(cart.id) == before
    group = rules.create_customer_group("Wholesale", actor=STAFF)
    after_group = cache.fingerprint(cart.id)
    assert after_group != before  # a shop-wide table changed
    rules.set_customer_group(customer.id, group.id, actor=STAFF)
    assert cache.fingerprint(cart.id) != after_group
    carts.mark_cart_converted(cart.id, order_id=None, actor=STAFF)
    assert cache.fingerprint(cart.id) is None  # no longer open: never answered from the cache


def test_an_answer_is_kept_only_until_the_next_promotion_starts_or_ends(app, client, shop):
    assert cache.seconds_valid(shop["cart_id"]) == app.config["CART_CACHE_SECONDS"] == 600
    make_promotion(starts_at=now_plus(100 / 86400), ends_at=now_plus(1))
    assert 90 <= cache.seconds_valid(shop["cart_id"]) <= 99
    read(client, shop)
    with app.app_context():
        key = get_redis().keys(f"cart:answer:*:{shop['cart_id']}")[0]
        assert 0 < get_redis().ttl(key) <= 99
    make_promotion(ends_at=now_plus(1.5 / 86400))
    assert cache.seconds_valid(shop["cart_id"]) == 0  # too close: not kept at all


def test_an_answer_built_while_a_write_lands_is_not_kept(app, client, shop):
    line_id = read(client, shop)["lines"][0]["id"]
    with app.app_context():
        get_redis().flushdb()

    def build_while_the_shopper_changes_the_cart() -> bytes:
        carts.set_quantity(shop["cart_id"], line_id, 2, actor=STAFF)
        return b"{}"

    assert cache.cart_answer(shop["cart_id"], build_while_the_shopper_changes_the_cart) == b"{}"
    assert cached_entry(app, shop["cart_id"]) is None
    assert read(client, shop)["lines"][0]["quantity"] == 2


def test_a_read_whose_notice_records_a_new_price_is_not_kept(app, client, shop):
    read(client, shop)
    _change_price(shop)
    with app.app_context():
        get_redis().flushdb()
    assert read(client, shop)["notices"][0]["code"] == "price_changed"
    assert cached_entry(app, shop["cart_id"]) is None  # the read wrote the price it showed
    again = read(client, shop)
    assert again["notices"] == [] and again["lines"][0]["unit_price"]["amount"] == 1200
    assert cached_entry(app, shop["cart_id"]) is not None


def test_reads_still_answer_when_redis_is_down(app, client, shop, monkeypatch):
    read(client, shop)
    monkeypatch.setitem(app.extensions, "commerce_redis", _broken_redis())
    assert read(client, shop)["lines"][0]["unit_price"]["amount"] == 1000


def _broken_redis():
    from redis import Redis

    return Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)


def test_with_cart_cache_seconds_zero_every_read_is_priced_afresh(app, client, shop, monkeypatch):
    monkeypatch.setitem(app.config, "CART_CACHE_SECONDS", 0)
    with app.app_context():
        get_redis().flushdb()
    read(client, shop)
    assert cached_entry(app, shop["cart_id"]) is None


def test_every_shop_wide_pricing_table_bumps_its_generation(db_session):
    from sqlalchemy import text

    from commerce.pricing.models import GENERATION_TABLES

    triggered = set(
        db.session.scalars(
            text(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE t.tgname = c.relname || '_bump_pricing_generation'"
            )
        )
    )
    assert triggered == set(GENERATION_TABLES)

"""Handlers for catalog events."""

from __future__ import annotations

from typing import Any

from commerce.cache import invalidate
from commerce.catalog.media import make_thumbnails
from jobs.registry import subscribe


@subscribe("product_media.added", queue="default")
def make_media_thumbnails(event: dict[str, Any]) -> list[str]:
    """Make the thumbnails of a newly added product image (harmless to run twice)."""
    return make_thumbnails(event["payload"]["media_id"])


CATALOG_EVENTS = ("product.created", "product.updated", "category.changed", "collection.changed")


def refresh_storefront_cache(event: dict[str, Any]) -> int:
    """Make cached storefront catalog reads stale after any catalog change (harmless twice)."""
    return invalidate("catalog")


for _name in CATALOG_EVENTS:
    subscribe(_name, queue="default")(refresh_storefront_cache)

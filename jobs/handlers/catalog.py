"""Handlers for catalog events."""

from __future__ import annotations

from typing import Any

from commerce.catalog.media import make_thumbnails
from jobs.registry import subscribe


@subscribe("product_media.added", queue="default")
def make_media_thumbnails(event: dict[str, Any]) -> list[str]:
    """Make the thumbnails of a newly added product image (harmless to run twice)."""
    return make_thumbnails(event["payload"]["media_id"])

"""/media/<path>: product images from MEDIA_DIR when no CDN serves them (development)."""

from __future__ import annotations

from flask import Blueprint, send_from_directory

from commerce.catalog.media import media_root

media = Blueprint("media", __name__, url_prefix="/media")


@media.get("/<path:filename>")
def media_file(filename: str):
    """Serve one media file (send_from_directory refuses paths outside the folder)."""
    response = send_from_directory(media_root(), filename, max_age=7 * 24 * 3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response

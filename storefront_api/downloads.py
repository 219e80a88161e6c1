"""GET /api/v1/downloads/<token>: a buyer's digital download through a signed, time-limited link."""

from __future__ import annotations

from flask import send_file

from commerce.catalog.downloads import redeem_download
from storefront_api import api


@api.get("/downloads/<token>")
def download(token: str):
    """Send the file of a download grant and count the download (410 when expired or used up)."""
    path, filename = redeem_download(token)
    response = send_file(path, as_attachment=True, download_name=filename, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response

"""Handlers for staff events."""

from __future__ import annotations

from typing import Any

from flask import current_app

from commerce.errors import NotFound
from commerce.notifications.mailer import send_email
from commerce.staff import service as staff
from commerce.staff.permissions import ROLE_LABELS
from jobs.registry import subscribe


@subscribe("staff_user.created", queue="mail")
def send_staff_welcome(event: dict[str, Any]) -> str:
    """Email a new staff user their welcome message (once per user, however often it runs)."""
    user_id = event["payload"]["staff_user_id"]
    try:
        user = staff.get(user_id)
    except NotFound:
        return "skipped: user no longer exists"
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    sent = send_email(
        "staff_welcome",
        user.email,
        {"user": user, "role_label": ROLE_LABELS[user.role], "sign_in_url": f"{base}/admin/login"},
        dedupe_key=f"staff_welcome:{user.id}",
    )
    return "sent" if sent else "skipped: already sent"

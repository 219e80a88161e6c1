"""Handlers for customer events: the verification and password reset emails.

The service records only the customer's id in the event; the handler issues the single-use token
itself, so the raw token exists nowhere but in the email (never in the outbox or a job's
arguments). Each email is sent once per event (dedupe key): a handler run again after the email
went out stops before issuing another token.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import current_app
from sqlalchemy import select

from commerce import db
from commerce.customers import accounts, tokens
from commerce.errors import NotFound
from commerce.notifications.mailer import send_email
from commerce.notifications.models import EmailMessage
from jobs.registry import subscribe


def storefront_url(path: str, **query: str) -> str:
    """A link into the web shop: STOREFRONT_URL (default PUBLIC_URL) + path + query."""
    config = current_app.config
    base = (config.get("STOREFRONT_URL") or config["PUBLIC_URL"]).rstrip("/")
    return f"{base}{path}?{urlencode(query)}" if query else f"{base}{path}"


def _sent_or_sending(dedupe_key: str) -> bool:
    status = db.session.scalar(
        select(EmailMessage.status).where(EmailMessage.dedupe_key == dedupe_key)
    )
    return status is not None and status != "failed"


def _send_with_token(event: dict[str, Any], kind: str, template: str, path: str) -> str:
    customer_id = int(event["payload"]["customer_id"])
    dedupe_key = f"{template}:{event['id']}"
    if _sent_or_sending(dedupe_key):
        return "skipped: already sent"
    try:
        customer = accounts.get(customer_id)
    except NotFound:
        return "skipped: customer no longer exists"
    if kind == "verify_email" and customer.email_verified_at is not None:
        return "skipped: email already verified"
    issued = tokens.issue_email_token(customer.id, kind)
    hours = max(1, round(tokens.ttl(kind).total_seconds() / 3600))
    sent = send_email(
        template,
        customer.email,
        {"customer": customer, "link": storefront_url(path, token=issued.raw), "hours": hours},
        dedupe_key=dedupe_key,
    )
    return "sent" if sent else "skipped: already sent"


@subscribe("customer.registered", queue="mail")
@subscribe("customer.verification_requested", queue="mail")
def send_verification_email(event: dict[str, Any]) -> str:
    """Email the customer a link that verifies their address (once per event)."""
    return _send_with_token(event, "verify_email", "verify_email", "/account/verify-email")


@subscribe("customer.password_reset_requested", queue="mail")
def send_password_reset_email(event: dict[str, Any]) -> str:
    """Email the customer a single-use link to set a new password (once per event)."""
    return _send_with_token(event, "password_reset", "password_reset", "/account/reset-password")

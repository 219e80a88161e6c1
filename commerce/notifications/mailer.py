"""The mailer: render an HTML + text template and send it over SMTP, once per dedupe key.

SMTP_URL forms: smtp://host:port, smtp://user:password@host:587?starttls=true, smtps://host:465.
Unset outside production, mail goes to the local SMTP sink (see sink.py).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime, make_msgid
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from commerce import db
from commerce.db import utcnow
from commerce.errors import InvalidInput
from commerce.money import format_money
from commerce.notifications import sink
from commerce.notifications.models import EmailMessage


@cache
def _templates() -> Environment:
    env = Environment(
        loader=PackageLoader("commerce.notifications", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
    )
    env.filters["money"] = format_money  # {{ order.total_amount|money(order.currency) }}
    return env


def render(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Render `email/<template>.{subject,txt,html}`. Returns (subject, text, html)."""
    env = _templates()
    context = {"shop_name": current_app.config.get("SHOP_NAME", "Shop"), **context}
    subject = env.get_template(f"email/{template}.subject").render(context).strip()
    context["subject"] = subject
    text = env.get_template(f"email/{template}.txt").render(context)
    html = env.get_template(f"email/{template}.html").render(context)
    return subject, text, html


def maildir() -> Path:
    """Where the local SMTP sink keeps captured messages."""
    configured = current_app.config.get("MAIL_SINK_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "mail"


def smtp_url() -> str:
    """The SMTP server to send through: SMTP_URL, or the local sink (started on first use)."""
    url = current_app.config.get("SMTP_URL")
    if url:
        return url
    if current_app.config["APP_ENV"] == "production":
        raise RuntimeError("SMTP_URL is not set")
    return sink.ensure_sink(maildir())


def _deliver(message: MimeMessage, url: str) -> None:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    host, port = parts.hostname or "127.0.0.1", parts.port
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port or 465, timeout=30, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(host, port or 25, timeout=30)
    with client:
        if query.get("starttls", ["false"])[0].lower() in ("1", "true", "yes"):
            client.starttls(context=ssl.create_default_context())
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)


def _claim(dedupe_key: str | None, template: str, to: str, subject: str) -> EmailMessage | None:
    """Insert (or re-claim a failed) log row for this send; None when the key was already sent."""
    if dedupe_key is None:
        row = EmailMessage(template=template, to_address=to, subject=subject, status="sending")
        db.session.add(row)
        db.session.commit()
        return row
    stmt = (
        insert(EmailMessage)
        .values(
            dedupe_key=dedupe_key,
            template=template,
            to_address=to,
            subject=subject,
            status="sending",
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(EmailMessage.id)
    )
    new_id = db.session.scalar(stmt)
    db.session.commit()
    if new_id is not None:
        return db.session.get(EmailMessage, new_id)
    existing = db.session.scalar(
        select(EmailMessage).where(EmailMessage.dedupe_key == dedupe_key).with_for_update()
    )
    if existing is None or existing.status != "failed":
        db.session.rollback()
        return None  # sent already, or another worker is sending it now
    existing.status, existing.error = "sending", None
    db.session.commit()
    return existing


def send_email(
    template: str,
    to: str,
    context: dict[str, Any],
    *,
    dedupe_key: str | None = None,
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> EmailMessage | None:
    """Render and send one email. Returns its log row, or None when `dedupe_key` was sent before.

    Raises InvalidInput for an empty recipient or an attachment whose MIME type is not
    "type/subtype", and smtplib/OSError when the server refuses; the failure is logged on the row
    first, so a retry sends again. `attachments` are (filename, content, MIME type) triples.
    """
    for _name, _content, mimetype in attachments:
        if mimetype.count("/") != 1:
            raise InvalidInput(
                "attachments: a MIME type is type/subtype", fields={"attachments": mimetype}
            )
    if not to or "@" not in to:
        raise InvalidInput("to: a recipient address is required", fields={"to": "is required"})
    subject, text, html = render(template, context)
    row = _claim(dedupe_key, template, to, subject)
    if row is None:
        return None

    message = MimeMessage()
    message["Subject"] = subject
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Message-ID"] = make_msgid(domain="shop.local")
    message["Date"] = format_datetime(utcnow())
    message["X-Template"] = template
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    for filename, content, mimetype in attachments:
        maintype, _, subtype = mimetype.partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    try:
        _deliver(message, smtp_url())
    except (smtplib.SMTPException, OSError) as exc:
        row.status, row.error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
        db.session.commit()
        raise
    row.status, row.sent_at = "sent", utcnow()
    db.session.commit()
    return row

"""SMS: `send_sms` sends a text message through the configured backend, once per dedupe key, and
keeps every message in the `sms_messages` table (the log staff read, like email_messages).

Backends, chosen by app config SMS_BACKEND:

    logging  (default) delivers nothing: logs a line naming the masked number and the message id
             to the app log; the text itself is only in sms_messages, because texts carry sign-in
             codes and links that must not end up in log files.
    twilio   POSTs to Twilio's Messages API (form-encoded, HTTP basic auth with the account SID and
             auth token): TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM (an E.164 number, or a
             Messaging Service SID "MG..."), TWILIO_BASE_URL (default https://api.twilio.com).

Numbers must be in E.164 form: "+", country code and number, 7 to 15 digits in all; spaces,
hyphens, dots and brackets are removed first ("+49 (151) 2345-6789" -> "+4915123456789"). A
national number ("0151 ...") is refused: which country it belongs to is a guess.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import logging
import re
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index, String, Text, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Mapped, mapped_column

from commerce import db
from commerce.db import Base, utcnow
from commerce.errors import DomainError, InvalidInput

log = logging.getLogger(__name__)

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_PHONE_NOISE = re.compile(r"[\s\-.()/]")
MAX_BODY = 1600  # Twilio's limit for one message (it splits it into segments itself)
TWILIO_BASE_URL = "https://api.twilio.com"


class SmsError(DomainError):
    """The SMS provider refused the message or could not be reached. `details` carries the
    provider's error code and HTTP status, never credentials."""

    code = "sms_error"
    status = 502


class SmsMessage(Base):
    """One text message sent (or tried): the log staff read, and the dedupe record."""

    __tablename__ = "sms_messages"
    __table_args__ = (
        CheckConstraint(r"to_number ~ '^\+[1-9][0-9]{6,14}$'", name="to_number_e164"),
        CheckConstraint(f"char_length(body) BETWEEN 1 AND {MAX_BODY}", name="body_length"),
        CheckConstraint("status <> ''", name="status_not_blank"),
        Index("ix_sms_messages_to_number", "to_number", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # A caller-chosen key ("order-shipped:42"): the same key is never sent twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    to_number: Mapped[str] = mapped_column(String(16), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    backend: Mapped[str] = mapped_column(String(20), nullable=False)
    # The provider's message id (Twilio "SM..."), once it accepted the message.
    sid: Mapped[str | None] = mapped_column(String(64))
    # sending -> the provider's status (queued, sent, ...) or failed.
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="sending")
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


def normalise_phone(number: str | None, field: str = "to") -> str:
    """`number` in E.164 form. Raises InvalidInput naming `field` when it is not one."""
    cleaned = _PHONE_NOISE.sub("", str(number or ""))
    if not E164.match(cleaned):
        problem = "must be an international number in E.164 form, such as +4915123456789"
        raise InvalidInput(f"{field}: {problem}", fields={field: problem})
    return cleaned


def mask_phone(number: str) -> str:
    """The number with all but its country-code start and last three digits hidden, for logs."""
    return number[:4] + "*" * max(0, len(number) - 7) + number[-3:]


@dataclasses.dataclass(frozen=True, slots=True)
class SmsResult:
    """What the provider answered: its message id and the message's status."""

    sid: str
    status: str


class SmsSender(Protocol):
    """A way to send text messages (Twilio-style)."""

    name: str

    def send(self, to_e164: str, body: str) -> SmsResult:
        """Send `body` to `to_e164`. Raises SmsError when the provider refuses or is down."""
        ...


class LoggingSmsSender:
    """Sends nothing: logs the masked number and a Twilio-style id (development, tests)."""

    name = "logging"

    def send(self, to_e164: str, body: str) -> SmsResult:
        """Log that a message of len(body) characters would go to `to_e164`. Raises nothing."""
        sid = "SM" + secrets.token_hex(16)
        log.info(
            "SMS %s to %s (%d characters) logged, not sent; the text is in sms_messages",
            sid, mask_phone(to_e164), len(body),
        )  # fmt: skip
        return SmsResult(sid=sid, status="sent")


class TwilioSmsSender:
    """Sends through Twilio's REST API: POST {base}/2010-04-01/Accounts/{sid}/Messages.json."""

    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_: str,
        *,
        base_url: str = TWILIO_BASE_URL,
        timeout: float = 10.0,
    ) -> None:
        self.account_sid = account_sid
        self._auth = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode("ascii")
        self.from_ = from_
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _form(self, to_e164: str, body: str) -> dict[str, str]:
        sender = "MessagingServiceSid" if self.from_.startswith("MG") else "From"
        return {"To": to_e164, sender: self.from_, "Body": body}

    def send(self, to_e164: str, body: str) -> SmsResult:
        """Create the message at Twilio. Raises SmsError with Twilio's error code and message
        when it answers 4xx/5xx, or when it cannot be reached."""
        url = f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        request = urllib.request.Request(  # noqa: S310  (base URL from config: https or a stand-in)
            url,
            data=urllib.parse.urlencode(self._form(to_e164, body)).encode(),
            method="POST",
            headers={
                "Authorization": f"Basic {self._auth}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise _twilio_error(exc) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise SmsError(
                f"Twilio could not be reached: {type(exc).__name__}",
                details={"provider": "twilio"},
            ) from None
        if not answer.get("sid"):
            raise SmsError("Twilio answered without a message sid.", details={"provider": "twilio"})
        return SmsResult(sid=str(answer["sid"]), status=str(answer.get("status") or "queued"))


def _twilio_error(exc: urllib.error.HTTPError) -> SmsError:
    try:
        answer = json.loads(exc.read() or b"{}")
    except ValueError:
        answer = {}
    code = answer.get("code")
    message = answer.get("message") or exc.reason
    return SmsError(
        f"Twilio refused the message: {message}",
        details={"provider": "twilio", "http_status": exc.code, "provider_code": code},
    )


def sender_from_config(config: Mapping[str, Any] | None = None) -> SmsSender:
    """The sender SMS_BACKEND names (logging by default). Raises RuntimeError for an unknown
    backend or a twilio backend without TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN / TWILIO_FROM."""
    config = current_app.config if config is None else config
    backend = (config.get("SMS_BACKEND") or "logging").strip().lower()
    if backend == "logging":
        return LoggingSmsSender()
    if backend == "twilio":
        needed = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM")
        missing = [name for name in needed if not config.get(name)]
        if missing:
            raise RuntimeError(f"SMS_BACKEND=twilio needs {', '.join(missing)}")
        return TwilioSmsSender(
            config["TWILIO_ACCOUNT_SID"],
            config["TWILIO_AUTH_TOKEN"],
            config["TWILIO_FROM"],
            base_url=config.get("TWILIO_BASE_URL") or TWILIO_BASE_URL,
        )
    raise RuntimeError(f"SMS_BACKEND must be logging or twilio, got {backend!r}")


def _claim(dedupe_key: str | None, to: str, body: str, backend: str) -> SmsMessage | None:
    """Insert (or re-claim a failed) log row for this send; None when the key was sent before."""
    if dedupe_key is None:
        row = SmsMessage(to_number=to, body=body, backend=backend, status="sending")
        db.session.add(row)
        db.session.commit()
        return row
    stmt = (
        insert(SmsMessage)
        .values(dedupe_key=dedupe_key, to_number=to, body=body, backend=backend, status="sending")
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(SmsMessage.id)
    )
    new_id = db.session.scalar(stmt)
    db.session.commit()
    if new_id is not None:
        return db.session.get(SmsMessage, new_id)
    existing = db.session.scalar(
        select(SmsMessage).where(SmsMessage.dedupe_key == dedupe_key).with_for_update()
    )
    if existing is None or existing.status != "failed":
        db.session.rollback()
        return None  # sent already, or another worker is sending it now
    existing.status, existing.error, existing.backend = "sending", None, backend
    db.session.commit()
    return existing


def send_sms(
    to: str, body: str, *, dedupe_key: str | None = None, sender: SmsSender | None = None
) -> SmsMessage | None:
    """Send one text message and keep it in sms_messages. Returns its row, or None when
    `dedupe_key` was sent before.

    Raises InvalidInput naming `to` (not E.164) or `body` (empty or over 1600 characters), and
    SmsError when the provider refuses; the failure is kept on the row first, so a retry sends
    again.
    """
    number = normalise_phone(to, "to")
    text = (body or "").strip()
    if not text or len(text) > MAX_BODY:
        problem = f"must be 1 to {MAX_BODY} characters"
        raise InvalidInput(f"body: {problem}", fields={"body": problem})
    sender = sender or sender_from_config()
    row = _claim(dedupe_key, number, text, sender.name)
    if row is None:
        return None
    try:
        result = sender.send(number, text)
    except SmsError as exc:
        row.status, row.error = "failed", exc.message[:2000]
        db.session.commit()
        raise
    row.sid, row.status, row.sent_at = result.sid, result.status[:20], utcnow()
    db.session.commit()
    return row

"""Text messages: E.164 numbers, the logging backend's record for staff, dedupe, and Twilio's API
through a local stand-in that speaks its wire format."""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from sqlalchemy import func, select

from commerce.errors import InvalidInput
from commerce.notifications.sms import (
    LoggingSmsSender,
    SmsError,
    SmsMessage,
    TwilioSmsSender,
    send_sms,
    sender_from_config,
)

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "test-auth-token"
INVALID_NUMBER = "+15005550001"  # Twilio's magic test number for "invalid To number"


def _rows(db_session) -> list[SmsMessage]:
    return list(db_session.scalars(select(SmsMessage).order_by(SmsMessage.id)))


def test_logging_sender_records_the_message_for_staff(db_session, caplog):
    caplog.set_level(logging.INFO, logger="commerce.notifications.sms")

    row = send_sms("+49 (151) 2345-6789", "Your order 1001 has shipped: CP970263785DE")

    stored = _rows(db_session)
    assert [(m.to_number, m.body, m.backend, m.status) for m in stored] == [
        ("+4915123456789", "Your order 1001 has shipped: CP970263785DE", "logging", "sent")
    ]
    assert row.sid.startswith("SM") and len(row.sid) == 34 and row.sent_at is not None
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert row.sid in logged and "+491*******789" in logged
    assert "CP970263785DE" not in logged  # texts carry codes and links: not in log files


def test_a_dedupe_key_sends_once(db_session):
    first = send_sms("+14155550123", "Your code is 123456", dedupe_key="otp:7")
    second = send_sms("+14155550123", "Your code is 123456", dedupe_key="otp:7")

    assert first is not None and second is None
    assert len(_rows(db_session)) == 1


@pytest.mark.parametrize(
    "number", ["0151 23456789", "4915123456789", "+0151234567", "+49 151 CALL ME", "+1234", ""]
)
def test_a_number_not_in_e164_form_is_refused(db_session, number):
    with pytest.raises(InvalidInput) as excinfo:
        send_sms(number, "Hello")
    assert set(excinfo.value.fields) == {"to"}
    assert _rows(db_session) == []


@pytest.mark.parametrize("body", ["", "   ", "x" * 1601])
def test_an_empty_or_overlong_text_is_refused(db_session, body):
    with pytest.raises(InvalidInput) as excinfo:
        send_sms("+4915123456789", body)
    assert set(excinfo.value.fields) == {"body"}


def test_backend_is_chosen_by_config():
    assert isinstance(sender_from_config({}), LoggingSmsSender)
    twilio = sender_from_config(
        {
            "SMS_BACKEND": "twilio",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM": "+15005550006",
        }
    )
    assert isinstance(twilio, TwilioSmsSender)
    with pytest.raises(RuntimeError, match="TWILIO_AUTH_TOKEN"):
        sender_from_config({"SMS_BACKEND": "twilio", "TWILIO_ACCOUNT_SID": ACCOUNT_SID})
    with pytest.raises(RuntimeError, match="SMS_BACKEND"):
        sender_from_config({"SMS_BACKEND": "carrier-pigeon"})


class TwilioStandIn(BaseHTTPRequestHandler):
    """Answers POST /2010-04-01/Accounts/{sid}/Messages.json as Twilio does (201 and the message
    resource, or 400/401 and an error document)."""

    received: list[dict] = []
    outages = 0  # answer this many requests with Twilio's 503 first

    def log_message(self, *args) -> None:
        pass

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
            return
        if self.path != f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json":
            self._answer(404, {"code": 20404, "message": "Not found", "status": 404})
            return
        length = int(self.headers["Content-Length"])
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if TwilioStandIn.outages:
            TwilioStandIn.outages -= 1
            self._answer(503, {"code": 20503, "message": "Service unavailable", "status": 503})
            return
        TwilioStandIn.received.append(form)
        if form["To"] == INVALID_NUMBER:
            self._answer(
                400,
                {
                    "code": 21211,
                    "message": f"The 'To' number {INVALID_NUMBER} is not a valid phone number.",
                    "more_info": "https://www.twilio.com/docs/errors/21211",
                    "status": 400,
                },
            )
            return
        sid = f"SM{len(TwilioStandIn.received):032x}"
        self._answer(
            201,
            {
                "account_sid": ACCOUNT_SID,
                "api_version": "2010-04-01",
                "body": form["Body"],
                "direction": "outbound-api",
                "from": form.get("From"),
                "messaging_service_sid": form.get("MessagingServiceSid"),
                "num_segments": "1",
                "sid": sid,
                "status": "queued",
                "to": form["To"],
                "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
            },
        )


@pytest.fixture
def twilio_url() -> Iterator[str]:
    TwilioStandIn.received, TwilioStandIn.outages = [], 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), TwilioStandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_twilio_sender_posts_the_message_form_encoded(db_session, twilio_url):
    sender = TwilioSmsSender(ACCOUNT_SID, AUTH_TOKEN, "+15005550006", base_url=twilio_url)

    row = send_sms("+4915123456789", "Ihre Bestellung ist unterwegs ✓", sender=sender)

    assert TwilioStandIn.received == [
        {"To": "+4915123456789", "From": "+15005550006", "Body": "Ihre Bestellung ist unterwegs ✓"}
    ]
    assert (row.backend, row.status, row.sid) == ("twilio", "queued", f"SM{1:032x}")


def test_a_messaging_service_sid_is_sent_as_such(db_session, twilio_url):
    sender = TwilioSmsSender(ACCOUNT_SID, AUTH_TOKEN, "MG" + "a" * 32, base_url=twilio_url)

    sender.send("+4915123456789", "Hi")

    assert TwilioStandIn.received[0]["MessagingServiceSid"] == "MG" + "a" * 32
    assert "From" not in TwilioStandIn.received[0]


def test_twilio_refusal_is_kept_on_the_row(db_session, twilio_url):
    sender = TwilioSmsSender(ACCOUNT_SID, AUTH_TOKEN, "+15005550006", base_url=twilio_url)

    with pytest.raises(SmsError) as excinfo:
        send_sms(INVALID_NUMBER, "Hi", sender=sender)

    assert excinfo.value.details == {
        "provider": "twilio",
        "http_status": 400,
        "provider_code": 21211,
    }
    [row] = _rows(db_session)
    assert (row.status, row.sid) == ("failed", None)
    assert "not a valid phone number" in row.error


def test_a_failed_send_is_sent_again_on_retry_under_the_same_key(db_session, twilio_url):
    sender = TwilioSmsSender(ACCOUNT_SID, AUTH_TOKEN, "+15005550006", base_url=twilio_url)
    TwilioStandIn.outages = 1

    with pytest.raises(SmsError):
        send_sms("+4915123456789", "Shipped", dedupe_key="shipped:1001", sender=sender)
    retried = send_sms("+4915123456789", "Shipped", dedupe_key="shipped:1001", sender=sender)
    again = send_sms("+4915123456789", "Shipped", dedupe_key="shipped:1001", sender=sender)

    assert (retried.status, retried.error, again) == ("queued", None, None)
    assert db_session.scalar(select(func.count()).select_from(SmsMessage)) == 1
    assert len(TwilioStandIn.received) == 1


def test_wrong_credentials_and_an_unreachable_twilio_raise_sms_errors(db_session, twilio_url):
    wrong = TwilioSmsSender(ACCOUNT_SID, "not-the-token", "+15005550006", base_url=twilio_url)
    down = TwilioSmsSender(ACCOUNT_SID, AUTH_TOKEN, "+15005550006", base_url="http://127.0.0.1:9")

    with pytest.raises(SmsError) as refused:
        wrong.send("+4915123456789", "Hi")
    with pytest.raises(SmsError, match="could not be reached"):
        down.send("+4915123456789", "Hi")

    assert refused.value.details["provider_code"] == 20003
    assert AUTH_TOKEN not in str(refused.value.to_dict())

"""A local Stripe-compatible HTTP server for development and tests, with signed webhooks.

It speaks Stripe's v1 wire format for the endpoints we use (see `stripe_emulator`), so the real
`stripe` library talks to it unchanged: point the client at `server.base_url` (our gateway reads
STRIPE_API_BASE). Events are recorded as they happen; each can be taken as `(payload bytes,
Stripe-Signature header)` to post through a Flask test client, delivered to a URL on demand, or
forwarded automatically to `webhook_url` as Stripe does. Signatures use Stripe's scheme,
`t=<unix time>,v1=<hex HMAC-SHA256 of "{t}.{payload}" keyed by the signing secret>`.

    with StripeTestServer() as server:
        client = stripe.StripeClient(server.api_key, base_addresses={"api": server.base_url})

Standalone (for a development app, like `stripe listen --forward-to`):

    python -m commerce.payments.stripe_server --port 12111 \\
        --forward-to http://127.0.0.1:5000/api/v1/payments/stripe/webhook
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import logging
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from commerce.payments.stripe_emulator import StripeEmulator
from commerce.payments.stripe_wire import mask_key

log = logging.getLogger(__name__)

DEFAULT_API_KEY = "sk_test_local"
DEFAULT_WEBHOOK_SECRET = "whsec_local"  # noqa: S105 - the local server's own test secret
WEBHOOK_USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


def sign_payload(payload: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """The Stripe-Signature header for `payload`: `t=...,v1=...`, the HMAC-SHA256 of
    "{t}.{payload}" keyed by `secret`."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def encode_event(event: Mapping[str, Any]) -> bytes:
    """An event's webhook body, pretty-printed as Stripe sends it (so re-serialising it would
    break the signature: verify the raw bytes)."""
    return json.dumps(event, indent=2).encode()


@dataclass(frozen=True)
class Delivery:
    """One attempt to post an event to the webhook URL; `status` is None when it never got one."""

    event_id: str
    event_type: str
    attempt: int
    status: int | None
    error: str | None = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "stripe-test-server/1.0"
    server: _HTTPServer

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        response = self.server.emulator.handle(
            self.command, url.path, url.query, dict(self.headers.items()), body
        )
        payload = json.dumps(response.body, indent=2).encode()
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Method, path and status only: keys travel in headers and client secrets may travel in
        # the query string; neither is logged.
        log.debug("stripe test server: %s %s %s", self.command, urlsplit(self.path).path, code)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("stripe test server: " + format, *args)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    emulator: StripeEmulator


class StripeTestServer:
    """Stripe's API on 127.0.0.1 in a background thread, plus its webhooks.

    `port=0` picks a free port. Only `api_key` is accepted (Bearer or Basic auth); webhook
    signatures use `webhook_secret`. With `webhook_url`, every event is also posted there by a
    background thread (up to `webhook_attempts` tries), and `deliveries` records the outcomes."""

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        webhook_secret: str = DEFAULT_WEBHOOK_SECRET,
        webhook_url: str | None = None,
        webhook_attempts: int = 3,
        host: str = "127.0.0.1",
        port: int = 0,
        api_version: str | None = None,
    ) -> None:
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.webhook_url = webhook_url
        self.webhook_attempts = webhook_attempts
        self.emulator = StripeEmulator(
            api_key=api_key, api_version=api_version, on_event=self._recorded
        )
        self.deliveries: list[Delivery] = []
        self._address = (host, port)
        self._httpd: _HTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._outbox: list[dict[str, Any]] = []
        self._pending = 0
        self._changed = threading.Condition()
        self._stopping = False

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> str:
        """Bind, serve in a daemon thread and return the base URL (`http://127.0.0.1:<port>`)."""
        if self._httpd is not None:
            return self.base_url
        self._httpd = _HTTPServer(self._address, _Handler)
        self._httpd.emulator = self.emulator
        self._stopping = False
        self._threads = [
            threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},  # how long stop() waits for the loop to notice
                name="stripe-test-server",
                daemon=True,
            ),
            threading.Thread(target=self._deliver_forever, name="stripe-webhooks", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving and delivering; pending webhook deliveries are dropped."""
        if self._httpd is None:
            return
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        self._httpd.shutdown()
        self._httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._httpd = None

    def __enter__(self) -> StripeTestServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """Where the server listens; what STRIPE_API_BASE should be set to."""
        if self._httpd is None:
            raise RuntimeError("The Stripe test server is not running: call start() first.")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def reset(self) -> None:
        """Forget every object, event, idempotency key and delivery."""
        self.emulator.reset()
        with self._changed:
            self._outbox.clear()
            self._pending = 0
            self.deliveries.clear()
            self._changed.notify_all()

    # -- events and webhooks -----------------------------------------------------------------------

    def events(self, type: str | None = None) -> list[dict[str, Any]]:
        """Recorded events, oldest first, optionally of one type ("payment_intent.succeeded")."""
        return self.emulator.events(type)

    def last_event(self, type: str) -> dict[str, Any]:
        """The newest event of `type`; LookupError if there is none."""
        events = self.events(type)
        if not events:
            raise LookupError(f"No {type} event has been recorded.")
        return events[-1]

    def sign(
        self, payload: bytes, *, secret: str | None = None, timestamp: int | None = None
    ) -> str:
        """The Stripe-Signature header for `payload`, with the server's secret unless given."""
        return sign_payload(payload, secret or self.webhook_secret, timestamp=timestamp)

    def signed_event(
        self,
        event: str | Mapping[str, Any],
        *,
        secret: str | None = None,
        timestamp: int | None = None,
    ) -> tuple[bytes, str]:
        """`(payload, Stripe-Signature header)` for an event (given by id or as a dict), ready to
        post to a webhook endpoint. The same event may be signed again to test duplicates."""
        body = encode_event(self.emulator.event(event) if isinstance(event, str) else event)
        return body, self.sign(body, secret=secret, timestamp=timestamp)

    def deliver(
        self, event: str | Mapping[str, Any], url: str | None = None, *, timeout: float = 10
    ) -> int:
        """Post one event to `url` (default `webhook_url`) now, signed; return the HTTP status."""
        target = url or self.webhook_url
        if not target:
            raise ValueError("No webhook URL: pass url= or start the server with webhook_url=.")
        body, signature = self.signed_event(event)
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's own setting
            target,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": signature,
                "User-Agent": WEBHOOK_USER_AGENT,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def wait_for_deliveries(self, timeout: float = 5) -> bool:
        """Block until every recorded event has been delivered (or given up on); False on
        timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
        return True

    def _recorded(self, event: dict[str, Any]) -> None:
        if not self.webhook_url:
            return
        with self._changed:
            self._outbox.append(event)
            self._pending += 1
            self._changed.notify_all()

    def _deliver_forever(self) -> None:
        while True:
            with self._changed:
                while not self._outbox and not self._stopping:
                    self._changed.wait()
                if self._stopping:
                    return
                event = self._outbox.pop(0)
            try:
                self._deliver_with_retries(event)
            finally:
                with self._changed:
                    self._pending = max(0, self._pending - 1)
                    self._changed.notify_all()

    def _deliver_with_retries(self, event: dict[str, Any]) -> None:
        for attempt in range(1, self.webhook_attempts + 1):
            status, error = None, None
            try:
                status = self.deliver(event)
            except (OSError, ValueError) as exc:
                error = str(exc)
            self.deliveries.append(Delivery(event["id"], event["type"], attempt, status, error))
            if status is not None and 200 <= status < 300:
                return
            if self._stopping:
                return
            time.sleep(min(0.2 * 2 ** (attempt - 1), 2.0))


def main(argv: list[str] | None = None) -> None:
    """Run the server until interrupted (`python -m commerce.payments.stripe_server --help`)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument(
        "--api-key",
        default=os.environ.get("STRIPE_SECRET_KEY") or DEFAULT_API_KEY,
        help="the only secret key accepted (default: $STRIPE_SECRET_KEY or sk_test_local)",
    )
    parser.add_argument(
        "--webhook-secret",
        default=os.environ.get("STRIPE_WEBHOOK_SECRET") or DEFAULT_WEBHOOK_SECRET,
        help="signing secret for webhooks (default: $STRIPE_WEBHOOK_SECRET or whsec_local)",
    )
    parser.add_argument("--forward-to", help="post every event, signed, to this URL")
    args = parser.parse_args(argv)
    if not args.api_key.startswith("sk_test_"):
        parser.error("--api-key must be a test key (sk_test_...)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    server = StripeTestServer(
        api_key=args.api_key,
        webhook_secret=args.webhook_secret,
        webhook_url=args.forward_to,
        host=args.host,
        port=args.port,
    )
    url = server.start()
    print(f"Stripe test server on {url} (set STRIPE_API_BASE={url})", flush=True)
    print(f"  accepting API key {mask_key(args.api_key)}", flush=True)
    if args.forward_to:
        print(f"  forwarding signed events to {args.forward_to}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()

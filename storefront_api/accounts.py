"""/api/v1/account...: customer registration, sign-in, email verification, password reset and
change, profile, address book, order history, data export and erasure requests.

The views read the JSON body and the bearer token (storefront_api/auth.py), call the services of
commerce.customers and answer `{"data": ...}`; errors use the API's one envelope. Every answer
under /account is `Cache-Control: private, no-store`: it is one person's data.
"""

from __future__ import annotations

from flask import Response, jsonify, request, url_for

from commerce.customers import accounts, addresses, history, privacy
from commerce.customers.accounts import AccessGrant
from commerce.errors import InvalidInput
from storefront_api import api, openapi
from storefront_api.account_schemas import ACCOUNT_PATHS, ACCOUNT_SCHEMAS
from storefront_api.auth import (
    actor,
    client_ip,
    current_customer,
    current_token_id,
    customer_required,
)
from storefront_api.limits import auth_limit, limiter
from storefront_api.text_input import json_body

RESET_ACCEPTED = (
    "If an account exists for that email, we have sent it a link to choose a new password."
)
VERIFICATION_SENT = "We have sent a new confirmation link to your email address."
VERIFICATION_NOT_SENT = (
    "Your email is confirmed already, or a link was sent less than a minute ago."
)
ACCOUNT_PREFIX = "/api/v1/account"

openapi.register(ACCOUNT_PATHS, ACCOUNT_SCHEMAS)


def _session(grant: AccessGrant, status: int) -> tuple[Response, int]:
    return jsonify(
        {
            "data": {
                "access_token": grant.token.raw,
                "token_type": "Bearer",
                "expires_at": grant.token.expires_at.isoformat(),
                "customer": accounts.profile_data(grant.customer),
            }
        }
    ), status


def _message(text: str, status: int = 202) -> tuple[Response, int]:
    return jsonify({"data": {"message": text}}), status


def _client_ip_key() -> str:
    # Not the bearer token: a client could send a fresh made-up token with every guess.
    return "auth-ip:" + (client_ip() or "unknown")


# Sign-in, registration, verification and reset: API_AUTH_RATE_LIMIT per IP address.
auth_limited = limiter.limit(auth_limit, key_func=_client_ip_key)


def _no_content() -> Response:
    return Response(status=204)


@api.after_request
def _private(response: Response) -> Response:
    if request.path == ACCOUNT_PREFIX or request.path.startswith(ACCOUNT_PREFIX + "/"):
        response.headers["Cache-Control"] = "private, no-store"
    return response


# --- Registration, sign-in, verification, passwords --------------------------------------------


@api.post("/account/register")
@auth_limited
def register():
    """Open an account and sign it in (201 with an access token). Raises InvalidInput (400),
    Conflict (409: the email has an account)."""
    body = json_body()
    grant = accounts.register(
        email=body.get("email"),
        password=body.get("password"),
        first_name=body.get("first_name"),
        last_name=body.get("last_name", ""),
        country=body.get("country"),
        accepts_marketing=body.get("accepts_marketing", False),
        phone=body.get("phone"),
        actor=actor(),
    )
    return _session(grant, 201)


@api.post("/account/sign-in")
@auth_limited
def sign_in():
    """Exchange email and password for an access token. Raises InvalidCredentials (401),
    AccountLocked (429)."""
    body = json_body()
    grant = accounts.sign_in(body.get("email"), body.get("password"), ip=client_ip())
    return _session(grant, 200)


@api.post("/account/sign-out")
@customer_required
def sign_out():
    """Revoke the access token this request was made with (204)."""
    accounts.sign_out(current_customer().id, current_token_id(), actor=actor())
    return _no_content()


@api.post("/account/sign-out-everywhere")
@customer_required
def sign_out_everywhere():
    """Revoke every access token of the customer, this one included (204)."""
    accounts.sign_out_everywhere(current_customer().id, actor=actor())
    return _no_content()


@api.post("/account/verify-email")
@auth_limited
def verify_email():
    """Confirm the email address with the token from the verification email. Raises InvalidInput
    (400) naming `token`."""
    customer = accounts.verify_email(json_body().get("token"), actor=actor())
    return jsonify({"data": accounts.profile_data(customer)})


@api.post("/account/verification-email")
@customer_required
def resend_verification_email():
    """Send a new verification email (202; at most one a minute)."""
    sent = accounts.request_verification_email(current_customer().id, actor=actor())
    return _message(VERIFICATION_SENT if sent else VERIFICATION_NOT_SENT)


@api.post("/account/password-reset")
@auth_limited
def request_password_reset():
    """Email a reset link if the address has an account (always 202, so the answer tells nobody
    whether it has). Raises InvalidInput (400) for a malformed email."""
    accounts.request_password_reset(json_body().get("email"), ip=client_ip())
    return _message(RESET_ACCEPTED)


@api.post("/account/password-reset/confirm")
@auth_limited
def confirm_password_reset():
    """Set a new password with the emailed token; signs the customer out everywhere (204).
    Raises InvalidInput (400) naming `token` or `password`."""
    body = json_body()
    accounts.reset_password(body.get("token"), body.get("password"), ip=client_ip())
    return _no_content()


@api.post("/account/password")
@customer_required
def change_password():
    """Change the password; every other session is signed out, this one stays (204). Raises
    InvalidInput (400) naming `current_password` or `new_password`."""
    body = json_body()
    accounts.change_password(
        current_customer().id,
        body.get("current_password"),
        body.get("new_password"),
        keep_token_id=current_token_id(),
        actor=actor(),
    )
    return _no_content()


# --- Profile ---------------------------------------------------------------------------------


@api.get("/account")
@customer_required
def get_account():
    """The signed-in customer's profile."""
    return jsonify({"data": accounts.profile_data(current_customer())})


@api.patch("/account")
@customer_required
def update_account():
    """Change names, phone, country or marketing consent. Raises InvalidInput (400)."""
    customer = accounts.update_profile(current_customer().id, json_body(), actor=actor())
    return jsonify({"data": accounts.profile_data(customer)})


# --- Address book ----------------------------------------------------------------------------


@api.get("/account/addresses")
@customer_required
def list_addresses():
    """The customer's addresses, oldest first."""
    rows = addresses.list_addresses(current_customer().id)
    return jsonify({"data": [addresses.address_data(address) for address in rows]})


@api.post("/account/addresses")
@customer_required
def create_address():
    """Add an address (201). Raises InvalidInput (400), Conflict (409: the book is full)."""
    address = addresses.create_address(current_customer().id, json_body(), actor=actor())
    response = jsonify({"data": addresses.address_data(address)})
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_address", address_id=address.id)
    return response


@api.get("/account/addresses/<int:address_id>")
@customer_required
def get_address(address_id: int):
    """One of the customer's addresses. Raises NotFound (404)."""
    address = addresses.get_address(current_customer().id, address_id)
    return jsonify({"data": addresses.address_data(address)})


@api.patch("/account/addresses/<int:address_id>")
@customer_required
def update_address(address_id: int):
    """Change some fields or default flags of an address. Raises NotFound (404), InvalidInput
    (400)."""
    address = addresses.update_address(
        current_customer().id, address_id, json_body(), actor=actor()
    )
    return jsonify({"data": addresses.address_data(address)})


@api.delete("/account/addresses/<int:address_id>")
@customer_required
def delete_address(address_id: int):
    """Remove an address (204). Raises NotFound (404)."""
    addresses.delete_address(current_customer().id, address_id, actor=actor())
    return _no_content()


# --- Orders ----------------------------------------------------------------------------------


@api.get("/account/orders")
@customer_required
def list_orders():
    """A page of the customer's orders, newest first. Raises InvalidInput (400) naming `limit`
    or `cursor`."""
    raw_limit = request.args.get("limit", "").strip()
    limit = history.DEFAULT_LIMIT
    if raw_limit:
        if not raw_limit.isdigit() or len(raw_limit) > 4:
            raise InvalidInput(
                f"limit: must be a whole number between 1 and {history.MAX_LIMIT}",
                fields={"limit": f"must be a whole number between 1 and {history.MAX_LIMIT}"},
            )
        limit = int(raw_limit)
    cursor = request.args.get("cursor", "").strip() or None
    page = history.list_orders(current_customer().id, limit=limit, cursor=cursor)
    return jsonify(
        {"data": page.items, "page": {"next_cursor": page.next_cursor, "limit": page.limit}}
    )


@api.get("/account/orders/<int:number>")
@customer_required
def get_order(number: int):
    """One of the customer's orders with its lines. Raises NotFound (404), also for another
    customer's order."""
    return jsonify({"data": history.get_order(current_customer().id, number)})


# --- Personal data ---------------------------------------------------------------------------


@api.get("/account/export")
@customer_required
def export_account():
    """Everything the shop holds on the customer, as a JSON download."""
    response = jsonify({"data": privacy.export_customer_data(current_customer().id)})
    response.headers["Content-Disposition"] = 'attachment; filename="account-data.json"'
    return response


@api.post("/account/erasure-request")
@customer_required
def request_erasure():
    """Ask to be erased, confirmed with the password (202; asking again returns the pending
    request). Raises InvalidInput (400) naming `password`."""
    erasure = privacy.request_erasure(
        current_customer().id, password=json_body().get("password"), actor=actor()
    )
    return jsonify({"data": privacy.erasure_request_data(erasure)}), 202

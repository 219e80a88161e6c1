"""The account API as a storefront client uses it: register, verify, sign in, profile, addresses,
orders, export, erasure, sign out; bearer tokens that expire, are revoked or forged answer 401.
Every response is validated against the served OpenAPI document."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select, update

from commerce import audit
from commerce.customers.models import Customer, CustomerToken
from commerce.db import utcnow
from commerce.errors import Unauthenticated
from commerce.events import OutboxEvent
from jobs.handlers.customers import send_password_reset_email, send_verification_email
from storefront_api.auth import current_customer, optional_customer
from tests.customers.factories import PASSWORD, make_order

PREFIX = "/api/v1"
NEW_PASSWORD = "an entirely new passphrase"
HOME = {
    "name": "Ada Lovelace",
    "line1": "Unter den Linden 1",
    "city": "Berlin",
    "postcode": "10117",
    "country": "DE",
}


@pytest.fixture
def doc(client) -> dict[str, Any]:
    return client.get(f"{PREFIX}/openapi.json").get_json()


@pytest.fixture
def api(client, doc):
    """api(method, url, status, token=None, json=None) -> response, checked against the doc."""

    def call(method: str, url: str, status: int, *, token: str | None = None, **kwargs):
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = client.open(PREFIX + url, method=method, headers=headers, **kwargs)
        assert response.status_code == status, response.get_json()
        check_documented(doc, method, url, response)
        return response

    return call


def _template(doc: dict, url: str) -> str:
    path = urlsplit(url).path
    for template in doc["paths"]:
        pattern = re.sub(r"\{[^}]+\}", r"[^/]+", template)
        if re.fullmatch(pattern, path):
            return template
    raise AssertionError(f"{path} is not documented")


def check_documented(doc: dict, method: str, url: str, response) -> None:
    """The response's status is documented for the operation and its body matches the schema."""
    operation = doc["paths"][_template(doc, url)][method.lower()]
    documented = operation["responses"].get(str(response.status_code))
    assert documented, f"{method} {url} does not document {response.status_code}"
    if "content" not in documented:
        assert response.get_data() == b""
        return
    schema = documented["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": doc["components"]})
    errors = list(validator.iter_errors(response.get_json()))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def register(api, **overrides) -> dict[str, Any]:
    body = {
        "email": "ada@example.com",
        "password": PASSWORD,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "country": "DE",
        "accepts_marketing": False,
        **overrides,
    }
    return api("POST", "/account/register", 201, json=body).get_json()["data"]


def latest_event(session, name: str) -> dict[str, Any]:
    event = session.scalars(
        select(OutboxEvent).where(OutboxEvent.name == name).order_by(OutboxEvent.id.desc())
    ).first()
    return event.as_message()


def emailed_token(message) -> str:
    text = message.get_body(("plain",)).get_content()
    [link] = re.findall(r"https?://\S+", text)
    return parse_qs(urlsplit(link).query)["token"][0]


def assert_unauthenticated(response) -> None:
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthenticated"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="storefront"'


def test_register_verify_sign_in_profile_sign_out(api, client, db_session, mailbox):
    session = register(api, email="Ada@Example.com", accepts_marketing=True)
    assert session["token_type"] == "Bearer"
    assert session["customer"]["email"] == "Ada@example.com"
    assert session["customer"]["email_verified"] is False

    send_verification_email(latest_event(db_session, "customer.registered"))
    [email] = mailbox()
    assert email["To"] == "Ada@example.com"
    verified = api("POST", "/account/verify-email", 200, json={"token": emailed_token(email)})
    assert verified.get_json()["data"]["email_verified"] is True

    signed_in = api(
        "POST", "/account/sign-in", 200, json={"email": "ada@example.com", "password": PASSWORD}
    ).get_json()["data"]
    token = signed_in["access_token"]
    assert token != session["access_token"]
    profile = api("GET", "/account", 200, token=token)
    assert profile.headers["Cache-Control"] == "private, no-store"
    assert profile.get_json()["data"]["accepts_marketing"] is True

    changed = api(
        "PATCH",
        "/account",
        200,
        token=token,
        json={"first_name": "Augusta Ada", "phone": "+44 20 7946 0000", "accepts_marketing": False},
    ).get_json()["data"]
    assert (changed["first_name"], changed["phone"]) == ("Augusta Ada", "+44 20 7946 0000")
    assert changed["accepts_marketing"] is False

    api("POST", "/account/sign-out", 204, token=token)
    assert_unauthenticated(api("GET", "/account", 401, token=token))
    # The registration's own token is another session, still signed in.
    api("GET", "/account", 200, token=session["access_token"])


def test_profile_changes_name_the_wrong_fields(api):
    token = register(api)["access_token"]
    response = api(
        "PATCH", "/account", 400, token=token, json={"email": "new@example.com", "first_name": ""}
    )
    assert response.get_json()["error"]["details"]["fields"] == {"email": "cannot be changed here"}
    response = api("PATCH", "/account", 400, token=token, json={"phone": "abc", "country": "Q"})
    assert set(response.get_json()["error"]["details"]["fields"]) == {"phone", "country"}
    response = api("PATCH", "/account", 400, token=token, data="not json")
    assert response.get_json()["error"]["details"]["fields"] == {"body": "must be a JSON object"}


def test_registration_errors(api):
    response = api("POST", "/account/register", 400, json={"email": "x", "password": "short"})
    fields = response.get_json()["error"]["details"]["fields"]
    assert {"email", "first_name", "country"} <= set(fields)
    register(api, email="taken@example.com")
    again = {"email": "TAKEN@example.com", "password": PASSWORD, "first_name": "B", "country": "FR"}
    response = api("POST", "/account/register", 409, json=again)
    assert response.get_json()["error"]["details"]["fields"] == {"email": "already has an account"}


@pytest.mark.parametrize(
    "header",
    [None, "Bearer forged-token", "Bearer ", "Basic YWRhOnNlY3JldA==", "Bearer " + "x" * 300],
)
def test_missing_forged_or_malformed_tokens_get_401(api, client, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.get(f"{PREFIX}/account", headers=headers)
    assert_unauthenticated(response)
    message = response.get_json()["error"]["message"]
    if header is None:
        assert message == "Sign in to continue."
    else:
        assert message == "Your session has expired or is not valid. Sign in again."


def test_an_expired_token_gets_401(api, client, db_session):
    token = register(api)["access_token"]
    db_session.execute(
        update(CustomerToken).values(
            created_at=utcnow() - dt.timedelta(days=40), expires_at=utcnow() - dt.timedelta(1)
        )
    )
    db_session.commit()
    assert_unauthenticated(api("GET", "/account/addresses", 401, token=token))


def test_sign_out_everywhere_revokes_every_session(api):
    first = register(api)["access_token"]
    second = api(
        "POST", "/account/sign-in", 200, json={"email": "ada@example.com", "password": PASSWORD}
    ).get_json()["data"]["access_token"]
    api("POST", "/account/sign-out-everywhere", 204, token=second)
    for token in (first, second):
        assert_unauthenticated(api("GET", "/account", 401, token=token))


def test_wrong_password_and_unknown_email_answer_alike(api):
    register(api)
    wrong = api("POST", "/account/sign-in", 401, json={"email": "ada@example.com", "password": "x"})
    unknown = api(
        "POST", "/account/sign-in", 401, json={"email": "bob@example.com", "password": PASSWORD}
    )
    assert wrong.get_json() == unknown.get_json()
    assert wrong.get_json()["error"] == {
        "code": "invalid_credentials",
        "message": "Email or password is incorrect.",
        "details": {},
    }


def test_repeated_failures_lock_sign_in(api):
    register(api)
    bad = {"email": "ada@example.com", "password": "not it at all"}
    for _ in range(4):
        api("POST", "/account/sign-in", 401, json=bad)
    locked = api("POST", "/account/sign-in", 429, json=bad).get_json()["error"]
    assert locked["code"] == "account_locked" and locked["details"]["retry_after"] > 0


def test_password_reset_flow_revokes_tokens(api, db_session, mailbox):
    token = register(api)["access_token"]
    known = api("POST", "/account/password-reset", 202, json={"email": "ada@example.com"})
    unknown = api("POST", "/account/password-reset", 202, json={"email": "eve@example.com"})
    assert known.get_json() == unknown.get_json()
    api("POST", "/account/password-reset", 400, json={"email": "not an email"})

    send_password_reset_email(latest_event(db_session, "customer.password_reset_requested"))
    [email] = mailbox()
    assert email["To"] == "ada@example.com" and "reset-password?token=" in str(email)
    reset_token = emailed_token(email)
    weak = api(
        "POST", "/account/password-reset/confirm", 400, json={"token": reset_token, "password": "1"}
    )
    assert "password" in weak.get_json()["error"]["details"]["fields"]
    api(
        "POST",
        "/account/password-reset/confirm",
        204,
        json={"token": reset_token, "password": NEW_PASSWORD},
    )
    assert_unauthenticated(api("GET", "/account", 401, token=token))
    again = api(
        "POST",
        "/account/password-reset/confirm",
        400,
        json={"token": reset_token, "password": NEW_PASSWORD},
    )
    assert again.get_json()["error"]["details"]["fields"] == {
        "token": "is not valid or has expired"
    }
    api("POST", "/account/sign-in", 401, json={"email": "ada@example.com", "password": PASSWORD})
    api(
        "POST", "/account/sign-in", 200, json={"email": "ada@example.com", "password": NEW_PASSWORD}
    )


def test_change_password_keeps_this_session(api):
    token = register(api)["access_token"]
    api(
        "POST",
        "/account/password",
        400,
        token=token,
        json={"current_password": "nope", "new_password": NEW_PASSWORD},
    )
    api(
        "POST",
        "/account/password",
        204,
        token=token,
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    api("GET", "/account", 200, token=token)


def test_resending_the_verification_email_is_limited(api, db_session):
    token = register(api)["access_token"]
    first = api("POST", "/account/verification-email", 202, token=token).get_json()
    second = api("POST", "/account/verification-email", 202, token=token).get_json()
    assert first != second
    names = db_session.scalars(
        select(OutboxEvent.name).where(OutboxEvent.name == "customer.verification_requested")
    ).all()
    assert len(names) == 1


def test_address_book_crud_and_defaults(api, client):
    token = register(api)["access_token"]
    created = api("POST", "/account/addresses", 201, token=token, json=HOME)
    home = created.get_json()["data"]
    assert created.headers["Location"].endswith(f"/api/v1/account/addresses/{home['id']}")
    assert (home["is_default_shipping"], home["is_default_billing"]) == (True, True)
    work = api(
        "POST",
        "/account/addresses",
        201,
        token=token,
        json={**HOME, "line1": "Friedrichstr. 2", "is_default_shipping": True},
    ).get_json()["data"]
    listed = api("GET", "/account/addresses", 200, token=token).get_json()["data"]
    flags = {a["id"]: (a["is_default_shipping"], a["is_default_billing"]) for a in listed}
    assert flags == {home["id"]: (False, True), work["id"]: (True, False)}

    updated = api(
        "PATCH", f"/account/addresses/{home['id']}", 200, token=token, json={"city": "Potsdam"}
    ).get_json()["data"]
    assert updated["city"] == "Potsdam"
    bad = api(
        "PATCH",
        f"/account/addresses/{home['id']}",
        400,
        token=token,
        json={"country": "US", "postcode": "1"},
    )
    assert set(bad.get_json()["error"]["details"]["fields"]) == {"region", "postcode"}
    api("DELETE", f"/account/addresses/{work['id']}", 204, token=token)
    api("GET", f"/account/addresses/{work['id']}", 404, token=token)
    assert [a["id"] for a in api("GET", "/account/addresses", 200, token=token).get_json()["data"]]
    assert_unauthenticated(client.get(f"{PREFIX}/account/addresses"))


def test_someone_elses_address_is_404(api):
    mine = register(api)["access_token"]
    theirs = register(api, email="eve@example.com")["access_token"]
    address = api("POST", "/account/addresses", 201, token=theirs, json=HOME).get_json()["data"]
    for method in ("GET", "PATCH", "DELETE"):
        api(method, f"/account/addresses/{address['id']}", 404, token=mine, json={})
    api("GET", f"/account/addresses/{address['id']}", 200, token=theirs)


def test_order_history_newest_first_in_pages_and_others_orders_are_404(api, db_session):
    session = register(api)
    token, customer_id = session["access_token"], session["customer"]["id"]
    other = register(api, email="eve@example.com")["customer"]["id"]
    now = utcnow()
    placed = [
        make_order(customer_id, placed_at=now - dt.timedelta(days=days), lines=((days, 100),))
        for days in (3, 1, 2)
    ]
    make_order(customer_id, status="draft")
    theirs = make_order(other)

    first = api("GET", "/account/orders?limit=2", 200, token=token).get_json()
    assert [o["number"] for o in first["data"]] == [placed[1].number, placed[2].number]
    assert first["data"][0]["item_count"] == 1
    cursor = first["page"]["next_cursor"]
    second = api("GET", f"/account/orders?limit=2&cursor={cursor}", 200, token=token).get_json()
    assert [o["number"] for o in second["data"]] == [placed[0].number]
    assert second["page"]["next_cursor"] is None
    api("GET", "/account/orders?limit=0", 400, token=token)
    api("GET", "/account/orders?cursor=garbage", 400, token=token)

    detail = api("GET", f"/account/orders/{placed[0].number}", 200, token=token).get_json()
    assert detail["data"]["lines"][0]["quantity"] == 3
    assert detail["data"]["total"] == {"amount": 300, "currency": "EUR"}
    api("GET", f"/account/orders/{theirs.number}", 404, token=token)
    api("GET", f"/account/orders/{10**30}", 404, token=token)


def test_export_is_a_download_of_all_their_data(api):
    session = register(api, accepts_marketing=True)
    token = session["access_token"]
    api("POST", "/account/addresses", 201, token=token, json=HOME)
    make_order(session["customer"]["id"])
    response = api("GET", "/account/export", 200, token=token)
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "private, no-store"
    data = response.get_json()["data"]
    assert data["profile"]["email"] == "ada@example.com"
    assert data["consent"]["accepts_marketing"] is True
    assert len(data["addresses"]) == 1 and len(data["orders"]) == 1
    assert "customer.register" in [e["action"] for e in data["account_events"]]


def test_erasure_request_is_confirmed_with_the_password(api, db_session):
    session = register(api)
    token = session["access_token"]
    wrong = api("POST", "/account/erasure-request", 400, token=token, json={"password": "no"})
    assert wrong.get_json()["error"]["details"]["fields"] == {"password": "is not correct"}
    first = api("POST", "/account/erasure-request", 202, token=token, json={"password": PASSWORD})
    again = api("POST", "/account/erasure-request", 202, token=token, json={"password": PASSWORD})
    assert first.get_json() == again.get_json()
    assert first.get_json()["data"]["status"] == "pending"
    entry = audit.history("customer", session["customer"]["id"])[0]
    assert (entry.action, entry.actor_kind) == ("customer.erasure_request", "customer")


def test_an_erased_customers_token_stops_working(api, db_session):
    from commerce.audit import Actor
    from commerce.customers.privacy import erase_customer

    session = register(api)
    erase_customer(session["customer"]["id"], actor=Actor.system("tests"))
    assert_unauthenticated(api("GET", "/account", 401, token=session["access_token"]))
    erased = db_session.get(Customer, session["customer"]["id"])
    assert erased.email.endswith("@erased.invalid")


def test_optional_customer_is_none_without_a_header_and_401_with_a_bad_one(app, api):
    token = register(api)["access_token"]
    with app.test_request_context("/api/v1/anything"):
        assert optional_customer() is None
        with pytest.raises(Unauthenticated):
            current_customer()
    bad = app.test_request_context(headers={"Authorization": "Bearer nonsense"})
    with bad, pytest.raises(Unauthenticated):
        optional_customer()
    with app.test_request_context(headers={"Authorization": f"Bearer {token}"}):
        assert optional_customer().email == "ada@example.com"
        assert current_customer() is optional_customer()


def test_every_account_route_is_documented(app, doc):
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith(f"{PREFIX}/account")]
    assert len(rules) >= 15
    for rule in rules:
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule.removeprefix(PREFIX))
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            assert method.lower() in doc["paths"][path], f"{method} {rule.rule}"
    for name in ("CustomerProfile", "CustomerAddress", "AccountOrder", "AccountExport"):
        Draft202012Validator.check_schema(doc["components"]["schemas"][name])


def test_auth_routes_are_limited_per_address_whatever_token_is_sent(app, api, client):
    previous = app.config["API_AUTH_RATE_LIMIT"]
    app.config["API_AUTH_RATE_LIMIT"] = "3 per minute"
    try:
        for n in range(3):
            api("POST", "/account/password-reset", 202, json={"email": f"p{n}@example.com"})
        response = api(
            "POST",
            "/account/password-reset",
            429,
            json={"email": "p4@example.com"},
            headers={"Authorization": "Bearer made-up-to-dodge-the-limit"},
        )
        assert int(response.headers["Retry-After"]) > 0
    finally:
        app.config["API_AUTH_RATE_LIMIT"] = previous

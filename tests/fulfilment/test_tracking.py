"""POST /api/v1/tracking/{carrier}: a carrier's update marks a parcel shipped or delivered, and
the order delivered once every parcel is; without the shared secret nothing changes (401)."""

from __future__ import annotations

import datetime as dt

import pytest
from jsonschema import Draft202012Validator

from commerce.fulfilment import service as fulfilment
from commerce.fulfilment.models import Shipment
from commerce.orders.models import Order
from jobs.handlers.fulfilment import make_shipping_documents
from tests.fulfilment.factories import PACKER, make_shippable_order

URL = "/api/v1/tracking/table"
SECRET = "carrier-shared-secret"


@pytest.fixture(autouse=True)
def settings(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "SHIPPING_DOCS_DIR", str(tmp_path / "shipping"))
    monkeypatch.setitem(app.config, "TRACKING_WEBHOOK_SECRET", SECRET)


def labelled(order: Order, lines=None) -> Shipment:
    shipment = fulfilment.create_shipment(order.id, lines, actor=PACKER)
    make_shipping_documents({"payload": {"shipment_id": shipment.id}})
    return fulfilment.get_shipment(shipment.id)


def post(client, number: str, status: str, *, secret: str | None = SECRET, **extra):
    headers = {"X-Tracking-Secret": secret} if secret is not None else {}
    return client.post(
        URL, json={"tracking_number": number, "status": status, **extra}, headers=headers
    )


def assert_documented(client, response) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    documented = doc["paths"]["/tracking/{carrier}"]["post"]["responses"]
    schema = documented[str(response.status_code)]["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": doc["components"]})
    errors = list(validator.iter_errors(response.get_json()))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def reload(db_session, row):
    return db_session.get(type(row), row.id, populate_existing=True)


@pytest.mark.parametrize("secret", [None, "", "wrong-secret"])
def test_an_update_without_the_secret_is_refused_and_changes_nothing(client, db_session, secret):
    order = make_shippable_order((1,))
    shipment = labelled(order)

    response = post(client, shipment.tracking_number, "delivered", secret=secret)

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthenticated"
    assert_documented(client, response)
    assert reload(db_session, shipment).status == "label_ready"


def test_no_update_is_accepted_while_no_secret_is_configured(app, client, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "TRACKING_WEBHOOK_SECRET", None)
    shipment = labelled(make_shippable_order((1,)))

    assert post(client, shipment.tracking_number, "delivered", secret="").status_code == 401


def test_delivered_updates_deliver_the_parcels_then_the_order(client, db_session):
    order = make_shippable_order((2,))
    line = order.lines[0]
    first = labelled(order, {line.id: 1})
    second = labelled(order, {line.id: 1})

    in_transit = post(client, first.tracking_number, "in_transit")
    assert in_transit.status_code == 200
    assert in_transit.get_json() == {"received": True, "outcome": "shipped", "status": "shipped"}
    assert_documented(client, in_transit)

    when = "2026-11-24T09:30:00+00:00"
    delivered = post(client, first.tracking_number.lower(), "delivered", occurred_at=when)
    assert delivered.get_json() == {
        "received": True,
        "outcome": "delivered",
        "status": "delivered",
    }
    first = reload(db_session, first)
    assert first.delivered_at == dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)
    assert reload(db_session, order).status == "fulfilled"  # the second parcel is on its way

    again = post(client, first.tracking_number, "delivered")
    assert again.get_json()["outcome"] == "unchanged"
    assert_documented(client, again)

    post(client, second.tracking_number, "delivered")
    assert reload(db_session, second).status == "delivered"
    assert reload(db_session, order).status == "delivered"


def test_an_unknown_number_or_other_carrier_is_not_found(client, db_session):
    shipment = labelled(make_shippable_order((1,)))

    unknown = post(client, "CP000000000DE", "delivered")
    other_carrier = client.post(
        "/api/v1/tracking/ups",
        json={"tracking_number": shipment.tracking_number, "status": "delivered"},
        headers={"X-Tracking-Secret": SECRET},
    )

    assert (unknown.status_code, other_carrier.status_code) == (404, 404)
    assert_documented(client, unknown)
    assert reload(db_session, shipment).status == "label_ready"


def test_other_statuses_are_acknowledged_and_ignored(client, db_session):
    shipment = labelled(make_shippable_order((1,)))

    response = post(client, shipment.tracking_number, "exception")

    assert response.get_json() == {"received": True, "outcome": "ignored", "status": "label_ready"}
    assert reload(db_session, shipment).status == "label_ready"


def test_a_time_without_a_zone_is_refused_naming_the_field(client, db_session):
    shipment = labelled(make_shippable_order((1,)))

    response = post(client, shipment.tracking_number, "delivered", occurred_at="2026-11-24 09:30")

    assert response.status_code == 400
    assert "occurred_at" in response.get_json()["error"]["details"]["fields"]
    assert_documented(client, response)

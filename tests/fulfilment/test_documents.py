"""The shipment.created job: a real label PDF from the carrier and a packing slip, stored under
SHIPPING_DOCS_DIR; the customer gets an email (and a text message); running it again changes
nothing. Bulk printing merges the stored PDFs."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from commerce.audit import AuditEntry
from commerce.errors import InvalidInput
from commerce.events import OutboxEvent
from commerce.fulfilment import documents
from commerce.fulfilment import service as fulfilment
from commerce.fulfilment.models import Shipment
from commerce.notifications.sms import SmsMessage
from commerce.orders.timeline import OrderEvent
from commerce.shipping.carriers import valid_tracking_number
from jobs.handlers.fulfilment import make_shipping_documents, notify_customer_of_shipment
from jobs.registry import routes
from tests.fulfilment.factories import PACKER, make_shippable_order, pdf_text


@pytest.fixture(autouse=True)
def docs_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "SHIPPING_DOCS_DIR", str(tmp_path / "shipping"))
    return tmp_path / "shipping"


def event(shipment: Shipment) -> dict:
    return {"payload": {"shipment_id": shipment.id, "order_id": shipment.order_id}}


def snapshot(db_session, docs_dir) -> dict:
    """What a user could notice: rows, events, messages and the files' bytes."""

    def n(model) -> int:
        return db_session.scalar(select(func.count()).select_from(model))

    return {
        "shipments": [
            (s.status, s.tracking_number, s.label_path, s.packing_slip_path)
            for s in db_session.scalars(
                select(Shipment).order_by(Shipment.id).execution_options(populate_existing=True)
            )
        ],
        "events": n(OutboxEvent),
        "audit": n(AuditEntry),
        "timeline": n(OrderEvent),
        "sms": n(SmsMessage),
        "files": {p.name: p.read_bytes() for p in sorted(docs_dir.rglob("*.pdf"))},
    }


def test_the_job_makes_the_label_and_packing_slip_and_tells_the_customer(
    db_session, mailbox, docs_dir
):
    order = make_shippable_order((3, 1))
    tee, mug = order.lines
    shipment = fulfilment.create_shipment(order.id, {tee.id: 2, mug.id: 1}, actor=PACKER)

    assert make_shipping_documents(event(shipment)).startswith("label_ready: ")
    notified = notify_customer_of_shipment(event(shipment))

    made = db_session.get(Shipment, shipment.id, populate_existing=True)
    assert made.status == "label_ready"
    assert valid_tracking_number(made.tracking_number) and made.tracking_number.endswith("DE")
    label = documents.document_path(made, "labels")
    assert label.parent.parent == docs_dir
    pdf = label.read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert f"({made.tracking_number})" in pdf_text(pdf)
    assert "(Camille Martin)" in pdf_text(pdf)

    slip = documents.document_path(made, "packing_slips").read_bytes()
    assert slip.startswith(b"%PDF-")
    text = pdf_text(slip)
    for shown in (
        "Shop",
        f"Order #{order.number}",
        "Camille Martin",
        "10119 Berlin",
        tee.sku,
        "Item 0",
        mug.sku,
        "PACKING SLIP",
    ):
        assert f"{shown}" in text, shown
    assert f"({order.number})" in text  # the barcode's human-readable line

    [message] = mailbox()
    assert message["To"] == order.email
    assert message["Subject"] == f"Your order #{order.number} has shipped"
    body = message.get_body(("plain",)).get_content()
    assert made.tracking_number in body
    assert "Carrier: Table rate (Standard)" in body
    assert f"2 x Item 0 ({tee.sku})" in body and f"1 x Item 1 ({mug.sku})" in body
    assert "The rest of your order follows" in body  # one unit of the tee is still to ship
    [sms] = db_session.scalars(select(SmsMessage)).all()
    assert sms.to_number == "+4915123456789" and made.tracking_number in sms.body
    assert notified == "email sent, sms sent"

    before = snapshot(db_session, docs_dir)
    assert make_shipping_documents(event(shipment)) == "skipped: already label_ready"
    assert notify_customer_of_shipment(event(shipment)) == "email already sent, sms already sent"
    assert snapshot(db_session, docs_dir) == before
    assert len(mailbox()) == 1


def test_a_lost_label_file_is_made_again_byte_for_byte(db_session, docs_dir):
    order = make_shippable_order((1,))
    shipment = fulfilment.create_shipment(order.id, actor=PACKER)
    make_shipping_documents(event(shipment))
    made = db_session.get(Shipment, shipment.id, populate_existing=True)
    label = documents.document_path(made, "labels")
    original = label.read_bytes()
    label.unlink()

    make_shipping_documents(event(shipment))

    assert label.read_bytes() == original


def test_a_tracking_number_entered_by_staff_ships_without_buying_a_label(
    db_session, mailbox, docs_dir
):
    order = make_shippable_order((1,), shipping_address={
        "name": "Ada Lovelace", "line1": "1 Main St", "city": "Berlin", "postcode": "10115",
        "country": "DE", "phone": "030 1234567",
    })  # fmt: skip
    shipment = fulfilment.create_shipment(
        order.id, carrier="dhl", service="parcel", tracking_number="jjd 0001 2345", actor=PACKER
    )

    make_shipping_documents(event(shipment))
    notified = notify_customer_of_shipment(event(shipment))

    made = db_session.get(Shipment, shipment.id, populate_existing=True)
    assert (made.status, made.tracking_number, made.label_path) == ("shipped", "JJD00012345", None)
    assert made.shipped_at is not None
    assert documents.document_path(made, "packing_slips").read_bytes().startswith(b"%PDF-")
    [message] = mailbox()
    assert "Tracking number: JJD00012345" in message.get_body(("plain",)).get_content()
    assert notified == "email sent, sms skipped: phone not in E.164 form"


def test_a_parcel_delivered_before_the_job_ran_still_gets_its_slip_and_email(
    db_session, mailbox, docs_dir
):
    order = make_shippable_order((1,))
    shipment = fulfilment.create_shipment(
        order.id, carrier="dhl", service="parcel", tracking_number="JJD0099", actor=PACKER
    )
    fulfilment.mark_delivered(tracking_number="JJD0099", carrier="dhl", actor=PACKER)

    make_shipping_documents(event(shipment))
    ready = db_session.scalars(
        select(OutboxEvent).where(OutboxEvent.name == "shipment.documents_ready")
    ).all()
    notify_customer_of_shipment(event(shipment))

    made = db_session.get(Shipment, shipment.id, populate_existing=True)
    assert made.status == "delivered"
    assert documents.document_path(made, "packing_slips").exists()
    assert [e.payload["shipment_id"] for e in ready] == [shipment.id]
    assert [m["Subject"] for m in mailbox()] == [f"Your order #{order.number} has shipped"]
    assert db_session.get(type(order), order.id, populate_existing=True).status == "delivered"


def test_bulk_print_merges_the_labels_and_slips_of_many_shipments(db_session, docs_dir):
    shipments = []
    for _ in range(2):
        order = make_shippable_order((1,))
        shipments.append(fulfilment.create_shipment(order.id, actor=PACKER))
    waiting = fulfilment.create_shipment(make_shippable_order((1,)).id, actor=PACKER)
    for shipment in shipments:
        make_shipping_documents(event(shipment))
    ids = [s.id for s in shipments]

    labels = documents.print_documents(ids, kind="labels")
    slips = documents.print_documents(ids, kind="packing_slips")

    assert labels.parent == docs_dir / "prints" and labels.suffix == ".pdf"
    pages = PdfReader(io.BytesIO(labels.read_bytes())).pages
    numbers = [db_session.get(Shipment, i).tracking_number for i in ids]
    assert [numbers[n] in page.extract_text() for n, page in enumerate(pages)] == [True, True]
    slip_pages = PdfReader(io.BytesIO(slips.read_bytes())).pages
    assert len(slip_pages) == 2
    assert f"Order #{shipments[1].order.number}" in slip_pages[1].extract_text()
    with pytest.raises(InvalidInput) as not_ready:
        documents.print_documents([*ids, waiting.id], kind="labels")
    assert str(waiting) in not_ready.value.fields["shipment_ids"]


def test_the_handlers_are_subscribed_to_the_shipment_events():
    subscribed = routes()

    assert [r.handler for r in subscribed["shipment.created"]] == [
        "jobs.handlers.fulfilment.make_shipping_documents"
    ]
    # Sorted: the routes come in the order their handler modules were first imported.
    assert sorted((r.handler, r.queue) for r in subscribed["shipment.documents_ready"]) == [
        ("jobs.handlers.fulfilment.notify_customer_of_shipment", "mail"),
        # A parcel whose tracking number staff entered leaves here: time to ship counts it.
        ("jobs.handlers.reporting.refresh_shipped_order_rollup", "default"),
    ]

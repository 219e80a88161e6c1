"""Customers in the back-office: the list (search, filters, sort, pages), the customer's page
(lifetime value, orders, group, notes), the data-export archive and erasure, each behind its
permission."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile

import pytest
from rq import Queue
from sqlalchemy import select, update

from commerce import audit
from commerce.audit import AuditEntry
from commerce.customers import addresses, data_exports, notes
from commerce.customers.data_exports import CustomerDataExport
from commerce.customers.models import Customer, CustomerAddress
from commerce.customers.notes import CustomerNote
from commerce.db import utcnow
from commerce.kv import get_redis
from commerce.orders.models import Order
from commerce.payments import models as payment_models
from commerce.payments.models import Payment
from commerce.pricing import rules
from jobs import customer_exports
from jobs.maintenance import purge_customer_exports
from jobs.schedule import SCHEDULE
from tests import factories
from tests.carts.factories import make_customer
from tests.customers.factories import make_order, register
from tests.customers.test_addresses import HOME
from tests.factories import SYSTEM
from tests.jobs.test_events import run_worker

LIST = "/admin/customers/"


def page(customer_id: int) -> str:
    return f"/admin/customers/details/?id={customer_id}"


def body_of(response) -> str:
    return response.get_data(as_text=True)


def missing_permission(response) -> str | None:
    found = re.search(r'<code id="missing-permission">([^<]+)</code>', body_of(response))
    return found.group(1) if found else None


def other_client(app, role: str):
    """A second browser, signed in as a new staff member of `role`."""
    user = factories.make_staff(role=role)
    client = app.test_client()
    factories.sign_in(client, user.email)
    return client


@pytest.fixture
def exports_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "CUSTOMER_EXPORTS_DIR", str(tmp_path / "customer-exports"))
    return tmp_path / "customer-exports"


# --- list ----------------------------------------------------------------------------------------


def test_list_searches_by_email_name_and_phone(sign_in):
    client, _user = sign_in("support")
    make_customer(email="ada@analytical.example", first_name="Ada", last_name="Lovelace")
    make_customer(email="grace@navy.example", first_name="Grace", last_name="Hopper")
    make_customer(
        email="alan@bletchley.example", first_name="Alan", last_name="Turing", phone="+4930555123"
    )

    by_email = body_of(client.get(LIST, query_string={"search": "navy.example"}))
    assert "grace@navy.example" in by_email and "ada@analytical.example" not in by_email

    by_name = body_of(client.get(LIST, query_string={"search": "ada lovelace"}))
    assert "ada@analytical.example" in by_name and "grace@navy.example" not in by_name

    by_phone = body_of(client.get(LIST, query_string={"search": "555123"}))
    assert "alan@bletchley.example" in by_phone and "ada@analytical.example" not in by_phone

    nothing = body_of(client.get(LIST, query_string={"search": "nobody-like-this"}))
    assert "No rows match your search or filters." in nothing


def test_list_filters_by_group_country_consent_orders_and_created_date(sign_in, db_session):
    client, _user = sign_in("support")
    wholesale = rules.create_customer_group("Wholesale", actor=SYSTEM)
    buyer = make_customer(email="buyer@filters.example", country="FR", accepts_marketing=True)
    rules.set_customer_group(buyer.id, wholesale.id, actor=SYSTEM)
    make_order(buyer.id)
    browser = make_customer(email="browser@filters.example", country="DE")
    drafter = make_customer(email="drafter@filters.example", country="DE")
    make_order(drafter.id, status="draft", channel="draft")  # a draft is not an order yet
    db_session.execute(
        update(Customer)
        .where(Customer.id == browser.id)
        .values(created_at=dt.datetime(2024, 3, 1, tzinfo=dt.UTC))
    )
    db_session.commit()

    def emails(**filters: str) -> set[str]:
        html = body_of(client.get(LIST, query_string={"search": "filters.example", **filters}))
        return set(re.findall(r"[a-z]+@filters\.example", html))

    everyone = {"buyer@filters.example", "browser@filters.example", "drafter@filters.example"}
    assert emails() == everyone
    assert emails(flt0_group_equals=str(wholesale.id)) == {"buyer@filters.example"}
    assert emails(flt0_country_equals="DE") == {
        "browser@filters.example",
        "drafter@filters.example",
    }
    assert emails(flt0_marketing_consent_equals="1") == {"buyer@filters.example"}
    assert emails(flt0_has_orders_is="1") == {"buyer@filters.example"}
    assert emails(flt0_has_orders_is="0") == everyone - {"buyer@filters.example"}
    assert emails(flt0_created_smaller_than="2025-01-01 00:00:00") == {"browser@filters.example"}


def test_list_sorts_by_name_and_pages_on_the_server(sign_in):
    client, _user = sign_in("support")
    for n in range(21):
        make_customer(email=f"pager{n:02d}@paging.example", first_name="P", last_name=f"Zed{n:02d}")

    first = body_of(client.get(LIST, query_string={"search": "paging.example", "page_size": 20}))
    assert len(re.findall(r"pager\d\d@paging\.example", first)) == 20
    second = body_of(
        client.get(LIST, query_string={"search": "paging.example", "page_size": 20, "page": 1})
    )
    assert len(re.findall(r"pager\d\d@paging\.example", second)) == 1

    by_name = body_of(client.get(LIST, query_string={"search": "paging.example", "sort": 0}))
    names = re.findall(r">P (Zed\d\d)</a>", by_name)
    assert names[:3] == ["Zed00", "Zed01", "Zed02"]
    by_name_desc = body_of(
        client.get(LIST, query_string={"search": "paging.example", "sort": 0, "desc": 1})
    )
    assert re.findall(r">P (Zed\d\d)</a>", by_name_desc)[:2] == ["Zed20", "Zed19"]


def test_customers_need_customers_view(sign_in):
    client, _user = sign_in("merchandiser")
    response = client.get(LIST)
    assert response.status_code == 403
    assert missing_permission(response) == "customers.view"


# --- the customer's page -------------------------------------------------------------------------


def _refund(order: Order, amount: int, db_session) -> None:
    """A refund as the refund service leaves it: on the payment's refunded total and, where the
    refunds ledger exists, as a succeeded refund row."""
    payment = Payment(
        order_id=order.id,
        provider="bank_transfer",
        amount=order.total_amount,
        currency=order.currency,
        status="succeeded",
        refunded_amount=amount,
        idempotency_key=f"test-payment-{order.id}",
    )
    db_session.add(payment)
    db_session.flush()
    refund_model = getattr(payment_models, "Refund", None)
    if refund_model is not None:
        db_session.add(
            refund_model(
                order_id=order.id,
                payment_id=payment.id,
                provider="bank_transfer",
                amount=amount,
                payment_amount=amount,
                gift_card_amount=0,
                currency=order.currency,
                reason="damaged",
                status="succeeded",
                idempotency_key=f"test-refund-{order.id}",
                actor_kind="staff",
            )
        )
    db_session.commit()


def test_customer_page_shows_profile_addresses_orders_and_lifetime_value(sign_in, db_session):
    client, _user = sign_in("manager")
    customer = register(email="ltv@example.com", first_name="Lena", last_name="Value").customer
    addresses.create_address(customer.id, HOME, actor=SYSTEM)
    first = make_order(
        customer.id, lines=((1, 2500),), placed_at=dt.datetime(2025, 1, 5, tzinfo=dt.UTC)
    )
    refunded = make_order(
        customer.id,
        lines=((2, 2000),),
        payment_status="partially_refunded",
        placed_at=dt.datetime(2025, 6, 7, tzinfo=dt.UTC),
    )
    _refund(refunded, 500, db_session)
    unpaid = make_order(
        customer.id,
        lines=((1, 1000),),
        status="pending_payment",
        payment_status="pending",
        placed_at=dt.datetime(2025, 8, 9, tzinfo=dt.UTC),
    )
    make_order(customer.id, status="draft", channel="draft", lines=((1, 700),))
    make_order(None)  # a guest's

    response = client.get(page(customer.id))
    assert response.status_code == 200
    html = body_of(response)
    assert "Lena Value" in html and "ltv@example.com" in html
    assert "Unter den Linden 1" in html
    # 25.00 + 40.00 paid, 5.00 of it refunded; the unpaid order and the draft do not count.
    lifetime = re.search(r'id="lifetime-value">([^<]+)', html).group(1)
    assert lifetime.strip() == "60.00 EUR"
    assert "(after 5.00 EUR refunded)" in html
    assert re.search(r'id="order-count">3<', html)
    assert "2025-01-05" in html and "2025-08-09" in html  # first and last order
    for order in (first, refunded, unpaid):
        assert f'href="/admin/orders/details/?id={order.id}">#{order.number}</a>' in html
    # A manager may look but not change: no group, note or erase forms.
    assert 'id="group-form"' not in html and 'id="note-form"' not in html
    assert 'id="erase-link"' not in html


def test_staff_notes_are_added_listed_and_audited_without_their_text(app, sign_in, db_session):
    client, support = sign_in("support", name="Sam Support")
    customer = make_customer()
    response = client.post(
        f"/admin/customers/{customer.id}/notes",
        data={"body": "Prefers a call before delivery", "csrf_token": client.csrf},
    )
    assert response.status_code == 302
    html = body_of(client.get(page(customer.id)))
    assert "Prefers a call before delivery" in html and support.email in html
    entry = audit.history("customer", customer.id)[0]
    assert (entry.action, entry.actor_id) == ("customer.note_add", support.id)
    assert "Prefers" not in json.dumps(entry.changes)

    empty = client.post(
        f"/admin/customers/{customer.id}/notes",
        data={"body": "   ", "csrf_token": client.csrf},
        follow_redirects=True,
    )
    assert "body: write something first" in body_of(empty)
    assert len(notes.list_notes(customer.id)) == 1

    manager_client = other_client(app, "manager")
    refused = manager_client.post(
        f"/admin/customers/{customer.id}/notes",
        data={"body": "Not allowed", "csrf_token": manager_client.csrf},
    )
    assert refused.status_code == 403 and missing_permission(refused) == "customers.edit"


def test_group_change_goes_through_pricing_and_is_audited(app, sign_in, db_session):
    client, support = sign_in("support")
    vip = rules.create_customer_group("VIP", actor=SYSTEM)
    customer = make_customer()
    response = client.post(
        f"/admin/customers/{customer.id}/group",
        data={"customer_group_id": str(vip.id), "csrf_token": client.csrf},
    )
    assert response.status_code == 302
    html = body_of(client.get(response.headers["Location"]))
    assert "Customer group set to VIP." in html
    assert re.search(r'id="customer-group">VIP<', html)
    assert db_session.get(Customer, customer.id).customer_group_id == vip.id
    entry = audit.history("customer", customer.id)[0]
    assert entry.action == "customer.set_group"
    assert (entry.actor_kind, entry.actor_id) == ("staff", support.id)
    assert entry.changes == {"customer_group_id": [None, vip.id]}

    client.post(
        f"/admin/customers/{customer.id}/group",
        data={"customer_group_id": "", "csrf_token": client.csrf},
    )
    assert db_session.get(Customer, customer.id).customer_group_id is None

    forged = client.post(f"/admin/customers/{customer.id}/group", data={"customer_group_id": "1"})
    assert forged.status_code == 400  # no CSRF token
    manager = other_client(app, "manager")
    refused = manager.post(
        f"/admin/customers/{customer.id}/group",
        data={"customer_group_id": str(vip.id), "csrf_token": manager.csrf},
    )
    assert refused.status_code == 403 and missing_permission(refused) == "customers.edit"
    assert db_session.get(Customer, customer.id).customer_group_id is None


# --- data export ---------------------------------------------------------------------------------


def _start_export(client, customer_id: int) -> CustomerDataExport:
    response = client.post(
        f"/admin/customers/{customer_id}/exports", data={"csrf_token": client.csrf}
    )
    assert response.status_code == 302
    return data_exports.list_exports(customer_id)[0]


def test_export_job_builds_a_zip_that_only_customers_export_may_download(
    app, sign_in, db_session, exports_dir
):
    client, support = sign_in("support")
    customer = register(email="subject@example.com", first_name="Sub").customer
    addresses.create_address(customer.id, HOME, actor=SYSTEM)
    order = make_order(customer.id)
    notes.add_note(customer.id, "Asked for their data by letter", actor=SYSTEM)

    export = _start_export(client, customer.id)
    assert export.status == "queued" and export.requested_by_id == support.id
    assert Queue("reports", connection=get_redis()).job_ids == [f"customer-export-{export.id}"]
    waiting = body_of(client.get(page(customer.id)))
    assert "Waiting for a worker" in waiting and 'http-equiv="refresh"' in waiting

    assert customer_exports.build_customer_export(export.id)["status"] == "ready"
    ready = body_of(client.get(page(customer.id)))
    link = f"/admin/customers/{customer.id}/exports/{export.id}/download"
    assert f'href="{link}"' in ready and 'http-equiv="refresh"' not in ready

    response = client.get(link)
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert (
        f"customer-{customer.id}-data-export-{export.id}.zip"
        in response.headers["Content-Disposition"]
    )
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert sorted(archive.namelist()) == ["customer-data.json", "staff-notes.json"]
        data = json.loads(archive.read("customer-data.json"))
        staff_notes = json.loads(archive.read("staff-notes.json"))
    assert data["profile"]["email"] == "subject@example.com"
    assert [a["line1"] for a in data["addresses"]] == ["Unter den Linden 1"]
    assert [o["number"] for o in data["orders"]] == [order.number]
    assert [n["body"] for n in staff_notes] == ["Asked for their data by letter"]
    actions = [e.action for e in audit.history("customer", customer.id)]
    assert actions[:2] == ["customer.data_export_download", "customer.data_export"]

    refused = other_client(app, "merchandiser").get(link)
    assert refused.status_code == 403 and missing_permission(refused) == "customers.export"


def test_archives_are_deleted_after_their_keeping_period_and_on_erasure(
    sign_in, db_session, exports_dir
):
    assert any(e.func == "jobs.maintenance.purge_customer_exports" for e in SCHEDULE)
    client, _user = sign_in("admin")
    old, kept = make_customer(), make_customer()
    erased = make_customer()
    built = {}
    for customer in (old, kept, erased):
        export = _start_export(client, customer.id)
        customer_exports.build_customer_export(export.id)
        built[customer.id] = export.id
    db_session.execute(
        update(CustomerDataExport)
        .where(CustomerDataExport.id == built[old.id])
        .values(expires_at=utcnow() - dt.timedelta(minutes=1))
    )
    db_session.commit()
    client.post(
        f"/admin/customers/{erased.id}/erase",
        data={"confirm_email": erased.email, "csrf_token": client.csrf},
    )

    assert purge_customer_exports() == 2
    for customer_id, gone in ((old.id, True), (kept.id, False), (erased.id, True)):
        path = data_exports.archive_path(built[customer_id])
        assert path.exists() is not gone
        status = db_session.get(CustomerDataExport, built[customer_id]).status
        assert status == ("deleted" if gone else "ready")
    expired = client.get(
        f"/admin/customers/{old.id}/exports/{built[old.id]}/download", follow_redirects=True
    )
    assert "not available" in body_of(expired)


@pytest.mark.committed
def test_a_real_worker_builds_the_archive_with_progress(app, sign_in, db_session, exports_dir):
    client, _user = sign_in("support")
    customer = register(email="worker@example.com").customer
    export = _start_export(client, customer.id)

    run_worker(app, queues=("reports",))

    db_session.expire_all()
    assert db_session.get(CustomerDataExport, export.id).status == "ready"
    assert customer_exports.progress_of(export.id) == {
        "steps_done": 3,
        "steps_total": 3,
        "step": "Ready",
    }
    with zipfile.ZipFile(data_exports.archive_path(export.id)) as archive:
        data = json.loads(archive.read("customer-data.json"))
    assert data["profile"]["email"] == "worker@example.com"


# --- erasure -------------------------------------------------------------------------------------


def test_erasure_needs_customers_erase(sign_in):
    customer = make_customer()
    client, _support = sign_in("support")  # support may edit and export, not erase
    assert 'id="erase-link"' not in body_of(client.get(page(customer.id)))
    for response in (
        client.get(f"/admin/customers/{customer.id}/erase"),
        client.post(
            f"/admin/customers/{customer.id}/erase",
            data={"confirm_email": customer.email, "csrf_token": client.csrf},
        ),
    ):
        assert response.status_code == 403
        assert missing_permission(response) == "customers.erase"


def test_erasure_confirmation_must_type_the_customers_email(sign_in, db_session):
    client, _admin = sign_in("admin")
    customer = register(email="keep.me@example.com", first_name="Kim").customer
    confirm = body_of(client.get(f"/admin/customers/{customer.id}/erase"))
    assert "This cannot be undone." in confirm and "keep.me@example.com" in confirm
    assert "Orders (0) and invoices are <strong>kept</strong>" in confirm

    response = client.post(
        f"/admin/customers/{customer.id}/erase",
        data={"confirm_email": "someone.else@example.com", "csrf_token": client.csrf},
    )
    assert response.status_code == 400
    assert "does not match the customer&#39;s email; nothing was erased" in body_of(response)
    db_session.expire_all()
    still = db_session.get(Customer, customer.id)
    assert (still.email, still.first_name, still.erased_at) == ("keep.me@example.com", "Kim", None)


def test_erasure_anonymises_customer_addresses_and_orders_and_names_the_staff(sign_in, db_session):
    client, admin = sign_in("admin")
    customer = register(
        email="forget.me@example.com", first_name="Fiona", last_name="Forget", phone="+4930999111"
    ).customer
    addresses.create_address(customer.id, {**HOME, "phone": "+4930999111"}, actor=SYSTEM)
    notes.add_note(customer.id, "Fiona called about her parcel", actor=SYSTEM)
    delivered = make_order(
        customer.id,
        email="forget.me@example.com",
        shipping_address={**HOME, "country": "DE", "phone": "+4930999111"},
        billing_address={**HOME, "country": "DE", "phone": "+4930999111", "email": "f@x.example"},
    )

    response = client.post(
        f"/admin/customers/{customer.id}/erase",
        data={"confirm_email": "  Forget.Me@example.com ", "csrf_token": client.csrf},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert f"Customer #{customer.id} erased" in body_of(response)

    db_session.expire_all()
    erased = db_session.get(Customer, customer.id)
    assert erased.email == f"erased-{customer.id}@erased.invalid"
    assert (erased.first_name, erased.last_name, erased.phone) == ("Erased", "Customer", None)
    assert erased.erased_at is not None and erased.password_hash is None
    assert (
        db_session.scalars(
            select(CustomerAddress).where(CustomerAddress.customer_id == customer.id)
        ).all()
        == []
    )
    assert (
        db_session.scalars(
            select(CustomerNote).where(CustomerNote.customer_id == customer.id)
        ).all()
        == []
    )
    order = db_session.get(Order, delivered.id)
    assert order.email == erased.email
    assert order.shipping_address == {"country": "DE", "postcode": "10117"}
    # Only what decided the tax stays on the order (the invoice keeps its own addressee).
    assert set(order.billing_address) <= {"country", "region", "postcode"}
    row = json.dumps([order.shipping_address, order.billing_address, order.email])
    assert "999111" not in row and "forget.me" not in row and "Forget" not in row

    entry = db_session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "customer.erase", AuditEntry.object_id == str(customer.id)
        )
    )
    assert (entry.actor_kind, entry.actor_id, entry.actor_label) == ("staff", admin.id, admin.email)
    assert entry.changes["notes_deleted"] == [None, 1]
    everything = json.dumps([e.changes for e in audit.history("customer", customer.id)])
    assert "forget.me" not in everything.lower() and "Fiona" not in everything
    assert "999111" not in everything


def test_erasure_with_an_open_order_is_refused_with_the_reason(sign_in, db_session):
    client, _admin = sign_in("admin")
    customer = register(email="busy@example.com").customer
    open_order = make_order(customer.id, status="paid")
    confirm = body_of(client.get(f"/admin/customers/{customer.id}/erase"))
    assert f"#{open_order.number}" in confirm  # warned before trying

    response = client.post(
        f"/admin/customers/{customer.id}/erase",
        data={"confirm_email": "busy@example.com", "csrf_token": client.csrf},
        follow_redirects=True,
    )
    assert f"The customer has open orders (#{open_order.number})" in body_of(response)
    db_session.expire_all()
    assert db_session.get(Customer, customer.id).erased_at is None

"""Digital goods: files with per-purchase download limits and expiry, signed links, license keys."""

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commerce import db
from commerce.catalog import downloads
from commerce.catalog import service as catalog
from commerce.catalog.digital import LicenseKey
from commerce.db import utcnow
from commerce.errors import InvalidInput
from commerce.events import OutboxEvent
from commerce.orders.models import Order, OrderLine
from tests.catalog.factories import make_product
from tests.factories import SYSTEM


@pytest.fixture
def storage(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "PRIVATE_STORAGE_DIR", str(tmp_path / "private"))
    return tmp_path / "private"


def make_ebook(sku="EBOOK-1"):
    product = make_product(title=f"Handbook {sku}")
    return catalog.create_variant(
        product.id, sku=sku, price_amount=1500, is_digital=True, actor=SYSTEM
    )


def make_line(session, variant, quantity=1):
    order = Order(
        email="reader@shop.example",
        currency="EUR",
        status="paid",
        payment_status="paid",
        subtotal_amount=1500 * quantity,
        total_amount=1500 * quantity,
        placed_at=utcnow(),
    )
    line = OrderLine(
        order=order,
        variant_id=variant.id,
        sku=variant.sku,
        title="Handbook",
        quantity=quantity,
        unit_price_amount=1500,
        total_amount=1500 * quantity,
    )
    session.add(order)
    session.commit()
    return line


def test_download_limit_is_enforced_per_purchase(db_session, storage):
    ebook = make_ebook()
    downloads.add_digital_file(
        ebook.id,
        filename="Handbook v2.pdf",
        content=b"%PDF-1.7 body",
        download_limit=2,
        expires_after_days=30,
        actor=SYSTEM,
    )
    line = make_line(db_session, ebook)
    [grant] = downloads.grant_downloads(line.id)
    token = downloads.download_token(grant.id)

    path, name = downloads.redeem_download(token)
    assert name == "Handbook_v2.pdf" and path.read_bytes() == b"%PDF-1.7 body"
    downloads.redeem_download(token)
    with pytest.raises(downloads.DownloadUnavailable, match="used as often as the purchase"):
        downloads.redeem_download(token)
    assert db_session.get(type(grant), grant.id).downloads_used == 2


def test_grants_expire(db_session, storage):
    ebook = make_ebook("EBOOK-2")
    downloads.add_digital_file(
        ebook.id,
        filename="a.zip",
        content=b"zip",
        download_limit=None,
        expires_after_days=7,
        actor=SYSTEM,
    )
    line = make_line(db_session, ebook)
    bought = utcnow() - dt.timedelta(days=8)
    [grant] = downloads.grant_downloads(line.id, now=bought)
    with pytest.raises(downloads.DownloadUnavailable, match="expired"):
        downloads.redeem_download(downloads.download_token(grant.id))


def test_links_are_signed_and_time_limited(db_session, storage):
    ebook = make_ebook("EBOOK-3")
    downloads.add_digital_file(ebook.id, filename="a.zip", content=b"zip", actor=SYSTEM)
    [grant] = downloads.grant_downloads(make_line(db_session, ebook).id)
    token = downloads.download_token(grant.id)
    with pytest.raises(downloads.DownloadUnavailable, match="not valid"):
        flipped = "B" if token[-2] == "A" else "A"  # a fully significant signature character
        downloads.redeem_download(token[:-2] + flipped + token[-1])
    with pytest.raises(downloads.DownloadUnavailable, match="link has expired"):
        downloads.redeem_download(token, max_age=-1)


def test_granting_twice_gives_the_same_grants(db_session, storage):
    ebook = make_ebook("EBOOK-4")
    downloads.add_digital_file(
        ebook.id, filename="a.zip", content=b"zip", download_limit=3, actor=SYSTEM
    )
    line = make_line(db_session, ebook, quantity=2)
    first = downloads.grant_downloads(line.id)
    again = downloads.grant_downloads(line.id)
    assert [g.id for g in first] == [g.id for g in again]
    assert first[0].download_limit == 6  # three downloads per unit bought


def test_files_only_for_digital_variants(db_session, storage):
    product = make_product()
    shirt = catalog.create_variant(product.id, sku="PHYS-1", price_amount=100, actor=SYSTEM)
    with pytest.raises(InvalidInput, match="PHYS-1 is not a digital variant"):
        downloads.add_digital_file(shirt.id, filename="x.pdf", content=b"x", actor=SYSTEM)


def test_license_keys_issue_one_per_unit_once_and_alert_when_low(db_session):
    ebook = make_ebook("KEYED-1")
    added, dupes = downloads.import_license_keys(
        ebook.id, ["AAA-1", "AAA-2", "AAA-2", "", "AAA-3", "AAA-4"], low_threshold=1, actor=SYSTEM
    )
    assert (added, dupes) == (4, 1)
    line = make_line(db_session, ebook, quantity=3)
    keys = downloads.issue_license_keys(line.id)
    assert keys == ["AAA-1", "AAA-2", "AAA-3"]
    assert downloads.issue_license_keys(line.id) == keys  # idempotent
    assert downloads.available_keys(ebook.id) == 1
    alerts = db_session.scalars(
        select(OutboxEvent).where(OutboxEvent.name == "license_pool.low")
    ).all()
    assert [a.payload for a in alerts] == [{"variant_id": ebook.id, "available": 1, "threshold": 1}]
    other = make_line(db_session, ebook, quantity=2)
    with pytest.raises(downloads.OutOfLicenseKeys, match="Only 1 license key"):
        downloads.issue_license_keys(other.id)
    assert downloads.available_keys(ebook.id) == 1  # nothing half-issued


@pytest.mark.committed
def test_concurrent_orders_never_share_a_key(app, db_session):
    ebook = make_ebook("KEYED-2")
    downloads.import_license_keys(ebook.id, [f"K-{n}" for n in range(10)], actor=SYSTEM)
    lines = [make_line(db_session, ebook).id for _ in range(12)]
    barrier = threading.Barrier(len(lines))
    results: dict[int, object] = {}

    def buy(line_id):
        with app.app_context():
            db.session.configure(bind=db.engine())
            barrier.wait()
            try:
                results[line_id] = downloads.issue_license_keys(line_id)
            except downloads.OutOfLicenseKeys as exc:
                results[line_id] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=buy, args=(lid,)) for lid in lines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    issued = [r[0] for r in results.values() if isinstance(r, list)]
    assert len(issued) == 10 and len(set(issued)) == 10
    assert sum(isinstance(r, downloads.OutOfLicenseKeys) for r in results.values()) == 2
    with Session(db.engine()) as check:
        assert (
            check.scalar(
                select(func.count()).select_from(LicenseKey).where(LicenseKey.status == "issued")
            )
            == 10
        )

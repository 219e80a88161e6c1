"""Shipping documents: the carrier's label and our packing slip for a shipment, stored under
SHIPPING_DOCS_DIR (default instance/shipping), and bulk printing of either for many shipments.

`make_shipping_documents` is what the `shipment.created` job calls. It locks the shipment's row,
buys the label through the carrier interface with the shipment's stored idempotency key (a retry
gets the same label, never a second one), draws the packing slip, writes both files, and moves the
shipment to label_ready (or to shipped when staff entered a tracking number from a label bought
elsewhere). Run again, it changes nothing; a file lost from disk is made again, byte for byte.

Packing slips are A4 PDFs drawn with reportlab in `invariant` mode (no creation date or random
id), so the same shipment always gives the same bytes: shop name, order number, ship-to address,
the lines (SKU, title, quantity) and the order number as a Code 128 barcode for the packing bench's
scanner. Helvetica covers Latin-1; other scripts want a TrueType font registered.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from flask import current_app
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.catalog.models import Variant
from commerce.db import utcnow
from commerce.errors import InvalidInput, NotFound
from commerce.fulfilment.models import Shipment
from commerce.inventory.models import Warehouse
from commerce.orders import timeline
from commerce.orders.models import Order, OrderLine
from commerce.shipping import carriers
from commerce.shipping.carriers import PostalAddress, get_carrier

KINDS = ("labels", "packing_slips")
# A parcel whose variants have no weight recorded is labelled at this weight (carriers refuse 0 g).
DEFAULT_PARCEL_GRAMS = 500
MARGIN = 40
ROWS_PER_PAGE = 32


def docs_dir() -> Path:
    """Where labels and packing slips are stored (SHIPPING_DOCS_DIR, else instance/shipping)."""
    configured = current_app.config.get("SHIPPING_DOCS_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "shipping"


def document_path(shipment: Shipment, kind: str) -> Path | None:
    """The stored label ("labels") or packing slip ("packing_slips") of a shipment, None while
    the job has not made it. Raises InvalidInput naming `kind`."""
    if kind not in KINDS:
        raise InvalidInput(f"kind: must be one of {', '.join(KINDS)}", fields={"kind": "unknown"})
    relative = shipment.label_path if kind == "labels" else shipment.packing_slip_path
    return docs_dir() / relative if relative else None


# --- the parcel as a carrier sees it -----------------------------------------------------------


def recipient_of(order: Order) -> PostalAddress:
    """The order's ship-to address as printed on a label. Raises InvalidInput naming
    `shipping_address` when the order has none."""
    address = order.shipping_address or {}
    if not address.get("name") or not address.get("line1") or not address.get("country"):
        problem = f"order #{order.number} has no address to ship to"
        raise InvalidInput(f"shipping_address: {problem}", fields={"shipping_address": problem})
    return PostalAddress(
        name=str(address["name"]),
        line1=str(address["line1"]),
        city=str(address.get("city") or ""),
        postcode=str(address.get("postcode") or ""),
        country=str(address["country"]).upper(),
        line2=address.get("line2") or None,
        region=address.get("region") or None,
        company=address.get("company") or None,
        phone=address.get("phone") or None,
    )


def sender_of(warehouse: Warehouse) -> PostalAddress:
    """The sender printed on a label: the shop, at the warehouse the parcel leaves from."""
    shop = str(current_app.config.get("SHOP_NAME") or "Shop")
    return PostalAddress(
        name=shop, line1=warehouse.name, city="", postcode="", country=warehouse.country
    )


def parcel_for(
    order: Order, warehouse: Warehouse, items: Sequence[tuple[OrderLine, int]]
) -> carriers.Shipment:
    """The parcel of `items` ((order line, quantity), ...) as the carrier interface takes it:
    weight from the variants (DEFAULT_PARCEL_GRAMS when none is recorded), declared value from
    the unit prices, the first special shipping class found. Raises InvalidInput naming
    `shipping_address`."""
    variant_ids = [line.variant_id for line, _ in items if line.variant_id is not None]
    variants = {
        v.id: v for v in db.session.scalars(select(Variant).where(Variant.id.in_(variant_ids)))
    }
    weight, value, classes = 0, 0, []
    for line, quantity in items:
        variant = variants.get(line.variant_id) if line.variant_id is not None else None
        weight += ((variant.weight_grams or 0) if variant else 0) * quantity
        value += line.unit_price_amount * quantity
        if variant is not None and variant.shipping_class != "standard":
            classes.append(variant.shipping_class)
    return carriers.Shipment(
        sender=sender_of(warehouse),
        recipient=recipient_of(order),
        weight_grams=weight or DEFAULT_PARCEL_GRAMS,
        declared_value=value,
        currency=order.currency,
        reference=f"Order {order.number}",
        shipping_class=classes[0] if classes else "standard",
    )


def _items(shipment: Shipment) -> list[tuple[OrderLine, int]]:
    return [(line.order_line, line.quantity) for line in shipment.lines]


# --- packing slip --------------------------------------------------------------------------------


def _fit(text: str, font: str, size: float, width: float) -> str:
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "...", font, size) > width:
        text = text[:-1]
    return text + "..."


def render_packing_slip(shipment: Shipment) -> bytes:
    """The packing slip PDF of a shipment: shop name, order number, shipment number and
    warehouse, ship-to address, its lines (SKU, title, quantity) over as many pages as they take,
    and the order number as a Code 128 barcode on each page."""
    order = shipment.order
    shop = str(current_app.config.get("SHOP_NAME") or "Shop")
    width, height = A4
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    canvas.setTitle(f"Packing slip {shipment}")
    rows = [
        (line.sku, line.title, quantity, line.option_values or {})
        for line, quantity in _items(shipment)
    ]
    pages = [rows[i : i + ROWS_PER_PAGE] for i in range(0, len(rows), ROWS_PER_PAGE)] or [[]]
    try:
        ship_to = recipient_of(order).lines()
    except InvalidInput:
        ship_to = ["(no shipping address)"]
    for page_no, page in enumerate(pages, start=1):
        y = height - MARGIN - 10
        canvas.setFont("Helvetica-Bold", 18)
        canvas.drawString(MARGIN, y, _fit(shop, "Helvetica-Bold", 18, width / 2))
        canvas.setFont("Helvetica-Bold", 14)
        canvas.drawRightString(width - MARGIN, y, "PACKING SLIP")
        y -= 20
        canvas.setFont("Helvetica", 10)
        canvas.drawString(MARGIN, y, f"Order #{order.number}")
        canvas.drawRightString(
            width - MARGIN, y, f"Shipment {shipment} from {shipment.warehouse.code}"
        )
        y -= 14
        canvas.drawString(MARGIN, y, f"Placed {order.placed_at:%d %B %Y}")
        canvas.drawRightString(
            width - MARGIN, y, f"{shipment.carrier} {shipment.service}  page {page_no}/{len(pages)}"
        )

        barcode = Code128(str(order.number), barHeight=40, barWidth=1.2, humanReadable=True)
        barcode.drawOn(canvas, width - MARGIN - barcode.width, y - 80)

        y -= 28
        canvas.setFont("Helvetica-Bold", 9)
        canvas.drawString(MARGIN, y, "SHIP TO")
        y -= 14
        for i, text in enumerate(ship_to):
            font = "Helvetica-Bold" if i == 0 else "Helvetica"
            canvas.setFont(font, 11)
            canvas.drawString(MARGIN, y, _fit(text, font, 11, width / 2 - MARGIN))
            y -= 14
        y = min(y, height - 190) - 16

        sku_x, title_x, qty_x = MARGIN, MARGIN + 130, width - MARGIN
        canvas.setFont("Helvetica-Bold", 10)
        canvas.drawString(sku_x, y, "SKU")
        canvas.drawString(title_x, y, "Item")
        canvas.drawRightString(qty_x, y, "Qty")
        y -= 6
        canvas.line(MARGIN, y, width - MARGIN, y)
        y -= 14
        for sku, title, quantity, options in page:
            canvas.setFont("Helvetica", 10)
            canvas.drawString(sku_x, y, _fit(sku, "Helvetica", 10, 125))
            label = title
            if options:
                label += " (" + ", ".join(f"{k}: {v}" for k, v in sorted(options.items())) + ")"
            canvas.drawString(title_x, y, _fit(label, "Helvetica", 10, qty_x - title_x - 40))
            canvas.setFont("Helvetica-Bold", 10)
            canvas.drawRightString(qty_x, y, str(quantity))
            y -= 16
        if page_no == len(pages):
            canvas.line(MARGIN, y + 8, width - MARGIN, y + 8)
            canvas.setFont("Helvetica-Bold", 10)
            canvas.drawString(title_x, y - 6, "Units in this parcel")
            canvas.drawRightString(qty_x, y - 6, str(sum(q for _, _, q, _ in rows)))
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# --- the job's use case ----------------------------------------------------------------------


def _write(relative: str, data: bytes) -> None:
    """Write a document atomically (a reader never sees half a PDF)."""
    path = docs_dir() / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _buy_label(shipment: Shipment) -> carriers.Label:
    parcel = parcel_for(shipment.order, shipment.warehouse, _items(shipment))
    return get_carrier(shipment.carrier).create_label(
        parcel, shipment.service, idempotency_key=shipment.idempotency_key
    )


def make_shipping_documents(shipment_id: int, *, actor: Actor) -> Shipment:
    """Make and store a shipment's label (through its carrier, with the shipment's idempotency
    key) and packing slip, set its tracking number and move it to label_ready (shipped when it
    already had a tracking number); records `shipment.documents_ready`. Safe to run again: a
    shipment past pending only gets a lost file re-made. Raises NotFound, and what the carrier
    raises (InvalidInput for a parcel it refuses; the job retries on network errors)."""
    try:
        shipment = db.session.get(
            Shipment, shipment_id, with_for_update=True, populate_existing=True
        )
        if shipment is None:
            raise NotFound(f"Shipment {shipment_id} does not exist.")
        if shipment.status == "cancelled":
            db.session.commit()
            return shipment
        folder = f"{shipment.order.number}"
        label_file = f"{folder}/shipment-{shipment.sequence}-label.pdf"
        slip_file = f"{folder}/shipment-{shipment.sequence}-packing-slip.pdf"
        if shipment.status != "pending":
            # Done before: only put back a file that went missing (the same bytes again).
            label = document_path(shipment, "labels")
            if label is not None and not label.exists():
                _write(shipment.label_path or label_file, _buy_label(shipment).pdf)
            slip = document_path(shipment, "packing_slips")
            if slip is None or not slip.exists():
                _write(shipment.packing_slip_path or slip_file, render_packing_slip(shipment))
            if shipment.packing_slip_path is None:
                # A carrier's update moved it on (staff had entered the tracking number) before
                # this job ran: the slip is new, and the customer has not been told yet.
                shipment.packing_slip_path = slip_file
                events.record(
                    "shipment.documents_ready", shipment_id=shipment.id, order_id=shipment.order_id
                )
            db.session.commit()
            return shipment

        if shipment.tracking_number is None:
            bought = _buy_label(shipment)
            _write(label_file, bought.pdf)
            shipment.label_path = label_file
            shipment.tracking_number = bought.tracking_number
            shipment.status = "label_ready"
            message = (
                f"Shipment {shipment.sequence}: label {bought.tracking_number} "
                f"({shipment.carrier} {shipment.service}) and packing slip ready"
            )
        else:
            shipment.status, shipment.shipped_at = "shipped", utcnow()
            message = (
                f"Shipment {shipment.sequence}: packing slip ready; shipped with tracking "
                f"{shipment.tracking_number}"
            )
        _write(slip_file, render_packing_slip(shipment))
        shipment.packing_slip_path = slip_file
        timeline.record(
            shipment.order_id,
            "shipment",
            message,
            actor=actor,
            shipment_id=shipment.id,
            tracking_number=shipment.tracking_number,
        )
        audit.record(
            actor,
            "shipment.documents",
            "shipment",
            shipment.id,
            {
                "status": ["pending", shipment.status],
                "tracking_number": [None, shipment.tracking_number],
            },
        )
        events.record(
            "shipment.documents_ready", shipment_id=shipment.id, order_id=shipment.order_id
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return shipment


# --- bulk printing ---------------------------------------------------------------------------


def _merge(paths: Iterable[Path]) -> tuple[bytes, str]:
    """One PDF of every page of `paths` (pypdf), or a zip of the files when pypdf is not
    installed. Returns (bytes, file extension)."""
    try:
        from pypdf import PdfWriter
    except ImportError:  # pragma: no cover - depends on the installed packages
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in paths:
                archive.write(path, arcname=path.name)
        return buffer.getvalue(), "zip"
    writer = PdfWriter()
    for path in paths:
        writer.append(str(path))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue(), "pdf"


def print_documents(shipment_ids: Sequence[int], kind: str = "labels") -> Path:
    """One file with the labels ("labels") or packing slips ("packing_slips") of the shipments,
    in the order given, for the back-office's bulk print: a PDF of all their pages (a zip of the
    PDFs where pypdf is not installed). Returns its path under SHIPPING_DOCS_DIR/prints. Raises
    InvalidInput naming `kind`, `shipment_ids` (empty) or the shipments whose document is not
    made yet, NotFound."""
    if kind not in KINDS:
        raise InvalidInput(f"kind: must be one of {', '.join(KINDS)}", fields={"kind": "unknown"})
    ids = list(dict.fromkeys(shipment_ids))
    if not ids:
        raise InvalidInput("shipment_ids: choose at least one", fields={"shipment_ids": "empty"})
    found = {s.id: s for s in db.session.scalars(select(Shipment).where(Shipment.id.in_(ids)))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"Shipment {missing[0]} does not exist.", details={"ids": missing})
    paths, not_ready = [], []
    for shipment_id in ids:
        path = document_path(found[shipment_id], kind)
        if path is None or not path.exists():
            not_ready.append(str(found[shipment_id]))
        else:
            paths.append(path)
    if not_ready:
        what = "label" if kind == "labels" else "packing slip"
        problem = f"no {what} yet for {', '.join(not_ready)}"
        raise InvalidInput(f"shipment_ids: {problem}", fields={"shipment_ids": problem})
    data, extension = _merge(paths)
    digest = hashlib.sha256(data).hexdigest()[:12]
    out = docs_dir() / "prints" / f"{kind}-{utcnow():%Y%m%d-%H%M%S}-{digest}.{extension}"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out

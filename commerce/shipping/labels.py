"""Shipping label PDFs (4 x 6 inch, the thermal printers' size) drawn with reportlab.

The PDF is made with reportlab's `invariant` mode (no creation date or random document id), so
the same shipment and tracking number always give byte-identical files. Text is set in Helvetica,
which covers Latin-1; other scripts print as missing glyphs and want a TrueType font registered.
"""

from __future__ import annotations

import io

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import inch
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from commerce.shipping.carriers import Shipment

PAGE = (4 * inch, 6 * inch)
MARGIN = 14


def format_weight(grams: int) -> str:
    """A weight for people: 1250 -> "1.25 kg", 850 -> "850 g"."""
    if grams < 1000:
        return f"{grams} g"
    return f"{grams / 1000:.2f}".rstrip("0").rstrip(".") + " kg"


def _fit(text: str, font: str, size: float, width: float) -> str:
    """`text`, cut short with an ellipsis when it is wider than `width` points."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "...", font, size) > width:
        text = text[:-1]
    return text + "..."


def _block(canvas: Canvas, title: str, lines: list[str], top: float, size: float) -> float:
    canvas.setFont("Helvetica-Bold", 7)
    canvas.drawString(MARGIN, top, title)
    y = top - size - 3
    width = PAGE[0] - 2 * MARGIN - 6
    for i, line in enumerate(lines):
        font = "Helvetica-Bold" if i == 0 else "Helvetica"
        canvas.setFont(font, size)
        canvas.drawString(MARGIN + 6, y, _fit(line, font, size, width))
        y -= size + 2
    return y


def render_label(
    shipment: Shipment, *, tracking_number: str, carrier_name: str, service_name: str
) -> bytes:
    """The label PDF: carrier and service, weight, sender, recipient, reference and the tracking
    number as text and as a Code 128 barcode."""
    width, height = PAGE
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=PAGE, invariant=1)
    canvas.setTitle(f"Shipping label {tracking_number}")
    canvas.setSubject(f"{carrier_name} {service_name}")

    y = height - MARGIN - 14
    canvas.setFont("Helvetica-Bold", 16)
    canvas.drawString(MARGIN, y, carrier_name)
    canvas.setFont("Helvetica-Bold", 12)
    canvas.drawRightString(width - MARGIN, y, service_name.upper())
    y -= 16
    canvas.setFont("Helvetica", 9)
    canvas.drawString(MARGIN, y, f"Weight: {format_weight(shipment.weight_grams)}")
    if shipment.reference:
        canvas.drawRightString(width - MARGIN, y, f"Ref: {shipment.reference}")
    y -= 8
    canvas.line(MARGIN, y, width - MARGIN, y)

    y = _block(canvas, "FROM", shipment.sender.lines(), y - 12, 8)
    canvas.line(MARGIN, y, width - MARGIN, y)
    y = _block(canvas, "TO", shipment.recipient.lines(), y - 14, 12)
    canvas.line(MARGIN, y, width - MARGIN, y)

    barcode = Code128(tracking_number, barHeight=70, barWidth=1, humanReadable=False, quiet=False)
    scale = min(1.6, (width - 2 * MARGIN) / barcode.width)
    barcode = Code128(
        tracking_number, barHeight=70, barWidth=scale, humanReadable=False, quiet=False
    )
    barcode.drawOn(canvas, (width - barcode.width) / 2, MARGIN + 40)
    canvas.setFont("Helvetica", 8)
    canvas.drawCentredString(width / 2, MARGIN + 28, "TRACKING NUMBER")
    canvas.setFont("Helvetica-Bold", 14)
    canvas.drawCentredString(width / 2, MARGIN + 10, tracking_number)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()

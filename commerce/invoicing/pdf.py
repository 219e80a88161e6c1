"""The PDF of an invoice or credit note (A4), drawn with reportlab from its snapshot alone.

The PDF is made in reportlab's `invariant` mode (no creation date or random document id), so one
snapshot always gives byte-identical files: a lost file can be drawn again and must match the
SHA-256 kept on the row. Text is set in Helvetica, which covers Latin-1; other scripts print as
missing glyphs and want a TrueType font registered.

Line amounts print without the currency code (the table's heading names it); totals print with it.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from commerce.money import exponent, format_money

WIDTH, HEIGHT = A4
MARGIN = 50
GREY = Color(0.4, 0.4, 0.4)
RULE = Color(0.75, 0.75, 0.75)
TITLES = {"invoice": "INVOICE", "credit_note": "CREDIT NOTE"}
# Right edges of the line table's number columns, after the description (left-aligned).
COLUMNS = (
    ("Qty", 245),
    ("Unit price", 300),
    ("Discount", 350),
    ("Rate", 385),
    ("Net", 440),
    ("Tax amount", 492),
    ("Total", WIDTH - MARGIN),
)
DESCRIPTION_WIDTH = 165
ROW = 24
BOTTOM = MARGIN + 40


def format_rate(rate: str | None) -> str:
    """A tax rate for people: "0.19" -> "19%", "0.055" -> "5.5%", None -> "-"."""
    if rate is None:
        return "-"
    percent = (Decimal(rate) * 100).normalize()
    return f"{percent:f}%"


def _amount(value: int | None, currency: str) -> str:
    if value is None:
        return ""
    places = exponent(currency)
    return f"{Decimal(value).scaleb(-places):,.{places}f}"


def _date(value: str) -> str:
    return dt.datetime.fromisoformat(value).astimezone(dt.UTC).strftime("%Y-%m-%d")


def _fit(text: str, font: str, size: float, width: float) -> str:
    """`text`, cut short with an ellipsis when it is wider than `width` points."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "...", font, size) > width:
        text = text[:-1]
    return text + "..."


class _Page:
    """A canvas with a cursor, which starts a new page (with the table heading) when full."""

    def __init__(self, canvas: Canvas, doc: Mapping[str, Any]) -> None:
        self.canvas = canvas
        self.doc = doc
        self.number = 1
        self.y = HEIGHT - MARGIN

    def text(self, x: float, text: str, *, size: float = 9, bold: bool = False, right=False):
        font = "Helvetica-Bold" if bold else "Helvetica"
        self.canvas.setFont(font, size)
        if right:
            self.canvas.drawRightString(x, self.y, text)
        else:
            self.canvas.drawString(x, self.y, text)

    def rule(self) -> None:
        self.canvas.setStrokeColor(RULE)
        self.canvas.line(MARGIN, self.y, WIDTH - MARGIN, self.y)
        self.canvas.setStrokeColor(black)

    def footer(self) -> None:
        self.canvas.setFillColor(GREY)
        self.canvas.setFont("Helvetica", 7)
        label = f"{self.doc['number']} - page {self.number}"
        self.canvas.drawRightString(WIDTH - MARGIN, MARGIN - 20, label)
        self.canvas.drawString(MARGIN, MARGIN - 20, self.doc["seller"]["name"])
        self.canvas.setFillColor(black)

    def need(self, height: float, *, table_heading: bool = False) -> None:
        if self.y - height >= BOTTOM:
            return
        self.footer()
        self.canvas.showPage()
        self.number += 1
        self.y = HEIGHT - MARGIN
        self.text(MARGIN, f"{TITLES[self.doc['kind']].title()} {self.doc['number']}", bold=True)
        self.y -= 24
        if table_heading:
            _table_heading(self)


def _block(page: _Page, x: float, y: float, title: str, lines: Sequence[str]) -> float:
    page.y = y
    page.canvas.setFillColor(GREY)
    page.text(x, title, size=7, bold=True)
    page.canvas.setFillColor(black)
    for i, line in enumerate(lines):
        page.y -= 12
        page.text(x, _fit(line, "Helvetica", 9, 230), bold=i == 0)
    return page.y


def _header(page: _Page) -> None:
    doc = page.doc
    seller, buyer = doc["seller"], doc["buyer"]
    top = HEIGHT - MARGIN - 6
    page.y = top
    page.text(MARGIN, _fit(seller["name"], "Helvetica-Bold", 14, 260), size=14, bold=True)
    for line in seller["address"]:
        page.y -= 12
        page.text(MARGIN, _fit(line, "Helvetica", 9, 260))
    if seller.get("vat_id"):
        page.y -= 12
        page.text(MARGIN, f"VAT ID: {seller['vat_id']}")
    seller_bottom = page.y

    page.y = top
    right = WIDTH - MARGIN
    page.text(right, TITLES[doc["kind"]], size=18, bold=True, right=True)
    facts = [
        ("Number", doc["number"]),
        ("Date", _date(doc["issued_at"])),
        ("Order", f"#{doc['order']['number']}"),
        ("Order date", _date(doc["order"]["placed_at"])),
    ]
    if doc["kind"] == "credit_note":
        facts.append(("Credits invoice", doc["credits"]["number"]))
    page.y -= 8
    for label, value in facts:
        page.y -= 13
        page.canvas.setFillColor(GREY)
        page.text(right - 110, label, size=8, right=True)
        page.canvas.setFillColor(black)
        page.text(right, value, size=9, bold=label == "Number", right=True)
    facts_bottom = page.y

    buyer_lines = [buyer["name"], *buyer["address"], buyer["email"]]
    if buyer.get("vat_id"):
        buyer_lines.append(f"VAT ID: {buyer['vat_id']}")
    y = min(seller_bottom, facts_bottom) - 30
    page.y = _block(page, MARGIN, y, "BILL TO", buyer_lines) - 28


def _table_heading(page: _Page) -> None:
    currency = page.doc["currency"]
    page.canvas.setFillColor(GREY)
    page.text(MARGIN, f"Description (amounts in {currency})", size=8, bold=True)
    for label, right in COLUMNS:
        page.text(right, label, size=8, bold=True, right=True)
    page.canvas.setFillColor(black)
    page.y -= 6
    page.rule()
    page.y -= 14


def _lines(page: _Page) -> None:
    doc = page.doc
    currency = doc["currency"]
    page.need(ROW * 2)
    _table_heading(page)
    for line in doc["lines"]:
        page.need(ROW, table_heading=True)
        page.text(MARGIN, _fit(line["title"], "Helvetica", 9, DESCRIPTION_WIDTH))
        values = (
            str(line["quantity"]),
            _amount(line["unit_price"], currency),
            _amount(line["discount"], currency) if line["discount"] else "",
            format_rate(line["tax_rate"]),
            _amount(line["net"], currency),
            _amount(line["tax"], currency),
            _amount(line["gross"], currency),
        )
        for value, (_label, right) in zip(values, COLUMNS, strict=True):
            page.text(right, value, right=True)
        if line.get("sku"):
            page.y -= 10
            page.canvas.setFillColor(GREY)
            page.text(MARGIN, _fit(f"SKU {line['sku']}", "Helvetica", 7, DESCRIPTION_WIDTH), size=7)
            page.canvas.setFillColor(black)
            page.y -= ROW - 10
        else:
            page.y -= ROW - 6
    page.y += 8
    page.rule()
    page.y -= 24


def _breakdown(page: _Page) -> None:
    doc = page.doc
    currency = doc["currency"]
    rows = doc["tax_breakdown"]
    page.need(30 + 14 * (len(rows) + 1))
    page.canvas.setFillColor(GREY)
    page.text(MARGIN, "TAX BREAKDOWN", size=7, bold=True)
    for label, right in (("Net", 330), ("Tax", 400), ("Gross", 470)):
        page.text(right, label, size=8, bold=True, right=True)
    page.canvas.setFillColor(black)
    for row in rows:
        page.y -= 14
        rate = format_rate(row["rate"])
        label = row["name"] if rate in row["name"] else f"{row['name'] or 'Tax'} ({rate})".strip()
        page.text(MARGIN, _fit(label, "Helvetica", 9, 200))
        page.text(330, _amount(row["net"], currency), right=True)
        page.text(400, _amount(row["tax"], currency), right=True)
        page.text(470, _amount(row["gross"], currency), right=True)
    page.y -= 28


def _totals(page: _Page) -> None:
    doc = page.doc
    currency, totals = doc["currency"], doc["totals"]
    rows: list[tuple[str, int, bool]] = [
        ("Net total", totals["net"], False),
        ("Tax total", totals["tax"], False),
        ("Total" if doc["kind"] == "invoice" else "Total credited", totals["gross"], True),
    ]
    if totals.get("gift_card"):
        rows += [
            ("Paid with gift card", -totals["gift_card"], False),
            ("Charged", totals["charged"], False),
        ]
    page.need(16 * len(rows) + 40)
    right = WIDTH - MARGIN
    for label, value, bold in rows:
        page.text(right - 120, label, size=10 if bold else 9, bold=bold, right=True)
        page.text(
            right, format_money(value, currency), size=10 if bold else 9, bold=bold, right=True
        )
        page.y -= 16
    page.y -= 10
    notes = [
        "Prices include tax." if doc["prices_include_tax"] else "Tax is added to the prices shown."
    ]
    if doc["kind"] == "credit_note":
        notes.append(f"This credit note reduces invoice {doc['credits']['number']}.")
        if doc.get("reason"):
            notes.append(f"Reason: {doc['reason']}")
    page.canvas.setFillColor(GREY)
    for note in notes:
        page.need(14)
        page.text(MARGIN, _fit(note, "Helvetica", 8, WIDTH - 2 * MARGIN), size=8)
        page.y -= 12
    page.canvas.setFillColor(black)


def render_pdf(doc: Mapping[str, Any]) -> bytes:
    """The PDF of the invoice or credit note snapshot `doc` (with its number and issue date)."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    title = f"{TITLES[doc['kind']].title()} {doc['number']}"
    canvas.setTitle(title)
    canvas.setAuthor(doc["seller"]["name"])
    canvas.setSubject(f"Order #{doc['order']['number']}")
    page = _Page(canvas, doc)
    _header(page)
    _lines(page)
    _breakdown(page)
    _totals(page)
    page.footer()
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()

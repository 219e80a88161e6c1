"""The shared look of the dashboards: the page shell with its header, KPI cards, cards with a
"Download CSV" button, the empty state, tables, and how money and dates are shown."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dash import dcc, html

from commerce.money import format_money

PAGES = (
    ("Overview", "/dashboards/"),
    ("Sales", "/dashboards/sales"),
    ("Products", "/dashboards/products"),
    ("Customers", "/dashboards/customers"),
    ("Inventory", "/dashboards/inventory"),
    ("Operations", "/dashboards/operations"),
)
COLOURS = {"current": "#0d6efd", "previous": "#adb5bd", "last_year": "#fd7e14"}


def header() -> html.Nav:
    """The header on every dashboard page: the pages, and the way back to the back-office."""
    return html.Nav(
        [
            html.Strong("Dashboards"),
            *(html.A(label, href=href, id=f"nav-{label.lower()}") for label, href in PAGES),
            html.A("← Back-office", href="/admin/", id="to-backoffice", className="to-backoffice"),
        ],
        className="dash-header",
    )


def shell() -> html.Div:
    """The page shell: header, the URL the router reads, and the page it fills in."""
    return html.Div(
        [
            dcc.Location(id="url", refresh=False),
            header(),
            html.Main(id="page", className="dash-page"),
        ]
    )


def money(amount: int | None, currency: str) -> str:
    """Minor units for a KPI ("—" when the figure does not apply)."""
    return "—" if amount is None else format_money(amount, currency)


def kpi(name: str, label: str, value: str) -> html.Div:
    """One KPI card; its value carries the id `kpi-<name>`."""
    return html.Div(
        [
            html.Div(label, className="kpi-label"),
            html.Div(value, id=f"kpi-{name}", className="kpi-value"),
        ],
        className="kpi",
    )


def card(title: str, download_id: str, *children: Any) -> html.Div:
    """A card with a title, a "Download CSV" button (`download_id`-button) and its dcc.Download
    (`download_id`)."""
    return html.Div(
        [
            html.H2(
                [
                    html.Span(title),
                    html.Button("Download CSV", id=f"{download_id}-button", className="download"),
                ]
            ),
            dcc.Download(id=download_id),
            *children,
        ],
        className="card",
    )


def empty_state(element_id: str, message: str) -> html.Div:
    """What a page shows instead of figures when its range has no data."""
    return html.Div(message, id=element_id, className="empty-state")


def table(columns: Sequence[tuple[str, str]], rows: Iterable[Mapping[str, Any]]) -> html.Table:
    """A plain table of `rows`; `columns` are (key, heading)."""
    return html.Table(
        [
            html.Thead(html.Tr([html.Th(heading) for _key, heading in columns])),
            html.Tbody(
                [html.Tr([html.Td(_cell(row.get(key))) for key, _h in columns]) for row in rows]
            ),
        ],
        className="data",
    )


def _cell(value: Any) -> str:
    return "—" if value is None else str(value)


def csv_download(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], filename: str) -> dict:
    """What a dcc.Download needs to save `rows` as a CSV file named `filename`."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return {"content": out.getvalue(), "filename": filename, "type": "text/csv", "base64": False}

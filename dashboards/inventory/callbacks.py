"""The inventory dashboard's callbacks: stock value at cost, low and out of stock, days of cover,
aging, and a CSV of each chart's or list's data. They read commerce.reporting.inventory.

Each card group has its own callback (value, lists and cover, aging): each is one query over the
whole stock, and run apart they answer side by side instead of one after another."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import Dash, Input, Output, State, html
from dash.exceptions import PreventUpdate

from commerce.money import exponent, format_money
from commerce.reporting import inventory
from dashboards import filters, theme
from dashboards.inventory.layout import controls, days

LIMIT = 20
FILTERS = (
    Input("inventory-warehouse", "value"),
    Input("inventory-category", "value"),
    Input("inventory-days", "value"),
)
SHOWN, HIDDEN = {}, {"display": "none"}
VARIANT_COLUMNS = ("sku", "title", "available", "threshold", "sold", "cover")


def _filters(warehouse: Any, category: Any) -> dict[str, int | None]:
    warehouse_id, category_id = controls(inventory.filter_options(), warehouse, category)
    return {"warehouse_id": warehouse_id, "category_id": category_id}


def value_data(warehouse: Any, category: Any) -> dict[str, Any]:
    """Stock value rows and totals (see commerce.reporting.inventory.stock_value), plus
    "by_warehouse" and "by_category": value, units and unvalued units per name and currency."""
    data = inventory.stock_value(**_filters(warehouse, category))
    for key, name in (("by_warehouse", "warehouse"), ("by_category", "category")):
        sums: dict[tuple[str, str], dict[str, Any]] = {}
        for row in data["rows"]:
            out = sums.setdefault(
                (row[name], row["currency"]),
                {name: row[name], "currency": row["currency"], "units": 0, "value": 0},
            )
            out["units"] += row["units"]
            out["value"] += row["value"]
            out["unvalued_units"] = out.get("unvalued_units", 0) + row["unvalued_units"]
        data[key] = sorted(sums.values(), key=lambda r: (r["currency"], -r["value"], r[name]))
    return data


def _totals(totals: dict[str, int]) -> str:
    return " + ".join(format_money(value, currency) for currency, value in totals.items()) or "—"


def update_value(
    warehouse: Any, category: Any, _days: Any = None
) -> tuple[str, str, str, go.Figure, go.Figure, str, dict, dict]:
    """The value KPIs (value, units, unvalued variants), the value by warehouse and by
    category, the empty-state message and the styles showing it or the stock cards."""
    data = value_data(warehouse, category)
    if not data["rows"]:
        empty = go.Figure()
        message = "No stock on hand with these filters."
        return "—", "0", "0", empty, empty, message, SHOWN, HIDDEN
    return (
        _totals(data["totals"]),
        f"{data['units']:,}",
        f"{data['unvalued']:,}",
        _bars(data["by_warehouse"], "warehouse"),
        _bars(data["by_category"], "category"),
        "",
        HIDDEN,
        SHOWN,
    )


def _bars(rows: list[dict[str, Any]], name: str) -> go.Figure:
    figure = go.Figure()
    for currency in dict.fromkeys(row["currency"] for row in rows):
        scale = 10 ** exponent(currency)
        mine = [row for row in rows if row["currency"] == currency]
        figure.add_trace(
            go.Bar(
                x=[row["value"] / scale for row in mine],
                y=[row[name] for row in mine],
                orientation="h",
                name=currency,
            )
        )
    figure.update_layout(
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
        yaxis={"autorange": "reversed", "automargin": True},
        xaxis_title="Value at cost",
        plot_bgcolor="#fff",
        height=360,
    )
    return figure


def lists_data(warehouse: Any, category: Any, window: Any) -> dict[str, Any]:
    """Out of stock, low stock and days of cover (see
    commerce.reporting.inventory.availability), with the "days" of sales used."""
    n = days(window)
    data = inventory.availability(
        filters.today(), days=n, limit=LIMIT, **_filters(warehouse, category)
    )
    return {**data, "days": n}


def _variant_table(rows: list[dict[str, Any]], empty: str) -> html.Div | html.Table:
    if not rows:
        return html.P(empty, className="empty-list")
    shown = [{**row, "cover": "\u221e" if row["cover"] is None else row["cover"]} for row in rows]
    return theme.table(
        (
            ("sku", "SKU"),
            ("title", "Product"),
            ("available", "Available"),
            ("threshold", "Threshold"),
            ("sold", "Sold"),
            ("cover", "Days of cover"),
        ),
        shown,
    )


def update_lists(
    warehouse: Any, category: Any, window: Any
) -> tuple[str, str, Any, Any, go.Figure, Any]:
    """The out-of-stock and low-stock KPIs and lists, the days-of-cover chart (variants per
    bucket, "no sales" meaning infinite cover) and the shortest covers."""
    data = lists_data(warehouse, category, window)
    counts = data["counts"]
    buckets = data["buckets"]
    labels = [f"{b} days" if b != "no sales" else "\u221e (no sales)" for b in buckets]
    cover = go.Figure(go.Bar(x=labels, y=list(buckets.values()), marker_color="#0d6efd"))
    cover.update_layout(
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
        yaxis_title="Variants",
        xaxis_title=f"Days of cover at the last {data['days']} days' sales",
        plot_bgcolor="#fff",
        height=300,
    )
    return (
        f"{counts['out']:,}",
        f"{counts['low']:,}",
        _variant_table(data["out"], "Nothing is out of stock."),
        _variant_table(data["low"], "Nothing is low on stock."),
        cover,
        _variant_table(data["cover"], f"Nothing sold in the last {data['days']} days."),
    )


def update_aging(warehouse: Any, category: Any, _days: Any = None) -> go.Figure:
    """Units on hand by the age of their last receipt."""
    rows = inventory.aging(filters.today(), **_filters(warehouse, category))
    figure = go.Figure(
        go.Bar(
            x=[row["bucket"] for row in rows],
            y=[row["units"] for row in rows],
            marker_color="#fd7e14",
        )
    )
    figure.update_layout(
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
        yaxis_title="Units on hand",
        xaxis_title="Days since last receipt",
        plot_bgcolor="#fff",
        height=300,
    )
    return figure


def _download(kind: str):
    def download(n_clicks: Any, warehouse: Any, category: Any, window: Any) -> dict:
        """The card's rows as CSV (amounts in minor units; an empty cover means no sales).
        Raises PreventUpdate until the button is clicked."""
        if not n_clicks:
            raise PreventUpdate
        if kind in ("by_warehouse", "by_category"):
            name = kind.removeprefix("by_")
            rows = value_data(warehouse, category)[kind]
            columns = (name, "currency", "units", "value", "unvalued_units")
        elif kind == "aging":
            rows = inventory.aging(filters.today(), **_filters(warehouse, category))
            columns = ("bucket", "units", "levels")
        else:
            rows = lists_data(warehouse, category, window)[kind]
            columns = VARIANT_COLUMNS
        filename = f"inventory-{kind.replace('_', '-')}-{filters.today()}.csv"
        return theme.csv_download(rows, columns, filename)

    download.__name__ = f"download_{kind}"
    return download


download_by_warehouse = _download("by_warehouse")
download_by_category = _download("by_category")
download_aging = _download("aging")
download_out = _download("out")
download_low = _download("low")
download_cover = _download("cover")
DOWNLOADS = (
    ("inventory-value-download", download_by_warehouse),
    ("inventory-category-download", download_by_category),
    ("inventory-aging-download", download_aging),
    ("inventory-out-download", download_out),
    ("inventory-low-download", download_low),
    ("inventory-cover-download", download_cover),
)


def register(app: Dash) -> None:
    """Attach the inventory callbacks to `app`."""
    app.callback(
        Output("kpi-inventory-value", "children"),
        Output("kpi-inventory-units", "children"),
        Output("kpi-inventory-unvalued", "children"),
        Output("inventory-by-warehouse", "figure"),
        Output("inventory-by-category", "figure"),
        Output("inventory-empty", "children"),
        Output("inventory-empty", "style"),
        Output("inventory-content", "style"),
        *FILTERS[:2],
    )(update_value)
    app.callback(
        Output("kpi-inventory-out", "children"),
        Output("kpi-inventory-low", "children"),
        Output("inventory-out-list", "children"),
        Output("inventory-low-list", "children"),
        Output("inventory-cover", "figure"),
        Output("inventory-cover-list", "children"),
        *FILTERS,
    )(update_lists)
    app.callback(Output("inventory-aging", "figure"), *FILTERS[:2])(update_aging)
    for download_id, func in DOWNLOADS:
        app.callback(
            Output(download_id, "data"),
            Input(f"{download_id}-button", "n_clicks"),
            *(State(i.component_id, i.component_property) for i in FILTERS),
            prevent_initial_call=True,
        )(func)

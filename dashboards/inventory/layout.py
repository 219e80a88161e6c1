"""The inventory dashboard's page: filters, stock value, low and out of stock, days of cover and
aging."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from commerce.reporting import inventory
from dashboards import filters, theme

DEFAULT_DAYS = 30
MAX_DAYS = 365
DAYS_CHOICES = (7, 14, 30, 60, 90, 180, 365)


def days(value: Any) -> int:
    """The sales window of days of cover: a whole number of days 1..MAX_DAYS, else 30."""
    number = filters.integer(value)
    return number if number is not None and number <= MAX_DAYS else DEFAULT_DAYS


def controls(
    options: dict[str, list[tuple[int, str]]], warehouse: Any, category: Any
) -> tuple[int | None, int | None]:
    """The warehouse and category ids, None ("all") when missing, malformed or unknown."""
    warehouse_id, category_id = filters.integer(warehouse), filters.integer(category)
    if warehouse_id not in {wid for wid, _label in options["warehouses"]}:
        warehouse_id = None
    if category_id not in {cid for cid, _name in options["categories"]}:
        category_id = None
    return warehouse_id, category_id


def _filter(label: str, control: Any) -> html.Div:
    return html.Div([html.Label(label), control], className="filter")


def _graph(element_id: str) -> dcc.Graph:
    return dcc.Graph(id=element_id, config={"displaylogo": False})


def layout(search: str | None = None) -> html.Div:
    """The page, its filters set from `search` (?warehouse=&category=&days=)."""
    params = filters.query(search)
    options = inventory.filter_options()
    warehouse, category = controls(options, params.get("warehouse"), params.get("category"))
    window = days(params.get("days"))
    choices = sorted({*DAYS_CHOICES, window})
    return html.Div(
        [
            html.H1("Inventory"),
            html.Div(
                [
                    _filter(
                        "Warehouse",
                        dcc.Dropdown(
                            id="inventory-warehouse",
                            options=[{"label": n, "value": i} for i, n in options["warehouses"]],
                            value=warehouse,
                            placeholder="All warehouses",
                        ),
                    ),
                    _filter(
                        "Category",
                        dcc.Dropdown(
                            id="inventory-category",
                            options=[{"label": n, "value": i} for i, n in options["categories"]],
                            value=category,
                            placeholder="All categories",
                        ),
                    ),
                    _filter(
                        "Sales window for days of cover",
                        dcc.Dropdown(
                            id="inventory-days",
                            options=[{"label": f"Last {n} days", "value": n} for n in choices],
                            value=window,
                            clearable=False,
                        ),
                    ),
                ],
                className="filters",
            ),
            html.Div(
                [
                    theme.kpi("inventory-value", "Stock value at cost", "—"),
                    theme.kpi("inventory-units", "Units on hand", "—"),
                    theme.kpi("inventory-unvalued", "Unvalued variants (no cost)", "—"),
                    theme.kpi("inventory-out", "Out of stock", "—"),
                    theme.kpi("inventory-low", "Low stock", "—"),
                ],
                className="kpis",
            ),
            theme.empty_state("inventory-empty", ""),
            html.Div(
                [
                    theme.card(
                        "Stock value by warehouse",
                        "inventory-value-download",
                        _graph("inventory-by-warehouse"),
                    ),
                    theme.card(
                        "Stock value by category",
                        "inventory-category-download",
                        _graph("inventory-by-category"),
                    ),
                    theme.card(
                        "Aging (units on hand by age of their last receipt)",
                        "inventory-aging-download",
                        _graph("inventory-aging"),
                        html.P(
                            "Approximation: all units of a product in a warehouse count as old "
                            "as its latest delivery; stock never received (counted or "
                            "transferred in) shows as \u201cno receipt\u201d.",
                            className="note",
                        ),
                    ),
                ],
                id="inventory-content",
                className="cards",
            ),
            html.Div(
                [
                    theme.card(
                        "Out of stock (available \u2264 0)",
                        "inventory-out-download",
                        html.Div(id="inventory-out-list"),
                    ),
                    theme.card(
                        "Low stock (at or below threshold)",
                        "inventory-low-download",
                        html.Div(id="inventory-low-list"),
                    ),
                    theme.card(
                        "Days of cover",
                        "inventory-cover-download",
                        _graph("inventory-cover"),
                        html.Div(id="inventory-cover-list"),
                    ),
                ],
                id="inventory-lists",
                className="cards",
            ),
        ]
    )

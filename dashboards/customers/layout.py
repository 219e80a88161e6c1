"""The customers dashboard's page: filters (seeded from the URL's query string), KPIs, new and
returning customers, the cohort heat map, lifetime value and the map of sales."""

from __future__ import annotations

from dash import dcc, html

from commerce.reporting import queries
from dashboards import filters, theme
from dashboards.sales.layout import CHANNEL_LABELS

# Map outlines are served with the dashboards' assets, not fetched from Plotly's CDN.
GRAPH_CONFIG = {"displaylogo": False, "topojsonURL": "/dashboards/assets/topojson/"}


def layout(search: str | None = None) -> html.Div:
    """The page, its filters set from `search` (?from=&to=&country=&channel=&currency=); anything
    missing or malformed takes its default."""
    params = filters.query(search)
    known = queries.currencies()
    currency = filters.currency(params.get("currency"), known)
    options = queries.filter_options(currency)
    start, end = filters.date_range(params.get("from"), params.get("to"))
    country = params.get("country")
    if country not in options["countries"] and not (
        country == filters.NO_COUNTRY and "" in options["countries"]
    ):
        country = None
    controls = [
        _filter(
            "Dates",
            dcc.DatePickerRange(
                id="customers-dates",
                start_date=start.isoformat(),
                end_date=end.isoformat(),
                display_format="YYYY-MM-DD",
                first_day_of_week=1,
            ),
        ),
        _filter(
            "Country",
            dcc.Dropdown(
                id="customers-country",
                options=[
                    {"label": code or "No shipping", "value": code or filters.NO_COUNTRY}
                    for code in options["countries"]
                ],
                value=country,
                placeholder="All countries",
            ),
        ),
        _filter(
            "Channel",
            dcc.Dropdown(
                id="customers-channel",
                options=[
                    {"label": CHANNEL_LABELS.get(c, c), "value": c} for c in options["channels"]
                ],
                value=filters.choice(params.get("channel"), options["channels"]),
                placeholder="All channels",
            ),
        ),
        _filter(
            "Currency",
            dcc.Dropdown(
                id="customers-currency",
                options=known or [currency],
                value=currency,
                clearable=False,
            ),
        ),
    ]
    return html.Div(
        [
            html.H1("Customers"),
            html.Div(controls, className="filters"),
            html.P(
                "Customers are accounts (guest orders are left out; they show on the map). "
                "A customer is new in the month of their first counted order, anywhere.",
                className="note",
            ),
            theme.empty_state("customers-empty", ""),
            html.Div(
                [
                    html.Div(id="customers-kpis", className="kpis"),
                    _graph("New and returning customers per month", "customers-new-returning"),
                    _graph("Retention by first-order month", "customers-cohorts"),
                    _graph(
                        "Lifetime value of the customers won in the range",
                        "customers-ltv",
                        html.Div(id="customers-ltv-kpis", className="kpis"),
                    ),
                    _graph("Net sales by place", "customers-map"),
                ],
                id="customers-content",
            ),
        ]
    )


def _graph(title: str, graph_id: str, *above) -> html.Div:
    graph = dcc.Graph(id=graph_id, config=GRAPH_CONFIG)
    return theme.card(title, f"{graph_id}-download", *above, graph)


def _filter(label: str, control) -> html.Div:
    return html.Div([html.Label(label), control], className="filter")

"""The operations dashboard's page: filters (seeded from the URL's query string), the orders
waiting to ship, time to ship, returns and payment failures."""

from __future__ import annotations

from dash import dcc, html

from commerce.orders.models import CHANNELS
from dashboards import filters, theme

CHANNEL_LABELS = {"web": "Web shop", "app": "Mobile app", "draft": "Draft orders (staff)"}


def layout(search: str | None = None) -> html.Div:
    """The page, its filters set from `search` (?from=&to=&channel=); anything missing or
    malformed takes its default."""
    params = filters.query(search)
    start, end = filters.date_range(params.get("from"), params.get("to"))
    return html.Div(
        [
            html.H1("Operations"),
            html.Div(
                [
                    _filter(
                        "Placed",
                        dcc.DatePickerRange(
                            id="operations-dates",
                            start_date=start.isoformat(),
                            end_date=end.isoformat(),
                            display_format="YYYY-MM-DD",
                            first_day_of_week=1,
                        ),
                    ),
                    _filter(
                        "Channel",
                        dcc.Dropdown(
                            id="operations-channel",
                            options=[
                                {"label": CHANNEL_LABELS.get(c, c), "value": c} for c in CHANNELS
                            ],
                            value=filters.choice(params.get("channel"), CHANNELS),
                            placeholder="All channels",
                        ),
                    ),
                ],
                className="filters",
            ),
            html.Div(id="operations-waiting-kpis", className="kpis"),
            theme.card(
                "Waiting to ship now, by age",
                "operations-waiting-download",
                dcc.Graph(id="operations-waiting", config={"displaylogo": False}),
                html.H3("Oldest 20"),
                html.Div(id="operations-oldest"),
            ),
            theme.empty_state("operations-empty", ""),
            html.Div(
                [
                    html.Div(id="operations-shipping-kpis", className="kpis"),
                    html.Div(id="operations-returns-kpis", className="kpis"),
                    html.Div(id="operations-payments-kpis", className="kpis"),
                    _chart("Time to ship by week placed", "shipping"),
                    _chart("Return reasons (units)", "returns"),
                    _chart("Payment failures by provider and week", "payments"),
                ],
                id="operations-content",
            ),
        ]
    )


def _chart(title: str, name: str) -> html.Div:
    return theme.card(
        title,
        f"operations-{name}-download",
        dcc.Graph(id=f"operations-{name}", config={"displaylogo": False}),
    )


def _filter(label: str, control) -> html.Div:
    return html.Div([html.Label(label), control], className="filter")

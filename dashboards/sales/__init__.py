"""The sales dashboard: KPIs and sales over time, against the previous period and last year."""

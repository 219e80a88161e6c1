"""Tax: zones, rates by tax class, the published rate tables and the engine checkout uses.

models.py     TaxZone, TaxRate, TAX_CLASSES
published.py  EU VAT and US state sales tax tables, with their sources and as-of date
service.py    load_published_rates(actor)
engine.py     resolve_zone, rates_for, calculate -> TaxResult (per-line rounding)
cli.py        flask tax load-rates
"""

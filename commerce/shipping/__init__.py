"""Shipping: zones, methods with their rate tables, the quoting engine checkout uses, carriers.

models.py     ShippingZone, ShippingMethod, ShippingRate (kinds: flat, free_over, by_weight,
              by_price)
engine.py     resolve_zone, quote_shipping -> ShippingQuotes, get_quote -> ShippingQuote
service.py    create_zone, create_method, load_default_shipping(actor)
defaults.py   the default zones and methods (Germany, EU, US, rest of world)
carriers.py   the Carrier interface, the registry by carrier code, the offline TableRateCarrier
labels.py     4 x 6 inch PDF labels with a Code 128 barcode
cli.py        flask shipping load-defaults
"""

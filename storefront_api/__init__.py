"""The storefront JSON API, mounted at /api/v1."""

from __future__ import annotations

from flask import Blueprint, Flask

api = Blueprint("api", __name__, url_prefix="/api/v1")


def init_app(app: Flask) -> None:
    """Register the API blueprint (token-authenticated, so exempt from the cookie CSRF check)."""
    import storefront_api.accounts  # noqa: F401  (routes)
    from storefront_api import carts, downloads, health, openapi, products, webhooks  # noqa: F401
    from storefront_api.checkout import place_my_order  # noqa: F401  (routes)
    from storefront_api.invoices import download_invoice  # noqa: F401  (routes)
    from storefront_api.limits import init_app as init_limits
    from storefront_api.media import media
    from storefront_api.payment_links import open_link  # noqa: F401  (route)
    from storefront_api.returns import open_account_return  # noqa: F401  (routes)
    from storefront_api.shipping import list_shipping_methods  # noqa: F401  (route)
    from storefront_api.tracking import tracking_update  # noqa: F401  (route)

    csrf = app.extensions["csrf"]
    csrf.exempt(api)
    app.register_blueprint(api)
    app.register_blueprint(media)
    init_limits(app)

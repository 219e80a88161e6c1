"""The Flask-Admin back-office, mounted at /admin."""

from __future__ import annotations

import warnings

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from commerce import db


def init_app(app: Flask) -> Admin:
    """Mount the back-office: sign-in pages and every admin view, grouped by menu category."""
    from backoffice import auth
    from backoffice.audit import AuditEntryAdmin
    from backoffice.catalog import catalog_views
    from backoffice.customers import CustomerAdmin
    from backoffice.exports import CatalogExportView
    from backoffice.home import HomeView
    from backoffice.imports import CatalogImportView
    from backoffice.inventory import inventory_views
    from backoffice.invoices import InvoiceAdmin
    from backoffice.orders import order_views
    from backoffice.reports import ReportsView
    from backoffice.returns import return_views
    from backoffice.staff import PermissionsView, StaffUserAdmin
    from backoffice.system import FailedJobsView, MailboxView, OutboxEventAdmin
    from commerce.audit import AuditEntry
    from commerce.customers.models import Customer
    from commerce.events import OutboxEvent
    from commerce.invoicing.models import Invoice
    from commerce.staff.models import StaffUser

    # Flask-Admin 2.2 prefers a Flask-SQLAlchemy object to a session; we use plain SQLAlchemy, whose
    # scoped session it still supports.
    warnings.filterwarnings(
        "ignore",
        message="Passing a session object directly is deprecated",
        category=DeprecationWarning,
    )
    app.register_blueprint(auth.bp)
    admin = Admin(
        app,
        name="Back-office",
        url="/admin",
        index_view=HomeView(name="Home", url="/admin", endpoint="admin"),
        theme=Bootstrap4Theme(base_template="backoffice/layout.html", fluid=True),
    )
    catalog = catalog_views()
    for view in catalog:
        admin.add_view(view)
    admin.add_view(
        CatalogImportView(
            name="Import",
            category="Catalog",
            endpoint="catalog_import",
            url="/admin/catalog-import",
        )
    )
    admin.add_view(
        CatalogExportView(
            name="Export",
            category="Catalog",
            endpoint="catalog_export",
            url="/admin/catalog-export",
            product_list=next(view for view in catalog if view.endpoint == "products"),
        )
    )
    for view in inventory_views():
        admin.add_view(view)
    admin.add_view(
        CustomerAdmin(
            Customer, db.session, name="Customers", category="Customers", endpoint="customers"
        )
    )
    for view in order_views():
        admin.add_view(view)
    admin.add_view(
        InvoiceAdmin(Invoice, db.session, name="Invoices", category="Orders", endpoint="invoices")
    )
    for view in return_views():
        admin.add_view(view)
    admin.add_view(ReportsView(name="Reports", endpoint="reports", url="/admin/reports"))
    admin.add_view(
        StaffUserAdmin(StaffUser, db.session, name="Staff", category="Settings", endpoint="staff")
    )
    admin.add_view(
        PermissionsView(name="Roles & permissions", category="Settings", endpoint="permissions")
    )
    admin.add_view(
        AuditEntryAdmin(
            AuditEntry, db.session, name="Audit trail", category="System", endpoint="audit"
        )
    )
    admin.add_view(
        OutboxEventAdmin(
            OutboxEvent, db.session, name="Events", category="System", endpoint="outbox"
        )
    )
    admin.add_view(FailedJobsView(name="Failed jobs", category="System", endpoint="failed_jobs"))
    admin.add_view(MailboxView(name="Mailbox", category="System", endpoint="mailbox"))
    return admin

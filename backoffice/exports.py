"""Catalog exports: start one (filters and format), watch its progress, download the file."""

from __future__ import annotations

from flask import flash, redirect, request, send_file, url_for
from flask_admin import expose
from sqlalchemy import select

from backoffice.base import SecuredView, show_domain_error
from commerce import db
from commerce.catalog.models import PRODUCT_STATUSES, Brand, Category
from commerce.errors import DomainError
from jobs import exports


class CatalogExportView(SecuredView):
    """Catalog → Export: the export runs as a job; this page shows its progress and the file."""

    resource = "catalog"
    method_actions = {
        "index": "export",
        "start": "export",
        "status": "export",
        "download": "export",
    }

    def is_accessible(self) -> bool:
        return self.allowed("export")

    def _choices(self):
        categories = db.session.execute(
            select(Category.id, Category.name).order_by(Category.name)
        ).all()
        brands = db.session.execute(select(Brand.id, Brand.name).order_by(Brand.name)).all()
        return {"categories": categories, "brands": brands, "statuses": PRODUCT_STATUSES}

    @expose("/")
    def index(self):
        return self.render("backoffice/exports/start.html", **self._choices())

    @expose("/start", methods=["POST"])
    def start(self):
        filters = {
            key: request.form.get(key) or None
            for key in ("status", "category_id", "brand_id", "search")
        }
        try:
            export_id = exports.start_export(filters, request.form.get("format", "csv"))
        except DomainError as exc:
            show_domain_error(exc)
            return self.render("backoffice/exports/start.html", **self._choices()), 400
        flash("The export is running; this page updates until the file is ready.", "info")
        return redirect(url_for(".status", export_id=export_id))

    @expose("/<export_id>")
    def status(self, export_id: str):
        return self.render(
            "backoffice/exports/status.html",
            export_id=export_id,
            job=exports.export_status(export_id),
        )

    @expose("/<export_id>/download")
    def download(self, export_id: str):
        job = exports.export_status(export_id)
        if job["status"] != "finished" or not job["format"]:
            flash("The export is not ready yet.", "warning")
            return redirect(url_for(".status", export_id=export_id))
        path = exports.export_path(export_id, job["format"])
        return send_file(path, as_attachment=True, download_name=path.name)

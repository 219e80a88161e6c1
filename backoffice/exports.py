"""Catalog exports: start one (the page's own filters, or the product list's current filters,
search and sort when "Export this list…" led here), watch its progress, download the file."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import flash, redirect, request, send_file, url_for
from flask_admin import expose
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from backoffice.base import SecuredView, show_domain_error
from commerce import db
from commerce.catalog import exporter
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

    def __init__(self, *args: Any, product_list: Any = None, **kwargs: Any) -> None:
        """`product_list`: the product list's view (ProductAdmin), which reads its own filters,
        search and sort for "Export this list…"."""
        super().__init__(*args, **kwargs)
        self.product_list = product_list

    def is_accessible(self) -> bool:
        return self.allowed("export")

    def _choices(self):
        categories = db.session.execute(
            select(Category.id, Category.name).order_by(Category.name)
        ).all()
        brands = db.session.execute(select(Brand.id, Brand.name).order_by(Brand.name)).all()
        return {"categories": categories, "brands": brands, "statuses": PRODUCT_STATUSES}

    def _list_page(self, args: MultiDict[str, str], error: DomainError | None = None) -> str:
        """The page for exporting the product list as `args` (its query string) shows it: what
        it filters, searches and sorts by, and how many products and rows that makes; `error`
        (from starting it) is flashed, once."""
        context: dict[str, Any] = {"list_url": url_for("products.index_view")}
        try:
            state = self.product_list.export_state(args)
            filters = exporter.ExportFilters.from_dict(state.filters)
        except DomainError as exc:
            error = exc
        else:
            context.update(
                list_export=state,
                list_state=urlencode(list(state.query.items(multi=True))),
                list_url=url_for("products.index_view", **state.query.to_dict(flat=False)),
                products=exporter.count_products(filters),
                rows=exporter.count(filters),
            )
        if error is not None:
            show_domain_error(error)
        return self.render("backoffice/exports/start.html", **context)

    def _from_list(self) -> MultiDict[str, str] | None:
        """The product list's arguments this request carries, None when it is not about it."""
        if self.product_list is None:
            return None
        if request.method == "POST":
            state = request.form.get("list_state")
            return None if state is None else MultiDict(parse_qsl(state, keep_blank_values=True))
        return request.args if request.args.get("list") == "products" else None

    @expose("/")
    def index(self):
        """The Export page: its own filters, or the product list's ("Export this list…")."""
        list_args = self._from_list()
        if list_args is not None:
            return self._list_page(list_args)
        return self.render("backoffice/exports/start.html", **self._choices())

    @expose("/start", methods=["POST"])
    def start(self):
        """Queue the export job (the page's filters, or the product list's) and go to its
        progress page; on an error show the page again with it."""
        list_args = self._from_list()
        try:
            if list_args is not None:
                filters = self.product_list.export_state(list_args).filters
            else:
                filters = {
                    key: request.form.get(key) or None
                    for key in ("status", "category_id", "brand_id", "search")
                }
            export_id = exports.start_export(filters, request.form.get("format", "csv"))
        except DomainError as exc:
            if list_args is not None:
                return self._list_page(list_args, exc), 400
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

"""Reports: pick a report (orders, sales by day, tax owed, inventory valuation) and a range, start
its export job, watch its progress, download the file. Needs analytics.export."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import flash, redirect, request, send_file, url_for
from flask_admin import expose

from backoffice.base import SecuredView, show_domain_error
from commerce.db import utcnow
from commerce.errors import DomainError, InvalidInput
from commerce.reports import files, tables
from jobs import reports


def _date(field: str) -> dt.date | None:
    """The form's date `field`, None when empty. Raises InvalidInput when it is not a date."""
    value = (request.form.get(field) or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        problem = "must be a date (YYYY-MM-DD)"
        raise InvalidInput(f"{field}: {problem}", fields={field: problem}) from None


class ReportsView(SecuredView):
    """Reports: every page and action needs analytics.export."""

    resource = "analytics"
    method_actions = dict.fromkeys(("index", "start", "status", "download"), "export")

    def is_accessible(self) -> bool:
        return self.allowed("export")

    def _form(self, **values: Any) -> str:
        today = utcnow().date()
        defaults = {
            "report": "orders",
            "first": today.replace(day=1).isoformat(),
            "last": today.isoformat(),
            "format": "csv",
        }
        defaults.update({k: v for k, v in values.items() if v})
        return self.render(
            "backoffice/reports/start.html",
            reports=tables.REPORTS.values(),
            formats=files.FORMATS,
            values=defaults,
        )

    @expose("/")
    def index(self):
        """The Reports page: report, range and format."""
        return self._form()

    @expose("/start", methods=["POST"])
    def start(self):
        """Queue the report's job and go to its progress page; on an error show the form again."""
        values = {k: request.form.get(k, "") for k in ("report", "first", "last", "format")}
        try:
            export_id = reports.start_report(
                values["report"], _date("first"), _date("last"), values["format"] or "csv"
            )
        except DomainError as exc:
            show_domain_error(exc)
            return self._form(**values), 400
        flash("The report is running; this page updates until the file is ready.", "info")
        return redirect(url_for(".status", export_id=export_id))

    @expose("/<export_id>")
    def status(self, export_id: str):
        return self.render(
            "backoffice/reports/status.html",
            export_id=export_id,
            job=reports.report_status(export_id),
        )

    @expose("/<export_id>/download")
    def download(self, export_id: str):
        job = reports.report_status(export_id)
        if job["status"] != "finished":
            flash("The report is not ready yet.", "warning")
            return redirect(url_for(".status", export_id=export_id))
        path = reports.report_path(export_id, job["format"])
        return send_file(path, as_attachment=True, download_name=job["download_name"])

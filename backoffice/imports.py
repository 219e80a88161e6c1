"""Catalog → Import: upload a CSV/XLSX, see the dry run (nothing written), confirm to apply.

Both steps run as RQ jobs (jobs/imports.py); this page shows their progress, the plan's counts,
every rejected row (and errors.csv), and the result.
"""

from __future__ import annotations

import dataclasses
import json

from flask import flash, redirect, request, send_file, url_for
from flask_admin import expose
from rq import Queue
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job

from backoffice.base import SecuredView, show_domain_error
from backoffice.security import current_actor
from commerce.errors import DomainError, InvalidInput
from commerce.kv import get_redis
from jobs import imports

QUEUE = "reports"
KEEP_SECONDS = 7 * 24 * 3600
MAX_UPLOAD = 50 * 1024 * 1024


def _job(kind: str, import_id: str) -> Job | None:
    try:
        return Job.fetch(f"import-{kind}-{import_id}", connection=get_redis())
    except NoSuchJobError:
        return None


def _enqueue(kind: str, import_id: str, func, *args) -> None:
    Queue(QUEUE, connection=get_redis()).enqueue_call(
        func,
        args=(import_id, *args),
        job_id=f"import-{kind}-{import_id}",
        unique=True,
        result_ttl=KEEP_SECONDS,
        failure_ttl=KEEP_SECONDS,
        timeout=3600,
        description=f"catalog import {kind} {import_id}",
    )


class CatalogImportView(SecuredView):
    """The import wizard; every step needs catalog.import."""

    resource = "catalog"
    method_actions = {
        "index": "import",
        "start": "import",
        "preview": "import",
        "apply": "import",
        "errors": "import",
    }

    def is_accessible(self) -> bool:
        return self.allowed("import")

    @expose("/")
    def index(self):
        return self.render("backoffice/imports/start.html")

    @expose("/start", methods=["POST"])
    def start(self):
        upload = request.files.get("file")
        try:
            if upload is None or not upload.filename:
                raise InvalidInput("file: choose a .csv or .xlsx file", fields={"file": "missing"})
            content = upload.read(MAX_UPLOAD + 1)
            if len(content) > MAX_UPLOAD:
                raise InvalidInput("file: at most 50 MB", fields={"file": "too large"})
            import_id = imports.store_upload(content, upload.filename)
        except DomainError as exc:
            show_domain_error(exc)
            return self.render("backoffice/imports/start.html"), 400
        _enqueue("plan", import_id, imports.dry_run_import)
        return redirect(url_for(".preview", import_id=import_id))

    @expose("/<import_id>")
    def preview(self, import_id: str):
        folder = imports.folder(import_id)  # NotFound for an unknown id
        plan_job, apply_job = _job("plan", import_id), _job("apply", import_id)
        plan = result = None
        if (folder / "plan.json").exists() and plan_job and plan_job.is_finished:
            plan = json.loads((folder / "plan.json").read_text())
        if (folder / "result.json").exists():
            result = json.loads((folder / "result.json").read_text())
        running = next(
            (
                j
                for j in (apply_job, plan_job)
                if j is not None
                and j.get_status(refresh=True).value
                in ("queued", "started", "scheduled", "deferred")
            ),
            None,
        )
        return self.render(
            "backoffice/imports/preview.html",
            import_id=import_id,
            plan=plan,
            result=result,
            running=running,
            progress=(running.meta if running else {}),
            failed=any(j is not None and j.is_failed for j in (plan_job, apply_job)),
            applied=apply_job is not None,
        )

    @expose("/<import_id>/apply", methods=["POST"])
    def apply(self, import_id: str):
        imports.folder(import_id)
        actor = dataclasses.asdict(current_actor())
        try:
            _enqueue("apply", import_id, imports.apply_import, actor)
            flash("Importing: the accepted products are being written.", "info")
        except DuplicateJobError:
            flash("This import was confirmed already.", "warning")
        return redirect(url_for(".preview", import_id=import_id))

    @expose("/<import_id>/errors.csv")
    def errors(self, import_id: str):
        path = imports.folder(import_id) / "errors.csv"
        return send_file(
            path,
            as_attachment=True,
            download_name=f"import-{import_id}-errors.csv",
            mimetype="text/csv",
        )

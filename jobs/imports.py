"""Catalog import jobs: a dry run that stores the plan and the error report, and the confirmed
import that writes. Both are plain functions (callable without RQ) that take an import id.

Files live in `<IMPORTS_DIR or instance/imports>/<import id>/`: `upload.csv|xlsx`, `plan.json`,
`errors.csv` and, once applied, `result.json`. While a job runs, `rq.get_current_job().meta`
holds {"rows_done": n, "rows_total": m}.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

from flask import current_app
from rq import get_current_job

from commerce.audit import Actor
from commerce.catalog import importer
from commerce.errors import InvalidInput, NotFound

_ID_RE = re.compile(r"^[0-9a-f]{32}$")


def imports_dir() -> Path:
    """Where import folders live (IMPORTS_DIR, else instance/imports)."""
    configured = current_app.config.get("IMPORTS_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "imports"


def folder(import_id: str) -> Path:
    """The folder of one import. Raises NotFound for an unknown or malformed id."""
    if not _ID_RE.match(import_id or "") or not (imports_dir() / import_id).is_dir():
        raise NotFound(f"Import {import_id} does not exist.")
    return imports_dir() / import_id


def store_upload(content: bytes, filename: str) -> str:
    """Keep an uploaded .csv or .xlsx file for a later dry run. Returns the new import id.
    Raises InvalidInput for another kind of file."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext not in ("csv", "xlsx"):
        raise InvalidInput("file: must be a .csv or .xlsx file", fields={"file": "not csv/xlsx"})
    import_id = uuid.uuid4().hex
    path = imports_dir() / import_id
    path.mkdir(parents=True)
    (path / f"upload.{ext}").write_bytes(content)
    return import_id


def _upload(path: Path) -> Path:
    return next(p for p in path.iterdir() if p.name.startswith("upload."))


def _progress(done: int, total: int) -> None:
    job = get_current_job()
    if job is not None:
        job.meta.update(rows_done=done, rows_total=total)
        job.save_meta()


def _plan(path: Path) -> importer.Plan:
    upload = _upload(path)
    try:
        rows = importer.parse(upload.read_bytes(), upload.name)
    except InvalidInput as exc:
        plan = importer.Plan(
            [], [importer.RowError(None, "file", exc.fields.get("file", "") or exc.message)], 0
        )
        return plan
    return importer.plan(rows)


def _write(path: Path, plan: importer.Plan, errors: list[importer.RowError]) -> None:
    (path / "plan.json").write_text(json.dumps(plan.to_dict(), indent=1))
    (path / "errors.csv").write_text(importer.errors_csv(errors), encoding="utf-8")


def dry_run_import(import_id: str) -> dict[str, Any]:
    """Plan the uploaded file without writing to the database; store plan.json and errors.csv.
    Returns the plan summary. Raises NotFound."""
    path = folder(import_id)
    plan = _plan(path)
    _progress(plan.total_rows, plan.total_rows)
    _write(path, plan, plan.errors)
    return plan.to_dict()


def apply_import(import_id: str, actor: dict[str, Any]) -> dict[str, Any]:
    """Re-plan the uploaded file against the database as it is now and write the accepted
    products; store result.json and the final errors.csv. Returns the result. Raises NotFound.

    Running it twice is harmless: the second run finds every row unchanged."""
    path = folder(import_id)
    plan = _plan(path)
    _progress(0, plan.total_rows)
    result = importer.apply(plan, Actor(**actor), progress=_progress)
    _write(path, plan, result.errors)
    (path / "result.json").write_text(json.dumps(result.to_dict(), indent=1))
    return result.to_dict()

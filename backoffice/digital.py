"""Digital goods: the panel on a digital variant's edit page with its downloadable files (and an
upload form) and its license key pool (and an import form). Every write goes through
commerce.catalog.downloads; the view has no menu entry, its POSTs go back to the variant."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, url_for
from flask_admin import expose
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import IntegerField, TextAreaField
from wtforms.validators import NumberRange, Optional

from backoffice.base import SecuredView
from backoffice.security import current_actor
from commerce import db
from commerce.catalog import downloads
from commerce.catalog.digital import DigitalFile
from commerce.catalog.models import Variant
from commerce.errors import DomainError


class DigitalFileForm(FlaskForm):
    file = FileField("File")
    download_limit = IntegerField("Download limit", validators=[Optional(), NumberRange(min=1)])
    expires_after_days = IntegerField(
        "Expires after (days)", validators=[Optional(), NumberRange(min=1)]
    )


class LicenseKeysForm(FlaskForm):
    keys = TextAreaField("Keys, one per line")


def digital_goods(variant_id: int) -> dict[str, Any]:
    """What the panel shows: the variant's files and how many license keys are available."""
    files = db.session.scalars(
        select(DigitalFile).where(DigitalFile.variant_id == variant_id).order_by(DigitalFile.id)
    ).all()
    return {"files": files, "available_keys": downloads.available_keys(variant_id)}


def _form_errors(form: FlaskForm) -> str:
    return "; ".join(f"{name}: {', '.join(errors)}" for name, errors in form.errors.items())


class DigitalGoodsView(SecuredView):
    """POST endpoints of the digital goods panel (catalog.edit)."""

    resource = "catalog"
    method_actions = {"upload_file": "edit", "import_keys": "edit"}

    def is_visible(self) -> bool:
        return False

    def create_blueprint(self, admin: Any):
        blueprint = super().create_blueprint(admin)
        # The panel template (included by variant_edit.html) reads the files through this.
        blueprint.add_app_template_global(digital_goods, "digital_goods")
        return blueprint

    @staticmethod
    def _variant(variant_id: int) -> Variant:
        variant = db.session.get(Variant, variant_id)
        if variant is None:
            abort(404)
        return variant

    @staticmethod
    def _back(variant_id: int):
        return redirect(url_for("variants.edit_view", id=variant_id) + "#digital-goods")

    @expose("/")
    def index(self):
        abort(404)

    @expose("/<int:variant_id>/files", methods=("POST",))
    def upload_file(self, variant_id: int):
        """Store a downloadable file for the variant (add_digital_file)."""
        self._variant(variant_id)
        form = DigitalFileForm()
        if not form.validate():
            flash("File not added: " + _form_errors(form), "error")
            return self._back(variant_id)
        upload = form.file.data
        try:
            added = downloads.add_digital_file(
                variant_id,
                filename=(upload.filename if upload else "") or "",
                content=upload.read() if upload else b"",
                download_limit=form.download_limit.data,
                expires_after_days=form.expires_after_days.data,
                actor=current_actor(),
            )
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            flash(f"File {added.filename} added.", "success")
        return self._back(variant_id)

    @expose("/<int:variant_id>/keys", methods=("POST",))
    def import_keys(self, variant_id: int):
        """Add license keys, one per line (import_license_keys)."""
        self._variant(variant_id)
        form = LicenseKeysForm()
        if not form.validate():
            flash("Keys not imported: " + _form_errors(form), "error")
            return self._back(variant_id)
        try:
            added, duplicates = downloads.import_license_keys(
                variant_id, (form.keys.data or "").splitlines(), actor=current_actor()
            )
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            flash(f"{added} added, {duplicates} duplicates.", "success")
        return self._back(variant_id)


def digital_views() -> list[Any]:
    return [DigitalGoodsView(name="Digital goods", endpoint="digital_goods", url="/admin/digital")]

"""Product images: the panel on the product edit page (ordered images with previews, alt text, move
up/down, remove, upload). Every write goes through commerce.catalog.media; the view has no menu
entry, its POSTs come from the panel and go back to the product's edit page."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, url_for
from flask_admin import expose
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import Length

from backoffice.base import SecuredView
from backoffice.security import current_actor
from commerce import db
from commerce.catalog import media as media_service
from commerce.catalog.media import ProductMedia
from commerce.errors import DomainError

THUMBNAIL_SIZE = 160


class MediaUploadForm(FlaskForm):
    file = FileField("Image")
    alt = StringField("Alt text", validators=[Length(max=255)])


class AltForm(FlaskForm):
    alt = StringField("Alt text", validators=[Length(max=255)])


def product_images(product_id: int) -> list[ProductMedia]:
    """The product's images in display order."""
    return list(
        db.session.scalars(
            select(ProductMedia)
            .where(ProductMedia.product_id == product_id)
            .order_by(ProductMedia.position, ProductMedia.id)
        )
    )


def _flash_error(exc: DomainError) -> None:
    db.session.rollback()
    flash(exc.message, "error")


class ProductMediaView(SecuredView):
    """POST endpoints of the product images panel (catalog.edit)."""

    resource = "catalog"
    method_actions = {"upload": "edit", "alt": "edit", "move": "edit", "remove": "edit"}

    def is_visible(self) -> bool:
        return False

    def create_blueprint(self, admin: Any):
        blueprint = super().create_blueprint(admin)
        # The panel template (included by product_edit.html) reads the images through this.
        blueprint.add_app_template_global(product_images, "product_images")
        return blueprint

    @staticmethod
    def _back(product_id: int):
        return redirect(url_for("products.edit_view", id=product_id) + "#product-images")

    @staticmethod
    def _media(media_id: int) -> ProductMedia:
        media = db.session.get(ProductMedia, media_id)
        if media is None:
            abort(404)
        return media

    @expose("/")
    def index(self):
        abort(404)

    @expose("/product/<int:product_id>/upload", methods=("POST",))
    def upload(self, product_id: int):
        """Store the uploaded image as the product's last one (add_media)."""
        form = MediaUploadForm()
        if not form.validate():
            flash("Not uploaded: " + _form_errors(form), "error")
            return self._back(product_id)
        upload = form.file.data
        content = upload.read() if upload else b""
        try:
            media_service.add_media(
                product_id, content=content, alt=form.alt.data or "", actor=current_actor()
            )
        except DomainError as exc:
            _flash_error(exc)
        else:
            flash("Image added; its thumbnails follow in a moment.", "success")
        return self._back(product_id)

    @expose("/<int:media_id>/alt", methods=("POST",))
    def alt(self, media_id: int):
        media = self._media(media_id)
        product_id = media.product_id
        form = AltForm()
        if not form.validate():
            flash("Alt text not saved: " + _form_errors(form), "error")
            return self._back(product_id)
        try:
            media_service.set_alt(media_id, form.alt.data or "", actor=current_actor())
        except DomainError as exc:
            _flash_error(exc)
        else:
            flash("Alt text saved.", "success")
        return self._back(product_id)

    @expose("/<int:media_id>/move/<direction>", methods=("POST",))
    def move(self, media_id: int, direction: str):
        """Swap the image with its neighbour above ("up") or below ("down")."""
        if direction not in ("up", "down"):
            abort(404)
        media = self._media(media_id)
        product_id = media.product_id
        if not FlaskForm().validate():
            abort(400)
        order = [m.id for m in product_images(product_id)]
        index = order.index(media_id)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(order):
            order[index], order[other] = order[other], order[index]
            try:
                media_service.reorder_media(product_id, order, actor=current_actor())
            except DomainError as exc:
                _flash_error(exc)
        return self._back(product_id)

    @expose("/<int:media_id>/remove", methods=("POST",))
    def remove(self, media_id: int):
        media = self._media(media_id)
        product_id = media.product_id
        if not FlaskForm().validate():
            abort(400)
        try:
            media_service.remove_media(media_id, actor=current_actor())
        except DomainError as exc:
            _flash_error(exc)
        else:
            flash("Image removed.", "success")
        return self._back(product_id)


def _form_errors(form: FlaskForm) -> str:
    return "; ".join(f"{name}: {', '.join(errors)}" for name, errors in form.errors.items())


def product_media_views() -> list[Any]:
    return [
        ProductMediaView(
            name="Product images", endpoint="product_media", url="/admin/product-media"
        )
    ]

"""Product media: ordered images with alt text, stored in the media folder, thumbnailed by a job.

Originals are checked by decoding them (never trusting the file name), stored under MEDIA_DIR
(default instance/media) and served from MEDIA_URL (a CDN in production). Adding an image records
`product_media.added`; the handler makes the thumbnails, so an upload returns at once.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Sequence
from pathlib import Path

from flask import current_app
from PIL import Image, UnidentifiedImageError
from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.catalog.models import Product
from commerce.db import Base
from commerce.errors import InvalidInput, NotFound

FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
THUMBNAIL_SIZES = (160, 480)


class ProductMedia(Base):
    """One image of a product, in display order."""

    __tablename__ = "product_media"
    __table_args__ = (Index("ix_product_media_product_position", "product_id", "position"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), nullable=False
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    path: Mapped[str] = mapped_column(String(500), nullable=False)  # relative to MEDIA_DIR
    alt: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    width: Mapped[int] = mapped_column(Integer, nullable=False)
    height: Mapped[int] = mapped_column(Integer, nullable=False)
    thumbnail_path: Mapped[str | None] = mapped_column(String(500))  # 480 px; 160 px beside it
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )

    def url(self, size: int | None = None) -> str:
        """The public URL of the image, or of its thumbnail of `size` px once made."""
        base = current_app.config.get("MEDIA_URL", "/media").rstrip("/")
        if size and self.thumbnail_path:
            return f"{base}/{thumbnail_name(self.path, size)}"
        return f"{base}/{self.path}"


def media_root() -> Path:
    """Where media files live (MEDIA_DIR, default instance/media)."""
    configured = current_app.config.get("MEDIA_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "media"


def thumbnail_name(path: str, size: int) -> str:
    """The relative path of the `size` px thumbnail of the original at `path`."""
    stem = path.rsplit(".", 1)[0]
    return f"{stem}.{size}.webp"


def _decode(content: bytes) -> Image.Image:
    if not content:
        raise InvalidInput("file: is empty", fields={"file": "is empty"})
    if len(content) > MAX_BYTES:
        raise InvalidInput("file: images are at most 10 MB", fields={"file": "larger than 10 MB"})
    try:
        with Image.open(io.BytesIO(content)) as probe:
            probe.verify()
        image = Image.open(io.BytesIO(content))
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise InvalidInput(
            "file: is not an image we can read (JPEG, PNG, WebP or GIF)",
            fields={"file": "not an image"},
        ) from None
    if image.format not in FORMATS:
        raise InvalidInput(
            f"file: {image.format} images are not supported; use JPEG, PNG, WebP or GIF",
            fields={"file": "unsupported format"},
        )
    if image.width * image.height > MAX_PIXELS:
        raise InvalidInput("file: the image has too many pixels", fields={"file": "too large"})
    return image


def add_media(product_id: int, *, content: bytes, actor: Actor, alt: str = "") -> ProductMedia:
    """Store an image as the product's last picture and queue its thumbnails.

    Raises NotFound, InvalidInput (empty, too big, not a supported image, alt text too long).
    """
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound(f"Product {product_id} does not exist.")
    if len(alt) > 255:
        raise InvalidInput("alt: at most 255 characters", fields={"alt": "too long"})
    image = _decode(content)
    relative = f"products/{product.id}/{uuid.uuid4().hex}.{FORMATS[image.format]}"
    target = media_root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    last = db.session.scalar(
        select(func.max(ProductMedia.position)).where(ProductMedia.product_id == product.id)
    )
    media = ProductMedia(
        product_id=product.id,
        position=(last or 0) + 1,
        path=relative,
        alt=alt.strip(),
        width=image.width,
        height=image.height,
    )
    db.session.add(media)
    db.session.flush()
    audit.record(
        actor,
        "product_media.add",
        "product",
        product.id,
        {"media": [None, relative], "alt": [None, media.alt]},
    )
    events.record("product_media.added", media_id=media.id, product_id=product.id)
    db.session.commit()
    return media


def set_alt(media_id: int, alt: str, *, actor: Actor) -> ProductMedia:
    """Change an image's alt text. Raises NotFound, InvalidInput."""
    media = _get(media_id)
    if len(alt) > 255:
        raise InvalidInput("alt: at most 255 characters", fields={"alt": "too long"})
    old, media.alt = media.alt, alt.strip()
    audit.record(
        actor, "product_media.update", "product", media.product_id, {"alt": [old, media.alt]}
    )
    events.record("product.updated", product_id=media.product_id, fields=["media"])
    db.session.commit()
    return media


def reorder_media(product_id: int, ordered_ids: Sequence[int], *, actor: Actor) -> None:
    """Put the product's images in the given order. Raises InvalidInput unless `ordered_ids` are
    exactly the product's images."""
    media = list(
        db.session.scalars(
            select(ProductMedia).where(ProductMedia.product_id == product_id).with_for_update()
        )
    )
    if sorted(m.id for m in media) != sorted(ordered_ids):
        raise InvalidInput(
            "media: list every image of the product once",
            fields={"media": "must list every image once"},
        )
    by_id = {m.id: m for m in media}
    before = [m.id for m in sorted(media, key=lambda m: m.position)]
    for position, media_id in enumerate(ordered_ids, start=1):
        by_id[media_id].position = position
    audit.record(
        actor,
        "product_media.reorder",
        "product",
        product_id,
        {"order": [before, list(ordered_ids)]},
    )
    events.record("product.updated", product_id=product_id, fields=["media"])
    db.session.commit()


def remove_media(media_id: int, *, actor: Actor) -> None:
    """Delete an image and its files. Raises NotFound."""
    media = _get(media_id)
    paths = [media.path, *(thumbnail_name(media.path, s) for s in THUMBNAIL_SIZES)]
    db.session.delete(media)
    audit.record(
        actor, "product_media.remove", "product", media.product_id, {"media": [media.path, None]}
    )
    events.record("product.updated", product_id=media.product_id, fields=["media"])
    db.session.commit()
    for relative in paths:  # after the commit: a rolled-back delete keeps its files
        (media_root() / relative).unlink(missing_ok=True)


def make_thumbnails(media_id: int) -> list[str]:
    """Write the WebP thumbnails of an image (again, harmlessly, if they exist). Returns their
    relative paths; an image deleted meanwhile returns []."""
    media = db.session.get(ProductMedia, media_id)
    if media is None:
        return []
    made = []
    with Image.open(media_root() / media.path) as original:
        frame = original.convert("RGBA" if original.mode in ("RGBA", "LA", "P") else "RGB")
        for size in THUMBNAIL_SIZES:
            thumb = frame.copy()
            thumb.thumbnail((size, size))
            relative = thumbnail_name(media.path, size)
            thumb.save(media_root() / relative, "WEBP", quality=82)
            made.append(relative)
    media.thumbnail_path = thumbnail_name(media.path, max(THUMBNAIL_SIZES))
    db.session.commit()
    return made


def _get(media_id: int) -> ProductMedia:
    media = db.session.get(ProductMedia, media_id)
    if media is None:
        raise NotFound(f"Image {media_id} does not exist.")
    return media

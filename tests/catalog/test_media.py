"""Product images: checked by decoding, ordered, with alt text; thumbnails made by the job."""

import io

import pytest
from PIL import Image
from sqlalchemy import select

from commerce.catalog import media
from commerce.errors import InvalidInput
from commerce.events import OutboxEvent
from jobs.handlers.catalog import make_media_thumbnails
from jobs.registry import routes
from tests.catalog.factories import make_product
from tests.factories import SYSTEM


@pytest.fixture
def media_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_DIR", str(tmp_path / "media"))
    return tmp_path / "media"


def png(width=1200, height=800, colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


def test_upload_is_stored_in_order_and_queues_thumbnails(db_session, media_dir):
    product = make_product()
    first = media.add_media(product.id, content=png(), alt="Front", actor=SYSTEM)
    second = media.add_media(product.id, content=png(colour=(0, 0, 0)), alt="Back", actor=SYSTEM)
    assert (first.position, second.position) == (1, 2)
    assert (first.width, first.height) == (1200, 800)
    assert (media_dir / first.path).read_bytes()[:4] == b"\x89PNG"
    event = db_session.scalar(
        select(OutboxEvent)
        .where(OutboxEvent.name == "product_media.added")
        .order_by(OutboxEvent.id.desc())
    )
    assert event.payload == {"media_id": second.id, "product_id": product.id}
    assert routes()["product_media.added"][0].handler.endswith("make_media_thumbnails")


def test_thumbnail_job_writes_webp_thumbnails(db_session, media_dir):
    product = make_product()
    image = media.add_media(product.id, content=png(), actor=SYSTEM)
    made = make_media_thumbnails({"payload": {"media_id": image.id}})
    assert made == [media.thumbnail_name(image.path, 160), media.thumbnail_name(image.path, 480)]
    with Image.open(media_dir / made[1]) as thumb:
        assert thumb.format == "WEBP" and max(thumb.size) == 480
    assert image.url(480).endswith(".480.webp")
    assert make_media_thumbnails({"payload": {"media_id": 987654}}) == []  # deleted meanwhile


def test_a_file_that_is_not_an_image_is_refused(db_session, media_dir):
    product = make_product()
    with pytest.raises(InvalidInput, match="file: is not an image"):
        media.add_media(product.id, content=b"<?php echo 1; ?>", actor=SYSTEM)
    with pytest.raises(InvalidInput, match="file: is empty"):
        media.add_media(product.id, content=b"", actor=SYSTEM)
    assert not media_dir.exists() or not any(media_dir.rglob("*.*"))


def test_reorder_needs_every_image_once(db_session, media_dir):
    product = make_product()
    a = media.add_media(product.id, content=png(), actor=SYSTEM)
    b = media.add_media(product.id, content=png(), actor=SYSTEM)
    media.reorder_media(product.id, [b.id, a.id], actor=SYSTEM)
    assert (a.position, b.position) == (2, 1)
    with pytest.raises(InvalidInput, match="every image"):
        media.reorder_media(product.id, [a.id], actor=SYSTEM)


def test_remove_deletes_the_row_and_files(db_session, media_dir):
    product = make_product()
    image = media.add_media(product.id, content=png(), actor=SYSTEM)
    make_media_thumbnails({"payload": {"media_id": image.id}})
    media.remove_media(image.id, actor=SYSTEM)
    assert db_session.get(media.ProductMedia, image.id) is None
    assert not any(media_dir.rglob("*.*"))

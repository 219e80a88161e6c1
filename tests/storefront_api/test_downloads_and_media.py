"""Digital downloads through signed links, and product images in the product detail."""

import io

from PIL import Image

from commerce.catalog import downloads, media
from commerce.catalog import service as catalog
from tests.catalog.test_digital import make_ebook, make_line
from tests.factories import SYSTEM


def test_a_buyer_downloads_within_the_limit_then_gets_410(client, db_session):
    ebook = make_ebook("API-EBOOK-1")
    downloads.add_digital_file(
        ebook.id, filename="guide.pdf", content=b"%PDF guide", download_limit=1, actor=SYSTEM
    )
    [grant] = downloads.grant_downloads(make_line(db_session, ebook).id)
    url = f"/api/v1/downloads/{downloads.download_token(grant.id)}"

    first = client.get(url)
    assert first.status_code == 200
    assert first.data == b"%PDF guide"
    assert "attachment; filename=guide.pdf" in first.headers["Content-Disposition"]
    assert first.headers["Cache-Control"] == "private, no-store"

    second = client.get(url)
    assert second.status_code == 410
    assert second.get_json()["error"]["code"] == "download_unavailable"
    assert client.get("/api/v1/downloads/forged.token.value").status_code == 410


def test_product_detail_lists_images_with_thumbnails(client, db_session):
    product = catalog.create_product(title="Pictured Mug", status="active", actor=SYSTEM)
    catalog.create_variant(product.id, sku="PIC-MUG", price_amount=1200, actor=SYSTEM)
    buffer = io.BytesIO()
    Image.new("RGB", (900, 600), (10, 120, 200)).save(buffer, "JPEG")
    image = media.add_media(product.id, content=buffer.getvalue(), alt="Blue mug", actor=SYSTEM)
    media.make_thumbnails(image.id)

    body = client.get(f"/api/v1/products/{product.slug}").get_json()["data"]
    [shown] = body["media"]
    assert shown["alt"] == "Blue mug" and (shown["width"], shown["height"]) == (900, 600)
    assert shown["thumbnail"].endswith(".480.webp")
    served = client.get(shown["url"])
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert client.get(shown["thumbnail"]).mimetype == "image/webp"
    assert client.get("/media/../../etc/passwd").status_code == 404

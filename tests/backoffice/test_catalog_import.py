"""Catalog → Import: upload, dry run (nothing written), confirm, result — each step an RQ job."""

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from commerce.catalog.models import Variant
from tests.catalog.test_importer import make_sample_refs
from tests.jobs.test_events import run_worker
from wsgi import ROOT

SAMPLE = (ROOT / "devtools" / "sample_catalog_import.csv").read_bytes()


@pytest.fixture
def refs(db_session):
    return make_sample_refs(db_session)


@pytest.fixture
def imports_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORTS_DIR", str(tmp_path / "imports"))
    return tmp_path / "imports"


def _upload(client, content: bytes, name: str = "catalog.csv"):
    from io import BytesIO

    return client.post(
        "/admin/catalog-import/start",
        content_type="multipart/form-data",
        data={"file": (BytesIO(content), name), "csrf_token": client.csrf},
    )


def _variants(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Variant))


@pytest.mark.committed
def test_merchandiser_checks_then_confirms_an_import(app, db_session, sign_in, imports_dir, refs):
    client, _user = sign_in("merchandiser")
    before = _variants(db_session)
    response = _upload(client, SAMPLE)
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    assert "Checking the file" in client.get(preview_url).get_data(as_text=True)

    run_worker(app, queues=("reports",))
    page = client.get(preview_url).get_data(as_text=True)
    assert "Dry run: nothing has been written yet" in page
    assert _variants(db_session) == before  # the dry run wrote nothing
    confirm = re.search(r'action="([^"]+/apply)"', page).group(1)
    assert client.post(confirm, data={"csrf_token": client.csrf}).status_code == 302

    run_worker(app, queues=("reports",))
    done = client.get(preview_url).get_data(as_text=True)
    assert "Result" in done
    assert _variants(db_session) == before + 5
    again = client.post(confirm, data={"csrf_token": client.csrf}, follow_redirects=True)
    assert "confirmed already" in again.get_data(as_text=True)


@pytest.mark.committed
def test_bad_rows_are_listed_and_downloadable(app, db_session, sign_in, imports_dir, refs):
    client, _user = sign_in("merchandiser")
    rows = list(csv.reader(io.StringIO(SAMPLE.decode("utf-8-sig"))))
    rows[1][rows[0].index("price")] = "cheap"
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    content = out.getvalue().encode()
    preview_url = _upload(client, content).headers["Location"]
    run_worker(app, queues=("reports",))
    page = client.get(preview_url).get_data(as_text=True)
    assert "row 2, price: must be a number" in page
    report = client.get(preview_url + "/errors.csv")
    assert report.status_code == 200
    assert '2,price,"must be a number, e.g. 19.99"' in report.get_data(as_text=True)


def test_only_csv_or_xlsx(sign_in, imports_dir):
    client, _user = sign_in("merchandiser")
    response = _upload(client, b"%PDF", "catalog.pdf")
    assert response.status_code == 400
    assert "must be a .csv or .xlsx file" in response.get_data(as_text=True)


def test_support_cannot_import(sign_in, imports_dir):
    client, _user = sign_in("support")
    assert client.get("/admin/catalog-import/").status_code == 403
    assert _upload(client, SAMPLE).status_code == 403


def test_upload_needs_the_csrf_token(sign_in, imports_dir):
    admin_client, _admin = sign_in("admin")
    from io import BytesIO

    response = admin_client.post(
        "/admin/catalog-import/start",
        content_type="multipart/form-data",
        data={"file": (BytesIO(SAMPLE), "catalog.csv")},
    )
    assert response.status_code == 400

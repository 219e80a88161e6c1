"""Catalog → Export: start an export job, watch it, download the file; only with catalog.export."""

import re

import pytest

from devtools import seed
from tests.jobs.test_events import run_worker


@pytest.fixture
def exports_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORTS_DIR", str(tmp_path / "exports"))
    return tmp_path / "exports"


@pytest.mark.committed
def test_manager_exports_active_products_and_downloads_the_file(app, sign_in, exports_dir):
    seed.seed_demo(products=12, customers=3, orders=5, progress=lambda _line: None)
    client, _manager = sign_in("manager")
    assert "Start export" in client.get("/admin/catalog-export/").get_data(as_text=True)
    started = client.post(
        "/admin/catalog-export/start",
        data={"status": "active", "format": "csv", "csrf_token": client.csrf},
    )
    assert started.status_code == 302
    status_url = started.headers["Location"]
    waiting = client.get(status_url).get_data(as_text=True)
    assert "Queued" in waiting and 'http-equiv="refresh"' in waiting

    run_worker(app, queues=("reports",))
    ready = client.get(status_url).get_data(as_text=True)
    assert "Ready:" in ready
    download = re.search(r'href="([^"]+/download)"', ready).group(1)
    response = client.get(download)
    assert response.status_code == 200
    lines = response.data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("handle,title,status") and len(lines) > 1
    assert all(",active," in line for line in lines[1:] if line.count(",") > 3)


def test_support_cannot_export(sign_in, exports_dir):
    client, _user = sign_in("support")
    assert client.get("/admin/catalog-export/").status_code == 403
    response = client.post(
        "/admin/catalog-export/start", data={"format": "csv", "csrf_token": client.csrf}
    )
    assert response.status_code == 403


def test_export_form_needs_csrf_and_a_known_format(sign_in, exports_dir):
    client, _user = sign_in("manager")
    assert client.post("/admin/catalog-export/start", data={"format": "csv"}).status_code == 400
    bad = client.post(
        "/admin/catalog-export/start", data={"format": "pdf", "csrf_token": client.csrf}
    )
    assert bad.status_code == 400
    assert "format: must be csv or xlsx" in bad.get_data(as_text=True)

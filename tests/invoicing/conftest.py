"""Invoices are written to a folder of the test's own, by a seller with an address and VAT id."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def invoices_dir(app, monkeypatch, tmp_path) -> Path:
    folder = tmp_path / "invoices"
    monkeypatch.setitem(app.config, "INVOICES_DIR", str(folder))
    monkeypatch.setitem(app.config, "SHOP_NAME", "Oakridge Supply GmbH")
    monkeypatch.setitem(app.config, "SELLER_ADDRESS", "Torstrasse 1\n10119 Berlin\nGermany")
    monkeypatch.setitem(app.config, "SELLER_VAT_ID", "DE123456789")
    return folder

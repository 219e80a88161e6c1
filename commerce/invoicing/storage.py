"""Where invoice PDFs live: INVOICES_DIR (default instance/invoices), one folder per year.

Files are written under a temporary name and renamed into place, so a reader never sees half a
PDF. A file is written before its row commits; if the transaction then rolls back, the number is
not used and the next document to take it writes over the file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import current_app


def invoices_dir() -> Path:
    """The folder invoice PDFs are kept in (INVOICES_DIR, default instance/invoices)."""
    configured = current_app.config.get("INVOICES_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "invoices"


def write_pdf(relative: str, content: bytes) -> Path:
    """Store `content` at `relative` under invoices_dir(), replacing a file already there.
    Returns the absolute path. Raises OSError when the folder cannot be written."""
    path = invoices_dir() / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def read_pdf(relative: str) -> bytes | None:
    """The stored file at `relative`, or None when it is missing."""
    try:
        return (invoices_dir() / relative).read_bytes()
    except FileNotFoundError:
        return None

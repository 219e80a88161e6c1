"""A local SMTP sink for development and tests: a real SMTP server (aiosmtpd) writing to a Maildir.

Started lazily, once per process, the first time mail is sent while SMTP_URL is unset. Every process
(web, worker) that starts one writes into the same Maildir, which the back-office's Mailbox page
reads.
"""

from __future__ import annotations

import mailbox
import socket
import threading
from email.message import Message
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

_lock = threading.Lock()
_controllers: dict[str, Controller] = {}


def _box(path: Path) -> mailbox.Maildir:
    for sub in ("cur", "new", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    return mailbox.Maildir(str(path), create=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_sink(maildir: str | Path) -> str:
    """Start (once per process and Maildir) an SMTP sink writing to `maildir`. Returns its smtp://
    URL."""
    key = str(Path(maildir).resolve())
    with _lock:
        controller = _controllers.get(key)
        if controller is None:
            _box(Path(key))
            controller = Controller(Mailbox(key), hostname="127.0.0.1", port=_free_port())
            controller.start()
            _controllers[key] = controller
        return f"smtp://{controller.hostname}:{controller.port}"


def read_messages(maildir: str | Path) -> list[tuple[str, Message]]:
    """Every captured message as (key, message), newest first. An absent Maildir reads as empty."""
    path = Path(maildir)
    if not path.exists():
        return []
    box = _box(path)
    items = [(key, box.get_message(key)) for key in box.iterkeys()]
    items.sort(key=lambda item: item[1].get_date(), reverse=True)
    return items


def read_message(maildir: str | Path, key: str) -> Message | None:
    """One captured message by its key, or None."""
    path = Path(maildir)
    if not path.exists():
        return None
    try:
        return _box(path).get_message(key)
    except KeyError:
        return None


def clear(maildir: str | Path) -> None:
    """Delete every captured message."""
    path = Path(maildir)
    if path.exists():
        box = _box(path)
        box.lock()
        try:
            box.clear()
        finally:
            box.unlock()

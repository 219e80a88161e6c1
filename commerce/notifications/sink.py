"""A local SMTP sink for development and tests: a real SMTP server (aiosmtpd) writing to a Maildir.

Started lazily, once per process, the first time mail is sent while SMTP_URL is unset. Every process
(web, worker) that starts one writes into the same Maildir, which the back-office's Mailbox page
reads.
"""

from __future__ import annotations

import email
import email.policy
import mailbox
import socket
import threading
from email.message import EmailMessage
from pathlib import Path
from typing import BinaryIO

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

_lock = threading.Lock()
_controllers: dict[str, Controller] = {}


def _box(path: Path) -> mailbox.Maildir:
    for sub in ("cur", "new", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    # Parse with the modern policy so callers get EmailMessage (get_body, get_content).
    return mailbox.Maildir(str(path), factory=_parse, create=True)


def _parse(fp: BinaryIO) -> EmailMessage:
    return email.message_from_binary_file(fp, policy=email.policy.default)  # type: ignore[return-value]


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


def read_messages(maildir: str | Path) -> list[tuple[str, EmailMessage]]:
    """Every captured message as (key, message), newest first. An absent Maildir reads as empty."""
    path = Path(maildir)
    if not path.exists():
        return []
    box = _box(path)
    items = [(key, box[key]) for key in box.iterkeys()]
    # Maildir keys start with the delivery time in seconds, then a counter: they sort by age.
    items.sort(key=lambda item: _key_time(item[0]), reverse=True)
    return items


def _key_time(key: str) -> tuple[float, str]:
    head = key.split(".", 1)[0]
    return (float(head) if head.replace(".", "").isdigit() else 0.0, key)


def read_message(maildir: str | Path, key: str) -> EmailMessage | None:
    """One captured message by its key, or None."""
    path = Path(maildir)
    if not path.exists():
        return None
    try:
        return _box(path)[key]
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

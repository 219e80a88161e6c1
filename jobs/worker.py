"""The RQ worker: runs every job inside the Flask app's context, on a fresh database pool per
job."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from rq import Worker

from commerce import db


class AppWorker(Worker):
    """An RQ Worker (forking a work horse per job) that gives each job the app context."""

    app: Flask

    def __init__(self, *args: Any, app: Flask, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.app = app
        self._parent_pid = os.getpid()

    def perform_job(self, job: Any, queue: Any, *args: Any, **kwargs: Any) -> bool:
        with self.app.app_context():
            if os.getpid() != self._parent_pid:
                # In the forked horse: never share the parent's pooled connections.
                db.dispose_after_fork()
            try:
                return super().perform_job(job, queue, *args, **kwargs)
            finally:
                db.session.remove()

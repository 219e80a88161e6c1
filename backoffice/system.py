"""System pages for admins: the event outbox, failed jobs (retry/delete), and the mail sink."""

from __future__ import annotations

from email.message import Message

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose

from backoffice.base import ReadOnlyModelView, SecuredView
from backoffice.security import current_actor
from commerce import events, queues
from commerce.errors import DomainError
from commerce.notifications import sink
from commerce.notifications.mailer import maildir


class OutboxEventAdmin(ReadOnlyModelView):
    resource = "jobs"
    column_list = ("id", "name", "created_at", "sent_at", "payload")
    column_searchable_list = ("name",)
    column_filters = ("name", "created_at", "sent_at")
    column_default_sort = ("id", True)
    column_labels = {"sent_at": "Relayed at"}


class FailedJobsView(SecuredView):
    """RQ's failed jobs across every queue, with Retry and Delete."""

    resource = "jobs"
    method_actions = {"retry": "retry", "delete": "delete"}

    @expose("/")
    def index(self):
        return self.render(
            "backoffice/failed_jobs.html",
            jobs=queues.failed_jobs(),
            counts=queues.queue_counts(),
            pending_events=events.pending_count(),
            can_retry=self.allowed("retry"),
            can_delete=self.allowed("delete"),
        )

    def _act(self, job_id: str, operation, done: str):
        try:
            operation(job_id, actor=current_actor())
            flash(done, "success")
        except DomainError as exc:
            flash(exc.message, "error")
        return redirect(url_for(".index"))

    @expose("/<job_id>/retry", methods=["POST"])
    def retry(self, job_id: str):
        return self._act(job_id, queues.retry_failed, f"Job {job_id} is queued again.")

    @expose("/<job_id>/delete", methods=["POST"])
    def delete(self, job_id: str):
        return self._act(job_id, queues.delete_failed, f"Job {job_id} was deleted.")


def _parts(message: Message) -> tuple[str, str | None]:
    text, html = "", None
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "text/plain" and not text:
            text = part.get_content()
        elif kind == "text/html" and html is None:
            html = part.get_content()
    return text, html


class MailboxView(SecuredView):
    """Messages caught by the local SMTP sink (development and tests only)."""

    resource = "mail"

    def is_visible(self) -> bool:
        return not current_app.config.get("SMTP_URL")

    @expose("/")
    def index(self):
        query = (request.args.get("q") or "").strip().lower()
        messages = []
        for key, message in sink.read_messages(maildir()):
            row = {
                "key": key,
                "to": message["To"],
                "subject": message["Subject"],
                "date": message["Date"],
                "template": message["X-Template"],
            }
            if query and query not in f"{row['to']} {row['subject']}".lower():
                continue
            messages.append(row)
        return self.render(
            "backoffice/mailbox.html",
            messages=messages[:500],
            query=query,
            sink_enabled=not current_app.config.get("SMTP_URL"),
        )

    @expose("/<key>")
    def message(self, key: str):
        found = sink.read_message(maildir(), key)
        if found is None:
            abort(404)
        text, html = _parts(found)
        return self.render(
            "backoffice/mail_message.html", message=found, key=key, text=text, html=html
        )

"""The back-office home: what needs attention, and where to go."""

from __future__ import annotations

from flask import current_app
from flask_admin import AdminIndexView, expose
from flask_login import current_user
from sqlalchemy import func, select

from backoffice.security import has_permission, login_manager
from commerce import db, events, queues
from commerce.audit import AuditEntry
from commerce.staff.models import StaffUser
from commerce.staff.permissions import ROLE_LABELS


class HomeView(AdminIndexView):
    """Any signed-in staff member may open it; the cards shown follow their permissions."""

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated)

    def inaccessible_callback(self, name, **kwargs):
        return login_manager.unauthorized()

    @expose("/")
    def index(self):
        cards = {}
        if has_permission("staff.view"):
            cards["staff"] = db.session.scalar(
                select(func.count()).select_from(StaffUser).where(StaffUser.is_active)
            )
        if has_permission("jobs.view"):
            cards["pending_events"] = events.pending_count()
            try:
                counts = queues.queue_counts()
                cards["failed_jobs"] = sum(c["failed"] for c in counts.values())
                cards["queued_jobs"] = sum(c["queued"] for c in counts.values())
            except Exception:  # Redis down: the page still opens and says so
                current_app.logger.exception("queue counts unavailable")
                cards["queues_down"] = True
        recent = []
        if has_permission("audit.view"):
            recent = list(
                db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(10))
            )
        return self.render(
            "backoffice/home.html",
            cards=cards,
            recent=recent,
            role_label=ROLE_LABELS.get(current_user.role, current_user.role),
        )

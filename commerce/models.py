"""Imports every model module so Base.metadata is complete (for migrations and tests)."""

from commerce.audit import AuditEntry
from commerce.events import OutboxEvent
from commerce.notifications.models import EmailMessage
from commerce.staff.models import StaffUser

__all__ = ["AuditEntry", "EmailMessage", "OutboxEvent", "StaffUser"]

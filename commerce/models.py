"""Imports every model module so Base.metadata is complete (for migrations and tests)."""

from commerce.audit import AuditEntry
from commerce.catalog.models import Brand, Category, Product, Variant
from commerce.customers.models import Customer
from commerce.events import OutboxEvent
from commerce.notifications.models import EmailMessage
from commerce.orders.models import Order, OrderLine
from commerce.staff.models import StaffUser

__all__ = [
    "AuditEntry",
    "Brand",
    "Category",
    "Customer",
    "EmailMessage",
    "Order",
    "OrderLine",
    "OutboxEvent",
    "Product",
    "StaffUser",
    "Variant",
]

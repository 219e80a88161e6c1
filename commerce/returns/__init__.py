"""Returns: customers (or staff for them) send shipped units back; staff approve or reject the
request, receive the parcel (restocking or writing off each unit) and give the value back as a
refund to the payment or as store credit. See service.py for the life of a return."""

from commerce.returns.queries import returns_for_order

__all__ = ["returns_for_order"]

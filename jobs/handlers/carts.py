"""Cart jobs: the abandoned-cart reminder (periodic, see jobs/schedule.py) and forgetting an erased
customer's cart details.

Reminders go only to owners who agreed to marketing email (commerce/carts/abandoned.py says who);
each email carries the dedupe key "abandoned_cart:<cart id>" and the cart is marked reminded after
it went out, so a run that stops halfway, or two runs at once, email nobody twice.
"""

from __future__ import annotations

from typing import Any

from commerce.audit import Actor
from commerce.carts import abandoned
from commerce.carts import service as carts
from commerce.notifications.mailer import send_email
from jobs.handlers.customers import storefront_url
from jobs.registry import subscribe

ACTOR = Actor.system("scheduler")


def send_abandoned_cart_reminder(cart_id: int) -> str:
    """Email the owner of an abandoned cart its lines and a link back (once per cart), and mark
    the cart reminded. Raises what the mailer raises (the next run tries again)."""
    reminder = abandoned.reminder(cart_id)
    if reminder is None:
        return "skipped: not due a reminder"
    sent = send_email(
        "abandoned_cart",
        reminder.email,
        {"reminder": reminder, "cart_url": storefront_url("/cart")},
        dedupe_key=f"abandoned_cart:{cart_id}",
    )
    abandoned.mark_reminded(cart_id, actor=ACTOR)
    return "sent" if sent else "skipped: already sent"


def send_abandoned_cart_reminders() -> str:
    """Remind the owners of every cart abandoned for ABANDONED_CART_AFTER_HOURS who agreed to
    marketing email (a batch per run). Raises what the mailer raises."""
    outcomes = [send_abandoned_cart_reminder(cart_id) for cart_id in abandoned.abandoned_cart_ids()]
    return f"sent {outcomes.count('sent')} reminder(s) of {len(outcomes)} abandoned cart(s)"


@subscribe("customer.erased")
def forget_erased_customer_carts(event: dict[str, Any]) -> str:
    """Clear the email and addresses of an erased customer's carts (running twice is harmless)."""
    customer_id = int(event["payload"]["customer_id"])
    cleared = carts.forget_customer_details(customer_id, actor=Actor.system("erasure"))
    return f"cleared {cleared} cart(s) of customer {customer_id}"

"""Event subscriptions: handlers register by event name with `@subscribe`.

`routes()` imports the handler modules listed in HANDLER_MODULES and returns
{event name: [Route]}, which the outbox relay uses to enqueue one job per handler.
"""

from __future__ import annotations

import importlib
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from commerce.events import Route

HANDLER_MODULES = (
    "jobs.handlers.staff",
    "jobs.handlers.inventory",
    "jobs.handlers.catalog",
    "jobs.handlers.orders",
    "jobs.handlers.customers",
    "jobs.handlers.fulfilment",
    "jobs.handlers.carts",
    "jobs.handlers.invoicing",
    "jobs.handlers.returns",
    "jobs.handlers.reporting",
)

_routes: dict[str, list[Route]] = defaultdict(list)

Handler = Callable[[dict[str, Any]], Any]


def subscribe(event_name: str, *, queue: str = "default") -> Callable[[Handler], Handler]:
    """Register the decorated function as a handler of `event_name`, run on RQ queue `queue`."""

    def register(func: Handler) -> Handler:
        route = Route(handler=f"{func.__module__}.{func.__qualname__}", queue=queue)
        if route not in _routes[event_name]:
            _routes[event_name].append(route)
        return func

    return register


def routes() -> dict[str, list[Route]]:
    """Every subscription, after importing the handler modules."""
    for module in HANDLER_MODULES:
        importlib.import_module(module)
    return {name: list(items) for name, items in _routes.items()}

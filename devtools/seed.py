"""Demo data (placeholder until the catalog, customer and order models land)."""

from __future__ import annotations

from collections.abc import Callable


def has_demo_data() -> bool:
    return True


def seed_demo(
    *,
    products: int = 3000,
    customers: int = 5000,
    orders: int = 20000,
    random_seed: int = 42,
    progress: Callable[[str], object] = print,
) -> dict[str, int]:
    return {}

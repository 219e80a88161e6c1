"""Roles and the permission matrix (resource x action) every face checks.

A permission is written "resource.action", e.g. "orders.refund". The matrix below is the single
source; the back-office shows it read-only on the Permissions page.
"""

from __future__ import annotations

ROLES: tuple[str, ...] = ("admin", "manager", "merchandiser", "support")

ROLE_LABELS = {
    "admin": "Administrator",
    "manager": "Manager",
    "merchandiser": "Merchandiser",
    "support": "Support",
}

# resource -> the actions that exist for it
RESOURCES: dict[str, tuple[str, ...]] = {
    "catalog": ("view", "create", "edit", "delete", "export", "import"),
    "inventory": ("view", "adjust", "transfer", "export"),
    "customers": ("view", "create", "edit", "delete", "export", "erase"),
    "orders": ("view", "create", "edit", "cancel", "export", "fulfil"),
    "payments": ("view", "capture", "refund", "mark_paid"),
    "promotions": ("view", "create", "edit", "delete"),
    "analytics": ("view", "export"),
    "staff": ("view", "create", "edit", "delete"),
    "audit": ("view", "export"),
    "jobs": ("view", "retry", "delete"),
    "mail": ("view",),
    "settings": ("view", "edit"),
}

_ALL = "*"

# role -> {resource: actions granted}; "*" grants every action of the resource.
MATRIX: dict[str, dict[str, tuple[str, ...]]] = {
    "admin": {resource: (_ALL,) for resource in RESOURCES},
    "manager": {
        "catalog": ("view", "export"),
        "inventory": ("view", "export"),
        "customers": ("view", "export"),
        "orders": ("view", "export"),
        "payments": ("view",),
        "promotions": ("view", "create", "edit", "delete"),
        "analytics": ("view", "export"),
        "staff": ("view",),
        "audit": ("view", "export"),
        "mail": ("view",),
        "settings": ("view",),
    },
    "merchandiser": {
        "catalog": (_ALL,),
        "inventory": (_ALL,),
        "promotions": ("view", "create", "edit"),
        "orders": ("view",),
        "analytics": ("view",),
    },
    "support": {
        "catalog": ("view",),
        "inventory": ("view",),
        "customers": ("view", "create", "edit", "export"),
        "orders": ("view", "create", "edit", "cancel", "fulfil"),
        "payments": ("view", "capture", "refund", "mark_paid"),
        "promotions": ("view",),
        "mail": ("view",),
    },
}


def _check_known(permission: str) -> tuple[str, str]:
    resource, _, action = permission.partition(".")
    if resource not in RESOURCES or action not in RESOURCES[resource]:
        raise ValueError(f"unknown permission {permission!r}")
    return resource, action


def role_has(role: str, permission: str) -> bool:
    """Whether `role` grants `permission`. Raises ValueError for a permission not in RESOURCES."""
    resource, action = _check_known(permission)
    granted = MATRIX.get(role, {}).get(resource, ())
    return _ALL in granted or action in granted


def permissions_of(role: str) -> set[str]:
    """Every permission `role` grants, as "resource.action" strings."""
    return {
        f"{resource}.{action}"
        for resource, actions in RESOURCES.items()
        for action in actions
        if role_has(role, f"{resource}.{action}")
    }


def all_permissions() -> list[str]:
    """Every permission there is, in matrix order."""
    return [f"{resource}.{action}" for resource, actions in RESOURCES.items() for action in actions]

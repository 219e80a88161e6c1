"""Staff sign-in state, CSRF, and the permission checks every staff-facing view makes.

`require_permission("orders.refund")` guards a plain view; `PermissionMixin` guards a Flask-Admin
view (every method, mapped to an action). Both answer an anonymous HTML caller with a redirect to
sign-in, a signed-in one without the permission with a 403 page naming it, and JSON callers with the
API envelope.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, redirect, request, url_for
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import Forbidden

from commerce import db
from commerce.audit import Actor
from commerce.staff.models import StaffUser
from commerce.staff.permissions import all_permissions
from storefront_api.errors import error_response, wants_json

login_manager = LoginManager()
csrf = CSRFProtect()
F = TypeVar("F", bound=Callable[..., Any])


class MissingPermission(Forbidden):
    """403 that carries the permission's name to the error page."""

    def __init__(self, permission: str) -> None:
        super().__init__(f"You need the '{permission}' permission to open this page or do this.")
        self.permission = permission


def init_security(app: Flask) -> None:
    """Bind CSRF protection and Flask-Login to `app`."""
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "backoffice_auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load(user_id: str) -> StaffUser | None:
        if not user_id.isdigit():
            return None
        user = db.session.get(StaffUser, int(user_id))
        return user if user is not None and user.is_active else None

    @login_manager.unauthorized_handler
    def _unauthorized():
        if wants_json():
            return error_response("unauthenticated", "Sign in to continue.", 401)
        return redirect(url_for("backoffice_auth.login", next=request.full_path.rstrip("?")))


def client_ip() -> str | None:
    """The caller's IP (ProxyFix, when configured, makes this the real client behind a proxy)."""
    return request.remote_addr


def current_actor() -> Actor:
    """The signed-in staff user as an audit Actor (with the request's IP)."""
    if not current_user.is_authenticated:
        return Actor(kind="anonymous", ip=client_ip())
    return Actor(kind="staff", id=current_user.id, label=current_user.email, ip=client_ip())


def has_permission(permission: str) -> bool:
    """Whether the signed-in user holds `permission`."""
    return bool(current_user.is_authenticated and current_user.can(permission))


def deny(permission: str):
    """Refuse the current request for lack of `permission` (sign-in first when anonymous)."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if wants_json():
        return error_response(
            "permission_denied",
            f"You need the '{permission}' permission to do this.",
            403,
            {"permission": permission},
        )
    raise MissingPermission(permission)


def require_permission(permission: str) -> Callable[[F], F]:
    """Decorate a view so only staff holding `permission` reach it."""
    if permission not in all_permissions():
        raise ValueError(f"unknown permission {permission!r}")

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any):
            if not has_permission(permission):
                return deny(permission)
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


KNOWN_PERMISSIONS = frozenset(all_permissions())

# Flask-Admin view method -> the action it needs on the view's resource.
ADMIN_METHOD_ACTIONS = {
    "index_view": "view",
    "details_view": "view",
    "index": "view",
    "create_view": "create",
    "edit_view": "edit",
    "delete_view": "delete",
    "export": "export",
    "ajax_lookup": "view",
    "ajax_update": "edit",
}


class PermissionMixin:
    """Mix into a Flask-Admin view: `resource` names the matrix row; each method needs its action.

    The view is visible in the menu only to staff who may view it, and the create/edit/delete/export
    buttons show only for staff who may use them.
    """

    resource: str = ""
    # Extra method -> action entries for a view's own @expose methods.
    method_actions: dict[str, str] = {}

    def is_accessible(self) -> bool:
        return has_permission(f"{self.resource}.view")

    def _permission_for(self, method: str) -> str:
        action = self.method_actions.get(method) or ADMIN_METHOD_ACTIONS.get(method, "view")
        return f"{self.resource}.{action}"

    def _handle_view(self, name: str, **kwargs: Any):
        permission = self._permission_for(name)
        if permission not in KNOWN_PERMISSIONS:
            abort(404)  # e.g. "create" on the read-only audit trail: the page does not exist
        if not has_permission(permission):
            return deny(permission)
        return None

    def allowed(self, action: str) -> bool:
        """Whether the signed-in user may do `action` on this view's resource."""
        return has_permission(f"{self.resource}.{action}")

    def inaccessible_callback(self, name: str, **kwargs: Any):
        return deny(self._permission_for(name))

    def require(self, action: str) -> None:
        """Abort the request unless the user may do `action` (for POST handlers inside a view)."""
        if not self.allowed(action):
            response = deny(f"{self.resource}.{action}")
            abort(response)

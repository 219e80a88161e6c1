"""Staff accounts (admins only): list, search, create, edit, activate/deactivate, set password."""

from __future__ import annotations

from typing import Any

from flask import flash
from flask_admin import expose
from flask_admin.actions import action
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from backoffice.base import SecuredModelView, SecuredView, show_domain_error
from backoffice.security import current_actor
from commerce import db
from commerce.errors import DomainError
from commerce.staff import service as staff
from commerce.staff.models import StaffUser
from commerce.staff.permissions import MATRIX, RESOURCES, ROLE_LABELS, ROLES, role_has

ROLE_CHOICES = [SelectChoice(role, ROLE_LABELS[role]) for role in ROLES]


class StaffCreateForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[DataRequired()])
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(max=1024)],
        description=f"At least {staff.MIN_PASSWORD_LENGTH} characters. "
        "A welcome email is sent; share the password another way.",
    )


class StaffEditForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[DataRequired()])
    is_active = BooleanField("Active (may sign in)")
    new_password = PasswordField(
        "New password",
        validators=[Length(max=1024)],
        description="Leave empty to keep the current password.",
    )


def _role_badge(_view: Any, _context: Any, model: StaffUser, _name: str) -> Markup:
    return Markup('<span class="badge badge-secondary">{}</span>').format(ROLE_LABELS[model.role])


class StaffUserAdmin(SecuredModelView):
    resource = "staff"
    audit_object_type = "staff_user"
    create_enabled = edit_enabled = True
    export_enabled = False
    action_permissions = {"activate": "edit", "deactivate": "edit"}

    column_list = ("email", "name", "role", "is_active", "last_sign_in_at", "created_at")
    column_labels = {"is_active": "Active", "last_sign_in_at": "Last sign-in"}
    column_searchable_list = ("email", "name")
    column_filters = ("role", "is_active", "created_at", "last_sign_in_at")
    column_sortable_list = ("email", "name", "role", "is_active", "last_sign_in_at", "created_at")
    column_default_sort = ("created_at", True)
    column_details_list = (
        "id",
        "email",
        "name",
        "role",
        "is_active",
        "last_sign_in_at",
        "created_at",
        "updated_at",
    )
    column_formatters = {"role": _role_badge}
    form = StaffCreateForm

    def get_create_form(self):
        return StaffCreateForm

    def get_edit_form(self):
        return StaffEditForm

    def create_model(self, form: StaffCreateForm):
        try:
            return staff.create_staff_user(
                email=form.email.data,
                name=form.name.data,
                role=form.role.data,
                password=form.password.data,
                actor=current_actor(),
            )
        except DomainError as exc:
            db.session.rollback()
            show_domain_error(exc, form)
            return False

    def update_model(self, form: StaffEditForm, model: StaffUser):
        changes = {
            "email": form.email.data,
            "name": form.name.data,
            "role": form.role.data,
            "is_active": bool(form.is_active.data),
        }
        try:
            staff.update_staff_user(model.id, changes, actor=current_actor())
            if form.new_password.data:
                staff.set_password(model.id, form.new_password.data, actor=current_actor())
        except DomainError as exc:
            db.session.rollback()
            if "password" in exc.details.get("fields", {}):
                exc.details["fields"]["new_password"] = exc.details["fields"].pop("password")
            show_domain_error(exc, form)
            return False
        return True

    def delete_model(self, model: StaffUser) -> bool:
        flash(
            "Staff accounts are deactivated, not deleted, so their audit trail keeps a name.",
            "warning",
        )
        return False

    def _set_active(self, ids: list[str], active: bool) -> None:
        done, failed = 0, []
        for raw in ids:
            try:
                staff.update_staff_user(int(raw), {"is_active": active}, actor=current_actor())
                done += 1
            except DomainError as exc:
                db.session.rollback()
                failed.append(f"#{raw}: {exc.message}")
        verb = "activated" if active else "deactivated"
        if done:
            flash(f"{done} staff account(s) {verb}.", "success")
        for problem in failed:
            flash(problem, "error")

    @action(
        "deactivate", "Deactivate", "Deactivate the selected accounts? They can no longer sign in."
    )
    def action_deactivate(self, ids: list[str]) -> None:
        self._set_active(ids, False)

    @action("activate", "Activate", "Activate the selected accounts?")
    def action_activate(self, ids: list[str]) -> None:
        self._set_active(ids, True)


class PermissionsView(SecuredView):
    """The role x permission matrix, read-only."""

    resource = "staff"

    @expose("/")
    def index(self):
        rows = [
            (resource, action, {role: role_has(role, f"{resource}.{action}") for role in ROLES})
            for resource, actions in RESOURCES.items()
            for action in actions
        ]
        return self.render(
            "backoffice/permissions.html",
            rows=rows,
            roles=ROLES,
            role_labels=ROLE_LABELS,
            matrix=MATRIX,
        )

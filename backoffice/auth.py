"""Staff sign-in and sign-out pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from backoffice.security import client_ip
from commerce.errors import AccountLocked, InvalidCredentials
from commerce.staff import service as staff

bp = Blueprint("backoffice_auth", __name__, url_prefix="/admin", template_folder="templates")


class SignInForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    remember = BooleanField("Keep me signed in on this device")


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after sign-in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("admin.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the sign-in form; on POST check the credentials (throttled) and sign in."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = staff.sign_in(form.email.data or "", form.password.data or "", ip=client_ip())
        except AccountLocked as exc:
            form.form_errors.append(exc.message)
            status = 429
        except InvalidCredentials as exc:
            form.form_errors.append(exc.message)
            status = 401
        else:
            session.clear()  # a fresh session on sign-in (no fixation)
            login_user(user, remember=bool(form.remember.data))
            flash(f"Welcome back, {user.name}.", "success")
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
    return render_template("backoffice/login.html", form=form), status


@bp.post("/logout")
def logout():
    """Sign out (POST with the CSRF token, so a link elsewhere cannot sign staff out)."""
    logout_user()
    session.clear()
    flash("You have been signed out.", "info")
    return redirect(url_for("backoffice_auth.login"))

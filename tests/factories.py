"""Test factories: plain functions with defaults, going through the services like a user would."""

from __future__ import annotations

import itertools
import re

from flask.testing import FlaskClient

from commerce.audit import Actor
from commerce.staff import service as staff
from commerce.staff.models import StaffUser

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)
SYSTEM = Actor.system("tests")


def make_staff(role: str = "admin", **overrides) -> StaffUser:
    """Create a staff user through the service (audit row, welcome event)."""
    n = next(_counter)
    values = {
        "email": f"staff{n}@shop.example",
        "name": f"Staff Member {n}",
        "role": role,
        "password": PASSWORD,
    }
    values.update(overrides)
    return staff.create_staff_user(actor=SYSTEM, **values)


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, url: str = "/admin/login") -> str:
    """GET `url` and return the CSRF token of its form."""
    body = client.get(url).get_data(as_text=True)
    match = CSRF_RE.search(body)
    assert match, f"no csrf_token on {url}"
    return match.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD, *, follow=False):
    """Sign in through the real form (with its CSRF token). Returns the POST's response."""
    token = csrf_token(client)
    response = client.post(
        "/admin/login",
        data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=follow,
    )
    client.csrf = csrf_token(client, "/admin/") if response.status_code == 302 else token
    return response

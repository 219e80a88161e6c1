"""Each role sees and changes only what the permission matrix allows."""

import pytest

from commerce.staff.models import StaffUser
from commerce.staff.permissions import ROLES, permissions_of, role_has
from tests import factories

# page -> permission it needs
PAGES = {
    "/admin/staff/": "staff.view",
    "/admin/permissions/": "staff.view",
    "/admin/audit/": "audit.view",
    "/admin/outbox/": "jobs.view",
    "/admin/failed_jobs/": "jobs.view",
    "/admin/mailbox/": "mail.view",
    "/dashboards/": "analytics.view",
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_exactly_the_pages_its_permissions_allow(sign_in, role):
    client, _user = sign_in(role)
    for page, permission in PAGES.items():
        response = client.get(page)
        expected = 200 if role_has(role, permission) else 403
        assert response.status_code == expected, (role, page)
        if expected == 403:
            body = response.get_data(as_text=True)
            assert f'<code id="missing-permission">{permission}</code>' in body


@pytest.mark.parametrize("role", ROLES)
def test_menu_lists_only_reachable_pages(sign_in, role):
    client, _user = sign_in(role)
    home = client.get("/admin/").get_data(as_text=True)
    assert ('href="/admin/staff/"' in home) == role_has(role, "staff.view")
    assert ('href="/admin/audit/"' in home) == role_has(role, "audit.view")


def test_only_admins_hold_staff_management_permissions():
    holders = [role for role in ROLES if "staff.create" in permissions_of(role)]
    assert holders == ["admin"]


def test_manager_can_read_staff_but_not_create_or_edit(sign_in, db_session):
    client, _manager = sign_in("manager")
    other = factories.make_staff(role="support")
    listing = client.get("/admin/staff/").get_data(as_text=True)
    assert other.email in listing
    assert "/admin/staff/new/" not in listing  # no Create button
    assert client.get("/admin/staff/new/").status_code == 403
    response = client.post(
        f"/admin/staff/edit/?id={other.id}",
        data={
            "email": other.email,
            "name": "Renamed",
            "role": "admin",
            "is_active": "y",
            "csrf_token": client.csrf,
        },
    )
    assert response.status_code == 403
    other = db_session.get(StaffUser, other.id)
    assert (other.name, other.role) != ("Renamed", "admin")


def test_support_cannot_create_staff_by_posting_directly(sign_in, db_session):
    client, _user = sign_in("support")
    response = client.post(
        "/admin/staff/new/",
        data={
            "email": "sneaky@shop.example",
            "name": "Sneaky",
            "role": "admin",
            "password": "long enough password",
            "csrf_token": client.csrf,
        },
    )
    assert response.status_code == 403
    assert db_session.query(StaffUser).filter_by(email="sneaky@shop.example").count() == 0


def test_json_callers_get_the_error_envelope_for_missing_permission(sign_in):
    client, _user = sign_in("support")
    response = client.get("/admin/staff/", headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert response.get_json()["error"] == {
        "code": "permission_denied",
        "message": "You need the 'staff.view' permission to do this.",
        "details": {"permission": "staff.view"},
    }


def test_anonymous_json_caller_gets_401(client):
    response = client.get("/dashboards/", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthenticated"

"""Admins manage staff in the back-office; every change is audited with its diff."""

from sqlalchemy import select

from commerce.audit import AuditEntry
from commerce.events import OutboxEvent
from commerce.staff.models import StaffUser
from tests import factories


def _entries(db_session, object_id):
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.object_type == "staff_user", AuditEntry.object_id == str(object_id))
        .order_by(AuditEntry.id)
    )
    return list(db_session.scalars(stmt))


def test_admin_creates_staff_user_with_audit_row_and_event(sign_in, db_session):
    client, admin = sign_in("admin")
    response = client.post(
        "/admin/staff/new/",
        data={
            "email": "New.Person@Shop.example",
            "name": "New Person",
            "role": "merchandiser",
            "password": "a long enough password",
            "csrf_token": client.csrf,
        },
    )
    assert response.status_code == 302
    user = db_session.scalar(select(StaffUser).where(StaffUser.name == "New Person"))
    assert user.email == "New.Person@shop.example"  # domain normalised
    assert user.password_hash.startswith("$argon2id$")
    [entry] = _entries(db_session, user.id)
    assert (entry.action, entry.actor_id, entry.actor_label) == (
        "staff_user.create",
        admin.id,
        admin.email,
    )
    assert entry.changes["role"] == [None, "merchandiser"]
    assert "password" not in str(entry.changes) and "argon2" not in str(entry.changes)
    event = db_session.scalar(
        select(OutboxEvent)
        .where(OutboxEvent.name == "staff_user.created")
        .order_by(OutboxEvent.id.desc())
    )
    assert event.payload == {"staff_user_id": user.id}


def test_edit_records_a_before_after_diff_of_changed_fields_only(sign_in, db_session):
    client, admin = sign_in("admin")
    user = factories.make_staff(role="support", name="Sam Support")
    response = client.post(
        f"/admin/staff/edit/?id={user.id}",
        data={
            "email": user.email,
            "name": "Sam Senior",
            "role": "manager",
            "is_active": "y",
            "new_password": "",
            "csrf_token": client.csrf,
        },
    )
    assert response.status_code == 302
    entry = _entries(db_session, user.id)[-1]
    assert entry.action == "staff_user.update"
    assert entry.changes == {"name": ["Sam Support", "Sam Senior"], "role": ["support", "manager"]}
    assert entry.actor_id == admin.id
    assert entry.ip == "127.0.0.1"
    # The history shows on the object's own page.
    page = client.get(f"/admin/staff/edit/?id={user.id}").get_data(as_text=True)
    assert "staff_user.update" in page and "Sam Senior" in page


def test_duplicate_email_rerenders_the_form_with_the_field_error(sign_in, db_session):
    client, _admin = sign_in("admin")
    existing = factories.make_staff()
    response = client.post(
        "/admin/staff/new/",
        data={
            "email": existing.email.upper(),
            "name": "Copy",
            "role": "support",
            "password": "a long enough password",
            "csrf_token": client.csrf,
        },
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "already has an account" in body
    assert db_session.query(StaffUser).filter_by(name="Copy").count() == 0


def test_short_password_is_refused_naming_the_field(sign_in, db_session):
    client, _admin = sign_in("admin")
    response = client.post(
        "/admin/staff/new/",
        data={
            "email": "shorty@shop.example",
            "name": "Shorty",
            "role": "support",
            "password": "short",
            "csrf_token": client.csrf,
        },
    )
    assert response.status_code == 200
    assert "at least 10 characters" in response.get_data(as_text=True)
    assert db_session.query(StaffUser).filter_by(name="Shorty").count() == 0


def test_admin_form_without_csrf_token_is_refused(sign_in, db_session):
    client, _admin = sign_in("admin")
    response = client.post(
        "/admin/staff/new/",
        data={
            "email": "nocsrf@shop.example",
            "name": "No Token",
            "role": "support",
            "password": "a long enough password",
        },
    )
    assert response.status_code == 400
    assert db_session.query(StaffUser).filter_by(name="No Token").count() == 0


def test_admin_cannot_demote_themselves(sign_in, db_session):
    client, admin = sign_in("admin")
    response = client.post(
        f"/admin/staff/edit/?id={admin.id}",
        data={
            "email": admin.email,
            "name": admin.name,
            "role": "support",
            "is_active": "y",
            "csrf_token": client.csrf,
        },
    )
    assert response.status_code == 200
    assert "cannot change your own role" in response.get_data(as_text=True)
    admin = db_session.get(StaffUser, admin.id)
    assert admin.role == "admin"


def test_bulk_deactivate_is_audited_and_blocks_sign_in(app, sign_in, db_session):
    client, _admin = sign_in("admin")
    a, b = factories.make_staff(role="support"), factories.make_staff(role="support")
    response = client.post(
        "/admin/staff/action/",
        data={"action": "deactivate", "rowid": [str(a.id), str(b.id)], "csrf_token": client.csrf},
    )
    assert response.status_code == 302
    for user in (a, b):
        user = db_session.get(StaffUser, user.id)
        assert user.is_active is False
        assert _entries(db_session, user.id)[-1].changes == {"is_active": [True, False]}
    other = app.test_client()
    assert factories.sign_in(other, a.email).status_code == 401


def test_staff_list_search_and_filter(sign_in, db_session):
    client, _admin = sign_in("admin")
    factories.make_staff(name="Findable Fiona", role="merchandiser")
    factories.make_staff(name="Hidden Harry", role="support")
    found = client.get("/admin/staff/?search=fiona").get_data(as_text=True)
    assert "Findable Fiona" in found and "Hidden Harry" not in found
    none = client.get("/admin/staff/?search=zzzz-nobody").get_data(as_text=True)
    assert "No rows match your search or filters." in none


def test_password_reset_by_admin_is_audited_without_the_hash(sign_in, db_session, app):
    client, _admin = sign_in("admin")
    user = factories.make_staff(role="support")
    old_hash = user.password_hash
    client.post(
        f"/admin/staff/edit/?id={user.id}",
        data={
            "email": user.email,
            "name": user.name,
            "role": "support",
            "is_active": "y",
            "new_password": "a brand new password",
            "csrf_token": client.csrf,
        },
    )
    user = db_session.get(StaffUser, user.id)
    assert user.password_hash != old_hash
    entry = _entries(db_session, user.id)[-1]
    assert entry.action == "staff_user.set_password"
    assert entry.changes == {"password": ["(hidden)", "(changed)"]}
    assert (
        factories.sign_in(app.test_client(), user.email, "a brand new password").status_code == 302
    )

"""The audit trail is append-only and filterable."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from commerce import audit
from tests import factories


def test_audit_rows_cannot_be_updated_or_deleted(db_session):
    user = factories.make_staff()
    entry = audit.history("staff_user", user.id)[0]
    with pytest.raises(DBAPIError, match="append-only"):
        db_session.execute(
            text("UPDATE audit_entries SET action = 'x' WHERE id = :id"), {"id": entry.id}
        )
    db_session.rollback()
    with pytest.raises(DBAPIError, match="append-only"):
        db_session.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": entry.id})
    db_session.rollback()


def test_diff_lists_only_changed_fields():
    assert audit.diff({"a": 1, "b": "x"}, {"a": 2, "b": "x", "c": None}) == {"a": [1, 2]}


def test_audit_page_filters_by_actor_and_object(sign_in, db_session):
    client, admin = sign_in("admin")
    target = factories.make_staff(name="Filter Target")
    client.post(
        f"/admin/staff/edit/?id={target.id}",
        data={
            "email": target.email,
            "name": "Filter Target 2",
            "role": target.role,
            "is_active": "y",
            "csrf_token": client.csrf,
        },
    )
    page = client.get("/admin/audit/?search=staff_user.update").get_data(as_text=True)
    assert "Filter Target 2" in page
    assert admin.email in page
    none = client.get("/admin/audit/?search=no-such-action").get_data(as_text=True)
    assert "No rows match" in none
    # Read-only: no create or edit routes exist.
    assert client.get("/admin/audit/new/").status_code in (403, 404, 302)
    assert client.post(
        "/admin/audit/delete/", data={"id": "1", "csrf_token": client.csrf}
    ).status_code in (302, 403, 404)

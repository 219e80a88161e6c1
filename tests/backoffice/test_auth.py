"""Staff sign-in: the form, CSRF, one message for unknown and wrong, lockout, sign-out."""

import re

from tests import factories


def test_sign_in_with_the_right_password_opens_the_back_office(client, db_session):
    user = factories.make_staff(role="support")
    response = factories.sign_in(client, user.email)
    assert response.status_code == 302
    home = client.get("/admin/")
    assert home.status_code == 200
    assert f"Hello, {user.name}" in home.get_data(as_text=True)


def test_unknown_email_and_wrong_password_get_the_same_message(client, db_session):
    user = factories.make_staff()
    wrong = factories.sign_in(client, user.email, "not the password at all")
    unknown = factories.sign_in(client, "nobody@shop.example", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    message = "Email or password is incorrect."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_deactivated_staff_cannot_sign_in(client, db_session):
    user = factories.make_staff()
    user.is_active = False
    db_session.commit()
    response = factories.sign_in(client, user.email)
    assert response.status_code == 401
    assert client.get("/admin/").status_code == 302


def test_sign_in_form_without_csrf_token_is_refused(client, db_session):
    user = factories.make_staff()
    client.get("/admin/login")
    response = client.post(
        "/admin/login", data={"email": user.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302  # still signed out


def test_five_failures_lock_the_account_and_say_when_to_retry(client, db_session):
    user = factories.make_staff()
    for _ in range(4):
        assert factories.sign_in(client, user.email, "wrong password!!").status_code == 401
    fifth = factories.sign_in(client, user.email, "wrong password!!")
    assert fifth.status_code == 429
    body = fifth.get_data(as_text=True)
    assert re.search(r"Try again in 1[45] minutes", body)
    # Even the right password is refused while locked.
    locked = factories.sign_in(client, user.email, factories.PASSWORD)
    assert locked.status_code == 429
    assert client.get("/admin/").status_code == 302


def test_lockout_is_per_account_and_ip(app, client, db_session):
    user = factories.make_staff()
    for _ in range(5):
        factories.sign_in(client, user.email, "wrong password!!")
    other_ip = app.test_client()
    other_ip.environ_base["REMOTE_ADDR"] = "10.9.8.7"
    assert factories.sign_in(other_ip, user.email).status_code == 302


def test_sign_in_resets_the_failure_count(client, db_session):
    user = factories.make_staff()
    for _ in range(4):
        factories.sign_in(client, user.email, "wrong password!!")
    assert factories.sign_in(client, user.email).status_code == 302
    client.post("/admin/logout", data={"csrf_token": client.csrf})
    for _ in range(4):
        assert factories.sign_in(client, user.email, "wrong password!!").status_code == 401


def test_sign_out_needs_a_post_with_csrf(client, db_session):
    user = factories.make_staff()
    factories.sign_in(client, user.email)
    assert client.get("/admin/logout").status_code == 405
    assert client.post("/admin/logout").status_code == 400
    assert client.get("/admin/").status_code == 200
    response = client.post("/admin/logout", data={"csrf_token": client.csrf})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 302


def test_anonymous_visitor_is_sent_to_sign_in_with_next(client, db_session):
    response = client.get("/admin/staff/")
    assert response.status_code == 302
    assert "/admin/login?next=/admin/staff/" in response.headers["Location"]


def test_next_parameter_cannot_redirect_off_site(client, db_session):
    user = factories.make_staff()
    token = factories.csrf_token(client)
    response = client.post(
        "/admin/login?next=//evil.example/",
        data={"email": user.email, "password": factories.PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"


def test_session_cookie_is_hardened(app, client, db_session):
    user = factories.make_staff()
    response = factories.sign_in(client, user.email)
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert app.config["SESSION_COOKIE_SECURE"] is False  # development/test; production sets it


def test_sign_in_is_audited_with_ip(client, db_session):
    from commerce import audit

    user = factories.make_staff()
    factories.sign_in(client, user.email)
    entries = audit.history("staff_user", user.id)
    assert entries[0].action == "staff_user.sign_in"
    assert entries[0].ip == "127.0.0.1"

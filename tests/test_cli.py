"""Flask CLI commands."""

from sqlalchemy import select

from commerce.staff.models import StaffUser


def test_create_admin_prints_a_generated_password_that_signs_in(app, client, db_session):
    from tests import factories

    result = app.test_cli_runner().invoke(args=["users", "create-admin", "boss@shop.example"])
    assert result.exit_code == 0, result.output
    assert "Created admin boss@shop.example" in result.output
    password = result.output.split("Password: ")[1].strip()
    user = db_session.scalar(select(StaffUser).where(StaffUser.email == "boss@shop.example"))
    assert user.role == "admin"
    assert factories.sign_in(client, "boss@shop.example", password).status_code == 302


def test_create_admin_refuses_a_taken_email(app, db_session):
    runner = app.test_cli_runner()
    runner.invoke(args=["users", "create-admin", "dup@shop.example", "--password", "x" * 12])
    result = runner.invoke(
        args=["users", "create-admin", "dup@shop.example", "--password", "y" * 12]
    )
    assert result.exit_code != 0
    assert "already has an account" in result.output

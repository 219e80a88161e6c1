"""Staff read the messages the local SMTP sink caught."""

import re

import pytest

from commerce.notifications.mailer import send_email
from tests import factories


@pytest.mark.committed
def test_mailbox_lists_and_shows_captured_messages(app, db_session, sign_in):
    user = factories.make_staff(name="Reader Rita")
    send_email(
        "staff_welcome",
        user.email,
        {"user": user, "role_label": "Support", "sign_in_url": "http://x/admin/login"},
    )
    client, _admin = sign_in("admin")
    listing = client.get("/admin/mailbox/").get_data(as_text=True)
    assert user.email in listing and "Welcome to the Shop back-office" in listing
    [key] = re.findall(r'href="/admin/mailbox/([^"/]+)"', listing)
    page = client.get(f"/admin/mailbox/{key}").get_data(as_text=True)
    assert "Hello Reader Rita" in page
    assert 'sandbox=""' in page  # captured HTML never runs in the back-office's origin
    assert client.get("/admin/mailbox/no-such-key").status_code == 404


def test_empty_mailbox_says_so(sign_in):
    client, _admin = sign_in("admin")
    assert "No email has been sent yet." in client.get("/admin/mailbox/").get_data(as_text=True)

"""The weekly sales summary: last Monday-Sunday, emailed once per week to staff who view
analytics, with the figures in the body and an XLSX attachment."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from commerce.errors import InvalidInput
from commerce.notifications.mailer import send_email
from commerce.reports.weekly import last_week
from commerce.staff import service as staff
from jobs.reports import send_weekly_sales_summary
from jobs.schedule import SCHEDULE
from tests import factories
from tests.reports.factories import place, refund


def summaries(mailbox) -> list:
    return [m for m in mailbox() if m["X-Template"] == "weekly_sales_summary"]


def attachment(message) -> tuple[str, bytes]:
    [part] = list(message.iter_attachments())
    return part.get_filename(), part.get_content()


@pytest.mark.parametrize(
    "today", ["2026-11-09", "2026-11-11", "2026-11-15"]
)  # Monday, Wednesday, Sunday of the following week
def test_last_week_is_the_monday_to_sunday_before(today):
    assert last_week(dt.date.fromisoformat(today)) == (dt.date(2026, 11, 2), dt.date(2026, 11, 8))


def test_it_is_scheduled_on_mondays_at_six_utc():
    [entry] = [e for e in SCHEDULE if e.func == "jobs.reports.send_weekly_sales_summary"]
    assert entry.cron == "0 6 * * 1" and entry.interval is None


def test_managers_get_the_weeks_summary_once_with_its_workbook(db_session, mailbox):
    manager = factories.make_staff("manager", name="Max Manager")
    merchandiser = factories.make_staff("merchandiser")  # analytics.view too
    factories.make_staff("support")  # no analytics
    gone = factories.make_staff("manager")
    staff.update_staff_user(gone.id, {"is_active": False}, actor=factories.SYSTEM)
    a = place("2026-11-02", lines=((2, 1000),), discount=200, shipping=500)
    place("2026-11-04", status="delivered", lines=((1, 3000), (1, 1500)))
    place("2026-11-04", status="cancelled", lines=((1, 9000),))
    place("2026-11-09", lines=((1, 7000),), hour=6)  # this week: next summary
    refund(a, 800, "2026-11-08")

    assert send_weekly_sales_summary("2026-11-09").startswith("sent 2 of 2")
    assert send_weekly_sales_summary("2026-11-09").startswith("sent 0 of 2")  # ran twice
    sent = summaries(mailbox)
    assert sorted(m["To"] for m in sent) == sorted([manager.email, merchandiser.email])
    message = next(m for m in sent if m["To"] == manager.email)
    assert message["Subject"] == "Weekly sales 2026-11-02 to 2026-11-08"
    body = message.get_body(("plain",)).get_content()
    assert "Hello Max Manager" in body
    assert "EUR: 2 orders, 4 units" in body
    # gross 20 + 30 + 15 = 65.00, discounts 2.00, refunds 8.00, net 55.00
    assert "Gross 65.00 EUR, discounts 2.00 EUR, refunds 8.00 EUR" in body
    assert "Net 55.00 EUR, tax 0.00 EUR, shipping 5.00 EUR, average order 31.50 EUR" in body

    name, content = attachment(message)
    assert name == "sales_2026-11-02_2026-11-08.xlsx"
    book = load_workbook(io.BytesIO(content))
    summary = [list(r) for r in book["Summary"].iter_rows(values_only=True)]
    assert summary[2][:3] == ["EUR", 2, 4]
    assert Decimal(str(summary[2][6])) == Decimal("55")  # net
    days = [list(r) for r in book["By day"].iter_rows(values_only=True)][1:]
    assert [d[0] for d in days] == [f"2026-11-0{n}" for n in range(2, 9)]  # quiet days too
    assert [d[2] for d in days] == [1, 0, 1, 0, 0, 0, 0]
    assert Decimal(str(days[6][6])) == Decimal("8")  # the refund, on Sunday
    assert sum(Decimal(str(d[7])) for d in days) == Decimal("55")

    # The next week is its own summary.
    send_weekly_sales_summary("2026-11-16")
    assert len(summaries(mailbox)) == 4


def test_a_quiet_week_still_says_so(db_session, mailbox):
    factories.make_staff("manager")
    send_weekly_sales_summary("2026-11-09")
    [message] = summaries(mailbox)
    assert "No sales or refunds that week." in message.get_body(("plain",)).get_content()
    name, _content = attachment(message)
    assert name.endswith(".xlsx")


def test_the_mailer_sends_attachments_and_refuses_a_bad_mime_type(db_session, mailbox):
    context = {"name": "A", "monday": dt.date(2026, 11, 2), "sunday": dt.date(2026, 11, 8),
               "kpis": [], "filename": "f.csv", "dashboards_url": "http://x/"}  # fmt: skip
    send_email("weekly_sales_summary", "a@shop.example", context,
               attachments=[("f.csv", b"a,b\n1,2\n", "text/csv")])  # fmt: skip
    [message] = mailbox()
    part = next(message.iter_attachments())
    assert part.get_filename() == "f.csv" and part.get_content_type() == "text/csv"
    assert part.get_payload(decode=True) == b"a,b\n1,2\n"
    with pytest.raises(InvalidInput):
        send_email("weekly_sales_summary", "a@shop.example", context,
                   attachments=[("f.csv", b"x", "csv")])  # fmt: skip

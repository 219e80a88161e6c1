"""Numbers without gaps or duplicates: parallel issues take turns, a failed issue gives its
number back, each kind counts on its own and every year starts again at 1."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commerce import db
from commerce.invoicing import numbering, storage
from commerce.invoicing import service as invoicing
from commerce.invoicing.models import Invoice
from tests.invoicing.factories import CLERK, make_paid_order


def at(year: int, month: int = 6, day: int = 1, hour: int = 12) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


def test_numbering_restarts_every_year_and_counts_each_kind_on_its_own(db_session):
    orders = [make_paid_order() for _ in range(4)]

    last_of_2026 = invoicing.issue_invoice(
        orders[0].id, actor=CLERK, issued_at=at(2026, 12, 31, 23)
    )
    first_of_2027 = invoicing.issue_invoice(orders[1].id, actor=CLERK, issued_at=at(2027, 1, 1, 0))
    second_of_2027 = invoicing.issue_invoice(orders[2].id, actor=CLERK, issued_at=at(2027, 3))
    credit = invoicing.issue_credit_note(orders[0].id, amount=100, actor=CLERK, issued_at=at(2027))
    late_2026 = invoicing.issue_invoice(orders[3].id, actor=CLERK, issued_at=at(2026, 12, 31, 23))

    assert [
        doc.number for doc in (last_of_2026, first_of_2027, second_of_2027, credit, late_2026)
    ] == [
        "INV-2026-000001",
        "INV-2027-000001",
        "INV-2027-000002",
        "CN-2027-000001",
        "INV-2026-000002",
    ]
    assert numbering.last_number("invoice", 2027) == 2
    assert numbering.last_number("credit_note", 2026) == 0


def _run_at_once(app, count: int, work) -> list[BaseException]:
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        with app.app_context():
            try:
                start.wait()
                work(i)
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return errors


@pytest.mark.committed
def test_parallel_issues_are_numbered_one_to_n_without_gaps_or_duplicates(
    app, db_session, monkeypatch
):
    orders = [make_paid_order().id for _ in range(24)]
    # Four issues fail after taking their number (the disk is full for a moment): their
    # transactions roll back and the numbers go to the next issuers.
    failures, lock, write = iter(range(4)), threading.Lock(), storage.write_pdf

    def sometimes_full(relative: str, content: bytes):
        with lock:
            full = next(failures, None) is not None
        if full:
            raise OSError("No space left on device")
        return write(relative, content)

    monkeypatch.setattr(storage, "write_pdf", sometimes_full)

    errors = _run_at_once(
        app, len(orders), lambda i: invoicing.issue_invoice(orders[i], actor=CLERK)
    )

    assert len(errors) == 4 and all(isinstance(e, OSError) for e in errors)
    with Session(db.engine()) as check:
        issued = check.execute(select(Invoice.sequence, Invoice.number, Invoice.year)).all()
        year = issued[0].year
        assert sorted(row.sequence for row in issued) == list(range(1, 21))
        assert len({row.number for row in issued}) == 20
        last = check.scalar(select(func.max(Invoice.sequence)).where(Invoice.year == year))
    with app.app_context():
        assert numbering.last_number("invoice", year) == last == 20


@pytest.mark.committed
def test_one_order_issued_from_several_workers_at_once_gets_one_invoice(app, db_session):
    order_id = make_paid_order().id
    numbers: list[str] = []

    def issue(_i: int) -> None:
        numbers.append(invoicing.issue_invoice(order_id, actor=CLERK).number)

    assert _run_at_once(app, 6, issue) == []
    assert len(set(numbers)) == 1 and len(numbers) == 6
    with Session(db.engine()) as check:
        assert check.scalar(select(func.count()).select_from(Invoice)) == 1

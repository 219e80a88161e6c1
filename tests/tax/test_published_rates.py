"""The published rate tables, as loaded into the database, against the published figures.

The expected figures below are typed in from the tax authorities' publications (European
Commission "VAT rates applied in the Member States", as changed by national law up to 2026-11-24;
US state revenue departments), independently of commerce/tax/published.py.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from commerce.audit import AuditEntry
from commerce.events import OutboxEvent
from commerce.tax.models import TaxRate, TaxZone
from commerce.tax.service import load_published_rates
from tests.factories import SYSTEM

# ISO country: (standard, principal reduced) VAT rate. DK has no reduced rate.
EU_VAT = {
    "AT": ("0.20", "0.10"),
    "BE": ("0.21", "0.06"),
    "BG": ("0.20", "0.09"),
    "CY": ("0.19", "0.05"),
    "CZ": ("0.21", "0.12"),
    "DE": ("0.19", "0.07"),
    "DK": ("0.25", "0.25"),
    "EE": ("0.24", "0.09"),
    "ES": ("0.21", "0.10"),
    "FI": ("0.255", "0.135"),
    "FR": ("0.20", "0.055"),
    "GR": ("0.24", "0.13"),
    "HR": ("0.25", "0.05"),
    "HU": ("0.27", "0.05"),
    "IE": ("0.23", "0.135"),
    "IT": ("0.22", "0.10"),
    "LT": ("0.21", "0.05"),
    "LU": ("0.17", "0.08"),
    "LV": ("0.21", "0.12"),
    "MT": ("0.18", "0.05"),
    "NL": ("0.21", "0.09"),
    "PL": ("0.23", "0.05"),
    "PT": ("0.23", "0.06"),
    "RO": ("0.21", "0.11"),
    "SE": ("0.25", "0.06"),
    "SI": ("0.22", "0.095"),
    "SK": ("0.23", "0.05"),
}
US_STATE_RATES = {
    "CA": "0.0725",
    "NY": "0.04",
    "TX": "0.0625",
    "WA": "0.065",
    "FL": "0.06",
    "IL": "0.0625",
    "PA": "0.06",
    "OR": "0",
}


def _rates(db_session, code: str) -> dict[str, Decimal]:
    zone = db_session.scalar(select(TaxZone).where(TaxZone.code == code))
    assert zone is not None, f"zone {code} not loaded"
    return {r.tax_class: r.rate for r in zone.rates}


def test_all_27_eu_member_states_carry_their_published_vat_rates(db_session):
    load_published_rates(SYSTEM)

    loaded = set(db_session.scalars(select(TaxZone.country).where(TaxZone.region.is_(None))))
    assert loaded == set(EU_VAT)
    for country, (standard, reduced) in EU_VAT.items():
        assert _rates(db_session, country) == {
            "standard": Decimal(standard),
            "reduced": Decimal(reduced),
            "zero": Decimal(0),
            "digital": Decimal(standard),  # e-services: the buyer's country's standard rate
        }, country


def test_us_states_carry_their_state_sales_tax_rate(db_session):
    load_published_rates(SYSTEM)

    for state, rate in US_STATE_RATES.items():
        rates = _rates(db_session, f"US-{state}")
        assert rates["standard"] == Decimal(rate), state
        assert rates["zero"] == 0
    california = db_session.scalar(select(TaxZone).where(TaxZone.code == "US-CA"))
    assert (california.country, california.region) == ("US", "CA")


def test_rates_are_named_as_on_an_invoice(db_session):
    load_published_rates(SYSTEM)

    names = {
        (z.code, r.tax_class): r.name for z in db_session.scalars(select(TaxZone)) for r in z.rates
    }
    assert names["DE", "standard"] == "VAT 19%"
    assert names["FR", "reduced"] == "VAT 5.5%"
    assert names["FI", "standard"] == "VAT 25.5%"
    assert names["US-CA", "standard"] == "CA sales tax 7.25%"


def test_loading_twice_changes_and_audits_nothing_the_second_time(db_session):
    first = load_published_rates(SYSTEM)
    zones = db_session.scalar(select(func.count()).select_from(TaxZone))
    rates = db_session.scalar(select(func.count()).select_from(TaxRate))
    audits = db_session.scalar(select(func.count()).select_from(AuditEntry))

    second = load_published_rates(SYSTEM)

    assert first.zones_created == zones == 27 + 14
    assert first.rates_created == rates == zones * 4
    assert (second.zones_created, second.rates_created, second.rates_updated) == (0, 0, 0)
    assert second.unchanged == zones
    assert db_session.scalar(select(func.count()).select_from(TaxZone)) == zones
    assert db_session.scalar(select(func.count()).select_from(TaxRate)) == rates
    assert db_session.scalar(select(func.count()).select_from(AuditEntry)) == audits
    loaded_events = db_session.scalars(
        select(OutboxEvent).where(OutboxEvent.name == "tax.rates_loaded")
    ).all()
    assert len(loaded_events) == 1


def test_each_zone_created_is_audited_with_its_rates(db_session):
    load_published_rates(SYSTEM)

    germany = db_session.scalar(select(TaxZone).where(TaxZone.code == "DE"))
    entry = db_session.scalar(
        select(AuditEntry).where(
            AuditEntry.object_type == "tax_zone", AuditEntry.object_id == str(germany.id)
        )
    )
    assert entry.action == "tax_zone.create"
    assert entry.actor_label == SYSTEM.label
    assert entry.changes["rates"][1]["standard"] == {"rate": "0.19", "name": "VAT 19%"}
    assert entry.changes["published_as_of"] == [None, "2026-11-24"]


def test_reloading_restores_a_changed_rate_and_audits_the_correction(db_session):
    load_published_rates(SYSTEM)
    germany = db_session.scalar(select(TaxZone).where(TaxZone.code == "DE"))
    standard = next(r for r in germany.rates if r.tax_class == "standard")
    standard.rate = Decimal("0.16")
    db_session.flush()

    report = load_published_rates(SYSTEM)

    assert (report.rates_updated, report.unchanged) == (1, 27 + 14 - 1)
    db_session.refresh(standard)
    assert standard.rate == Decimal("0.19")
    entry = db_session.scalar(
        select(AuditEntry)
        .where(AuditEntry.action == "tax_zone.update", AuditEntry.object_id == str(germany.id))
        .order_by(AuditEntry.id.desc())
    )
    before, after = entry.changes["rates"]
    assert before["standard"]["rate"] == "0.16"
    assert after["standard"]["rate"] == "0.19"


def test_cli_loads_the_rates_and_can_be_rerun(app, db_session):
    runner = app.test_cli_runner()

    first = runner.invoke(args=["tax", "load-rates"])
    second = runner.invoke(args=["tax", "load-rates"])

    assert first.exit_code == 0, first.output
    assert "41 zone(s) created" in first.output
    assert "as of 2026-11-24" in first.output
    assert second.exit_code == 0, second.output
    assert "0 zone(s) created" in second.output and "41 zone(s) unchanged" in second.output
    assert _rates(db_session, "DE")["standard"] == Decimal("0.19")


def test_a_zone_made_by_hand_for_the_same_country_is_updated_not_duplicated(db_session):
    mine = TaxZone(code="GERMANY", name="Deutschland", country="DE")
    mine.rates = [TaxRate(tax_class="standard", rate=Decimal("0.16"), name="MwSt 16%")]
    db_session.add(mine)
    db_session.flush()

    load_published_rates(SYSTEM)

    assert db_session.scalars(select(TaxZone.code).where(TaxZone.country == "DE")).all() == [
        "GERMANY"
    ]
    assert _rates(db_session, "GERMANY")["standard"] == Decimal("0.19")

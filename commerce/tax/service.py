"""Use cases for the tax tables: load the published rates shipped in commerce/tax/published.py."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.tax.models import TaxRate, TaxZone
from commerce.tax.published import PUBLISHED_AS_OF, PublishedZone, published_zones

ZONE_FIELDS = ("code", "name", "country", "region", "postcode_prefix", "priority")


@dataclasses.dataclass(slots=True)
class LoadReport:
    """What a load changed. A second load of the same tables reports only `unchanged`."""

    as_of: str
    zones_created: int = 0
    zones_updated: int = 0
    rates_created: int = 0
    rates_updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(
            self.zones_created + self.zones_updated + self.rates_created + self.rates_updated
        )


def _rates_snapshot(zone: TaxZone) -> dict[str, Any]:
    # normalize(): a rate reads "0.19" whether it came from the tables or from NUMERIC(7, 6).
    return {
        r.tax_class: {"rate": format(Decimal(r.rate).normalize(), "f"), "name": r.name}
        for r in zone.rates
    }


def _apply(zone: TaxZone, published: PublishedZone, report: LoadReport) -> None:
    zone.name, zone.country, zone.region = published.name, published.country, published.region
    by_class = {r.tax_class: r for r in zone.rates}
    for item in published.rates:
        row = by_class.get(item.tax_class)
        if row is None:
            zone.rates.append(TaxRate(tax_class=item.tax_class, rate=item.rate, name=item.name))
            report.rates_created += 1
        elif row.rate != item.rate or row.name != item.name:
            row.rate, row.name = item.rate, item.name
            report.rates_updated += 1


def load_published_rates(actor: Actor) -> LoadReport:
    """Create or update the published zones and rates (commerce/tax/published.py), in one
    transaction. Idempotent: a zone already as published is left alone and not audited. Each
    zone created or changed gets an audit row with its before/after rates; one `tax.rates_loaded`
    event names the zones that changed. Zones and rates not in the tables are left as they are."""
    report = LoadReport(as_of=PUBLISHED_AS_OF.isoformat())
    zones = list(db.session.scalars(select(TaxZone).options(selectinload(TaxZone.rates))))
    by_code = {z.code: z for z in zones}
    # A zone staff made for the same place under another code is updated, not duplicated.
    by_place = {(z.country, z.region): z for z in zones if z.postcode_prefix is None}
    changed_codes: list[str] = []
    for published in published_zones():
        zone = by_code.get(published.code) or by_place.get((published.country, published.region))
        created = zone is None
        if zone is None:
            zone = TaxZone(code=published.code, priority=100, rates=[])
        before = {} if created else audit.snapshot(zone, ZONE_FIELDS)
        before_rates = {} if created else _rates_snapshot(zone)
        _apply(zone, published, report)
        if created:
            db.session.add(zone)
        after = audit.snapshot(zone, ZONE_FIELDS)
        changes = audit.diff(before, after)
        after_rates = _rates_snapshot(zone)
        if before_rates != after_rates:
            changes["rates"] = [before_rates or None, after_rates]
        if not changes:
            report.unchanged += 1
            continue
        db.session.flush()
        if created:
            report.zones_created += 1
        elif set(changes) - {"rates"}:
            report.zones_updated += 1
        changes["published_as_of"] = [None, report.as_of]
        action = "tax_zone.create" if created else "tax_zone.update"
        audit.record(actor, action, "tax_zone", zone.id, changes)
        changed_codes.append(zone.code)
    if changed_codes:
        events.record("tax.rates_loaded", zones=changed_codes, as_of=report.as_of)
    db.session.commit()
    return report

"""Generate variants: the option matrix from chosen values, skipping existing combinations."""

import pytest

from commerce.catalog import service as catalog
from commerce.errors import Conflict, InvalidInput
from tests.catalog.factories import make_tshirt_type
from tests.factories import SYSTEM


def _tee(ptype, n, title="Matrix Tee"):
    return catalog.create_product(
        title=title, product_type_id=ptype.id, actor=SYSTEM, attributes={f"material{n}": "Cotton"}
    )


def test_generate_builds_the_matrix_and_skips_existing(db_session):
    ptype, n = make_tshirt_type()
    tee = _tee(ptype, n)
    catalog.create_variant(
        tee.id,
        sku="MT-S-BLACK",
        price_amount=2500,
        actor=SYSTEM,
        option_values={f"size{n}": "S", f"colour{n}": "Black"},
    )
    created = catalog.generate_variants(
        tee.id,
        {f"size{n}": ["S", "M"], f"colour{n}": ["Black", "White"]},
        price_amount=2500,
        sku_prefix="MT",
        actor=SYSTEM,
    )
    assert sorted(v.sku for v in created) == ["MT-M-BLACK", "MT-M-WHITE", "MT-S-WHITE"]
    assert len(tee.variants) == 4
    again = catalog.generate_variants(
        tee.id,
        {f"size{n}": ["S", "M", "L"], f"colour{n}": ["Black"]},
        price_amount=2500,
        sku_prefix="MT",
        actor=SYSTEM,
    )
    assert [v.sku for v in again] == ["MT-L-BLACK"]


def test_generate_refuses_values_outside_the_choices(db_session):
    ptype, n = make_tshirt_type()
    tee = _tee(ptype, n)
    with pytest.raises(InvalidInput) as error:
        catalog.generate_variants(
            tee.id, {f"size{n}": ["XXL"], f"colour{n}": ["Black"]}, price_amount=100, actor=SYSTEM
        )
    assert error.value.fields == {f"options.size{n}": "must be one of S, M, L"}
    assert tee.variants == []


def test_generate_needs_every_axis(db_session):
    ptype, n = make_tshirt_type()
    tee = _tee(ptype, n)
    with pytest.raises(InvalidInput, match=f"axes.colour{n}"):
        catalog.generate_variants(tee.id, {f"size{n}": ["S"]}, price_amount=100, actor=SYSTEM)


def test_the_same_option_combination_twice_is_a_conflict(db_session):
    ptype, n = make_tshirt_type()
    tee = _tee(ptype, n)
    options = {f"size{n}": "M", f"colour{n}": "White"}
    catalog.create_variant(
        tee.id, sku="ONE-M-W", price_amount=100, option_values=options, actor=SYSTEM
    )
    with pytest.raises(Conflict, match="already has a M / White variant"):
        catalog.create_variant(
            tee.id, sku="TWO-M-W", price_amount=100, option_values=options, actor=SYSTEM
        )

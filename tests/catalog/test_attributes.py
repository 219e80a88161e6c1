"""Typed attribute values are validated against the product type."""

import pytest

from commerce.catalog import service as catalog
from commerce.errors import InvalidInput
from tests.catalog.factories import make_tshirt_type
from tests.factories import SYSTEM


def test_valid_values_are_normalised(db_session):
    ptype, n = make_tshirt_type()
    product = catalog.create_product(
        title="Tee",
        product_type_id=ptype.id,
        actor=SYSTEM,
        attributes={
            f"material{n}": "Cotton",
            f"organic{n}": "yes",
            f"launch{n}": "2026-03-01",
            f"weight{n}": "180,5",
            f"features{n}": "Slim|Pocket",
        },
    )
    assert product.attributes == {
        f"material{n}": "Cotton",
        f"organic{n}": True,
        f"launch{n}": "2026-03-01",
        f"weight{n}": 180.5,
        f"features{n}": ["Pocket", "Slim"],
    }


def test_every_bad_value_is_named_and_nothing_is_written(db_session):
    ptype, n = make_tshirt_type()
    with pytest.raises(InvalidInput) as error:
        catalog.create_product(
            title="Bad Tee",
            product_type_id=ptype.id,
            actor=SYSTEM,
            attributes={
                f"material{n}": "Silk",
                f"organic{n}": "maybe",
                f"launch{n}": "03/01/26",
                f"weight{n}": "heavy",
                f"features{n}": ["Pocket", "Hood"],
                "colourway": "red",
            },
        )
    assert error.value.fields == {
        f"attributes.material{n}": "must be one of Cotton, Linen",
        f"attributes.organic{n}": "must be yes or no",
        f"attributes.launch{n}": "must be a date as YYYY-MM-DD",
        f"attributes.weight{n}": "must be a number",
        f"attributes.features{n}": "Hood not among Pocket, Slim, Long",
        "attributes.colourway": "is not an attribute of this product type",
    }
    db_session.rollback()
    from commerce.catalog.models import Product

    assert db_session.query(Product).filter_by(title="Bad Tee").count() == 0


def test_required_attribute_is_required(db_session):
    ptype, n = make_tshirt_type()
    with pytest.raises(InvalidInput) as error:
        catalog.create_product(
            title="No material", product_type_id=ptype.id, actor=SYSTEM, attributes={}
        )
    assert error.value.fields == {f"attributes.material{n}": "is required"}


def test_variant_axes_are_not_product_attributes(db_session):
    ptype, n = make_tshirt_type()
    with pytest.raises(InvalidInput) as error:
        catalog.create_product(
            title="Axis",
            product_type_id=ptype.id,
            actor=SYSTEM,
            attributes={f"material{n}": "Linen", f"size{n}": "M"},
        )
    assert f"attributes.size{n}" in error.value.fields

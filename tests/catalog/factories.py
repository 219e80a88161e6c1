"""Catalog factories going through the catalog services."""

from __future__ import annotations

import itertools

from commerce.catalog import product_types
from commerce.catalog import service as catalog
from tests.factories import SYSTEM

_n = itertools.count(1)


def make_tshirt_type():
    """A T-shirt type: material (choice, required), organic (boolean), launch (date),
    weight (number, g), features (multichoice); size and colour make variants."""
    n = next(_n)
    product_types.create_attribute(
        code=f"size{n}", name="Size", kind="choice", choices=["S", "M", "L"], actor=SYSTEM
    )
    product_types.create_attribute(
        code=f"colour{n}", name="Colour", kind="choice", choices=["Black", "White"], actor=SYSTEM
    )
    product_types.create_attribute(
        code=f"material{n}",
        name="Material",
        kind="choice",
        choices=["Cotton", "Linen"],
        actor=SYSTEM,
    )
    product_types.create_attribute(code=f"organic{n}", name="Organic", kind="boolean", actor=SYSTEM)
    product_types.create_attribute(code=f"launch{n}", name="Launch date", kind="date", actor=SYSTEM)
    product_types.create_attribute(
        code=f"weight{n}", name="Weight", kind="number", unit="g", actor=SYSTEM
    )
    product_types.create_attribute(
        code=f"features{n}",
        name="Features",
        kind="multichoice",
        choices=["Pocket", "Slim", "Long"],
        actor=SYSTEM,
    )
    ptype = product_types.create_product_type(
        name=f"T-shirt {n}",
        actor=SYSTEM,
        attributes=[
            {"code": f"material{n}", "required": True},
            {"code": f"organic{n}"},
            {"code": f"launch{n}"},
            {"code": f"weight{n}"},
            {"code": f"features{n}"},
            {"code": f"size{n}", "variant_axis": True},
            {"code": f"colour{n}", "variant_axis": True},
        ],
    )
    return ptype, n


def make_product(**overrides):
    """A draft product without a type."""
    values = {"title": f"Plain Product {next(_n)}"}
    values.update(overrides)
    return catalog.create_product(actor=SYSTEM, **values)

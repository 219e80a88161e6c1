"""Use cases for attributes and product types (the schema of the catalog's typed attributes)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select

from commerce import audit, db
from commerce.audit import Actor
from commerce.catalog.types import ATTRIBUTE_KINDS, Attribute, ProductType, ProductTypeAttribute
from commerce.errors import Conflict, InvalidInput, NotFound

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")


def create_attribute(
    *,
    code: str,
    name: str,
    kind: str,
    actor: Actor,
    unit: str | None = None,
    choices: Iterable[str] = (),
) -> Attribute:
    """Define an attribute. Raises InvalidInput (bad code, kind or choices), Conflict (code
    taken)."""
    code = (code or "").strip().lower()
    if not CODE_RE.match(code):
        raise InvalidInput(
            "code: use lowercase letters, digits and underscores, starting with a letter",
            fields={"code": "lowercase letters, digits, underscores"},
        )
    if kind not in ATTRIBUTE_KINDS:
        raise InvalidInput(
            f"kind: must be one of {', '.join(ATTRIBUTE_KINDS)}",
            fields={"kind": f"must be one of {', '.join(ATTRIBUTE_KINDS)}"},
        )
    values = list(dict.fromkeys(c.strip() for c in choices if c and c.strip()))
    if kind in ("choice", "multichoice") and not values:
        raise InvalidInput(
            "choices: a choice attribute needs at least one choice",
            fields={"choices": "at least one"},
        )
    if kind not in ("choice", "multichoice") and values:
        raise InvalidInput(
            "choices: only choice attributes have choices",
            fields={"choices": "only for choice kinds"},
        )
    if unit and kind != "number":
        raise InvalidInput("unit: only numbers have a unit", fields={"unit": "only for numbers"})
    if db.session.scalar(select(Attribute.id).where(Attribute.code == code)) is not None:
        raise Conflict(f"code: an attribute {code} exists already", details={"field": "code"})
    attribute = Attribute(
        code=code, name=(name or code).strip(), kind=kind, unit=unit or None, choices=values
    )
    db.session.add(attribute)
    db.session.flush()
    audit.record(
        actor,
        "attribute.create",
        "attribute",
        attribute.id,
        audit.diff({}, audit.snapshot(attribute, ("code", "name", "kind", "unit", "choices"))),
    )
    db.session.commit()
    return attribute


def create_product_type(
    *, name: str, attributes: Sequence[Mapping[str, Any]], actor: Actor, is_digital: bool = False
) -> ProductType:
    """Define a product type from attribute links [{"code", "required", "variant_axis"}].

    Raises InvalidInput (unknown code, a variant axis that is not a choice), Conflict (name taken).
    """
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name: is required", fields={"name": "is required"})
    if db.session.scalar(select(ProductType.id).where(ProductType.name == name)) is not None:
        raise Conflict(f"name: a product type {name} exists already", details={"field": "name"})
    codes = [link["code"] for link in attributes]
    found = {
        a.code: a for a in db.session.scalars(select(Attribute).where(Attribute.code.in_(codes)))
    }
    ptype = ProductType(name=name, is_digital=is_digital)
    for position, link in enumerate(attributes):
        attribute = found.get(link["code"])
        if attribute is None:
            raise InvalidInput(
                f"attributes.{link['code']}: no such attribute",
                fields={f"attributes.{link['code']}": "no such attribute"},
            )
        axis = bool(link.get("variant_axis"))
        if axis and attribute.kind != "choice":
            raise InvalidInput(
                f"attributes.{attribute.code}: only single-choice attributes can make variants",
                fields={f"attributes.{attribute.code}": "must be a choice"},
            )
        ptype.attribute_links.append(
            ProductTypeAttribute(
                attribute=attribute,
                position=position,
                required=bool(link.get("required")),
                variant_axis=axis,
            )
        )
    db.session.add(ptype)
    db.session.flush()
    audit.record(
        actor,
        "product_type.create",
        "product_type",
        ptype.id,
        {"name": [None, name], "attributes": [None, codes]},
    )
    db.session.commit()
    return ptype


def get_product_type(product_type_id: int) -> ProductType:
    """The product type with `product_type_id`. Raises NotFound."""
    ptype = db.session.get(ProductType, product_type_id)
    if ptype is None:
        raise NotFound(f"Product type {product_type_id} does not exist.")
    return ptype

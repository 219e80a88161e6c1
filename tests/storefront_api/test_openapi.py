"""The served OpenAPI document stays true: real responses of every route validate against it, and
every route the app registers under /api/v1 is in it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.storefront_api.catalog_factories import make_brand, make_category, make_product

PREFIX = "/api/v1"


@pytest.fixture
def doc(client) -> dict[str, Any]:
    response = client.get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200
    return response.get_json()


@pytest.fixture
def catalog(db_session):
    """A small catalog: a product in a subcategory with a brand and two variants."""
    root = make_category(slug="apparel", name="Apparel")
    leaf = make_category(parent=root, slug="shirts", name="Shirts")
    make_product(
        slug="oxford-shirt",
        category=leaf,
        brand=make_brand(slug="oakridge"),
        attributes={"material": "Cotton", "sizes": ["S", "M"]},
        tags=["new"],
        variants=[
            {"price": 4900, "option_values": {"size": "S"}},
            {"price": 5900, "compare_at_amount": 6900, "option_values": {"size": "M"}},
        ],
    )
    make_product(slug="bare", variants=[])  # no brand, category or price
    make_product(slug="mug", variants=[1200])


def schema_for(doc: dict, path: str, status: int, method: str = "get") -> dict:
    responses = doc["paths"][path][method]["responses"]
    assert str(status) in responses, f"{method.upper()} {path} does not document {status}"
    return responses[str(status)]["content"]["application/json"]["schema"]


def assert_valid(doc: dict, schema: dict, body: Any) -> None:
    """Validate `body` against `schema`, whose $refs point into the document's components."""
    validator = Draft202012Validator({**schema, "components": doc["components"]})
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


@pytest.mark.parametrize(
    ("url", "path", "status"),
    [
        ("/products", "/products", 200),
        ("/products?sort=price_asc&limit=1", "/products", 200),
        ("/products?category=apparel&attr.material=Cotton", "/products", 200),
        ("/products/oxford-shirt", "/products/{slug}", 200),
        ("/products/bare", "/products/{slug}", 200),
        ("/categories", "/categories", 200),
        ("/products?limit=0&sort=nope", "/products", 400),
        ("/products?cursor=garbage", "/products", 400),
        ("/products/no-such-product", "/products/{slug}", 404),
        ("/health", "/health", 200),
    ],
)
def test_real_responses_match_the_documented_schema(client, doc, catalog, url, path, status):
    response = client.get(PREFIX + url)
    assert response.status_code == status
    assert_valid(doc, schema_for(doc, path, status), response.get_json())


def test_every_api_route_is_documented_with_its_methods(app, doc):
    routes = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith(PREFIX + "/")]
    assert routes
    for rule in routes:
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule.removeprefix(PREFIX))
        assert path in doc["paths"], f"{rule.rule} is not in the OpenAPI document"
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            assert method.lower() in doc["paths"][path], f"{method} {rule.rule} is not documented"


def test_every_ref_in_the_document_resolves(doc):
    def refs(node):
        if isinstance(node, dict):
            if "$ref" in node:
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    for ref in refs(doc):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in doc["components"]["schemas"], f"{ref} does not resolve"
    for name in ("Product", "ProductSummary", "Variant", "Money", "Category", "Page", "Error"):
        Draft202012Validator.check_schema(doc["components"]["schemas"][name])


def _sample(schema: dict) -> str:
    if "enum" in schema:
        return str(schema["enum"][-1])
    kind = schema.get("type")
    if kind == "array":
        return _sample(schema["items"])
    if kind == "integer":
        return str(max(schema.get("minimum", 0), 1))
    if kind == "boolean":
        return "true"
    return "x"


def test_every_documented_list_parameter_is_accepted(client, doc, catalog):
    first = client.get(f"{PREFIX}/products?limit=1").get_json()
    for parameter in doc["paths"]["/products"]["get"]["parameters"]:
        if parameter["in"] != "query":
            continue
        name = parameter["name"]
        value = first["page"]["next_cursor"] if name == "cursor" else _sample(parameter["schema"])
        response = client.get(f"{PREFIX}/products", query_string={name: value})
        assert response.status_code == 200, (name, response.get_json())

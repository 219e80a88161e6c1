"""GET /api/v1/openapi.json: the OpenAPI 3.1 document of the storefront API.

Each resource module adds its paths and schemas here; tests validate real responses against it.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify

from storefront_api import api

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "object"},
            },
        }
    },
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _closed(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    """An object schema with exactly these properties (tests fail when a response grows a field
    the document does not describe)."""
    return {
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": False,
    }


# The helpers resource modules use to describe their routes (see `register`).
ref, json_response, closed_object, nullable = _ref, _json, _closed, _nullable


def closed(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    """`closed_object` with every property required unless `required` says otherwise."""
    return _closed(list(properties) if required is None else required, properties)


def data(schema: dict[str, Any]) -> dict[str, Any]:
    """The `{"data": ...}` envelope of a successful answer."""
    return closed({"data": schema})


def request_body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    """A JSON request body of `schema`."""
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def error_response(description: str) -> dict[str, Any]:
    """An answer in the error envelope."""
    return _json(_ref("Error"), description)


ERROR_RESPONSES = {
    "400": _json(
        _ref("Error"),
        "A parameter is not valid; `error.details.fields` maps each offending parameter to what "
        "is wrong with it (code `invalid_input`).",
    ),
}
NOT_FOUND = _json(_ref("Error"), "No such resource (code `not_found`).")
NOT_MODIFIED = {"description": "The representation matches If-None-Match; no body."}
CACHE_HEADERS = {
    "ETag": {"description": "Weak entity tag of the body", "schema": {"type": "string"}},
    "Cache-Control": {"description": "public, max-age=60", "schema": {"type": "string"}},
}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "An ETag from an earlier answer; 304 when the representation is unchanged.",
    "schema": {"type": "string"},
}


def _cached_ok(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {**_json(schema, description), "headers": CACHE_HEADERS}


def _query(name: str, schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        **extra,
    }


LIST_PARAMETERS = [
    _query(
        "category",
        {"type": "string"},
        "Category slug; products of its subcategories are included. An unknown slug matches "
        "nothing.",
    ),
    _query(
        "brand",
        {"type": "array", "items": {"type": "string"}, "maxItems": 20},
        "Brand slug; repeat for any of several brands (at most 20).",
        style="form",
        explode=True,
    ),
    _query(
        "min_price",
        {"type": "integer", "minimum": 0},
        "Lowest price in minor units; a product matches when any variant's price is in range.",
    ),
    _query(
        "max_price",
        {"type": "integer", "minimum": 0},
        "Highest price in minor units; must not be below min_price.",
    ),
    _query(
        "in_stock",
        {"type": "boolean"},
        "true: only products with a variant available in some warehouse.",
    ),
    _query("q", {"type": "string", "maxLength": 200}, "Case-insensitive part of the title."),
    _query(
        "tag",
        {"type": "array", "items": {"type": "string"}, "maxItems": 20},
        "Tag; repeat for any of several tags (at most 20).",
        style="form",
        explode=True,
    ),
    _query(
        "sort",
        {"type": "string", "enum": ["newest", "price_asc", "price_desc", "title"]},
        "newest (default; created_at, newest first), price_asc / price_desc (by the cheapest "
        "variant's price; products without variants are left out), title.",
    ),
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 24}, "Page size."),
    _query(
        "cursor",
        {"type": "string"},
        "`page.next_cursor` of the previous page, with the same filters and sort.",
    ),
    IF_NONE_MATCH,
]

MONEY_SCHEMA = _closed(
    ["amount", "currency"],
    {
        "amount": {"type": "integer", "description": "Minor units (cents)"},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
    },
)
REF_SCHEMA = _closed(["slug", "name"], {"slug": {"type": "string"}, "name": {"type": "string"}})
PRICE_RANGE_SCHEMA = _closed(["min", "max"], {"min": _ref("Money"), "max": _ref("Money")})

CATALOG_SCHEMAS: dict[str, Any] = {
    "Money": MONEY_SCHEMA,
    "Ref": REF_SCHEMA,
    "PriceRange": PRICE_RANGE_SCHEMA,
    "ProductSummary": _closed(
        [
            "id",
            "slug",
            "title",
            "brand",
            "category",
            "tags",
            "price",
            "variant_count",
            "in_stock",
        ],
        {
            "id": {"type": "integer"},
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "brand": _nullable(_ref("Ref")),
            "category": _nullable(_ref("Ref")),
            "tags": {"type": "array", "items": {"type": "string"}},
            "price": _nullable(_ref("PriceRange")),
            "variant_count": {"type": "integer", "minimum": 0},
            "in_stock": {"type": "boolean"},
        },
    ),
    "Variant": _closed(
        ["id", "sku", "option_values", "price", "compare_at", "available", "in_stock"],
        {
            "id": {"type": "integer"},
            "sku": {"type": "string"},
            "option_values": {"type": "object", "additionalProperties": {"type": "string"}},
            "price": _ref("Money"),
            "compare_at": _nullable(_ref("Money")),
            "available": {
                "type": ["integer", "null"],
                "description": "Units available to sell; null when stock is not tracked",
            },
            "in_stock": {"type": "boolean"},
        },
    ),
    "Media": {
        "type": "object",
        "required": ["url", "alt", "width", "height", "thumbnail"],
        "properties": {
            "url": {"type": "string"},
            "alt": {"type": ["string", "null"]},
            "width": {"type": "integer"},
            "height": {"type": "integer"},
            "thumbnail": {"type": ["string", "null"], "description": "480 px WebP, once made"},
        },
    },
    "Product": _closed(
        [
            "id",
            "slug",
            "title",
            "description",
            "brand",
            "breadcrumb",
            "tags",
            "attributes",
            "price",
            "in_stock",
            "variants",
            "media",
            "seo",
        ],
        {
            "id": {"type": "integer"},
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "brand": _nullable(_ref("Ref")),
            "breadcrumb": {
                "type": "array",
                "items": _ref("Ref"),
                "description": "Categories from the root down to the product's own",
            },
            "tags": {"type": "array", "items": {"type": "string"}},
            "attributes": {"type": "object"},
            "price": _nullable(_ref("PriceRange")),
            "in_stock": {"type": "boolean"},
            "variants": {"type": "array", "items": _ref("Variant")},
            "media": {"type": "array", "items": _ref("Media")},
            "seo": _closed(
                ["title", "description"],
                {
                    "title": {"type": ["string", "null"]},
                    "description": {"type": ["string", "null"]},
                },
            ),
        },
    ),
    "Category": _closed(
        ["id", "slug", "name", "product_count", "children"],
        {
            "id": {"type": "integer"},
            "slug": {"type": "string"},
            "name": {"type": "string"},
            "product_count": {
                "type": "integer",
                "minimum": 0,
                "description": "Visible products in this category and its subcategories",
            },
            "children": {"type": "array", "items": _ref("Category")},
        },
    ),
    "Page": _closed(
        ["next_cursor", "limit"],
        {
            "next_cursor": {
                "type": ["string", "null"],
                "description": "Pass as `cursor` for the next page; null on the last page",
            },
            "limit": {"type": "integer", "minimum": 1, "maximum": 100},
        },
    ),
    "ProductList": _closed(
        ["data", "page"],
        {"data": {"type": "array", "items": _ref("ProductSummary")}, "page": _ref("Page")},
    ),
    "ProductDetail": _closed(["data"], {"data": _ref("Product")}),
    "CategoryTree": _closed(["data"], {"data": {"type": "array", "items": _ref("Category")}}),
}

CATALOG_PATHS: dict[str, Any] = {
    "/products": {
        "get": {
            "operationId": "listProducts",
            "summary": "Visible products, filtered, sorted and paged by cursor",
            "description": (
                "Filters combine with AND. Attribute filters are named after the attribute's "
                "code, `attr.<code>=<value>` (for example `attr.material=Linen`): repeat one code "
                "for any of its values (OR, at most 20), give several codes to require all of "
                "them (AND, at most 10). A value like `20` also matches the number 20 and `true` "
                "the boolean true; a list-valued attribute matches when it contains the value. "
                "Unknown parameters are ignored."
            ),
            "parameters": LIST_PARAMETERS,
            "responses": {
                "200": _cached_ok(_ref("ProductList"), "A page of products"),
                "304": NOT_MODIFIED,
                **ERROR_RESPONSES,
            },
        }
    },
    "/products/{slug}": {
        "get": {
            "operationId": "getProduct",
            "summary": "A visible product with its variants, availability and breadcrumb",
            "parameters": [
                {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}},
                IF_NONE_MATCH,
            ],
            "responses": {
                "200": _cached_ok(_ref("ProductDetail"), "The product"),
                "304": NOT_MODIFIED,
                "404": NOT_FOUND,
            },
        }
    },
    "/categories": {
        "get": {
            "operationId": "listCategories",
            "summary": "The category tree with visible product counts",
            "parameters": [IF_NONE_MATCH],
            "responses": {
                "200": _cached_ok(_ref("CategoryTree"), "Root categories, children nested"),
                "304": NOT_MODIFIED,
            },
        }
    },
}

CHECK_SCHEMA = {
    "type": "object",
    "required": ["status"],
    "properties": {
        "status": {"type": "string", "enum": ["ok", "error"]},
        "latency_ms": {"type": "number"},
        "error": {"type": "string"},
    },
}


# Paths and schemas that resource modules add with `register` when they are imported.
_PARTS: list[tuple[dict[str, Any], dict[str, Any]]] = []


def register(paths: dict[str, Any], schemas: dict[str, Any] | None = None) -> None:
    """Add a resource module's paths and component schemas to the document. Raises ValueError
    when a path or schema name is already documented (two modules describing one route)."""
    known_paths = {p for part, _ in _PARTS for p in part}
    known_schemas = {n for _, part in _PARTS for n in part}
    clash = (known_paths & set(paths)) | (known_schemas & set(schemas or {}))
    if clash:
        raise ValueError(f"already documented: {', '.join(sorted(clash))}")
    _PARTS.append((paths, schemas or {}))


def document() -> dict[str, Any]:
    """The OpenAPI document as a dict."""
    doc = _base_document()
    for paths, schemas in _PARTS:
        doc["paths"].update(paths)
        doc["components"]["schemas"].update(schemas)
    return doc


def _base_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Storefront API",
            "version": "1.0.0",
            "description": "Browse, search, cart, checkout and account for the web shop and apps.",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/health": {
                "get": {
                    "operationId": "getHealth",
                    "summary": "Status of the app, its database and Redis",
                    "responses": {
                        "200": {
                            "description": "All dependencies answer",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Health"}
                                }
                            },
                        },
                        "503": {
                            "description": "A dependency is down",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Health"}
                                }
                            },
                        },
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This document",
                    "responses": {
                        "200": {
                            "description": "The OpenAPI document",
                            "content": {"application/json": {}},
                        }
                    },
                }
            },
            **CATALOG_PATHS,
            "/downloads/{token}": {
                "get": {
                    "operationId": "downloadFile",
                    "summary": "A purchased digital file, through a signed, time-limited link",
                    "parameters": [
                        {
                            "name": "token",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "The file",
                            "content": {"application/octet-stream": {}},
                        },
                        "410": {
                            "description": "Expired, used up or not a valid link",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Error"}
                                }
                            },
                        },
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Error": ERROR_SCHEMA,
                **CATALOG_SCHEMAS,
                "Health": {
                    "type": "object",
                    "required": ["status", "checks"],
                    "properties": {
                        "status": {"type": "string", "enum": ["ok", "degraded"]},
                        "checks": {
                            "type": "object",
                            "required": ["database", "redis"],
                            "properties": {"database": CHECK_SCHEMA, "redis": CHECK_SCHEMA},
                        },
                    },
                },
            }
        },
    }


@api.get("/openapi.json")
def openapi_json():
    """Serve the OpenAPI document."""
    return jsonify(document())

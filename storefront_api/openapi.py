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

CHECK_SCHEMA = {
    "type": "object",
    "required": ["status"],
    "properties": {
        "status": {"type": "string", "enum": ["ok", "error"]},
        "latency_ms": {"type": "number"},
        "error": {"type": "string"},
    },
}


def document() -> dict[str, Any]:
    """The OpenAPI document as a dict."""
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
        },
        "components": {
            "schemas": {
                "Error": ERROR_SCHEMA,
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

"""OpenAPI schema additions: the problem+json error body, declared once for every operation."""

from typing import Any

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 9457 problem details body; every API error has this shape.",
    "required": ["type", "title", "status", "detail", "code", "request_id"],
    "properties": {
        "type": {"type": "string", "example": "urn:emporium:problem:validation_error"},
        "title": {"type": "string", "example": "Invalid input"},
        "status": {"type": "integer", "example": 400},
        "detail": {"type": "string", "example": "email: Enter a valid email address."},
        "code": {"type": "string", "example": "validation_error"},
        "errors": {
            "type": "array",
            "description": "Input problems, one per field (nested fields as dotted paths).",
            "items": {
                "type": "object",
                "required": ["field", "code", "detail"],
                "properties": {
                    "field": {"type": "string", "example": "email"},
                    "code": {"type": "string", "example": "invalid"},
                    "detail": {"type": "string", "example": "Enter a valid email address."},
                },
            },
        },
        "request_id": {"type": "string", "nullable": True},
    },
}


def add_problem_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """Add the Problem schema and a `default` problem+json response to every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    default = {
        "description": "Error (RFC 9457 problem details)",
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            operation.setdefault("responses", {}).setdefault("default", default)
    return result

"""Building blocks of the OpenAPI document shared by every part of it: parameters, error
answers and the value patterns the API validates."""

from __future__ import annotations

from typing import Any

from ..paging import MAX_PAGE

PERCENT = {"type": "integer", "minimum": 0, "maximum": 100}
RAMP = {"type": "array", "description": "steps of a ramp plan, percent and time increasing",
        "items": {"type": "object", "required": ["percent"],
                  "properties": {"percent": PERCENT, "after_hours": {"type": "number"},
                                 "at": {"type": "string", "format": "date-time"}}}}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_body(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


PROBLEM = {"description": "Error", "content": {"application/problem+json": {
    "schema": ref("Problem")}}}
# 503 (with Retry-After): a write met a locked or unreachable database; nothing changed.
ERRORS = {"400": PROBLEM, "401": PROBLEM, "403": PROBLEM, "404": PROBLEM, "409": PROBLEM,
          "503": PROBLEM}
# What the API accepts, stated as strictly as it validates (versions: PEP 440, checked by
# `packaging`; the pattern is a superset that rules out what can never parse).
VERSION_TEXT = {"type": "string", "minLength": 1, "maxLength": 64,
                "pattern": r"^\s*[vV]?[0-9]+(!?[0-9]+)?(\.[0-9]+|\.\*)*[-_.a-zA-Z0-9+]*\s*$"}
PLATFORM_TEXT = {"type": "string", "pattern": "^[a-z0-9_-]{1,64}$"}
SLUG_TEXT = {"type": "string", "pattern": "^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"}
INSTALL_ID_TEXT = {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,128}$"}
PRODUCT = {"name": "product", "in": "path", "required": True, "schema": {"type": "string"}}
VERSION = {"name": "version", "in": "path", "required": True, "schema": VERSION_TEXT,
           "description": "PEP 440 version; 2.0 and 2.0.0 name the same release"}
NOTICE_ID = {"name": "notice_id", "in": "path", "required": True,
             "schema": {"type": "string", "example": "LEDG-2026-0007"}}
CHANNEL = {"name": "channel", "in": "path", "required": True, "schema": {"type": "string"}}
SECURE: list[dict[str, list[str]]] = [{"bearer": []}]


def query_param(name: str, description: str, required: bool = False,
       schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema or {"type": "string"}}


PAGE = [query_param("page", "1-based page", schema={
            "type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}),
        query_param("per_page", "items per page", schema={
            "type": "integer", "minimum": 1, "maximum": 100, "default": 20})]

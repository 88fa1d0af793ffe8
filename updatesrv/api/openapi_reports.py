"""OpenAPI paths of failure reports (installs send, the vendor reads), merged into
openapi.py's document. The request schema is as strict as reports/batch.py."""

from __future__ import annotations

from typing import Any

from ..reports.batch import MAX_COUNT, MAX_REPORTS, STEPS
from ..reports.models import KINDS
from .openapi_common import INSTALL_ID_TEXT, PLATFORM_TEXT, PROBLEM, PRODUCT, SECURE, VERSION_TEXT
from .openapi_common import json_body as _json

ERRORS = {"400": PROBLEM, "401": PROBLEM, "403": PROBLEM, "404": PROBLEM, "503": PROBLEM}
INT = {"type": "integer"}
STR = {"type": "string"}
NULLABLE_STR = {"type": ["string", "null"]}
REPORT = {
    "type": "object", "additionalProperties": False, "required": ["kind"],
    "description": "start_failure needs exit_code or signal; update_failure needs step; "
                   "crash needs exception_type",
    "properties": {
        "kind": {"type": "string", "enum": list(KINDS)},
        "fingerprint": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,64}$",
                        "description": "short and vendor-defined; default: exit:N, "
                                       "signal:N, the step or the exception's class name"},
        "count": {"type": "integer", "minimum": 1, "maximum": MAX_COUNT, "default": 1},
        "version": {**VERSION_TEXT, "description": "default: the batch's version (an "
                                                   "update_failure names the target)"},
        "exit_code": INT, "signal": {"type": "integer", "minimum": 1, "maximum": 128},
        "seconds_after_start": {"type": "number", "minimum": 0},
        "step": {"type": "string", "enum": list(STEPS)},
        "exception_type": {"type": "string",
                           "pattern": "^[A-Za-z_][A-Za-z0-9_.]{0,79}$"}}}
BATCH = {
    "type": "object", "additionalProperties": False,
    "required": ["install_id", "version", "platform", "reports"],
    "properties": {"install_id": INSTALL_ID_TEXT, "version": VERSION_TEXT,
                   "platform": PLATFORM_TEXT, "channel": STR,
                   "locale": {"type": "string", "description": "accepted, never stored"},
                   "reports": {"type": "array", "minItems": 1, "maxItems": MAX_REPORTS,
                               "items": REPORT}}}
REACH = {"type": ["object", "null"], "properties": {
    "failing": INT, "told": INT, "shown": INT, "moved": INT}}
GROUP = {"type": "object", "properties": {
    "id": INT, "kind": {"type": "string", "enum": list(KINDS)}, "fingerprint": STR,
    "version": STR, "platform": NULLABLE_STR, "reports": INT, "installs": INT,
    "installs_last_hour": INT, "active_installs": INT, "failure_rate": {"type": "number"},
    "first_seen": STR, "last_seen": STR, "detail": {"type": "object"},
    "alarmed": {"type": "boolean"}, "alarmed_at": NULLABLE_STR, "notice": NULLABLE_STR,
    "reach": REACH}}
COUNTS = {"type": "object", "properties": {
    "accepted": INT, "over_install_cap": INT, "over_product_cap": INT, "buffer_full": INT}}


def reports_paths() -> dict[str, Any]:
    p = "/api/v1/products/{product}/reports"
    group_id = {"name": "group_id", "in": "path", "required": True, "schema": INT}
    return {
        p: {
            "parameters": [PRODUCT],
            "post": {"summary": "Failure reports from an install (public; 404 while the "
                                "vendor has not turned them on: stop sending then)",
                     "operationId": "sendFailureReports",
                     "requestBody": {"required": True, "content": {"application/json": {
                         "schema": BATCH}}},
                     "responses": {"202": _json({"type": "object", "properties": {
                         "accepted": INT, "refused": INT}}, "Accepted"),
                                   "400": PROBLEM, "404": PROBLEM, "413": PROBLEM,
                                   "503": PROBLEM}},
            "get": {"summary": "Failure groups with installs, rate, first/last seen and "
                               "alarm (vendor token)",
                    "operationId": "listFailureGroups", "security": SECURE,
                    "parameters": [
                        {"name": "limit", "in": "query", "schema": {
                            "type": "integer", "minimum": 1, "maximum": 500}},
                        {"name": "offset", "in": "query", "schema": {
                            "type": "integer", "minimum": 0}}],
                    "responses": {"200": _json({"type": "object", "properties": {
                        "product": STR, "enabled": {"type": "boolean"},
                        "alarm": {"type": "object"}, "today": COUNTS,
                        "last_30_days": COUNTS,
                        "items": {"type": "array", "items": GROUP}}}), **ERRORS}}},
        f"{p}/{{group_id}}": {"get": {
            "summary": "One failure group", "operationId": "getFailureGroup",
            "security": SECURE, "parameters": [PRODUCT, group_id],
            "responses": {"200": _json(GROUP), **ERRORS}}},
        f"{p}/{{group_id}}/notice": {"post": {
            "summary": "Draft a notice from the group (publisher token; returns the one "
                       "already drafted)", "operationId": "draftNoticeFromFailureGroup",
            "security": SECURE, "parameters": [PRODUCT, group_id],
            "responses": {"201": _json({"type": "object"}, "Created"), **ERRORS}}},
    }

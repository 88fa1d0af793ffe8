"""The OpenAPI 3.1 description of /api/v1. A test walks the app's URL map and fails when a
route is missing here, so the document stays true."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from ..paging import MAX_OFFSET, MAX_PAGE
from .helpers import base_url, json_response
from .openapi_reach import reach_paths

bp = Blueprint("api_openapi", __name__, url_prefix="/api/v1")


PERCENT = {"type": "integer", "minimum": 0, "maximum": 100}
RAMP = {"type": "array", "description": "steps of a ramp plan, percent and time increasing",
        "items": {"type": "object", "required": ["percent"],
                  "properties": {"percent": PERCENT, "after_hours": {"type": "number"},
                                 "at": {"type": "string", "format": "date-time"}}}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


PROBLEM = {"description": "Error", "content": {"application/problem+json": {
    "schema": _ref("Problem")}}}
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


def _q(name: str, description: str, required: bool = False,
       schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema or {"type": "string"}}


PAGE = [_q("page", "1-based page", schema={"type": "integer", "minimum": 1,
                                            "maximum": MAX_PAGE, "default": 1}),
        _q("per_page", "items per page", schema={"type": "integer", "minimum": 1,
                                                 "maximum": 100, "default": 20})]

SCHEMAS: dict[str, Any] = {
    "Problem": {"type": "object", "required": ["type", "title", "status", "detail"],
                "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                               "status": {"type": "integer"}, "detail": {"type": "string"},
                               "field": {"type": "string"}}},
    "Download": {"type": "object", "required": ["url", "size", "sha256", "signature"],
                 "properties": {"url": {"type": "string", "format": "uri"},
                                "size": {"type": "integer"}, "sha256": {"type": "string"},
                                "signature": {"type": ["string", "null"],
                                              "description": "base64 Ed25519 over the file"},
                                "manifest": {"type": "string", "description":
                                             "the exact release manifest the vendor signed "
                                             "(canonical JSON of product, version, platform, "
                                             "size, sha256); only with manifest_signature"},
                                "manifest_signature": {"type": "string", "description":
                                                       "base64 Ed25519 over manifest"}}},
    "Update": {"type": "object",
               "required": ["version", "channel", "published_at", "critical", "notes",
                            "notes_url", "download"],
               "properties": {"version": {"type": "string"}, "channel": {"type": "string"},
                              "published_at": {"type": "string", "format": "date-time"},
                              "critical": {"type": "boolean"}, "notes": {"type": "string"},
                              "notes_url": {"type": "string", "format": "uri"},
                              "download": _ref("Download")}},
    "DeliveredNotice": {
        "type": "object",
        "required": ["id", "revision", "title", "summary", "severity", "status", "platforms",
                     "workaround", "fixed_in", "fix_available", "url", "support_url",
                     "updated_at"],
        "properties": {"id": {"type": "string"}, "revision": {"type": "integer"},
                       "title": {"type": "string"}, "summary": {"type": "string"},
                       "severity": {"enum": ["critical", "major", "minor", "info"]},
                       "status": {"enum": ["investigating", "confirmed", "workaround",
                                           "fixed", "withdrawn"]},
                       "platforms": {"type": "array", "items": {"type": "string"}},
                       "workaround": {"type": "string", "description": "Markdown"},
                       "fixed_in": {"type": ["string", "null"]},
                       "fix_available": {"type": "boolean"},
                       "url": {"type": "string", "format": "uri"},
                       "support_url": {"type": ["string", "null"]},
                       "updated_at": {"type": "string", "format": "date-time"}}},
    "CheckResponse": {
        "type": "object",
        "required": ["product", "channel", "installed", "update", "notices",
                     "check_again_after"],
        "properties": {
            "product": {"type": "string"}, "channel": {"type": "string"},
            "installed": {"type": "object", "required": ["version", "known", "yanked",
                                                         "supported"],
                          "properties": {"version": {"type": "string"},
                                         "known": {"type": "boolean"},
                                         "yanked": {"type": "boolean"},
                                         "supported": {"type": "boolean"}}},
            "update": {"oneOf": [{"type": "null"}, _ref("Update")]},
            "notices": {"type": "array", "items": _ref("DeliveredNotice")},
            "check_again_after": {"type": "integer", "description": "seconds"}}},
    "Artifact": {"type": "object", "required": ["platform", "url", "size", "sha256"],
                 "properties": {"platform": {"type": "string", "pattern": "^[a-z0-9_-]+$"},
                                "url": {"type": "string", "format": "uri"},
                                "size": {"type": "integer", "minimum": 0},
                                "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                                "signature": {"type": ["string", "null"]},
                                "manifest_signature": {"type": ["string", "null"],
                                                       "description": "base64 Ed25519 over "
                                                       "the release manifest"},
                                "kind": {"enum": ["full", "delta", "installer"]},
                                "sha512": {"type": ["string", "null"]},
                                "sha1": {"type": ["string", "null"]},
                                "minisign_signature": {"type": ["string", "null"]},
                                "uploaded": {"type": "boolean", "readOnly": True}}},
    "Release": {"type": "object",
                "properties": {"version": {"type": "string"}, "channel": {"type": "string"},
                               "notes": {"type": "string"}, "critical": {"type": "boolean"},
                               "draft": {"type": "boolean"}, "yanked": {"type": "boolean"},
                               "yank_reason": {"type": ["string", "null"]},
                               "publish_at": {"type": ["string", "null"],
                                              "format": "date-time"},
                               "published_at": {"type": ["string", "null"],
                                                "format": "date-time", "readOnly": True},
                               "url": {"type": "string", "readOnly": True},
                               "rollout_percent": {"type": "integer"},
                               "paused": {"type": "boolean"},
                               "paused_reason": {"type": ["string", "null"]},
                               "min_upgrade_from": {"type": ["string", "null"]},
                               "ramp": {"type": "array", "items": {"type": "object"}},
                               "artifacts": {"type": "array", "items": _ref("Artifact")}}},
    "ReleaseCreate": {"type": "object", "required": ["version"], "additionalProperties": False,
                      "properties": {"rollout_percent": PERCENT,
                                    "min_upgrade_from": {"type": ["string", "null"]},
                                    "ramp": RAMP,
                                    "version": VERSION_TEXT,
                                     "channel": {"type": "string"},
                                     "notes": {"type": "string", "maxLength": 100_000},
                                     "critical": {"type": "boolean"},
                                     "draft": {"type": "boolean"},
                                     "publish_at": {"type": "string", "format": "date-time"},
                                     "artifacts": {"type": "array",
                                                   "items": _ref("Artifact")}}},
    "ReleasePatch": {"type": "object", "additionalProperties": False,
                     "properties": {"rollout_percent": PERCENT,
                                    "paused": {"type": "boolean"},
                                    "min_upgrade_from": {"type": ["string", "null"]},
                                    "ramp": RAMP,
                                    "notes": {"type": "string", "maxLength": 100_000},
                                    "critical": {"type": "boolean"},
                                    "draft": {"const": False},
                                    "yanked": {"type": "boolean"},
                                    "yank_reason": {"type": "string", "maxLength": 2000},
                                    "publish_at": {"type": ["string", "null"]}}},
    "Product": {"type": "object",
                "properties": {"slug": SLUG_TEXT,
                               "name": {"type": "string", "minLength": 1, "maxLength": 200},
                               "channels": {"type": "array", "items": {"type": "string"}},
                               "minimum_supported_version": {"type": ["string", "null"]},
                               "support_url": {"type": ["string", "null"], "maxLength": 500,
                                               "pattern": "^https?://\\S+$"},
                               "support_email": {"type": ["string", "null"], "maxLength": 254,
                                                 "format": "email"},
                               "notice_prefix": {"type": "string",
                                                 "pattern": "^[A-Z][A-Z0-9]{0,11}$"},
                               "signing_keys": {"type": "array",
                                                "items": {"type": "string"}},
                               "platforms": {
                                   "type": "array", "description": "declared platforms; "
                                   "writes also accept plain ids",
                                   "items": {"type": "object", "properties": {
                                       "id": {"type": "string"},
                                       "name": {"type": ["string", "null"]}}}}}},
    "NoticeWrite": {
        "type": "object", "additionalProperties": False,
        "properties": {"title": {"type": "string", "minLength": 1, "maxLength": 120},
                       "summary": {"type": "string", "maxLength": 2000},
                       "details": {"type": "string", "description": "Markdown",
                                   "maxLength": 50_000},
                       "workaround": {"type": "string", "description": "Markdown",
                                      "maxLength": 50_000},
                       "severity": {"enum": ["critical", "major", "minor", "info"]},
                       "status": {"enum": ["investigating", "confirmed", "workaround", "fixed",
                                           "withdrawn"]},
                       "affected": {"type": "string", "example": ">= 2.0, < 2.0.1",
                                    "minLength": 1, "maxLength": 500,
                                    "description": "versions: a bare version (2.0.0), a "
                                                   "series (2.0.*) or PEP 440 clauses"},
                       "platforms": {"type": "array", "items": PLATFORM_TEXT,
                                     "description": "ids from the product's registry; "
                                                    "unknown ids are a 400 listing them"},
                       "channels": {"type": "array", "items": {"type": "string"}},
                       "fixed_in": {"type": ["string", "null"],
                                    "description": "after the affected range, else 400"},
                       "fix_critical": {"type": "boolean",
                                        "description": "offer the fixing release to "
                                                       "affected installs as critical"},
                       "draft": {"type": "boolean",
                                 "description": "create: save without telling anyone; "
                                                "PATCH false: publish"},
                       "hold_release": {"type": ["string", "null"],
                                        "description": "safeguard hold: matching installs "
                                                       "are not offered this release or "
                                                       "newer until fixed"},
                       "message": {"type": "string",
                                   "description": "Markdown; becomes a timeline entry"}}},
    "Notice": {
        "type": "object",
        "properties": {"id": {"type": "string"}, "revision": {"type": "integer"},
                       "title": {"type": "string"}, "summary": {"type": "string"},
                       "details": {"type": "string"}, "workaround": {"type": "string"},
                       "severity": {"type": "string"}, "status": {"type": "string"},
                       "affected": {"type": "string"}, "affected_text": {"type": "string"},
                       "platforms": {"type": "array", "items": {"type": "string"}},
                       "channels": {"type": "array", "items": {"type": "string"}},
                       "fixed_in": {"type": ["string", "null"]},
                       "fix_critical": {"type": "boolean"}, "draft": {"type": "boolean"},
                       "published_at": {"type": ["string", "null"]},
                       "hold_release": {"type": ["string", "null"],
                                        "description": "only in answers to the owning "
                                                       "vendor's token: it may name a draft "
                                                       "or scheduled release"},
                       "opened_at": {"type": "string"}, "updated_at": {"type": "string"},
                       "resolved_at": {"type": ["string", "null"]},
                       "url": {"type": "string"}, "support_url": {"type": ["string", "null"]},
                       "timeline": {"type": "array", "items": {"type": "object"}}}},
    "Page": {"type": "object",
             "properties": {"page": {"type": "integer"}, "per_page": {"type": "integer"},
                            "total": {"type": "integer"}, "pages": {"type": "integer"},
                            "next": {"type": ["string", "null"]},
                            "prev": {"type": ["string", "null"]},
                            "items": {"type": "array"}}},
}


SIGNED = {
    "Updatesrv-Statement": {"schema": {"type": "string"}, "description":
                            "base64 canonical JSON: type, product, version, channel, "
                            "platform, body_sha256, serial, issued_at, expires"},
    "Updatesrv-Signature": {"schema": {"type": "string"}, "description":
                            "keyid:base64 Ed25519 signature of the statement, one per "
                            "server key, comma-separated"},
}


def _paths() -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/api/v1/openapi.json": {"get": {
            "summary": "This document", "operationId": "openapi",
            "responses": {"200": _json({"type": "object"})}}},
        "/api/v1/products": {"post": {
            "summary": "Create a product (owner token)", "operationId": "createProduct",
            "security": SECURE,
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": _ref("Product")}}},
            "responses": {"201": _json(_ref("Product"), "Created"), **ERRORS}}},
        "/api/v1/vendor/products": {"get": {
            "summary": "The token's vendor's products", "operationId": "listOwnProducts",
            "security": SECURE,
            "responses": {"200": _json({"type": "object"}), **ERRORS}}},
        "/api/v1/products/{product}": {
            "parameters": [PRODUCT],
            "get": {"summary": "Public product info: channels and latest version per channel",
                    "operationId": "getProduct",
                    "responses": {"200": _json({"type": "object"}), "404": PROBLEM}},
            "patch": {"summary": "Change a product (owner token); signing_keys is the full "
                      "list of active keys", "operationId": "updateProduct",
                      "security": SECURE,
                      "requestBody": {"required": True, "content": {"application/json": {
                          "schema": _ref("Product")}}},
                      "responses": {"200": _json(_ref("Product")), **ERRORS}}},
        "/api/v1/products/{product}/check": {"get": {
            "summary": "Is there an update for this install, and which notices affect it?",
            "operationId": "check", "parameters": [
                PRODUCT, _q("version", "installed PEP 440 version", True, VERSION_TEXT),
                _q("channel", "default: the product's most stable channel"),
                _q("platform", "e.g. windows-x86_64; without it only 'any' files count",
                   schema=PLATFORM_TEXT),
                _q("install_id", "opaque random id kept by the client",
                   schema=INSTALL_ID_TEXT),
                _q("shown", "notices the app displayed since its last check: "
                            "ID:REVISION,ID:REVISION (counted as 'shown' in the reach funnel)"),
                {"name": "If-None-Match", "in": "header", "required": False,
                 "schema": {"type": "string"}}],
            "responses": {"200": {**_json(_ref("CheckResponse")), "headers": SIGNED},
                          "304": {"description": "Not modified (with a freshly signed "
                                                 "statement for the cached body)",
                                  "headers": SIGNED},
                          "400": PROBLEM, "404": PROBLEM}}},
        "/api/v1/keys": {"get": {
            "summary": "The server's public keys that sign check answers",
            "operationId": "serverKeys",
            "responses": {"200": _json({"type": "object", "required": ["keys"], "properties": {
                "keys": {"type": "array", "items": {
                    "type": "object", "required": ["id", "algorithm", "public_key"],
                    "properties": {"id": {"type": "string"},
                                   "algorithm": {"type": "string", "enum": ["ed25519"]},
                                   "public_key": {"type": "string",
                                                  "description": "base64 raw key"}}}}}})}}},
        "/api/v1/products/{product}/releases": {
            "parameters": [PRODUCT],
            "get": {"summary": "Releases, newest first (a vendor token also sees drafts)",
                    "operationId": "listReleases",
                    "parameters": [*PAGE, _q("channel", "only this channel")],
                    "responses": {"200": _json(_ref("Page")), "400": PROBLEM,
                                  "404": PROBLEM}},
            "post": {"summary": "Create a release; an identical retry answers 200",
                     "operationId": "createRelease", "security": SECURE,
                     "requestBody": {"required": True, "content": {"application/json": {
                         "schema": _ref("ReleaseCreate")}}},
                     "responses": {"201": _json(_ref("Release"), "Created"),
                                   "200": _json(_ref("Release"), "Identical retry"),
                                   **ERRORS}}},
        "/api/v1/products/{product}/releases/{version}": {
            "parameters": [PRODUCT, VERSION],
            "get": {"summary": "One release", "operationId": "getRelease",
                    "responses": {"200": _json(_ref("Release")), "404": PROBLEM}},
            "patch": {"summary": "Publish a draft, edit notes, flag critical, yank/un-yank",
                      "operationId": "updateRelease", "security": SECURE,
                      "requestBody": {"required": True, "content": {"application/json": {
                          "schema": _ref("ReleasePatch")}}},
                      "responses": {"200": _json(_ref("Release")), **ERRORS}}},
        "/api/v1/products/{product}/releases/{version}/artifacts": {
            "parameters": [PRODUCT, VERSION],
            "post": {"summary": "Upload a file for a platform, or register an external URL",
                     "operationId": "addArtifact", "security": SECURE,
                     "requestBody": {"required": True, "content": {
                         "multipart/form-data": {"schema": {
                             "type": "object", "required": ["platform", "file"],
                             "properties": {"platform": PLATFORM_TEXT,
                                            "file": {"type": "string",
                                                     "contentMediaType":
                                                         "application/octet-stream"},
                                            "signature": {"type": "string"},
                                            "manifest_signature": {"type": "string"},
                                            "kind": {"enum": ["full", "delta", "installer"]},
                                            "minisign_signature": {"type": "string"}}}},
                         "application/json": {"schema": _ref("Artifact")}}},
                     "responses": {"201": _json(_ref("Artifact"), "Created"),
                                   "200": _json(_ref("Artifact"), "Already there"),
                                   "413": PROBLEM, **ERRORS}}},
        "/api/v1/products/{product}/stats": {"get": {
            "summary": "Checks and distinct installs per version per day (vendor token)",
            "operationId": "stats", "security": SECURE,
            "parameters": [PRODUCT, _q("days", "1-366, default 30",
                                       schema={"type": "integer", "minimum": 1,
                                               "maximum": 366, "default": 30})],
            "responses": {"200": _json({"type": "object"}), **ERRORS}}},
        "/api/v1/audit": {"get": {
            "summary": "The vendor's audit log, newest first", "operationId": "audit",
            "security": SECURE,
            "parameters": [_q("limit", "at most 500", schema={
                               "type": "integer", "minimum": 1, "maximum": 500,
                               "default": 50}),
                           _q("offset", "skip", schema={"type": "integer", "minimum": 0,
                                                         "maximum": MAX_OFFSET, "default": 0}),
                           _q("object_type", "release, product, notice, token"),
                           _q("object", "e.g. ledgerly/2.0.1")],
            "responses": {"200": _json({"type": "object"}), **ERRORS}}},
    }
    paths["/api/v1/products/{product}/notices"] = {
        "parameters": [PRODUCT],
        "get": {"summary": "Notices affecting a version (same selection as the check); "
                           "without version, every notice not withdrawn",
                "operationId": "listNotices",
                "parameters": [_q("version", "installed version"), _q("platform", "platform"),
                               _q("channel", "channel")],
                "responses": {"200": _json({"type": "object", "properties": {
                    "notices": {"type": "array", "items": _ref("DeliveredNotice")}}}),
                    "400": PROBLEM, "404": PROBLEM}},
        "post": {"summary": "File a known-issue notice", "operationId": "createNotice",
                 "security": SECURE,
                 "requestBody": {"required": True, "content": {"application/json": {
                     "schema": _ref("NoticeWrite")}}},
                 "responses": {"201": _json(_ref("Notice"), "Created"), **ERRORS}}}
    paths["/api/v1/products/{product}/notices/{notice_id}"] = {
        "parameters": [PRODUCT, NOTICE_ID],
        "get": {"summary": "One notice with its timeline", "operationId": "getNotice",
                "responses": {"200": _json(_ref("Notice")), "404": PROBLEM}},
        "patch": {"summary": "Change a notice; 'message' adds a timeline entry, and every "
                             "status change adds one", "operationId": "updateNotice",
                  "security": SECURE,
                  "requestBody": {"required": True, "content": {"application/json": {
                      "schema": _ref("NoticeWrite")}}},
                  "responses": {"200": _json(_ref("Notice")), **ERRORS}}}
    paths["/api/v1/products/{product}/channels/{channel}/stop"] = {
        "parameters": [PRODUCT, CHANNEL],
        "post": {"summary": "Emergency stop: offer nothing on this channel (notices still "
                            "delivered)", "operationId": "stopChannel", "security": SECURE,
                 "requestBody": {"required": False, "content": {"application/json": {
                     "schema": {"type": "object",
                                "properties": {"reason": {"type": "string"}}}}}},
                 "responses": {"200": _json({"type": "object"}), **ERRORS}},
        "delete": {"summary": "Lift the emergency stop", "operationId": "resumeChannel",
                   "security": SECURE,
                   "responses": {"200": _json({"type": "object"}), **ERRORS}}}
    return _with_versions(paths)


# Optimistic concurrency (updatesrv/versioning.py) on every vendor-editable resource.
VERSIONED = ("/api/v1/products/{product}", "/api/v1/products/{product}/releases/{version}",
             "/api/v1/products/{product}/notices/{notice_id}")
ETAG = {"ETag": {"description": "\"<row version>-<hash>\": send it back in If-Match to "
                                "change exactly what you read", "schema": {"type": "string"}}}
IF_MATCH = {"name": "If-Match", "in": "header", "required": False,
            "schema": {"type": "string"},
            "description": "The ETag of your last read (or *). When the resource changed "
                           "since, nothing is changed and the answer is 412. Without it the "
                           "change applies to whatever is current."}
PRECONDITION_FAILED = {"description": "Changed since the ETag in If-Match was read: GET "
                                      "it again, re-apply, retry (problem+json with "
                                      "current_version)",
                       "content": {"application/problem+json": {"schema": _ref("Problem")}}}


def _with_versions(paths: dict[str, Any]) -> dict[str, Any]:
    for path in VERSIONED:
        item = paths[path]
        item["get"]["responses"]["200"] = {**item["get"]["responses"]["200"], "headers": ETAG}
        patch = item["patch"]
        patch["parameters"] = [*patch.get("parameters", []), IF_MATCH]
        patch["responses"] = {**patch["responses"], "412": PRECONDITION_FAILED,
                              "200": {**patch["responses"]["200"], "headers": ETAG}}
    return paths



def document(server_url: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "updatesrv API", "version": "1",
                 "description": "Public endpoints need no authentication. Vendor endpoints "
                                "take 'Authorization: Bearer <token>'. Errors are RFC 9457 "
                                "application/problem+json."},
        "servers": [{"url": server_url}],
        "paths": {**_paths(), **reach_paths()},
        "components": {"schemas": SCHEMAS,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    return json_response(document(base_url()), cache_seconds=300)

"""The OpenAPI 3.1 description of /api/v1. A test walks the app's URL map and fails when a
route is missing here, so the document stays true."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from ..paging import MAX_OFFSET
from ..releases.artifact_meta import KINDS
from .helpers import base_url, json_response
from .openapi_common import (
    CHANNEL,
    ERRORS,
    INSTALL_ID_TEXT,
    NOTICE_ID,
    PAGE,
    PLATFORM_TEXT,
    PROBLEM,
    PRODUCT,
    SECURE,
    VERSION,
    VERSION_TEXT,
    json_body,
    query_param,
    ref,
)
from .openapi_reach import reach_paths
from .openapi_reports import reports_paths
from .openapi_schemas import SCHEMAS, SIGNED

bp = Blueprint("api_openapi", __name__, url_prefix="/api/v1")



def _paths() -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/api/v1/openapi.json": {"get": {
            "summary": "This document", "operationId": "openapi",
            "responses": {"200": json_body({"type": "object"})}}},
        "/api/v1/products": {"post": {
            "summary": "Create a product (owner token)", "operationId": "createProduct",
            "security": SECURE,
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": ref("Product")}}},
            "responses": {"201": json_body(ref("Product"), "Created"), **ERRORS}}},
        "/api/v1/vendor/products": {"get": {
            "summary": "The token's vendor's products", "operationId": "listOwnProducts",
            "security": SECURE,
            "responses": {"200": json_body({"type": "object"}), **ERRORS}}},
        "/api/v1/products/{product}": {
            "parameters": [PRODUCT],
            "get": {"summary": "Public product info: channels and latest version per channel",
                    "operationId": "getProduct",
                    "responses": {"200": json_body({"type": "object"}), "404": PROBLEM}},
            "patch": {"summary": "Change a product (owner token); signing_keys is the full "
                      "list of active keys", "operationId": "updateProduct",
                      "security": SECURE,
                      "requestBody": {"required": True, "content": {"application/json": {
                          "schema": ref("Product")}}},
                      "responses": {"200": json_body(ref("Product")), **ERRORS}}},
        "/api/v1/products/{product}/check": {"get": {
            "summary": "Is there an update for this install, and which notices affect it?",
            "operationId": "check", "parameters": [
                PRODUCT, query_param("version", "installed PEP 440 version", True, VERSION_TEXT),
                query_param("channel", "default: the product's most stable channel"),
                query_param("platform", "e.g. windows-x86_64; without it only 'any' files "
                            "count. An id the product does not know is refused (400, with "
                            "known_platforms); an updater alias such as 'windows' counts only "
                            "when it means exactly one of the product's platforms",
                   schema=PLATFORM_TEXT),
                query_param("install_id", "opaque random id kept by the client",
                   schema=INSTALL_ID_TEXT),
                query_param("shown", "notices the app displayed since its last check: "
                                     "ID:REVISION,ID:REVISION (counted as 'shown' in the "
                                     "reach funnel)"),
                query_param("locale", "the reader's language (BCP 47, e.g. hu-HU): notices "
                                      "come in the best match (hu-HU → hu → the product's "
                                      "default); a tag that is no language is ignored",
                            schema={"type": "string", "maxLength": 64}),
                {"name": "If-None-Match", "in": "header", "required": False,
                 "schema": {"type": "string"}}],
            "responses": {"200": {**json_body(ref("CheckResponse")), "headers": SIGNED},
                          "304": {"description": "Not modified (with a freshly signed "
                                                 "statement for the cached body)",
                                  "headers": SIGNED},
                          "400": PROBLEM, "404": PROBLEM}}},
        "/api/v1/keys": {"get": {
            "summary": "The server's public keys that sign check answers",
            "operationId": "serverKeys",
            "responses": {"200": json_body({"type": "object", "required": ["keys"], "properties": {
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
                    "parameters": [*PAGE, query_param("channel", "only this channel")],
                    "responses": {"200": json_body(ref("Page")), "400": PROBLEM,
                                  "404": PROBLEM}},
            "post": {"summary": "Create a release; an identical retry answers 200",
                     "operationId": "createRelease", "security": SECURE,
                     "requestBody": {"required": True, "content": {"application/json": {
                         "schema": ref("ReleaseCreate")}}},
                     "responses": {"201": json_body(ref("Release"), "Created"),
                                   "200": json_body(ref("Release"), "Identical retry"),
                                   **ERRORS}}},
        "/api/v1/products/{product}/releases/{version}": {
            "parameters": [PRODUCT, VERSION],
            "get": {"summary": "One release", "operationId": "getRelease",
                    "responses": {"200": json_body(ref("Release")), "404": PROBLEM}},
            "patch": {"summary": "Publish a draft, edit notes, flag critical, yank/un-yank",
                      "operationId": "updateRelease", "security": SECURE,
                      "requestBody": {"required": True, "content": {"application/json": {
                          "schema": ref("ReleasePatch")}}},
                      "responses": {"200": json_body(ref("Release")), **ERRORS}}},
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
                                            "kind": {"enum": list(KINDS)},
                                            "minisign_signature": {"type": "string"}}}},
                         "application/json": {"schema": ref("Artifact")}}},
                     "responses": {"201": json_body(ref("Artifact"), "Created"),
                                   "200": json_body(ref("Artifact"), "Already there"),
                                   "413": PROBLEM, **ERRORS}}},
        "/api/v1/products/{product}/releases/{version}/uploads": {
            "parameters": [PRODUCT, VERSION],
            "post": {"summary": "Begin a direct upload into object storage (presigned parts)",
                     "description": "Only when the server stores files in a bucket (else 409 "
                                    "direct-upload-unsupported). PUT each part to its URL, "
                                    "then POST the ETags to .../uploads/complete.",
                     "operationId": "beginUpload", "security": SECURE,
                     "requestBody": {"required": True, "content": {"application/json": {
                         "schema": {"type": "object", "required": ["platform", "size", "sha256"],
                                    "properties": {
                                        "platform": PLATFORM_TEXT,
                                        "filename": {"type": "string"},
                                        "size": {"type": "integer", "minimum": 1},
                                        "sha256": {"type": "string",
                                                   "pattern": "^[0-9a-fA-F]{64}$"},
                                        "kind": {"enum": list(KINDS)},
                                        "signature": {"type": "string"},
                                        "manifest_signature": {"type": "string"},
                                        "minisign_signature": {"type": "string"}}}}}},
                     "responses": {"201": json_body({"type": "object"}, "Part URLs and token"),
                                   **ERRORS}}},
        "/api/v1/products/{product}/releases/{version}/uploads/complete": {
            "parameters": [PRODUCT, VERSION],
            "post": {"summary": "Finish a direct upload: the server verifies size and sha256 "
                                "before the file becomes an artifact",
                     "operationId": "completeUpload", "security": SECURE,
                     "requestBody": {"required": True, "content": {"application/json": {
                         "schema": {"type": "object", "required": ["token", "parts"],
                                    "properties": {
                                        "token": {"type": "string"},
                                        "parts": {"type": "array", "items": {
                                            "type": "object",
                                            "required": ["part_number", "etag"],
                                            "properties": {
                                                "part_number": {"type": "integer"},
                                                "etag": {"type": "string"}}}}}}}}},
                     "responses": {"201": json_body(ref("Artifact"), "Created"),
                                   "200": json_body(ref("Artifact"), "Already there"),
                                   **ERRORS}}},
        "/api/v1/products/{product}/stats": {"get": {
            "summary": "Checks and distinct installs per version per day (vendor token)",
            "operationId": "stats", "security": SECURE,
            "parameters": [PRODUCT, query_param(
                "days", "1-366, default 30",
                schema={"type": "integer", "minimum": 1, "maximum": 366, "default": 30})],
            "responses": {"200": json_body({"type": "object"}), **ERRORS}}},
        "/api/v1/audit": {"get": {
            "summary": "The vendor's audit log, newest first", "operationId": "audit",
            "security": SECURE,
            "parameters": [query_param("limit", "at most 500", schema={
                               "type": "integer", "minimum": 1, "maximum": 500,
                               "default": 50}),
                           query_param("offset", "skip", schema={
                               "type": "integer", "minimum": 0, "maximum": MAX_OFFSET,
                               "default": 0}),
                           query_param("object_type", "release, product, notice, token"),
                           query_param("object", "e.g. ledgerly/2.0.1")],
            "responses": {"200": json_body({"type": "object"}), **ERRORS}}},
    }
    paths["/api/v1/products/{product}/notices"] = {
        "parameters": [PRODUCT],
        "get": {"summary": "Notices affecting a version (same selection as the check); "
                           "without version, every notice not withdrawn",
                "operationId": "listNotices",
                "parameters": [query_param("version", "installed version"),
                               query_param("platform", "platform"),
                               query_param("channel", "channel"),
                               query_param("locale", "the reader's language (BCP 47)")],
                "responses": {"200": json_body({"type": "object", "properties": {
                    "notices": {"type": "array", "items": ref("DeliveredNotice")}}}),
                    "400": PROBLEM, "404": PROBLEM}},
        "post": {"summary": "File a known-issue notice", "operationId": "createNotice",
                 "security": SECURE,
                 "requestBody": {"required": True, "content": {"application/json": {
                     "schema": ref("NoticeWrite")}}},
                 "responses": {"201": json_body(ref("Notice"), "Created"), **ERRORS}}}
    paths["/api/v1/products/{product}/notices/{notice_id}"] = {
        "parameters": [PRODUCT, NOTICE_ID],
        "get": {"summary": "One notice with its timeline", "operationId": "getNotice",
                "responses": {"200": json_body(ref("Notice")), "404": PROBLEM}},
        "patch": {"summary": "Change a notice; 'message' adds a timeline entry, and every "
                             "status change adds one", "operationId": "updateNotice",
                  "security": SECURE,
                  "requestBody": {"required": True, "content": {"application/json": {
                      "schema": ref("NoticeWrite")}}},
                  "responses": {"200": json_body(ref("Notice")), **ERRORS}}}
    paths["/api/v1/products/{product}/channels/{channel}/stop"] = {
        "parameters": [PRODUCT, CHANNEL],
        "post": {"summary": "Emergency stop: offer nothing on this channel (notices still "
                            "delivered)", "operationId": "stopChannel", "security": SECURE,
                 "requestBody": {"required": False, "content": {"application/json": {
                     "schema": {"type": "object",
                                "properties": {"reason": {"type": "string"}}}}}},
                 "responses": {"200": json_body({"type": "object"}), **ERRORS}},
        "delete": {"summary": "Lift the emergency stop", "operationId": "resumeChannel",
                   "security": SECURE,
                   "responses": {"200": json_body({"type": "object"}), **ERRORS}}}
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
                       "content": {"application/problem+json": {"schema": ref("Problem")}}}


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
                                "take 'Authorization: Bearer <token>'. A token limited to "
                                "some products gets 404 for any other product and 403 for "
                                "vendor-wide endpoints; an expired token gets 401 with the "
                                "problem type token-expired. Errors are RFC 9457 "
                                "application/problem+json."},
        "servers": [{"url": server_url}],
        "paths": {**_paths(), **reach_paths(), **reports_paths()},
        "components": {"schemas": SCHEMAS,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    return json_response(document(base_url()), cache_seconds=300)

"""The component schemas of the OpenAPI document and the signed-answer headers."""

from __future__ import annotations

from typing import Any

from ..releases.artifact_meta import KINDS
from .openapi_common import PERCENT, PLATFORM_TEXT, RAMP, SLUG_TEXT, VERSION_TEXT, ref

TEXT = {"type": "string", "maxLength": 50_000}
TRANSLATIONS = {
    "type": "object", "maxProperties": 50,
    "description": 'per offered locale: {"hu": {"title": …}}; a PATCH changes the named '
                   'locales and fields only ("" clears a field, null a locale); "message" is '
                   "the new timeline entry's text",
    "additionalProperties": {
        "type": ["object", "null"], "additionalProperties": False,
        "properties": {"title": {"type": "string", "maxLength": 120},
                       "summary": {"type": "string", "maxLength": 2000},
                       "details": TEXT, "workaround": TEXT, "message": TEXT}}}

NOTES_TRANSLATIONS = {
    "type": "object", "maxProperties": 50,
    "description": 'the notes per offered locale: {"hu": {"notes": "…"}}; a PATCH changes '
                   "the named locales only (null removes one)",
    "additionalProperties": {"type": ["object", "null"], "additionalProperties": False,
                             "properties": {"notes": {"type": "string",
                                                      "maxLength": 100_000}}}}

SCHEMAS: dict[str, Any] = {
    "Problem": {"type": "object", "required": ["type", "title", "status", "detail"],
                "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                               "status": {"type": "integer"}, "detail": {"type": "string"},
                               "field": {"type": "string"},
                               "suggestion": {"type": "string", "description": "what the "
                                              "input probably meant, e.g. 2.0.0 for 2,0,0"}}},
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
                              "locale": {"type": "string",
                                         "description": "the language of notes"},
                              "download": ref("Download"),
                              "delta": ref("Delta")}},
    "Delta": {
        "type": "object",
        "description": "A binary patch from the installed version's file to the offered "
                       "one (docs/vendor/deltas.md); the rebuilt file must match download's "
                       "sha256 and signatures, else the client downloads the full file",
        "required": ["from", "url", "size", "sha256", "from_sha256", "algorithm"],
        "properties": {"from": {"type": "string"},
                       "url": {"type": "string", "format": "uri"},
                       "size": {"type": "integer", "minimum": 0},
                       "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                       "from_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                       "algorithm": {"type": "string",
                                     "description": "zstd-patch-from: a zstd frame whose "
                                                    "prefix is the installed file"}}},
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
                       "updated_at": {"type": "string", "format": "date-time"},
                       "locale": {"type": "string", "description": "the language of this "
                                  "notice's text: the best match for the check's locale "
                                  "(hu-HU → hu → the product's default locale)"}}},
    "CheckResponse": {
        "type": "object",
        "required": ["product", "channel", "installed", "update", "notices",
                     "check_again_after"],
        "properties": {
            "product": {"type": "string"}, "channel": {"type": "string"},
            "product_name": {"type": "string", "description": "the name people read"},
            "installed": {"type": "object", "required": ["version", "known", "yanked",
                                                         "supported"],
                          "properties": {"version": {"type": "string"},
                                         "known": {"type": "boolean"},
                                         "yanked": {"type": "boolean"},
                                         "supported": {"type": "boolean"}}},
            "update": {"oneOf": [{"type": "null"}, ref("Update")]},
            "notices": {"type": "array", "items": ref("DeliveredNotice")},
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
                                "kind": {"enum": list(KINDS)},
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
                               "artifacts": {"type": "array", "items": ref("Artifact")},
                               "translations": NOTES_TRANSLATIONS}},
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
                                                   "items": ref("Artifact")},
                                     "translations": NOTES_TRANSLATIONS}},
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
                                    "publish_at": {"type": ["string", "null"]},
                                    "translations": NOTES_TRANSLATIONS}},
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
                                       "name": {"type": ["string", "null"]}}}},
                               "default_locale": {"type": "string", "maxLength": 35,
                                                  "description": "BCP 47 tag of the "
                                                  "vendor's own text (default en)"},
                               "offered_locales": {"type": "array", "maxItems": 50,
                                                   "items": {"type": "string",
                                                             "maxLength": 35},
                                                   "description": "other locales the "
                                                   "vendor translates notices into"},
                               "failure_reports": {"type": "boolean",
                                                   "description": "collect failure reports"},
                               "failure_alarm": {
                                   "type": "object", "additionalProperties": False,
                                   "description": "alarm thresholds within an hour",
                                   "properties": {
                                       "installs": {"type": "integer", "minimum": 1,
                                                    "maximum": 1_000_000},
                                       "percent": {"type": "number",
                                                   "exclusiveMinimum": 0,
                                                   "maximum": 100}}}}},
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
                                   "description": "Markdown; becomes a timeline entry"},
                       "translations": TRANSLATIONS}},
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
                       "timeline": {"type": "array", "items": {"type": "object"}},
                       "locale": {"type": "string"},
                       "translations": TRANSLATIONS}},
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

"""OpenAPI paths of the reach endpoints (subscriptions, feedback, webhooks, funnel),
merged into openapi.py's document."""

from __future__ import annotations

from typing import Any

from ..webhooks.models import EVENTS
from .openapi_common import NOTICE_ID, PROBLEM, PRODUCT, SECURE
from .openapi_common import json_body as _json

ERRORS = {"400": PROBLEM, "401": PROBLEM, "403": PROBLEM, "404": PROBLEM}


def _body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": required, "properties": properties}}}}


STR = {"type": "string"}
OBJ = {"type": "object"}
FEEDBACK_KINDS = {"type": "string", "enum": ["affected", "workaround_helped",
                                             "workaround_failed"]}
REACH = {"type": "object", "properties": {
    "affected_installs": {"type": "integer"}, "told": {"type": "integer"},
    "shown": {"type": "integer"}, "moved": {"type": "integer"},
    "subscribers_mailed": {"type": "integer"}, "feedback": OBJ,
    "told_p50_seconds": {"type": ["integer", "null"]},
    "told_p90_seconds": {"type": ["integer", "null"]}}}


def reach_paths() -> dict[str, Any]:
    p = "/api/v1/products/{product}"
    webhook_id = {"name": "webhook_id", "in": "path", "required": True, "schema": STR}
    delivery_id = {"name": "delivery_id", "in": "path", "required": True,
                   "schema": {"type": "integer"}}
    return {
        f"{p}/subscriptions": {
            "parameters": [PRODUCT],
            "post": {"summary": "Subscribe an e-mail address (public; a confirmation mail is "
                                "sent, nothing else until it is followed)",
                     "operationId": "subscribe",
                     "requestBody": _body({"email": STR, "notice_id": STR, "version": STR,
                                           "platform": STR, "locale": STR}, ["email"]),
                     "responses": {"202": _json(OBJ, "Accepted"), "400": PROBLEM,
                                   "404": PROBLEM, "429": PROBLEM, "503": PROBLEM}},
            "get": {"summary": "Subscriber counts and mail/webhook delivery counts",
                    "operationId": "subscriptionCounts", "security": SECURE,
                    "responses": {"200": _json(OBJ), **ERRORS}}},
        f"{p}/subscriptions.csv": {"get": {
            "summary": "Subscribers as CSV (owner token)", "operationId": "exportSubscribers",
            "security": SECURE, "parameters": [PRODUCT],
            "responses": {"200": {"description": "CSV", "content": {"text/csv": {
                "schema": STR}}}, **ERRORS}}},
        f"{p}/notices/{{notice_id}}/feedback": {"post": {
            "summary": "One vote per install on a notice (client.report)",
            "operationId": "reportFeedback", "parameters": [PRODUCT, NOTICE_ID],
            "requestBody": _body({"kind": FEEDBACK_KINDS, "install_id": STR},
                                 ["kind", "install_id"]),
            "responses": {"200": _json(OBJ), "400": PROBLEM, "404": PROBLEM,
                          "429": PROBLEM}}},
        f"{p}/notices/{{notice_id}}/feedback/messages": {"post": {
            "summary": "A message for the vendor when the workaround did not help",
            "operationId": "feedbackMessage", "parameters": [PRODUCT, NOTICE_ID],
            "requestBody": _body({"message": STR, "email": STR}, ["message"]),
            "responses": {"201": _json(OBJ, "Created"), "400": PROBLEM, "404": PROBLEM,
                          "429": PROBLEM}}},
        f"{p}/notices/{{notice_id}}/reach": {"get": {
            "summary": "The notice's reach funnel: affected, told, shown, moved, mailed, "
                       "feedback, time to tell", "operationId": "noticeReach",
            "security": SECURE, "parameters": [PRODUCT, NOTICE_ID],
            "responses": {"200": _json(REACH), **ERRORS}}},
        f"{p}/webhooks": {
            "parameters": [PRODUCT],
            "post": {"summary": "Register a webhook (owner token); the secret is shown once",
                     "operationId": "createWebhook", "security": SECURE,
                     "requestBody": _body({"url": STR, "events": {
                         "type": "array", "items": {"type": "string",
                                                   "enum": list(EVENTS)}}}, ["url"]),
                     "responses": {"201": _json(OBJ, "Created"), **ERRORS}},
            "get": {"summary": "The product's webhooks (without secrets)",
                    "operationId": "listWebhooks", "security": SECURE,
                    "responses": {"200": _json(OBJ), **ERRORS}}},
        f"{p}/webhooks/{{webhook_id}}": {"delete": {
            "summary": "Delete a webhook (owner token)", "operationId": "deleteWebhook",
            "security": SECURE, "parameters": [PRODUCT, webhook_id],
            "responses": {"204": {"description": "Deleted"}, **ERRORS}}},
        f"{p}/webhooks/deliveries": {"get": {
            "summary": "The webhook delivery log, newest first",
            "operationId": "webhookDeliveries", "security": SECURE, "parameters": [PRODUCT],
            "responses": {"200": _json(OBJ), **ERRORS}}},
        f"{p}/webhooks/deliveries/{{delivery_id}}/redeliver": {"post": {
            "summary": "Queue a delivery again (same webhook-id)",
            "operationId": "redeliverWebhook", "security": SECURE,
            "parameters": [PRODUCT, delivery_id],
            "responses": {"202": _json(OBJ, "Accepted"), **ERRORS}}},
    }

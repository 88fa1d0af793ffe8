/** What a check answers, and the one parser that turns the server's JSON into it. The
 * parser trusts nothing (the same rules as the Python client's _models.py): every field is
 * type-checked, numbers are bounded and text loses control characters, so a hostile answer
 * becomes a ServerError and never an exception the host app did not ask for. */

import { ServerError } from "./errors.js";

/** However long the server asks the client to wait, it asks again at least this often. */
export const MAX_CHECK_INTERVAL = 7 * 24 * 3600;
// Terminal escape sequences and other controls must never reach a dialog.
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

export interface Installed {
  readonly version: string;
  readonly known: boolean;
  readonly yanked: boolean;
  readonly supported: boolean;
}

export interface Update {
  readonly version: string;
  readonly channel: string;
  readonly critical: boolean;
  readonly notes: string;
  readonly notesUrl: string;
  readonly publishedAt: string | null;
  readonly downloadUrl: string;
  readonly size: number;
  readonly sha256: string;
  readonly signature: string | null;
  readonly manifest: string | null;
  readonly manifestSignature: string | null;
}

export type Severity = "critical" | "major" | "minor" | "info" | string;

export interface Notice {
  readonly id: string;
  readonly revision: number;
  readonly title: string;
  /** Markdown written by the vendor: render it with renderMarkdown (never as HTML). */
  readonly summary: string;
  readonly severity: Severity;
  readonly status: string;
  readonly platforms: readonly string[];
  /** Markdown, usually numbered steps. */
  readonly workaround: string;
  readonly fixedIn: string | null;
  /** A release that fixes this notice is offered to this install (result.update). */
  readonly fixAvailable: boolean;
  readonly url: string;
  readonly supportUrl: string | null;
  readonly updatedAt: string | null;
}

/** The parsed answer, without what the client adds (fromCache, checkedAt, product name). */
export interface CheckAnswer {
  readonly product: string;
  readonly channel: string;
  readonly installed: Installed;
  readonly update: Update | null;
  readonly notices: readonly Notice[];
  readonly checkAgainAfter: number;
}

type Json = Record<string, unknown>;
const MISSING = Symbol("missing");

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "list";
  return typeof value;
}

function text(data: Json, key: string): string;
function text<D>(data: Json, key: string, fallback: D): string | D;
function text<D>(data: Json, key: string, fallback: D | typeof MISSING = MISSING): string | D {
  const value = data[key];
  if ((value === null || value === undefined) && fallback !== MISSING) return fallback as D;
  if (typeof value !== "string") {
    throw new ServerError(`unexpected response: '${key}' is ${typeName(value)}, not a string`);
  }
  return value.replace(CONTROL, "\ufffd");
}

function flag(data: Json, key: string, fallback: boolean): boolean {
  const value = data[key];
  if (value === null || value === undefined) return fallback;
  if (typeof value !== "boolean") {
    throw new ServerError(`unexpected response: '${key}' is not true or false`);
  }
  return value;
}

function count(data: Json, key: string): number {
  const value = data[key];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new ServerError(`unexpected response: '${key}' is not a whole number ≥ 0`);
  }
  return value;
}

function object(data: Json, key: string): Json {
  const value = data[key];
  if (!isObject(value)) throw new ServerError(`unexpected response: '${key}' is not an object`);
  return value;
}

function list(data: Json, key: string): unknown[] {
  const value = data[key];
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) throw new ServerError(`unexpected response: '${key}' is not a list`);
  return value;
}

export function parseUpdate(data: unknown): Update | null {
  if (data === null || data === undefined) return null;
  if (!isObject(data)) throw new ServerError("unexpected response: 'update' is not an object");
  const download = object(data, "download");
  const sha256 = text(download, "sha256").toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(sha256)) {
    throw new ServerError("unexpected response: 'sha256' is not a SHA-256 in hex");
  }
  return Object.freeze({
    version: text(data, "version"),
    channel: text(data, "channel", ""),
    critical: flag(data, "critical", false),
    notes: text(data, "notes", ""),
    notesUrl: text(data, "notes_url", ""),
    publishedAt: text(data, "published_at", null),
    downloadUrl: text(download, "url"),
    size: count(download, "size"),
    sha256,
    signature: text(download, "signature", null),
    manifest: text(download, "manifest", null),
    manifestSignature: text(download, "manifest_signature", null),
  });
}

export function parseNotice(data: unknown): Notice {
  if (!isObject(data)) throw new ServerError("unexpected response: a notice is not an object");
  const platforms = list(data, "platforms");
  if (!platforms.every((p) => typeof p === "string")) {
    throw new ServerError("unexpected response: 'platforms' is not a list of strings");
  }
  return Object.freeze({
    id: text(data, "id"),
    revision: count(data, "revision"),
    title: text(data, "title"),
    summary: text(data, "summary", ""),
    severity: text(data, "severity", "info"),
    status: text(data, "status", ""),
    platforms: Object.freeze(platforms.map((p) => (p as string).replace(CONTROL, "\ufffd"))),
    workaround: text(data, "workaround", ""),
    fixedIn: text(data, "fixed_in", null),
    fixAvailable: flag(data, "fix_available", false),
    url: text(data, "url", ""),
    supportUrl: text(data, "support_url", null),
    updatedAt: text(data, "updated_at", null),
  });
}

/** The check answer, validated; `check_again_after` is capped at a week whatever the server
 * says, so one answer cannot freeze an install on what it was told. */
export function parseCheck(body: unknown): CheckAnswer {
  if (!isObject(body)) throw new ServerError("unexpected response: not a JSON object");
  const installed = object(body, "installed");
  let interval = body["check_again_after"];
  if (interval === null || interval === undefined) interval = 86400;
  if (typeof interval !== "number" || !Number.isFinite(interval) || interval < 0) {
    throw new ServerError("unexpected response: 'check_again_after' is not a number of seconds");
  }
  return Object.freeze({
    product: text(body, "product"),
    channel: text(body, "channel"),
    installed: Object.freeze({
      version: text(installed, "version"),
      known: flag(installed, "known", false),
      yanked: flag(installed, "yanked", false),
      supported: flag(installed, "supported", true),
    }),
    update: parseUpdate(body["update"]),
    notices: Object.freeze(list(body, "notices").map(parseNotice)),
    checkAgainAfter: Math.trunc(Math.min(interval, MAX_CHECK_INTERVAL)),
  });
}

/** Verifying that a check answer is authentic, fresh and meant for this install: the same
 * rules, in the same order, as the Python client's _trust.py (docs/integrating/
 * check-protocol.md describes them; tests/vectors/ holds both clients to them).
 *
 * The server sends, beside the answer's body, an `Updatesrv-Statement` header (base64
 * canonical JSON: type, product, version, channel, platform, body_sha256, serial, issued_at,
 * expires) and an `Updatesrv-Signature` header (`keyid:base64sig` per server key, comma
 * separated). A 304 carries a newly dated statement for the body the client already has. */

import { eq, gt, valid } from "@renovatebot/pep440";

import { decodeBase64, loadKey, sha256Hex, type Verifier } from "./crypto.js";
import { ServerError, SignatureError, StaleAnswerError } from "./errors.js";
import type { CheckAnswer } from "./models.js";

export const STATEMENT_TYPE = "updatesrv.check.v1";
export const MAX_HEADER = 8192;
const MAX_SIGNATURES = 16;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$/;

export interface Statement {
  readonly serial: number;
  readonly issuedAt: number; // seconds since the epoch
  readonly expires: number;
  readonly bodySha256: string;
}

/** What this install asked about; a statement for anything else is refused. */
export interface Target {
  readonly product: string;
  readonly version: string;
  readonly channel: string;
  readonly platform: string;
}

export interface HeaderSource {
  get(name: string): string | null;
}

function timestamp(value: unknown, name: string): number {
  if (typeof value !== "string") throw new SignatureError(`the signed statement has no ${name}`);
  if (!TIMESTAMP.test(value)) {
    const why = /^\d{4}-\d{2}-\d{2}[T ][\d:.]+$/.test(value) ? "has no time zone" : "is not a date";
    throw new SignatureError(`the signed statement's ${name} ${why}`);
  }
  const when = Date.parse(value.replace(" ", "T"));
  if (Number.isNaN(when)) throw new SignatureError(`the signed statement's ${name} is not a date`);
  return when / 1000;
}

/** Versions compared as PEP 440 does (1.0 == 1.0.0), plain equality for non-versions. */
export function sameVersion(a: string, b: string): boolean {
  return valid(a) !== null && valid(b) !== null ? eq(a, b) : a === b;
}

function signaturesOf(header: string): Uint8Array[] {
  const found: Uint8Array[] = [];
  for (const item of header.split(",").slice(0, MAX_SIGNATURES)) {
    const trimmed = item.trim();
    const value = trimmed.slice(trimmed.lastIndexOf(":") + 1);
    const signature = decodeBase64(value);
    if (signature !== null && signature.length === 64) found.push(signature);
  }
  return found;
}

export class ServerTrust {
  private constructor(private readonly keys: readonly Verifier[]) {}

  static async load(keys: readonly string[]): Promise<ServerTrust> {
    return new ServerTrust(await Promise.all(keys.map((k) => loadKey(k, "serverKeys"))));
  }

  /** The statement in `headers`, once it is signed by a trusted key, names `target`, hashes
   * to `body`, has not expired and is not older than `lowestSerial`. Throws SignatureError
   * or StaleAnswerError otherwise. `now` is in seconds since the epoch. */
  async verify(headers: HeaderSource, body: Uint8Array, target: Target, now: number,
               lowestSerial: number): Promise<Statement> {
    const encoded = headers.get("Updatesrv-Statement");
    const signatures = headers.get("Updatesrv-Signature");
    if (!encoded || !signatures) {
      throw new SignatureError("the answer is not signed, but this app requires a signed "
                               + "answer (serverKeys)");
    }
    if (encoded.length > MAX_HEADER || signatures.length > MAX_HEADER) {
      throw new SignatureError("the answer's signature headers are too large");
    }
    const raw = decodeBase64(encoded);
    if (raw === null) throw new SignatureError("the answer's signed statement is not base64");
    let trusted = false;
    for (const signature of signaturesOf(signatures)) {
      for (const verify of this.keys) {
        if (await verify(signature, raw)) trusted = true;
      }
      if (trusted) break;
    }
    if (!trusted) {
      throw new SignatureError("the answer's signature does not match any trusted server key");
    }
    let fields: unknown;
    try {
      fields = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw));
    } catch {
      throw new SignatureError("the signed statement is not JSON");
    }
    if (typeof fields !== "object" || fields === null || Array.isArray(fields)
        || (fields as Record<string, unknown>)["type"] !== STATEMENT_TYPE) {
      throw new SignatureError("the signed statement is not a check statement");
    }
    const f = fields as Record<string, unknown>;
    for (const name of ["product", "channel", "platform"] as const) {
      if (f[name] !== target[name]) {
        throw new SignatureError(`the signed answer is for ${name} ${JSON.stringify(f[name])}, `
                                 + `not ${JSON.stringify(target[name])}: refused`);
      }
    }
    if (typeof f["version"] !== "string" || !sameVersion(f["version"], target.version)) {
      throw new SignatureError(`the signed answer is for version ${JSON.stringify(f["version"])}, `
                               + `not ${JSON.stringify(target.version)}: refused`);
    }
    if (f["body_sha256"] !== await sha256Hex(body)) {
      throw new SignatureError("the answer's body is not the one its signature covers");
    }
    const serial = f["serial"];
    if (typeof serial !== "number" || !Number.isSafeInteger(serial) || serial < 0) {
      throw new SignatureError("the signed statement has no catalog serial");
    }
    const statement: Statement = {
      serial,
      issuedAt: timestamp(f["issued_at"], "issued_at"),
      expires: timestamp(f["expires"], "expires"),
      bodySha256: f["body_sha256"] as string,
    };
    if (now >= statement.expires) {
      throw new StaleAnswerError(`the signed answer expired on ${String(f["expires"])}: refused `
                                 + "(a replayed or frozen answer)");
    }
    if (serial < lowestSerial) {
      throw new StaleAnswerError(`the answer is older (catalog serial ${serial}) than one already `
                                 + `seen (${lowestSerial}): refused (rollback)`);
    }
    return statement;
  }
}

/** No downgrades: an offer not newer than the installed version is refused, unless the
 * answer says the installed version is yanked or unsupported (updatesrv's own rollback) and
 * the app allowed downgrades; without that permission the offer is dropped. */
export function guardOffer(answer: CheckAnswer, installed: string,
                           allowDowngrade: boolean): CheckAnswer {
  const update = answer.update;
  if (update === null) return answer;
  if (valid(update.version) === null || valid(installed) === null) {
    throw new ServerError(`the offered version '${update.version}' is not a version`);
  }
  if (gt(update.version, installed)) return answer;
  if (answer.installed.yanked || !answer.installed.supported) {
    return allowDowngrade ? answer : { ...answer, update: null };
  }
  throw new StaleAnswerError(`the server offers ${update.version}, which is not newer than the `
                             + `installed ${installed}: refused (rollback)`);
}

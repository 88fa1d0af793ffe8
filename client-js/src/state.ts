/** What the client remembers between runs, as JSON under a few keys of a StateStorage: the
 * install id, the last answer per (product, version, channel, platform, locale), which
 * notice revisions were shown or dismissed, the "shown" acknowledgements the server has not
 * received yet, and the highest signed catalog serial seen per product. The same facts the
 * Python client keeps in its state folder. */

import { webCrypto } from "./crypto.js";
import type { StateStorage } from "./storage.js";

export type Json = Record<string, unknown>;

export interface SavedAnswer {
  fetched_at: number; // seconds since the epoch
  etag: string | null;
  body: unknown;
  raw: string;
  verified?: boolean;
  expires?: number;
  serial?: number;
}

const INSTALL_ID = /^[A-Za-z0-9_-]{8,128}$/;
const NOTICE_ID = /^[A-Za-z0-9_.-]{1,40}$/;
export const MAX_ACKS = 50;
// Install ids being made, per storage identity (module-wide: clients share nothing else).
const CREATING = new Map<unknown, Promise<string>>(); // the server takes at most this many acknowledgements per check

function isInt(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value);
}

async function randomId(): Promise<string> {
  const bytes = new Uint8Array(16);
  (await webCrypto()).getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class State {
  constructor(readonly storage: StateStorage, private readonly fixedInstallId?: string) {}

  async read(key: string): Promise<Json> {
    try {
      const text = await this.storage.get(key);
      const data: unknown = text === null ? {} : JSON.parse(text);
      return typeof data === "object" && data !== null && !Array.isArray(data) ? data as Json : {};
    } catch {
      return {};
    }
  }

  async write(key: string, data: Json): Promise<void> {
    await this.storage.set(key, JSON.stringify(data));
  }

  /** The app's own id if it gave one; else a random id made on first use; null where
   * nothing is kept between runs (the server then counts no install). */
  async installId(): Promise<string | null> {
    if (this.fixedInstallId) return this.fixedInstallId;
    if (!this.storage.persistent) return null;
    const saved = await this.savedInstallId();
    if (saved !== null) return saved;
    // Clients starting at once on the same storage make one id between them.
    const identity = this.storage.identity ?? this.storage;
    let making = CREATING.get(identity);
    if (making === undefined) {
      making = (async () => {
        const again = await this.savedInstallId();
        if (again !== null) return again;
        const made = await randomId();
        await this.storage.set("install_id", made);
        return made;
      })().finally(() => CREATING.delete(identity));
      CREATING.set(identity, making);
    }
    return making;
  }

  private async savedInstallId(): Promise<string | null> {
    const saved = await this.storage.get("install_id");
    return saved !== null && INSTALL_ID.test(saved.trim()) ? saved.trim() : null;
  }

  // -- answers -------------------------------------------------------------------------

  async savedAnswer(key: string): Promise<SavedAnswer | null> {
    const entry = (await this.read("results"))[key] as Json | undefined;
    if (typeof entry !== "object" || entry === null || typeof entry["body"] !== "object"
        || entry["body"] === null) {
      return null;
    }
    return entry as unknown as SavedAnswer;
  }

  /** Only this version's answer is kept: an upgraded app never shows the old version's
   * notices. */
  async saveAnswer(product: string, key: string, entry: SavedAnswer): Promise<void> {
    const results: Json = {};
    for (const [k, v] of Object.entries(await this.read("results"))) {
      if (!k.startsWith(`${product}|`)) results[k] = v;
    }
    results[key] = entry;
    await this.write("results", results);
  }

  // -- notices -------------------------------------------------------------------------

  async revisions(key: "shown" | "dismissed"): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const [id, revision] of Object.entries(await this.read(key))) {
      if (isInt(revision)) out.set(id, revision);
    }
    return out;
  }

  async remember(key: "shown" | "dismissed", id: string, revision: number): Promise<void> {
    const data = await this.read(key);
    data[id] = revision;
    await this.write(key, data);
  }

  // -- reach ("shown" acknowledgements, sent with the next check) ----------------------

  async pendingAcks(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (!this.storage.persistent && !this.fixedInstallId) return out;
    for (const [id, revision] of Object.entries(await this.read("pending_acks"))) {
      if (isInt(revision) && revision >= 0 && NOTICE_ID.test(id)) out.set(id, revision);
    }
    return out;
  }

  async queueAck(id: string, revision: number): Promise<void> {
    if (!this.storage.persistent && !this.fixedInstallId) return;
    const acks = await this.pendingAcks();
    acks.set(id, revision);
    await this.write("pending_acks", Object.fromEntries(acks));
  }

  /** Drops what the server received, not what was queued since. */
  async clearAcks(sent: Map<string, number>): Promise<void> {
    if (sent.size === 0) return;
    const left = new Map(await this.pendingAcks());
    for (const [id, revision] of sent) {
      if (left.get(id) === revision) left.delete(id);
    }
    await this.write("pending_acks", Object.fromEntries(left));
  }

  // -- serials -------------------------------------------------------------------------

  async highestSerial(product: string): Promise<number> {
    const value = (await this.read("serials"))[product];
    return isInt(value) ? value : 0;
  }

  async raiseSerial(product: string, serial: number): Promise<void> {
    const serials = await this.read("serials");
    const current = serials[product];
    if (!isInt(current) || serial > current) {
      serials[product] = serial;
      await this.write("serials", serials);
    }
  }
}

/** The first MAX_ACKS acknowledgements as the check's `shown` parameter: ID:REV,ID:REV. */
export function firstAcks(acks: Map<string, number>): Map<string, number> {
  return new Map([...acks].slice(0, MAX_ACKS));
}

export function shownParam(acks: Map<string, number>): string {
  return [...acks].map(([id, revision]) => `${id}:${revision}`).join(",");
}

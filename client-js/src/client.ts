/** UpdateClient: the check, the notices shown and dismissed, reach reporting. The same
 * contract as the Python client (client/updatesrv_client/_client.py). HTTP lives in
 * transport.ts, memory in state.ts, the answer's shape in models.ts, signatures in trust.ts. */

import { ProductNotFound, RequestRejected, ServerError,
         UpdateCheckError } from "./errors.js";
import { parseCheck, type CheckAnswer, type Installed, type Notice,
         type Update } from "./models.js";
import { firstAcks, shownParam, State, type SavedAnswer } from "./state.js";
import { defaultStorage, type StateStorage } from "./storage.js";
import { parseJson, Transport, type FetchLike, type Reply } from "./transport.js";
import { guardOffer, ServerTrust, type Target } from "./trust.js";

export const DEFAULT_TIMEOUT_MS = 30_000; // the whole check, whatever the server does
export const MAX_ANSWER_BYTES = 1024 * 1024; // a check answer is a few KiB
const MAX_ERROR_BYTES = 64 * 1024;
export const FEEDBACK_KINDS = ["affected", "workaround_helped", "workaround_failed"] as const;
export type FeedbackKind = typeof FEEDBACK_KINDS[number];

export interface UpdateClientOptions {
  /** The updatesrv address, e.g. "https://updates.example.com". */
  server: string;
  /** The product's slug on the server. */
  product: string;
  /** The installed version. */
  version: string;
  /** windows-x86_64, macos-arm64, linux-x86_64… (nodePlatform() in Node). */
  platform: string;
  channel?: string;
  /** Sent with the check (BCP 47, e.g. "hu" or "en-GB"); defaults to the runtime's. */
  locale?: string;
  /** The app's own anonymous id; by default one is made and kept in `storage`. */
  installId?: string;
  /** Base64 Ed25519 public keys of the server (GET /api/v1/keys): every answer then needs a
   * valid, unexpired signature naming this product, version, channel and platform, with a
   * catalog serial no lower than any seen before. */
  serverKeys?: readonly string[];
  /** Where state is kept: FileStorage in Node, localStorage in a browser by default. */
  storage?: StateStorage;
  /** The whole call's deadline (default 30 s). */
  timeoutMs?: number;
  /** An offer that is not newer than `version` is refused unless the installed version is
   * yanked or unsupported and this is true. */
  allowDowngrade?: boolean;
  /** The name people know the product by (the element's heading); the slug otherwise. */
  productName?: string;
  /** On start, a saved answer older than this is revalidated (default one hour). */
  recheckOnStartAfterMs?: number;
  fetch?: FetchLike;
  /** Milliseconds since the epoch (tests). */
  now?: () => number;
}

export interface CheckResult {
  readonly product: { readonly slug: string; readonly name: string };
  readonly channel: string;
  readonly installed: Installed | null;
  readonly update: Update | null;
  readonly notices: readonly Notice[];
  /** True when this is a saved answer (fresh enough, or the server could not be asked). */
  readonly fromCache: boolean;
  /** When the answer came from the server; null when there is none at all. */
  readonly checkedAt: Date | null;
  readonly checkAgainAfter: number;
  /** Why the server could not be asked (check() never throws); null on success. */
  readonly error: UpdateCheckError | null;
}

export interface CheckOptions {
  /** Always ask the server, even when the saved answer is fresh. */
  force?: boolean;
  /** The app is starting: revalidate a saved answer older than recheckOnStartAfterMs. */
  onStart?: boolean;
}

function runtimeLocale(): string {
  const nav = (globalThis as { navigator?: { language?: string } }).navigator;
  return nav?.language || Intl.DateTimeFormat().resolvedOptions().locale || "en";
}

export class UpdateClient {
  readonly server: string;
  readonly product: string;
  readonly version: string;
  readonly platform: string;
  readonly channel: string;
  readonly locale: string;
  readonly timeoutMs: number;
  readonly allowDowngrade: boolean;
  readonly productName: string;
  readonly transport: Transport;
  private readonly state: State;
  private readonly trust: Promise<ServerTrust> | null;
  private readonly now: () => number;
  private readonly recheckOnStartAfter: number;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: UpdateClientOptions) {
    for (const name of ["server", "product", "version", "platform"] as const) {
      if (typeof options[name] !== "string" || !options[name]) {
        throw new TypeError(`UpdateClient needs '${name}'`);
      }
    }
    this.server = options.server.replace(/\/+$/, "");
    this.product = options.product;
    this.version = options.version;
    this.platform = options.platform;
    this.channel = options.channel ?? "stable";
    this.locale = options.locale || runtimeLocale();
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.allowDowngrade = options.allowDowngrade ?? false;
    this.productName = options.productName ?? options.product;
    this.transport = new Transport(options.fetch);
    this.state = new State(options.storage ?? defaultStorage(), options.installId);
    const keys = options.serverKeys ?? [];
    this.trust = keys.length ? ServerTrust.load(keys) : null;
    // An unhandled rejection must not crash the host; a bad key surfaces on the first check.
    this.trust?.catch(() => undefined);
    this.now = options.now ?? Date.now;
    this.recheckOnStartAfter = (options.recheckOnStartAfterMs ?? 3_600_000) / 1000;
  }

  /** Runs `task` after every earlier call on this client: state is read, changed and
   * written by one call at a time. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private get key(): string {
    return [this.product, this.version, this.channel, this.platform, this.locale].join("|");
  }

  private get target(): Target {
    return { product: this.product, version: this.version, channel: this.channel,
             platform: this.platform };
  }

  async installId(): Promise<string | null> {
    return this.state.installId();
  }

  private result(entry: SavedAnswer, fromCache: boolean,
                 error: UpdateCheckError | null = null): CheckResult {
    const answer: CheckAnswer = guardOffer(parseCheck(entry.body), this.version,
                                           this.allowDowngrade);
    const at = Number(entry.fetched_at);
    return Object.freeze({
      product: Object.freeze({ slug: answer.product, name: this.productName }),
      channel: answer.channel, installed: answer.installed, update: answer.update,
      notices: answer.notices, fromCache, checkAgainAfter: answer.checkAgainAfter,
      checkedAt: Number.isFinite(at) && at > 0 ? new Date(at * 1000) : null, error,
    });
  }

  private empty(error: UpdateCheckError): CheckResult {
    return Object.freeze({
      product: Object.freeze({ slug: this.product, name: this.productName }),
      channel: this.channel, installed: null, update: null, notices: Object.freeze([]),
      fromCache: true, checkedAt: null, checkAgainAfter: 0, error,
    });
  }

  /** With server keys, only an answer that was verified when it arrived counts. */
  private async usable(): Promise<SavedAnswer | null> {
    const entry = await this.state.savedAnswer(this.key);
    if (entry === null || this.trust === null) return entry;
    return entry.verified === true && typeof entry.raw === "string" ? entry : null;
  }

  /** The answer, never an exception: when the server cannot be asked (offline, an error, a
   * bad signature), the last saved answer with `fromCache: true` and `error` set, or an
   * empty result when nothing was ever saved. */
  async check(options: CheckOptions = {}): Promise<CheckResult> {
    try {
      return await this.checkOrThrow(options);
    } catch (error) {
      const why = error instanceof UpdateCheckError ? error
        : new UpdateCheckError(`the check failed: ${String(error)}`);
      try {
        const saved = await this.usable();
        if (saved !== null) return this.result(saved, true, why);
      } catch {
        // An unreadable saved answer is no answer.
      }
      return this.empty(why);
    }
  }

  /** check(), but failures are thrown (UpdateCheckError and its subclasses). */
  checkOrThrow(options: CheckOptions = {}): Promise<CheckResult> {
    return this.exclusive(() => this.ask(options));
  }

  private async ask(options: CheckOptions): Promise<CheckResult> {
    const saved = await this.usable();
    const now = this.now() / 1000;
    if (saved !== null && !options.force) {
      try {
        const cached = this.result(saved, true);
        let maxAge = cached.checkAgainAfter;
        if (options.onStart) maxAge = Math.min(maxAge, this.recheckOnStartAfter);
        const age = now - Number(saved.fetched_at);
        const fresh = age >= 0 && age < maxAge;
        if (fresh && (this.trust === null || now < Number(saved.expires))) return cached;
      } catch {
        // Not usable: ask the server.
      }
    }
    const params = new URLSearchParams({ version: this.version, channel: this.channel,
                                         platform: this.platform, locale: this.locale });
    const installId = await this.state.installId();
    const acks = firstAcks(await this.state.pendingAcks());
    if (installId !== null) {
      params.set("install_id", installId);
      if (acks.size) params.set("shown", shownParam(acks));
    }
    const headers: Record<string, string> = { Accept: "application/json" };
    if (saved !== null && typeof saved.etag === "string") headers["If-None-Match"] = saved.etag;
    const url = `${this.server}/api/v1/products/${encodeURIComponent(this.product)}/check?${params}`;
    const reply = await this.transport.call(url, { headers, seconds: this.timeoutMs / 1000,
                                                   maxBytes: MAX_ANSWER_BYTES });
    this.raiseForStatus(reply);
    let entry: SavedAnswer;
    let body: Uint8Array;
    if (reply.status === 304 && saved !== null) {
      entry = { ...saved, fetched_at: now };
      body = new TextEncoder().encode(saved.raw);
    } else if (reply.status === 200) {
      entry = { fetched_at: now, etag: reply.headers.get("ETag"),
                body: parseJson(reply.body, 200), raw: new TextDecoder().decode(reply.body) };
      body = reply.body;
    } else {
      throw new ServerError(`unexpected answer: HTTP ${reply.status}`, reply.status);
    }
    if (this.trust !== null) {
      // A 304 counts only with a freshly signed statement for the body we hold.
      const statement = await (await this.trust).verify(
        reply.headers, body, this.target, now, await this.state.highestSerial(this.product));
      entry = { ...entry, verified: true, expires: statement.expires, serial: statement.serial };
    }
    const result = this.result(entry, false); // validate before saving
    await this.state.saveAnswer(this.product, this.key, entry);
    if (this.trust !== null) await this.state.raiseSerial(this.product, entry.serial ?? 0);
    await this.state.clearAcks(acks); // the server has them now
    return result;
  }

  /** The last answer for this product/version/channel/platform/locale, whatever its age,
   * without the network (null when none was saved). */
  async cachedResult(): Promise<CheckResult | null> {
    try {
      const saved = await this.usable();
      return saved === null ? null : this.result(saved, true);
    } catch {
      return null;
    }
  }

  private raiseForStatus(reply: Reply): void {
    if (reply.status === 200 || reply.status === 304) return;
    let problem: unknown = null;
    try {
      problem = parseJson(reply.body.subarray(0, MAX_ERROR_BYTES));
    } catch {
      problem = null;
    }
    const fields = (typeof problem === "object" && problem !== null ? problem : {}) as
      Record<string, unknown>;
    const detail = typeof fields["detail"] === "string" ? fields["detail"].slice(0, 500) : "";
    if (reply.status === 404) {
      // Only the server's own "no such product" names the product; any other 404 means the
      // URL does not lead to an updatesrv API at all.
      if (fields["product"] === this.product) {
        throw new ProductNotFound(`${this.server} does not know product '${this.product}'`, 404,
                                  detail);
      }
      throw new RequestRejected(`${reply.url.split("?")[0]} was not found (HTTP 404): is `
                                + `${this.server} the right server address?`, 404, detail);
    }
    if (reply.status >= 400 && reply.status < 500 && fields["field"] === "platform") {
      // Say what this install sent (as the Python client does): the integrator typed it, or
      // it is this machine's default, and must change it to one of the product's ids.
      throw new RequestRejected(`the server refused the platform this install sent `
                                + `('${this.platform}'): ${detail || reply.status}`,
                                reply.status, detail);
    }
    if (reply.status >= 400 && reply.status < 500) {
      throw new RequestRejected(`the server refused the check: ${detail || reply.status}`,
                                reply.status, detail);
    }
    throw new ServerError(`server error ${reply.status}: ${detail || "no detail"}`, reply.status);
  }

  // -- notices -------------------------------------------------------------------------

  /** Notices this install has not shown at their current revision (critical ones stay here
   * while they apply: they cannot be dismissed). Open the dialog for these on start. */
  async unseen(result: CheckResult): Promise<Notice[]> {
    const shown = await this.state.revisions("shown");
    return result.notices.filter((n) => n.severity === "critical" || shown.get(n.id) !== n.revision);
  }

  /** Notices the person has not dismissed ("Don't show this again") at their current
   * revision: what a banner lists. Critical notices cannot be dismissed. */
  async undismissed(result: CheckResult): Promise<Notice[]> {
    const dismissed = await this.state.revisions("dismissed");
    return result.notices.filter((n) => n.severity === "critical"
                                 || dismissed.get(n.id) !== n.revision);
  }

  /** Remember that this revision was shown (it returns when revised) and queue the
   * acknowledgement sent with the next check, so the vendor learns it was seen even when it
   * was shown offline. */
  markShown(notice: Notice): Promise<void> {
    return this.exclusive(async () => {
      await this.state.remember("shown", notice.id, notice.revision);
      await this.state.queueAck(notice.id, notice.revision);
    });
  }

  /** "Don't show this again": shown, and left out of undismissed() until the notice is
   * revised. A critical notice is only marked shown: it stays while it applies. */
  dismiss(notice: Notice): Promise<void> {
    return this.markShown(notice).then(() => this.exclusive(async () => {
      if (notice.severity !== "critical") {
        await this.state.remember("dismissed", notice.id, notice.revision);
      }
    }));
  }

  /** Tells the vendor what this notice meant here: "affected", "workaround_helped" or
   * "workaround_failed". One vote per install and notice (a later one replaces it). Throws
   * UpdateCheckError subclasses; needs persistent storage or `installId`. */
  async report(notice: Notice, kind: FeedbackKind): Promise<void> {
    if (!FEEDBACK_KINDS.includes(kind)) {
      throw new TypeError(`kind must be one of ${FEEDBACK_KINDS.join(", ")}; got '${kind}'`);
    }
    const installId = await this.state.installId();
    if (installId === null) {
      throw new UpdateCheckError("report() needs persistent storage or installId: votes are "
                                 + "counted per install");
    }
    const url = `${this.server}/api/v1/products/${encodeURIComponent(this.product)}/notices/`
      + `${encodeURIComponent(notice.id)}/feedback`;
    const reply = await this.transport.call(url, {
      method: "POST", json: { kind, install_id: installId }, headers: { Accept: "application/json" },
      seconds: this.timeoutMs / 1000, maxBytes: MAX_ERROR_BYTES });
    if (reply.status === 200) return;
    let detail = "";
    try {
      const problem = parseJson(reply.body) as Record<string, unknown> | null;
      if (typeof problem?.["detail"] === "string") detail = problem["detail"].slice(0, 500);
    } catch {
      // no detail
    }
    if (reply.status >= 400 && reply.status < 500) {
      throw new RequestRejected(`the server refused the report: ${detail || reply.status}`,
                                reply.status, detail);
    }
    throw new ServerError(`server error ${reply.status}: ${detail || "no detail"}`, reply.status);
  }
}



/** <updatesrv-notices>: the banner and the notice dialog of the Tk presenters, as a
 * framework-free custom element for Electron renderers, Tauri webviews and web pages.
 *
 *   <updatesrv-notices server="https://updates.example.com" product="ledgerly"
 *                      version="2.0.0" platform="windows-x86_64" locale="hu"></updatesrv-notices>
 *
 * The banner lists the notices this install has not dismissed; "What to do…" opens the
 * dialog (with the `open-unseen` attribute it opens by itself for notices not yet shown) (each notice: severity, title, summary, numbered workaround steps, "Update now"
 * where the fix is offered, "Don't show this again", the support contact). Opening the
 * dialog counts the notices as shown (reach). "Update now" fires `updatesrv-update` with
 * the offered update in `detail.update`: the app installs it (electron-updater, Tauri's
 * updater). Vendor Markdown is rendered inert (markdown.ts). */

import { UpdateClient, type CheckResult } from "./client.js";
import { renderMarkdown } from "./markdown.js";
import type { Notice, Update } from "./models.js";
import { BUILT_IN, en, fill, hungarianVersionPhrase, isRtl, language,
         type Strings } from "./strings.js";
import { STYLE } from "./style.js";

const RANK: Record<string, number> = { critical: 0, major: 1, minor: 2, info: 3 };
const OBSERVED = ["server", "product", "version", "platform", "locale", "channel",
                  "server-keys", "product-name"] as const;

function bySeverity(notices: readonly Notice[]): Notice[] {
  return [...notices].sort((a, b) => (RANK[a.severity] ?? 9) - (RANK[b.severity] ?? 9));
}

function severityClass(severity: string): string {
  return severity in RANK ? severity : "info";
}

type Child = Node | string | null | undefined | false;

function h(tag: string, attributes: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child); // strings become text nodes: never parsed as HTML
  }
  return element;
}

export class UpdatesrvNotices extends HTMLElement {
  static get observedAttributes(): readonly string[] {
    return OBSERVED;
  }

  /** The last answer (null before the first check). */
  result: CheckResult | null = null;
  private overrides: Partial<Strings> = {};
  private ownClient: UpdateClient | null = null;
  private givenClient: UpdateClient | null = null;
  private readonly root: ShadowRoot;
  private banner: HTMLElement;
  private dialog: HTMLDialogElement;
  private checks = 0;
  private refreshQueued = false;
  private dontShow = new Map<string, { notice: Notice; box: HTMLInputElement }>();

  constructor() {
    super();
    this.root = this.attachShadow({ mode: "open" });
    const style = document.createElement("style");
    style.textContent = STYLE;
    this.banner = h("section", { part: "banner", class: "banner", hidden: "" });
    this.dialog = document.createElement("dialog");
    this.dialog.setAttribute("part", "dialog");
    this.dialog.addEventListener("close", () => void this.dialogClosed());
    this.root.append(style, this.banner, this.dialog);
  }

  /** Strings to use instead of the built-in ones (any subset). */
  get strings(): Strings {
    const base = BUILT_IN[language(this.locale)] ?? en;
    return { ...base, ...this.overrides,
             severity: { ...base.severity, ...this.overrides.severity },
             status: { ...base.status, ...this.overrides.status } };
  }

  set strings(value: Partial<Strings>) {
    this.overrides = value ?? {};
    this.render();
  }

  /** A configured UpdateClient (e.g. with FileStorage or serverKeys) instead of attributes. */
  get client(): UpdateClient | null {
    return this.givenClient ?? this.ownClient;
  }

  set client(value: UpdateClient | null) {
    this.givenClient = value;
    this.scheduleRefresh();
  }

  get locale(): string {
    return this.getAttribute("locale") || this.givenClient?.locale
      || (globalThis.navigator?.language ?? "en");
  }

  connectedCallback(): void {
    this.scheduleRefresh();
  }

  attributeChangedCallback(name: string, before: string | null, after: string | null): void {
    if (before === after) return;
    this.ownClient = null;
    if (name === "locale" && this.result) void this.render();
    else this.scheduleRefresh();
  }

  /** One check for all the attributes set in one go (an upgrade sets each in turn): several
   * clients starting at once would each make an install id. */
  private scheduleRefresh(): void {
    if (this.refreshQueued) return;
    this.refreshQueued = true;
    queueMicrotask(() => {
      this.refreshQueued = false;
      if (this.isConnected) void this.refresh();
    });
  }

  private makeClient(): UpdateClient | null {
    if (this.givenClient) return this.givenClient;
    if (this.ownClient) return this.ownClient;
    const get = (name: string) => this.getAttribute(name) ?? "";
    if (!get("server") || !get("product") || !get("version") || !get("platform")) return null;
    const keys = get("server-keys").split(/[\s,]+/).filter(Boolean);
    this.ownClient = new UpdateClient({
      server: get("server"), product: get("product"), version: get("version"),
      platform: get("platform"), locale: this.locale, channel: get("channel") || undefined,
      serverKeys: keys.length ? keys : undefined, productName: get("product-name") || undefined,
    });
    return this.ownClient;
  }

  /** Checks (the saved answer when fresh) and redraws; never throws. */
  async refresh(options: { force?: boolean } = {}): Promise<CheckResult | null> {
    const client = this.makeClient();
    if (client === null) return null;
    const ticket = ++this.checks;
    const result = await client.check({ onStart: true, ...options });
    if (ticket !== this.checks) return result; // a newer check is on its way
    this.result = result;
    await this.render();
    if (this.hasAttribute("open-unseen") && !this.dialog.open) {
      // As the Tk start-up dialog: what this install has not seen opens by itself (critical
      // notices at every start while they apply).
      const unseen = await client.unseen(result);
      if (unseen.length) await this.open(unseen);
    }
    this.dispatchEvent(new CustomEvent("updatesrv-result", { detail: { result } }));
    return result;
  }

  private words(): { s: Strings; version: (v: string) => string } {
    const s = this.strings;
    const hu = language(this.locale) === "hu" && !this.overrides.fixedIn;
    return { s, version: hu ? hungarianVersionPhrase : (v) => v };
  }

  private async render(): Promise<void> {
    const direction = isRtl(this.locale) ? "rtl" : (this.closest("[dir]")?.getAttribute("dir")
                                                     ?? document.documentElement.dir) || "ltr";
    this.root.host.setAttribute("data-dir", direction);
    this.banner.dir = direction;
    this.dialog.dir = direction;
    this.banner.lang = this.dialog.lang = this.locale;
    const client = this.client;
    const notices = this.result && client ? bySeverity(await client.undismissed(this.result)) : [];
    this.renderBanner(notices);
  }

  private renderBanner(notices: Notice[]): void {
    const { s } = this.words();
    this.banner.replaceChildren();
    if (!notices.length) {
      this.banner.hidden = true;
      return;
    }
    const first = notices[0]!;
    const severity = severityClass(first.severity);
    this.banner.hidden = false;
    this.banner.className = `banner severity-${severity}`;
    this.banner.setAttribute("aria-label", s.region);
    const text = fill(s.bannerOne, { severity: s.severity[severity] ?? severity,
                                     title: first.title });
    const more = notices.length > 1 ? ` (${fill(s.bannerMore, { n: notices.length - 1 })})` : "";
    const open = h("button", { type: "button", class: "primary" }, s.whatToDo);
    open.addEventListener("click", () => this.open(notices));
    const buttons = h("div", { class: "buttons" }, open);
    if (notices.some((n) => n.severity !== "critical")) {
      const dismiss = h("button", { type: "button" }, s.dismiss);
      dismiss.addEventListener("click", () => void this.dismissBanner(notices));
      buttons.append(dismiss);
    }
    this.banner.append(h("p", { class: "message", role: "status", dir: "auto" }, text + more),
                       buttons);
  }

  private async dismissBanner(notices: Notice[]): Promise<void> {
    const client = this.client;
    if (client === null) return;
    for (const notice of notices) {
      if (notice.severity !== "critical") await client.dismiss(notice).catch(() => undefined);
    }
    await this.render();
  }

  /** Opens the dialog on `notices` (the banner's, by default). */
  async open(notices?: readonly Notice[]): Promise<void> {
    const client = this.client;
    if (!this.result || client === null) return;
    const shown = bySeverity(notices ?? await client.undismissed(this.result));
    if (!shown.length) return;
    this.renderDialog(shown);
    this.dialog.showModal();
    for (const notice of shown) await client.markShown(notice).catch(() => undefined);
  }

  close(): void {
    this.dialog.close();
  }

  private renderDialog(notices: Notice[]): void {
    const { s, version } = this.words();
    const result = this.result!;
    this.dontShow.clear();
    const top = severityClass(notices[0]!.severity);
    const heading = notices.length === 1
      ? fill(s.headingOne, { severity: s.severity[top] ?? top })
      : fill(s.headingMany, { n: notices.length });
    const headingId = "updatesrv-heading";
    this.dialog.setAttribute("aria-labelledby", headingId);
    this.dialog.className = `severity-${top}`;
    const header = h("header", {},
                     h("h2", { id: headingId }, heading),
                     h("p", { class: "muted" }, `${result.product.name} ${result.installed?.version ?? ""}`.trim()));
    const body = h("div", { class: "body" });
    if (result.error && result.checkedAt) {
      body.append(h("p", { class: "note", role: "note" },
                    fill(s.savedNote, { date: result.checkedAt.toLocaleString(this.locale) })));
    }
    for (const notice of notices) body.append(this.renderNotice(notice, result.update, s, version));
    const footer = h("footer", { class: "buttons" });
    if (result.update && notices.some((n) => n.fixAvailable)) {
      footer.append(this.updateButton(result.update, fill(s.updateTo,
                                                          { update: version(result.update.version) })));
    }
    const close = h("button", { type: "button" }, s.close);
    close.addEventListener("click", () => this.dialog.close());
    footer.append(close);
    this.dialog.replaceChildren(header, body, footer);
  }

  private updateButton(update: Update, label: string): HTMLElement {
    const button = h("button", { type: "button", class: "primary update" }, label);
    button.addEventListener("click", () => {
      this.dispatchEvent(new CustomEvent("updatesrv-update", { detail: { update },
                                                              bubbles: true, composed: true }));
      this.dialog.close();
    });
    return button;
  }

  private renderNotice(notice: Notice, update: Update | null, s: Strings,
                       version: (v: string) => string): HTMLElement {
    const severity = severityClass(notice.severity);
    const titleId = `notice-${notice.id.replace(/[^A-Za-z0-9_-]/g, "_")}`;
    const article = h("article", { class: `notice severity-${severity}`, "aria-labelledby": titleId },
      h("p", { class: "meta" },
        h("span", { class: "badge" }, s.severity[severity] ?? notice.severity),
        h("span", { class: "muted" }, ` ${notice.id} · ${s.status[notice.status] ?? notice.status}`)),
      h("h3", { id: titleId, dir: "auto" }, notice.title));
    if (notice.summary) {
      article.append(h("div", { class: "markdown", dir: "auto" }, renderMarkdown(notice.summary)));
    }
    if (notice.workaround) {
      article.append(h("h4", {}, s.workaround),
                     h("div", { class: "markdown steps", dir: "auto" },
                       renderMarkdown(notice.workaround)));
    }
    if (notice.fixedIn) {
      const fix = h("p", { class: "fix" });
      if (notice.fixAvailable && update) {
        fix.append(fill(s.fixReady, { version: version(notice.fixedIn),
                                      update: version(update.version) }), " ",
                   this.updateButton(update, s.updateNow));
      } else {
        fix.append(fill(s.fixedIn, { version: version(notice.fixedIn) }));
      }
      article.append(fix);
    }
    if (notice.url && /^https?:\/\//i.test(notice.url)) {
      article.append(h("p", {}, `${s.details}: `,
                       h("a", { href: notice.url, target: "_blank", rel: "noopener noreferrer" },
                         notice.url)));
    }
    if (notice.supportUrl && /^(https?:\/\/|mailto:)/i.test(notice.supportUrl)) {
      article.append(h("p", { class: "support" }, `${s.support} `,
                       h("a", { href: notice.supportUrl, target: "_blank",
                                rel: "noopener noreferrer" },
                         notice.supportUrl.replace(/^mailto:/i, ""))));
    }
    if (notice.severity === "critical") {
      article.append(h("p", { class: "muted italic" }, s.criticalNote));
    } else {
      const box = h("input", { type: "checkbox" }) as HTMLInputElement;
      this.dontShow.set(notice.id, { notice, box });
      article.append(h("label", { class: "dont-show" }, box, ` ${s.dontShow}`));
    }
    return article;
  }

  private async dialogClosed(): Promise<void> {
    const client = this.client;
    if (client === null) return;
    for (const { notice, box } of this.dontShow.values()) {
      if (box.checked) await client.dismiss(notice).catch(() => undefined);
    }
    this.dontShow.clear();
    await this.render();
  }
}

if (typeof customElements !== "undefined" && !customElements.get("updatesrv-notices")) {
  customElements.define("updatesrv-notices", UpdatesrvNotices);
}

declare global {
  interface HTMLElementTagNameMap {
    "updatesrv-notices": UpdatesrvNotices;
  }
}

export { renderMarkdown } from "./markdown.js";
export { en, hu, type Strings } from "./strings.js";

/** HTTP with a whole-call deadline, a size cap and same-origin redirects only, on `fetch`
 * (Node ≥ 18, Electron, browsers, Tauri webviews).
 *
 * A per-read timeout does not bound a call: a server that drips one byte every few seconds
 * holds it for as long as it likes. Here every call has one AbortController that fires when
 * the deadline passes, which ends the connection and any pending read at once, and the body
 * is read in chunks against a byte limit, so a huge answer cannot eat the host app's memory.
 * The check and any later call (feedback, reports) share this one transport. */

import { NetworkError, ServerError } from "./errors.js";

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Uint8Array;
  readonly url: string;
}

export interface CallOptions {
  readonly method?: "GET" | "POST";
  readonly headers?: Record<string, string>;
  /** JSON body for a POST. */
  readonly json?: unknown;
  readonly seconds: number;
  readonly maxBytes: number;
}

function defaultPort(protocol: string): string {
  return protocol === "https:" ? "443" : "80";
}

/** Same scheme, host and port; or an upgrade from http to https on the same host. */
export function sameOrigin(a: string, b: string): boolean {
  const x = new URL(a);
  const y = new URL(b);
  const portX = x.port || defaultPort(x.protocol);
  const portY = y.port || defaultPort(y.protocol);
  if (x.hostname === y.hostname && portX === portY) return x.protocol === y.protocol;
  return x.protocol === "http:" && y.protocol === "https:" && x.hostname === y.hostname;
}

function host(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** The body as JSON; anything else is a ServerError. */
export function parseJson(body: Uint8Array, status: number | null = null): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    throw new ServerError("the server's answer is not valid JSON", status);
  }
}

export class Transport {
  private readonly fetch: FetchLike;

  constructor(fetchImpl?: FetchLike) {
    // Bound to globalThis: a browser's fetch called as a method of another object throws.
    this.fetch = fetchImpl ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** One request, read in full (at most `maxBytes`) within `seconds`. GETs follow redirects
   * only within the same origin; POSTs follow none. */
  async call(url: string, options: CallOptions): Promise<Reply> {
    const controller = new AbortController();
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      controller.abort();
    }, Math.max(options.seconds, 0) * 1000);
    const method = options.method ?? "GET";
    const headers: Record<string, string> = { ...options.headers };
    let body: string | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers["Content-Type"] = "application/json";
    }
    try {
      const response = await this.fetch(url, {
        method, headers, body, signal: controller.signal,
        redirect: method === "GET" ? "follow" : "manual",
        credentials: "omit", cache: "no-store",
      });
      if (response.type === "opaqueredirect" || (method !== "GET" && response.status >= 300
                                                 && response.status < 400)) {
        throw new ServerError("the server redirected the request; refused", response.status);
      }
      const finalUrl = response.url || url;
      if (response.redirected && !sameOrigin(url, finalUrl)) {
        controller.abort();
        throw new ServerError(
          `the server redirected to another origin (${host(finalUrl)}); refused`, response.status);
      }
      const data = await readCapped(response, options.maxBytes, controller);
      if (expired) throw new DOMException("deadline", "AbortError");
      return { status: response.status, headers: response.headers, body: data, url: finalUrl };
    } catch (error) {
      if (error instanceof ServerError) throw error;
      if (expired) {
        throw new NetworkError(`${host(url)} did not answer within ${options.seconds} s`);
      }
      const cause = (error as { cause?: { message?: string } }).cause?.message;
      throw new NetworkError(`cannot reach ${host(url)}: ${cause ?? String(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }
}

async function readCapped(response: Response, maxBytes: number,
                          controller: AbortController): Promise<Uint8Array> {
  const tooLarge = () => {
    controller.abort();
    return new ServerError(`the answer is larger than ${maxBytes} bytes; refused`,
                           response.status);
  };
  const declared = response.headers.get("Content-Length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > maxBytes) {
    throw tooLarge();
  }
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

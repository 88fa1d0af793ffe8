// A real updatesrv on loopback (test/live_server.py, SQLite) and hostile servers written
// with node:http, for the tests. Every server is stopped by the test that started it.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const ROOT = join(HERE, "..", "..");

export const WIN = "windows-x86_64";

export function python() {
  if (process.env.UPDATESRV_PYTHON) return process.env.UPDATESRV_PYTHON;
  const venv = join(ROOT, ".venv", "bin", "python");
  if (!existsSync(venv)) {
    throw new Error(`no updatesrv virtualenv at ${venv}: run 'make .venv/.installed-stamp' in `
                    + "the project root (or set UPDATESRV_PYTHON)");
  }
  return venv;
}

export function tempDir() {
  return mkdtempSync(join(tmpdir(), "updatesrv-client-js-"));
}

/** Starts updatesrv; resolves to { url, token, serverKeys, api(method, path, body), stop() }. */
export async function startUpdatesrv() {
  const child = spawn(python(), [join(HERE, "live_server.py")], {
    cwd: ROOT, stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => { stderr += chunk; });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise((resolve, reject) => {
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`updatesrv exited (${code}): ${stderr}`)));
  });
  const info = JSON.parse(first);
  const api = async (method, path, body) => {
    const response = await fetch(info.url + path, {
      method, headers: { Authorization: `Bearer ${info.token}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", resolve);
    child.stdin.end();
  });
  return { url: info.url, token: info.token, serverKeys: info.server_keys, api, stop };
}

/** A product with release 2.0.0 and 2.0.1 and a notice affecting 2.0.0 fixed in 2.0.1. */
export async function seedLedgerly(server, notice = {}) {
  await server.api("POST", "/api/v1/products", {
    slug: "ledgerly", name: "Ledgerly", support_email: "help@ledgerly.example" });
  for (const [version, n] of [["2.0.0", 1], ["2.0.1", 2]]) {
    await server.api("POST", "/api/v1/products/ledgerly/releases", {
      version, artifacts: [{ platform: WIN, url: `https://cdn.example/ledgerly-${version}.exe`,
                             size: 1000 + n, sha256: n.toString(16).padStart(64, "0") }] });
  }
  return server.api("POST", "/api/v1/products/ledgerly/notices", {
    title: "Licence expired after renewal", severity: "major", affected: ">=2.0,<2.0.1",
    status: "workaround", summary: "After renewing, the app says the licence **expired**.",
    workaround: "1. Quit Ledgerly.\n2. Delete `license.cache`.\n3. Start it again.",
    fixed_in: "2.0.1", ...notice });
}

/** A node:http server on loopback running `handler(req, res)`; resolves to { url, close }. */
export async function hostileServer(handler) {
  const sockets = new Set();
  const server = createServer(handler);
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  const close = () => new Promise((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  });
  return { url, close };
}

/** fetch, keeping every URL it was asked for (the requests really go out). */
export function recordingFetch() {
  const urls = [];
  const fetcher = (input, init) => {
    urls.push(new URL(input));
    return fetch(input, init);
  };
  fetcher.urls = urls;
  return fetcher;
}

export class Clock {
  constructor() { this.ms = Date.UTC(2026, 2, 1, 12); }
  now = () => this.ms;
}

/** For a test file: a live updatesrv seeded with Ledgerly, started before its tests and
 * stopped after them. `live.server` and `live.notice` are set once it runs. */
export function useSeededUpdatesrv() {
  const live = { server: null, notice: null };
  before(async () => {
    live.server = await startUpdatesrv();
    live.notice = await seedLedgerly(live.server);
  });
  after(() => live.server?.stop());
  return live;
}

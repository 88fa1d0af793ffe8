// UpdateClient against a real updatesrv on a loopback port (SQLite), started by this file.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { MemoryStorage, NetworkError, SignatureError, UpdateClient } from "../dist/index.js";
import { FileStorage } from "../dist/node.js";
import { Clock, recordingFetch, tempDir, useSeededUpdatesrv, WIN } from "./helpers.js";

const live = useSeededUpdatesrv();

function client(options = {}) {
  return new UpdateClient({ server: live.server.url, product: "ledgerly", version: "2.0.0",
                            platform: WIN, locale: "hu", ...options });
}

async function reach(id) {
  return live.server.api("GET", `/api/v1/products/ledgerly/notices/${id}/reach`);
}

describe("check", () => {
  test("an affected version gets the notice and the fixing update, signed", async () => {
    const fetcher = recordingFetch();
    const result = await client({ serverKeys: live.server.serverKeys, fetch: fetcher,
                                  storage: new FileStorage(tempDir()) }).check();
    assert.equal(result.error, null);
    assert.equal(result.fromCache, false);
    assert.equal(result.update.version, "2.0.1");
    assert.deepEqual(result.notices.map((n) => n.id), [live.notice.id]);
    const [shown] = result.notices;
    assert.equal(shown.fixAvailable, true);
    assert.equal(shown.supportUrl, "mailto:help@ledgerly.example");
    assert.ok(result.checkedAt instanceof Date);
    assert.deepEqual(result.product, { slug: "ledgerly", name: "ledgerly" });
    // What went over the wire: locale, platform, channel and an install id.
    const sent = fetcher.urls.at(-1).searchParams;
    assert.equal(sent.get("locale"), "hu");
    assert.equal(sent.get("platform"), WIN);
    assert.equal(sent.get("channel"), "stable");
    assert.match(sent.get("install_id"), /^[0-9a-f]{32}$/);
  });

  test("another version does not get the notice", async () => {
    const result = await client({ version: "2.0.1" }).check();
    assert.equal(result.error, null);
    assert.deepEqual(result.notices, []);
    assert.equal(result.update, null);
  });

  test("the runtime's locale is sent when none is given", async () => {
    const fetcher = recordingFetch();
    await client({ locale: undefined, fetch: fetcher }).check();
    assert.ok(fetcher.urls[0].searchParams.get("locale"));
  });

  test("a key the server does not sign with: refused, never thrown", async () => {
    const stranger = "6QvqZbznGOffJRvFw5qIbf17F/bmjQ4Gv7UoLYGMOIE=";
    const result = await client({ serverKeys: [stranger] }).check();
    assert.ok(result.error instanceof SignatureError, String(result.error));
    assert.deepEqual(result.notices, []);
    assert.equal(result.fromCache, true);
    await assert.rejects(client({ serverKeys: [stranger] }).checkOrThrow(), SignatureError);
  });

  test("an unknown product and a wrong server address say so", async () => {
    const missing = await client({ product: "nope" }).check();
    assert.equal(missing.error.name, "ProductNotFound");
    const wrong = await client({ server: `${live.server.url}/wrong` }).check();
    assert.equal(wrong.error.name, "RequestRejected");
    assert.match(wrong.error.message, /right server address/);
  });
});

describe("an unknown platform (issue 19)", () => {
  test("is refused, naming the platform this install sent and the known ids", async () => {
    const result = await client({ platform: "wndows" }).check();
    assert.equal(result.error.name, "RequestRejected");
    assert.match(result.error.message, /platform this install sent \('wndows'\)/);
    assert.match(result.error.message, new RegExp(WIN));
    assert.deepEqual(result.notices, []);
  });
});

describe("saved answers", () => {
  test("a fresh saved answer is used, then revalidated with a 304", async () => {
    const clock = new Clock();
    const fetcher = recordingFetch();
    const storage = new FileStorage(tempDir());
    const first = await client({ storage, now: clock.now, fetch: fetcher,
                                 serverKeys: live.server.serverKeys }).check();
    assert.equal(first.fromCache, false);
    clock.ms += 60_000;
    const cached = await client({ storage, now: clock.now, fetch: fetcher,
                                  serverKeys: live.server.serverKeys }).check();
    assert.equal(cached.fromCache, true);
    assert.equal(fetcher.urls.length, 1);
    clock.ms += 2 * 3600_000;
    const started = await client({ storage, now: clock.now, fetch: fetcher,
                                   serverKeys: live.server.serverKeys }).check({ onStart: true });
    assert.equal(started.fromCache, false); // revalidated: a signed 304
    assert.equal(fetcher.urls.length, 2);
    assert.deepEqual(started.notices.map((n) => n.id), [live.notice.id]);
  });

  test("offline: the saved answer, marked fromCache, with the reason", async () => {
    const storage = new FileStorage(tempDir());
    await client({ storage }).check();
    const offline = await client({ storage, server: "http://127.0.0.1:9", timeoutMs: 2000 })
      .check({ force: true });
    assert.ok(offline.error instanceof NetworkError);
    assert.equal(offline.fromCache, true);
    assert.deepEqual(offline.notices.map((n) => n.id), [live.notice.id]);
    // Nothing saved at all: an empty answer, still no exception.
    const nothing = await client({ server: "http://127.0.0.1:9", timeoutMs: 2000 }).check();
    assert.ok(nothing.error instanceof NetworkError);
    assert.deepEqual(nothing.notices, []);
    assert.equal(nothing.checkedAt, null);
  });

  test("an unverified saved answer does not count once server keys are pinned", async () => {
    const storage = new FileStorage(tempDir());
    await client({ storage }).check(); // saved without verification
    const pinned = await client({ storage, serverKeys: live.server.serverKeys,
                                  server: "http://127.0.0.1:9", timeoutMs: 2000 }).check();
    assert.deepEqual(pinned.notices, []);
    assert.ok(pinned.error instanceof NetworkError);
  });
});

describe("state across restarts", () => {
  test("install id, shown and dismissed survive a restart; a revision brings it back", async () => {
    const dir = tempDir();
    const first = client({ storage: new FileStorage(dir) });
    const result = await first.check();
    assert.deepEqual((await first.unseen(result)).map((n) => n.id), [live.notice.id]);
    await first.markShown(result.notices[0]);
    assert.deepEqual(await first.unseen(result), []);
    assert.equal((await first.undismissed(result)).length, 1); // shown is not dismissed
    await first.dismiss(result.notices[0]);
    const id = await first.installId();

    const restarted = client({ storage: new FileStorage(dir) });
    assert.equal(await restarted.installId(), id);
    const again = await restarted.check({ force: true });
    assert.deepEqual(await restarted.unseen(again), []);
    assert.deepEqual(await restarted.undismissed(again), []);

    // A separate notice, revised: it comes back for this install.
    const other = await live.server.api("POST", "/api/v1/products/ledgerly/notices", {
      title: "Export is slow", severity: "minor", affected: ">=2.0,<3" });
    const withOther = await restarted.check({ force: true });
    const fresh = withOther.notices.find((n) => n.id === other.id);
    await restarted.dismiss(fresh);
    await live.server.api("PATCH", `/api/v1/products/ledgerly/notices/${other.id}`,
                     { workaround: "Export one year at a time." });
    const revised = await client({ storage: new FileStorage(dir) }).check({ force: true });
    const back = await restarted.undismissed(revised);
    assert.deepEqual(back.map((n) => n.id), [other.id]);
    assert.equal(back[0].revision, 2);
    // Out of the way of the other tests: it no longer affects 2.0.
    await live.server.api("PATCH", `/api/v1/products/ledgerly/notices/${other.id}`,
                     { affected: "<1.0" });
  });

  test("critical notices cannot be dismissed while they apply", async () => {
    const critical = await live.server.api("POST", "/api/v1/products/ledgerly/notices", {
      title: "Data loss on save", severity: "critical", affected: "==2.0.0",
      platforms: ["linux-x86_64"] });
    const linux = client({ platform: "linux-x86_64", storage: new FileStorage(tempDir()) });
    const result = await linux.check();
    const found = result.notices.find((n) => n.id === critical.id);
    await linux.dismiss(found);
    assert.ok((await linux.unseen(result)).some((n) => n.id === critical.id));
    assert.ok((await linux.undismissed(result)).some((n) => n.id === critical.id));
  });

  test("clients starting at once on one storage agree on one install id", async () => {
    const items = new Map();
    const storage = { persistent: true, get: (k) => items.get(k) ?? null,
                      set: (k, v) => { items.set(k, v); } };
    const ids = await Promise.all([1, 2, 3, 4].map(() => client({ storage }).installId()));
    assert.equal(new Set(ids).size, 1, ids.join(" "));
  });

  test("memory storage keeps no install id and queues nothing", async () => {
    const fetcher = recordingFetch();
    const memory = client({ storage: new MemoryStorage(), fetch: fetcher });
    const result = await memory.check();
    await memory.markShown(result.notices[0]);
    await memory.check({ force: true });
    assert.equal(fetcher.urls.at(-1).searchParams.get("install_id"), null);
    assert.equal(await memory.installId(), null);
  });
});

describe("reach", () => {
  test("shown is acknowledged with the next check, even after being offline", async () => {
    const own = await live.server.api("POST", "/api/v1/products/ledgerly/notices", {
      title: "Printing fails", severity: "minor", affected: "==2.0.0", platforms: ["macos-arm64"] });
    const dir = tempDir();
    const fetcher = recordingFetch();
    const mac = (extra = {}) => client({ platform: "macos-arm64", storage: new FileStorage(dir),
                                         fetch: fetcher, ...extra });
    const result = await mac().check();
    const shown = result.notices.find((n) => n.id === own.id);
    await mac().markShown(shown);
    assert.equal((await reach(own.id)).shown, 0);
    const offline = await mac({ server: "http://127.0.0.1:9", timeoutMs: 2000 })
      .check({ force: true });
    assert.ok(offline.error instanceof NetworkError);
    await mac().check({ force: true });
    assert.equal(fetcher.urls.at(-1).searchParams.get("shown"), `${own.id}:1`);
    const counted = await reach(own.id);
    assert.equal(counted.told, 1);
    assert.equal(counted.shown, 1);
    await mac().check({ force: true });
    assert.equal(fetcher.urls.at(-1).searchParams.get("shown"), null); // sent once
  });

  test("report() votes once per install", async () => {
    const storage = new FileStorage(tempDir());
    const c = client({ storage });
    const result = await c.check();
    await c.report(result.notices[0], "workaround_failed");
    await c.report(result.notices[0], "workaround_helped");
    const counted = await reach(live.notice.id);
    assert.equal(counted.feedback.workaround_helped >= 1, true, JSON.stringify(counted));
    await assert.rejects(c.report(result.notices[0], "nonsense"), TypeError);
  });
});

// Hostile servers on loopback: the deadline holds against a dripping server, huge, deeply
// nested and ill-typed bodies are refused, and check() never throws into the app.
import assert from "node:assert/strict";
import { test } from "node:test";

import { MemoryStorage, NetworkError, ServerError, UpdateClient } from "../dist/index.js";
import { FileStorage } from "../dist/node.js";
import { hostileServer, tempDir, WIN } from "./helpers.js";

const GOOD = JSON.stringify({
  product: "ledgerly", channel: "stable",
  installed: { version: "2.0.0", known: true, yanked: false, supported: true },
  update: null, check_again_after: 86400,
  notices: [{ id: "LEDG-1", revision: 1, title: "Licence expired", severity: "major" }],
});

function client(url, options = {}) {
  return new UpdateClient({ server: url, product: "ledgerly", version: "2.0.0", platform: WIN,
                            storage: new MemoryStorage(), ...options });
}

async function against(handler, body) {
  const server = await hostileServer(handler);
  try {
    return await body(server.url);
  } finally {
    await server.close();
  }
}

test("the whole call's deadline holds against a server dripping a byte at a time", async () => {
  await against((req, res) => {
    res.writeHead(200, { "Content-Type": "application/json" });
    const drip = setInterval(() => res.write(" "), 100);
    res.on("close", () => clearInterval(drip));
  }, async (url) => {
    const started = performance.now();
    const result = await client(url, { timeoutMs: 800 }).check();
    assert.ok(result.error instanceof NetworkError, String(result.error));
    assert.match(result.error.message, /did not answer within 0.8 s/);
    // Each byte arrives well within any per-read timeout; only a whole-call deadline ends it.
    assert.ok(performance.now() - started < 5000);
  });
});

test("headers that never come end at the deadline too", async () => {
  await against(() => undefined, async (url) => {
    const result = await client(url, { timeoutMs: 500 }).check();
    assert.ok(result.error instanceof NetworkError);
  });
});

const HOSTILE = {
  "huge, declared": (req, res) => {
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": 50_000_000 });
    res.end();
  },
  "huge, streamed": (req, res) => {
    res.writeHead(200, { "Content-Type": "application/json" });
    const chunk = "[".repeat(64 * 1024);
    let sent = 0;
    const more = () => {
      while (sent < 4 * 1024 * 1024 && res.write(chunk)) sent += chunk.length;
      if (sent < 4 * 1024 * 1024) res.once("drain", more); else res.end();
    };
    more();
  },
  "deeply nested": (req, res) => res.end("[".repeat(500_000) + "]".repeat(500_000)),
  "not JSON": (req, res) => res.end("<html>captive portal</html>"),
  "not UTF-8": (req, res) => res.end(Buffer.from([0xff, 0xfe, 0x7b, 0x7d])),
  "a list": (req, res) => res.end("[]"),
  "notices not a list": (req, res) => res.end(GOOD.replace(/"notices":\[.*\]/, '"notices":"x"')),
  "revision a string": (req, res) => res.end(GOOD.replace('"revision":1', '"revision":"1"')),
  "revision negative": (req, res) => res.end(GOOD.replace('"revision":1', '"revision":-1')),
  "title missing": (req, res) => res.end(GOOD.replace('"title":"Licence expired",', "")),
  "check_again_after a string": (req, res) => res.end(GOOD.replace("86400", '"soon"')),
  "bad sha256": (req, res) => res.end(GOOD.replace('"update":null', '"update":{"version":"3",'
    + '"download":{"url":"x","size":1,"sha256":"zz"}}')),
  "a 500": (req, res) => { res.writeHead(500); res.end("boom"); },
};

for (const [name, handler] of Object.entries(HOSTILE)) {
  test(`hostile body refused: ${name}`, async () => {
    await against(handler, async (url) => {
      const result = await client(url, { timeoutMs: 10_000 }).check();
      assert.ok(result.error instanceof ServerError, `${name}: ${result.error}`);
      assert.deepEqual(result.notices, []);
    });
  });
}

test("a hostile answer after a good one: the good one stays, fromCache", async () => {
  let hostile = false;
  await against((req, res) => res.end(hostile ? "[]" : GOOD), async (url) => {
    const storage = new FileStorage(tempDir());
    assert.equal((await client(url, { storage }).check()).error, null);
    hostile = true;
    const result = await client(url, { storage }).check({ force: true });
    assert.ok(result.error instanceof ServerError);
    assert.equal(result.fromCache, true);
    assert.deepEqual(result.notices.map((n) => n.id), ["LEDG-1"]);
  });
});

test("control characters never reach the app", async () => {
  await against((req, res) => res.end(GOOD.replace("Licence expired", "Licence\\u001b[31m\\u0007")),
                async (url) => {
    const [notice] = (await client(url).check()).notices;
    assert.equal(notice.title, "Licence\ufffd[31m\ufffd");
  });
});

test("a redirect to another origin is refused; within the origin it is followed", async () => {
  await against((req, res) => res.end(GOOD), async (elsewhere) => {
    await against((req, res) => {
      if (req.url.startsWith("/api/v1/products/ledgerly/check")) {
        res.writeHead(302, { Location: `${elsewhere}${req.url}` });
      } else {
        res.writeHead(302, { Location: `/api/v1/products/ledgerly/check?moved=1` });
      }
      res.end();
    }, async (url) => {
      const result = await client(url).check();
      assert.ok(result.error instanceof ServerError);
      assert.match(result.error.message, /another origin/);
    });
  });
  await against((req, res) => {
    if (req.url.startsWith("/v2/")) return res.end(GOOD);
    res.writeHead(307, { Location: `/v2${req.url}` });
    res.end();
  }, async (url) => {
    const result = await client(url).check();
    assert.equal(result.error, null);
  });
});

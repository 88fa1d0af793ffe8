// The JavaScript client reaches every conformance vector's verdict (spec/vectors/, generated
// by the server's signing code; the Python client's tests run the same file).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { guardOffer, parseCheck, ServerTrust, UpdateCheckError } from "../dist/index.js";

const VECTORS = JSON.parse(readFileSync(new URL("../../spec/vectors/check-answers.json",
                                                import.meta.url), "utf8"));

async function verdict(vector) {
  const setup = vector.client;
  const body = new TextEncoder().encode(vector.body);
  try {
    const trust = await ServerTrust.load(setup.server_keys);
    await trust.verify(new Headers(vector.headers), body,
                       { product: setup.product, version: setup.version,
                         channel: setup.channel, platform: setup.platform },
                       setup.now, setup.highest_serial);
    const answer = guardOffer(parseCheck(JSON.parse(vector.body)), setup.version,
                              setup.allow_downgrade);
    return { verdict: "accepted", update: answer.update?.version ?? null,
             notices: answer.notices.map((n) => n.id) };
  } catch (error) {
    if (!(error instanceof UpdateCheckError)) throw error;
    return { verdict: "rejected", error: error.name };
  }
}

test("the vectors file is the one the server writes", () => {
  assert.equal(VECTORS.format, "updatesrv-check-vectors/1");
  assert.ok(VECTORS.vectors.length >= 20);
});

for (const vector of VECTORS.vectors) {
  test(`vector ${vector.name}`, async () => {
    assert.deepEqual(await verdict(vector), vector.expect, vector.description);
  });
}

// Node 18 (Electron 28's main process) has WebCrypto only as node:crypto's `webcrypto`, not
// as a global: the vectors and the live tests pass without the global too.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

test("works without a global crypto (Node 18)", () => {
  const here = fileURLToPath(new URL(".", import.meta.url));
  const run = spawnSync(process.execPath, [
    "--require", `${here}without-global-crypto.cjs`, "--test", "--test-reporter=dot",
    `${here}vectors.test.js`, `${here}live.test.js`], { encoding: "utf8", timeout: 120_000 });
  assert.equal(run.status, 0, run.stdout + run.stderr);
});

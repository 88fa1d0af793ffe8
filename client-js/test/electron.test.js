// The Electron example's main-process logic (examples/electron/notices.mjs) in plain Node
// against a live updatesrv. Electron's binary cannot be downloaded here, so its `dialog` and
// `shell` are stand-ins that record what the app asked for and answer like a person would.
import assert from "node:assert/strict";
import { test } from "node:test";

import { showNotices } from "../../examples/electron/notices.mjs";
import { UpdateClient } from "../dist/index.js";
import { FileStorage } from "../dist/node.js";
import { tempDir, useSeededUpdatesrv, WIN } from "./helpers.js";

const live = useSeededUpdatesrv();

/** Electron's dialog and shell, answering with the button labelled `press`. */
function person(press) {
  const boxes = [];
  const opened = [];
  return {
    boxes, opened,
    dialog: { showMessageBox: async (options) => {
      boxes.push(options);
      return { response: Math.max(options.buttons.indexOf(press), 0) };
    } },
    shell: { openExternal: async (url) => { opened.push(url); } },
  };
}

function client(dir, locale = "en") {
  return new UpdateClient({ server: live.server.url, product: "ledgerly", version: "2.0.0",
                            platform: WIN, locale, storage: new FileStorage(dir) });
}

test("a message box per unseen notice; Don't show this again holds after a restart", async () => {
  const dir = tempDir();
  const first = person("Don't show this again");
  const chosen = await showNotices({ client: client(dir), ...first, onUpdate: async () => {} });
  assert.deepEqual(chosen, [{ notice: live.notice.id, action: "dismiss" }]);
  const [box] = first.boxes;
  assert.equal(box.message, "Licence expired after renewal");
  assert.equal(box.type, "warning");
  assert.deepEqual(box.buttons, ["Update now", "Don't show this again", "Contact support",
                                 "Close"]);
  assert.match(box.detail, /What to do:\n1\. Quit Ledgerly\./);
  const again = person("Close");
  assert.deepEqual(await showNotices({ client: client(dir), ...again }), []);
  assert.equal(again.boxes.length, 0);
});

test("Update now hands the offered update to electron-updater; support opens the browser",
     async () => {
  const updating = person("Frissítés most");
  const asked = [];
  await showNotices({ client: client(tempDir(), "hu"), ...updating,
                      onUpdate: async (update) => { asked.push(update.version); } });
  assert.deepEqual(asked, ["2.0.1"]);
  assert.equal(updating.boxes[0].title, "Ismert hiba");
  const support = person("Contact support");
  await showNotices({ client: client(tempDir()), ...support });
  assert.deepEqual(support.opened, ["mailto:help@ledgerly.example"]);
  // Without an update handler there is no "Update now".
  assert.ok(!support.boxes[0].buttons.includes("Update now"));
});

test("offline with nothing saved: no box, no exception", async () => {
  const offline = new UpdateClient({ server: "http://127.0.0.1:9", product: "ledgerly",
                                     version: "2.0.0", platform: WIN, timeoutMs: 2000,
                                     storage: new FileStorage(tempDir()) });
  const nobody = person("Close");
  assert.deepEqual(await showNotices({ client: offline, ...nobody }), []);
});

// Electron main process: electron-updater on updatesrv's electron feed for updates, the
// updatesrv client for known issues (message boxes here, or the <updatesrv-notices>
// element in the window: renderer/index.html). See docs/integrating/electron.md.
import { app, BrowserWindow, dialog, ipcMain, shell } from "electron";
import electronUpdater from "electron-updater";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { UpdateClient } from "updatesrv-client";
import { FileStorage, nodePlatform } from "updatesrv-client/node";

import { showNotices } from "./notices.mjs";

const { autoUpdater } = electronUpdater;
const SERVER = "https://updates.example.com";
const PRODUCT = "ledgerly";
// From GET /api/v1/keys, pinned at build time: answers must be signed by this key.
const SERVER_KEYS = process.env.UPDATESRV_SERVER_KEYS?.split(",") ?? [];
// Where known issues appear: "window" (the <updatesrv-notices> banner and dialog in the
// renderer) or "boxes" (native message boxes from this process). One of them, not both:
// each keeps its own "don't show this again".
const NOTICES = process.env.LEDGERLY_NOTICES === "boxes" ? "boxes" : "window";
const here = fileURLToPath(new URL(".", import.meta.url));

app.whenReady().then(async () => {
  const window = new BrowserWindow({
    width: 1100, height: 720,
    webPreferences: { preload: join(here, "preload.cjs"), contextIsolation: true,
                      sandbox: true },
  });
  // Links in notices open in the browser, never inside the app.
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (/^(https?:|mailto:)/i.test(url)) void shell.openExternal(url);
    return { action: "deny" };
  });

  // Updates: electron-builder.yml publishes to
  //   { provider: generic, url: "https://updates.example.com/u/ledgerly/electron/?version=${version}" }
  autoUpdater.autoDownload = false;
  const install = async () => {
    await autoUpdater.checkForUpdates();
    await autoUpdater.downloadUpdate();
    autoUpdater.quitAndInstall();
  };
  ipcMain.handle("updatesrv:update", install);
  ipcMain.handle("updatesrv:info", () => ({ version: app.getVersion(), platform: nodePlatform(),
                                            locale: app.getLocale(), notices: NOTICES }));

  await window.loadFile(join(here, "renderer", "index.html"));
  if (NOTICES !== "boxes") return;
  // Known issues as message boxes, for what this install has not seen yet.
  const client = new UpdateClient({
    server: SERVER, product: PRODUCT, version: app.getVersion(), platform: nodePlatform(),
    locale: app.getLocale(), serverKeys: SERVER_KEYS,
    storage: new FileStorage(join(app.getPath("userData"), "updatesrv")),
  });
  await showNotices({ client, dialog, shell, window, onUpdate: install });
});

app.on("window-all-closed", () => app.quit());

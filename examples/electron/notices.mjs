// The main-process half of showing notices in an Electron app, kept free of `require
// ("electron")` so it runs (and is tested, client-js/test/electron.test.js) in plain Node:
// main.mjs passes Electron's `dialog` and `shell` in.

const SAFE_LINK = /^(https?:\/\/|mailto:)/i;
const RANK = { critical: 0, major: 1, minor: 2, info: 3 };
const BOX_TYPE = { critical: "error", major: "warning", minor: "info", info: "info" };

export const STRINGS = {
  en: { title: "Known issue", workaround: "What to do:", fixReady: "Fixed in {version}.",
        updateNow: "Update now", dontShow: "Don't show this again", support: "Contact support",
        close: "Close" },
  hu: { title: "Ismert hiba", workaround: "Teendők:", fixReady: "Javítva: {version}.",
        updateNow: "Frissítés most", dontShow: "Ne mutassa többé",
        support: "Ügyfélszolgálat", close: "Bezárás" },
};

function words(locale) {
  return STRINGS[String(locale).toLowerCase().split(/[-_]/)[0]] ?? STRINGS.en;
}

/** One message box per notice this install has not seen at its current revision, most
 * severe first. Vendor text goes into a message box as plain text (never HTML). Returns
 * what the person chose for each: "update", "dismiss", "support" or "close". */
export async function showNotices({ client, dialog, shell, window = null, onUpdate,
                                    locale = client.locale }) {
  const result = await client.check({ onStart: true }); // never throws
  const s = words(locale);
  const unseen = (await client.unseen(result))
    .sort((a, b) => (RANK[a.severity] ?? 9) - (RANK[b.severity] ?? 9));
  const choices = [];
  for (const notice of unseen) {
    const buttons = [];
    const actions = [];
    if (notice.fixAvailable && result.update && onUpdate) {
      buttons.push(s.updateNow);
      actions.push("update");
    }
    if (notice.severity !== "critical") {
      buttons.push(s.dontShow);
      actions.push("dismiss");
    }
    if (notice.supportUrl && SAFE_LINK.test(notice.supportUrl)) {
      buttons.push(s.support);
      actions.push("support");
    }
    buttons.push(s.close);
    actions.push("close");
    const detail = [notice.summary,
                    notice.workaround && `${s.workaround}\n${notice.workaround}`,
                    notice.fixedIn && s.fixReady.replace("{version}", notice.fixedIn)]
      .filter(Boolean).join("\n\n");
    const options = { type: BOX_TYPE[notice.severity] ?? "info", title: s.title,
                      message: notice.title, detail, buttons, defaultId: 0,
                      cancelId: buttons.length - 1, noLink: true };
    const { response } = window ? await dialog.showMessageBox(window, options)
      : await dialog.showMessageBox(options);
    await client.markShown(notice); // reach: the person saw it
    const action = actions[response] ?? "close";
    choices.push({ notice: notice.id, action });
    if (action === "dismiss") await client.dismiss(notice);
    if (action === "support") await shell.openExternal(notice.supportUrl);
    if (action === "update") {
      await onUpdate(result.update);
      break; // the app is about to update: no more boxes
    }
  }
  return choices;
}

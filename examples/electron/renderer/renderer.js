// The element learns what is installed from the main process (preload.cjs); "Update now"
// asks the main process to download and install.
const notices = document.querySelector("updatesrv-notices");
const { version, platform, locale, notices: where } = await window.updates.info();
if (where !== "window") notices.remove(); // the main process shows message boxes instead
notices.setAttribute("locale", locale);
notices.setAttribute("platform", platform);
notices.setAttribute("version", version); // the last one: the element checks now
notices.addEventListener("updatesrv-update", () => window.updates.install());

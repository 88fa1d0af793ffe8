"""<updatesrv-notices> (client-js) in real Chromium against a live updatesrv. The page is
served from another origin, as an Electron renderer (file://) or a Tauri webview would be,
so every call also proves the public endpoints' CORS. Screenshots at 390 and 1280 px in
Hungarian and English go to test-artifacts/browser/."""

from __future__ import annotations

import functools
import html
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..conftest import LiveServer, artifact, publish
from .artifacts import artifact_dir

pytestmark = pytest.mark.browser

BUNDLE = Path(__file__).resolve().parents[2] / "client-js" / "dist" / "browser" / \
    "updatesrv-notices.js"
WIN = "windows-x86_64"
HOSTILE = ("<script>window.pwned = 1</script> <img src=x onerror=\"window.pwned = 2\">\n\n"
           "[Click me](javascript:window.pwned=3) [Or me](JAVASCRIPT:window.pwned=4) "
           "<a href=\"javascript:window.pwned=5\">raw link</a> "
           "![pixel](https://tracker.example/p.png) [Help](https://help.example/ok)")


class Pages:
    """A static server on its own loopback origin for the test pages and the bundle."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=folder)
        handler.log_message = lambda *a: None  # type: ignore[assignment]
        self.folder = folder
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        (folder / "updatesrv-notices.js").write_bytes(BUNDLE.read_bytes())

    def page(self, name: str, server: str, version: str, locale: str = "en",
             platform: str = WIN, **extra: str) -> str:
        attributes = " ".join(f'{k.replace("_", "-")}="{html.escape(v)}"' for k, v in {
            "server": server, "product": "ledgerly", "version": version, "platform": platform,
            "locale": locale, "product-name": "Ledgerly", **extra}.items())
        (self.folder / f"{name}.html").write_text(f"""<!doctype html>
<html lang="{locale}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ledgerly</title><link rel="icon" href="data:,">
<script type="module" src="updatesrv-notices.js"></script>
<style>body {{ margin: 0; font-family: system-ui, sans-serif; }} main {{ padding: 1rem; }}</style>
</head><body>
<updatesrv-notices {attributes}></updatesrv-notices>
<main><h1>Ledgerly</h1><p>Invoices, ledgers and reports.</p></main>
<script>
  window.updateAsked = null;
  document.querySelector("updatesrv-notices").addEventListener("updatesrv-update",
    (event) => {{ window.updateAsked = event.detail.update.version; }});
  document.querySelector("updatesrv-notices").addEventListener("updatesrv-result",
    () => {{ window.checked = (window.checked || 0) + 1; }});
</script></body></html>""", encoding="utf-8")
        return f"{self.url}/{name}.html"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def pages(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Pages]:
    if not BUNDLE.exists():
        if shutil.which("node") is None and not request.config.getoption("--require-browser"):
            pytest.skip("the element needs Node.js to be built (client-js); not installed")
        pytest.fail(f"{BUNDLE} is missing: build client-js first (make test-js)")
    served = Pages(tmp_path / "pages")
    yield served
    served.close()


@pytest.fixture
def ledgerly(api: Any, product: str) -> dict[str, Any]:
    api.patch("/api/v1/products/ledgerly", json={"support_email": "help@ledgerly.example",
                                                 "support_url": None})
    publish(api, product, "2.0.0", artifacts=[artifact(WIN, 1)])
    publish(api, product, "2.0.1", artifacts=[artifact(WIN, 2)])
    response = api.post("/api/v1/products/ledgerly/notices", json={
        "title": "Licence expired after renewal", "severity": "major",
        "affected": ">=2.0,<2.0.1", "status": "workaround", "fixed_in": "2.0.1",
        "summary": "After renewing, the app says the licence **expired** and locks the "
                   "ledger.",
        "workaround": "1. Quit Ledgerly.\n2. Delete `license.cache` from the app folder.\n"
                      "3. Start Ledgerly again."})
    assert response.status_code == 201, response.json
    return response.json


def wait_checked(page: Any) -> None:
    page.wait_for_function("window.checked >= 1")


def banner(page: Any) -> Any:
    return page.locator("updatesrv-notices section.banner")


def test_affected_version_sees_the_notice_and_another_does_not(page, live_server: LiveServer,
                                                               ledgerly, pages):
    page.goto(pages.page("affected", live_server.url, "2.0.0"))
    wait_checked(page)
    assert banner(page).is_visible()
    assert "Major known issue: Licence expired after renewal" in banner(page).inner_text()
    assert banner(page).get_attribute("aria-label") == "Known issues"
    page.goto(pages.page("fixed", live_server.url, "2.0.1"))
    wait_checked(page)
    assert not banner(page).is_visible()
    assert page.console_errors == []


def test_dialog_update_now_and_dismiss_persist_across_reloads(page, live_server, ledgerly,
                                                              pages, api):
    page.goto(pages.page("dialog", live_server.url, "2.0.0"))
    wait_checked(page)
    # Keyboard only: Tab to "What to do…", Enter opens the dialog, Escape closes it.
    page.locator("updatesrv-notices section.banner button.primary").focus()
    page.keyboard.press("Enter")
    dialog = page.locator("updatesrv-notices dialog")
    assert dialog.is_visible()
    heading_id = dialog.get_attribute("aria-labelledby")
    assert page.locator(f"updatesrv-notices #{heading_id}").inner_text() == "Major known issue"
    steps = dialog.locator(".steps ol li").all_inner_texts()
    assert steps == ["Quit Ledgerly.", "Delete license.cache from the app folder.",
                     "Start Ledgerly again."]
    assert "Fixed in 2.0.1: version 2.0.1 is ready for you." in dialog.inner_text()
    assert dialog.locator("a[href='mailto:help@ledgerly.example']").is_visible()
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    # "Update now" hands the offered update to the app.
    page.locator("updatesrv-notices section.banner button.primary").click()
    dialog.locator("button.update").first.click()
    assert page.evaluate("window.updateAsked") == "2.0.1"
    # "Don't show this again", then reload: gone, and still gone after another reload.
    page.locator("updatesrv-notices section.banner button.primary").click()
    dialog.locator("label.dont-show").click()
    dialog.locator("footer button", has_text="Close").click()
    page.wait_for_function(
        "document.querySelector('updatesrv-notices').shadowRoot"
        ".querySelector('section.banner').hidden")
    for _ in range(2):
        page.reload()
        wait_checked(page)
        assert not banner(page).is_visible()
    reach = api.get(f"/api/v1/products/ledgerly/notices/{ledgerly['id']}/reach").json
    assert (reach["told"], reach["shown"]) == (1, 0)  # one install; its next check says "shown"
    # The vendor revises the workaround: it is news again.
    api.patch(f"/api/v1/products/ledgerly/notices/{ledgerly['id']}",
              json={"workaround": "1. Quit Ledgerly.\n2. Reinstall it."})
    page.evaluate("document.querySelector('updatesrv-notices').refresh({force: true})")
    page.wait_for_function("window.checked >= 2")
    assert banner(page).is_visible()
    reach = api.get(f"/api/v1/products/ledgerly/notices/{ledgerly['id']}/reach").json
    assert (reach["told"], reach["shown"]) == (1, 1)


def test_banner_dismiss_and_no_update_button_without_a_fix(page, live_server, api, product,
                                                           pages):
    publish(api, product, "3.0.0")
    response = api.post("/api/v1/products/ledgerly/notices", json={
        "title": "Charts are blank", "severity": "minor", "affected": ">=3.0,<3.0.1",
        "fixed_in": "3.0.1", "workaround": "Use the table view."})
    assert response.status_code == 201, response.json
    page.goto(pages.page("nofix", live_server.url, "3.0.0"))
    wait_checked(page)
    page.locator("updatesrv-notices section.banner button.primary").click()
    dialog = page.locator("updatesrv-notices dialog")
    assert "Fixed in 3.0.1." in dialog.inner_text()
    assert dialog.locator("button.update").count() == 0
    dialog.locator("footer button").click()
    page.locator("updatesrv-notices section.banner button", has_text="Dismiss").click()
    assert not banner(page).is_visible()
    page.reload()
    wait_checked(page)
    assert not banner(page).is_visible()


def test_hostile_markdown_renders_inert(page, live_server, api, product, pages):
    publish(api, product, "4.0.0")
    response = api.post("/api/v1/products/ledgerly/notices", json={
        "title": "<img src=x onerror=\"window.pwned = 9\">Title", "severity": "major",
        "affected": ">=4.0,<5", "summary": HOSTILE, "workaround": HOSTILE})
    assert response.status_code == 201, response.json
    page.goto(pages.page("hostile", live_server.url, "4.0.0"))
    wait_checked(page)
    page.locator("updatesrv-notices section.banner button.primary").click()
    dialog = page.locator("updatesrv-notices dialog")
    assert dialog.is_visible()
    for link in dialog.locator("a", has_text="Click me").all() + dialog.locator(
            "a", has_text="Or me").all():
        link.click()
    shadow = "document.querySelector('updatesrv-notices').shadowRoot"
    assert page.evaluate(f"{shadow}.querySelectorAll('script, img, iframe, [onerror]').length") == 0
    hrefs = page.evaluate(f"[...{shadow}.querySelectorAll('a[href]')].map(a => a.href)")
    assert hrefs and all(h.startswith(("https://", "http://", "mailto:")) for h in hrefs), hrefs
    assert "https://help.example/ok" in hrefs
    text = dialog.inner_text()
    assert "<script>window.pwned = 1</script>" in text  # shown as text, never run
    assert '<img src=x onerror="window.pwned = 9">Title' in text
    assert page.evaluate("window.pwned") is None
    assert page.evaluate("document.querySelectorAll('img, script:not([type=module])').length") == 1


def test_open_unseen_opens_once_and_critical_every_start(page, live_server, ledgerly, api,
                                                        pages):
    url = pages.page("unseen", live_server.url, "2.0.0", open_unseen="")
    page.goto(url)
    wait_checked(page)
    dialog = page.locator("updatesrv-notices dialog")
    assert dialog.is_visible()
    page.keyboard.press("Escape")
    page.reload()
    wait_checked(page)
    assert not dialog.is_visible() and banner(page).is_visible()  # seen: banner only
    api.post("/api/v1/products/ledgerly/notices", json={
        "title": "Saving loses the last entry", "severity": "critical",
        "affected": "==2.0.0"})
    for _ in range(2):
        page.evaluate("localStorage.removeItem('updatesrv:results')")  # as after an hour
        page.reload()
        wait_checked(page)
        assert dialog.is_visible()
        assert "Saving loses the last entry" in dialog.inner_text()
        assert "Critical" in banner(page).inner_text()
        page.keyboard.press("Escape")


def test_right_to_left_locale(page, live_server, ledgerly, pages, api, request):
    api.patch(f"/api/v1/products/ledgerly/notices/{ledgerly['id']}",
              json={"title": "הרישיון פג לאחר החידוש"})
    page.set_viewport_size({"width": 390, "height": 860})
    page.goto(pages.page("rtl", live_server.url, "2.0.0", locale="he"))
    wait_checked(page)
    assert banner(page).get_attribute("dir") == "rtl"
    page.locator("updatesrv-notices section.banner button.primary").click()
    dialog = page.locator("updatesrv-notices dialog")
    assert dialog.get_attribute("dir") == "rtl"
    # Mirrored: the buttons sit at the left end of the footer, the list numbers on the right.
    close = dialog.locator("footer button").last.bounding_box()
    assert close is not None and close["x"] < 390 / 2
    page.screenshot(path=str(artifact_dir(request.node.name) / "dialog-rtl.png"))


@pytest.mark.parametrize("locale", ["en", "hu"])
@pytest.mark.parametrize("width", [390, 1280])
def test_screenshots(browser, live_server, ledgerly, pages, locale, width, request):
    folder = artifact_dir(request.node.name)
    errors: list[str] = []
    for scheme in ("light", "dark"):
        context = browser.new_context(viewport={"width": width, "height": 860},
                                      locale=locale, color_scheme=scheme)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(pages.page(f"shot-{locale}-{width}-{scheme}", live_server.url, "2.0.0",
                             locale=locale))
        page.wait_for_function("window.checked >= 1")
        page.screenshot(path=str(folder / f"banner-{scheme}.png"))
        page.locator("updatesrv-notices section.banner button.primary").click()
        dialog = page.locator("updatesrv-notices dialog")
        text = dialog.inner_text()
        if locale == "hu":
            assert "Súlyos ismert hiba" in text and "Teendők" in text
            assert "Javítva a 2.0.1-es verzióban: a 2.0.1-es verzió már letölthető." in text
            assert "Ne mutassa többé" in text
        # Nothing wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        box = dialog.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        page.screenshot(path=str(folder / f"dialog-{scheme}.png"))
        assert errors == []
        context.close()

"""The licence story replayed by a vendor in real Chromium, making each mistake that used
to let a notice or a release silently miss its installs. Each one is caught with a message
next to the field it concerns. Screenshots are kept as artifacts of the test run."""

from __future__ import annotations

import re

import pytest
import requests

from ..conftest import LiveServer, make_vendor
from .artifacts import artifact_dir

pytestmark = pytest.mark.browser


def field_error(page, field_id: str) -> str:
    """The message shown next to a field (its error paragraph, or the fieldset's)."""
    locator = page.locator(f"#{field_id}-error")
    locator.first.wait_for()
    return locator.first.inner_text()


def test_each_mistake_is_caught_next_to_its_field(app, browser, page, request, tmp_path):
    shots = artifact_dir(request.node.name)

    def shot(name):
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

    make_vendor(app, "acme", email="owner@acme.example")
    with LiveServer(app) as server:
        base = server.url
        page.goto(f"{base}/console/")
        page.get_by_label("E-mail").fill("owner@acme.example")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.get_by_label("Slug").fill("ledgerly")
        page.get_by_label("Name").fill("Ledgerly")
        page.get_by_role("button", name="Create product").click()
        page.wait_for_url(f"{base}/console/acme/p/ledgerly/")
        # A new product: a checklist, no red stop buttons.
        assert page.get_by_role("heading", name="Getting started").is_visible()
        assert page.get_by_role("button", name=re.compile("^Stop ")).count() == 0
        shot("1-new-product-dashboard")

        # Release 2.0.0, with a platform id that is not in the registry (an old form or a
        # hand-edited page: the console offers only known ids, the server checks anyway).
        page.get_by_role("link", name="New release").first.click()
        page.get_by_label("Version").fill("2.0.0")
        page.get_by_role("button", name="Save as draft").click()
        page.wait_for_url(re.compile(r".*/releases/2\.0\.0$"))
        # Nothing to publish yet: the button is disabled and looks it.
        publish_button = page.get_by_role("button", name="Publish")
        assert publish_button.is_disabled()
        assert publish_button.evaluate("b => getComputedStyle(b).cursor") == "not-allowed"
        assert publish_button.evaluate("b => getComputedStyle(b).backgroundColor") == \
            "rgb(208, 215, 222)"
        installer = tmp_path / "ledgerly-2.0.0.msi"
        installer.write_bytes(b"MSI" * 10_000)
        form = page.locator("form[data-upload]")
        form.get_by_label("File").set_input_files(str(installer))
        form.locator("select").evaluate(
            "s => { s.add(new Option('windows', 'windows')); s.value = 'windows'; }")
        form.get_by_role("button", name="Upload").click()
        assert "Not a valid choice" in field_error(page, "up-platform")
        shot("2-platform-typo")
        # An empty file (a build step that wrote nothing): refused, never publishable.
        empty = tmp_path / "ledgerly-2.0.0-empty.msi"
        empty.write_bytes(b"")
        form = page.locator("form[data-upload]")
        form.get_by_label("Platform").select_option("windows-x86_64")
        form.get_by_label("File").set_input_files(str(empty))
        form.get_by_role("button", name="Upload").click()
        assert "empty" in field_error(page, "up-file")
        shot("2b-empty-file")
        form = page.locator("form[data-upload]")
        form.get_by_label("Platform").select_option("windows-x86_64")
        form.get_by_label("File").set_input_files(str(installer))
        form.get_by_role("button", name="Upload").click()
        page.get_by_text("Uploaded ledgerly-2.0.0.msi").wait_for()
        page.get_by_role("button", name="Publish").click()
        page.get_by_text("Published 2.0.0").wait_for()

        # The notice: no severity chosen, then a fix inside the affected range.
        page.goto(f"{base}/console/acme/p/ledgerly/notices/new")
        long_title = "Licence expired after renewal " + "x" * 270  # pasted by mistake
        page.get_by_label("Title").fill(long_title)
        # The counter near the field says how much is too much before the vendor saves.
        counter = page.locator("#title-count")
        assert counter.is_visible()
        assert counter.inner_text() == "300 of 120 characters: 180 too many"
        page.get_by_label("Status").select_option("workaround")
        page.get_by_label("Affected versions").fill("2.0.0")  # a bare version is fine
        page.get_by_label("Windows (64-bit)").check()
        page.get_by_label("Workaround").fill("Delete `license.cache`, then start Ledgerly.")
        page.get_by_label("Fixed in").fill("2.0.0")
        page.locator("h1").click()
        page.get_by_role("button", name="Save draft").click()
        assert "Choose a severity" in field_error(page, "severity")
        # Never cut to fit: refused, naming the limit, with the whole text still there.
        assert "120" in field_error(page, "title")
        assert page.get_by_label("Title").input_value() == long_title
        shot("3-no-severity-and-long-title")
        page.get_by_label("Title").fill("Licence expired after renewal")
        assert page.locator("#title-count").is_hidden()  # far from the limit: no counter
        page.get_by_label("Severity").select_option("major")
        page.get_by_role("button", name="Save draft").click()
        assert "itself affected" in field_error(page, "fixed_in")
        shot("4-fixed-in-inside-range")
        page.get_by_label("Fixed in").fill("2.0.1")
        page.locator("h1").click()
        page.get_by_role("button", name="Show matching versions").click()
        page.get_by_text("1 published version match").wait_for()
        page.get_by_role("button", name="Save draft").click()
        page.get_by_text("Draft: nobody sees it yet").wait_for()
        notice_id = page.url.rstrip("/").rsplit("/", 1)[1]
        assert page.locator("#reach").inner_text().startswith("0 active installs")
        shot("5-draft-preview")

        check = requests.get(f"{base}/api/v1/products/ledgerly/check", timeout=10, params={
            "version": "2.0.0", "platform": "windows-x86_64"}).json()
        assert check["notices"] == []  # a draft tells nobody
        page.get_by_role("button", name=f"Publish {notice_id}").click()
        page.get_by_text(f"Published {notice_id}").wait_for()
        check = requests.get(f"{base}/api/v1/products/ledgerly/check", timeout=10, params={
            "version": "2.0.0", "platform": "windows-x86_64"}).json()
        assert [n["id"] for n in check["notices"]] == [notice_id]
        assert "affected ==2.0.0" not in page.content()

        # The public pages speak plainly and link notice and release both ways.
        page.goto(f"{base}/p/ledgerly/known-issues/")
        page.get_by_label("Your version of Ledgerly").fill("two point oh")
        page.get_by_role("button", name="Check").click()
        error = page.locator(".affected-result .alert-error").inner_text()
        assert "does not look like a version number" in error and "PEP" not in error
        page.get_by_label("Your version of Ledgerly").fill("2.0.0")
        page.get_by_label("Your computer").select_option(label="Windows (64-bit)")
        page.get_by_role("button", name="Check").click()
        page.get_by_text("1 known issue affects Ledgerly 2.0.0 on Windows (64-bit)").wait_for()
        shot("6-am-i-affected")
        page.goto(f"{base}/p/ledgerly/releases/2.0.0")
        page.get_by_role("link", name="Licence expired after renewal").click()
        page.wait_for_url(re.compile(rf".*/known-issues/{notice_id}$"))
        assert page.get_by_role("link", name="2.0.0", exact=True).is_visible()
        assert not page.locator("details.tech").evaluate("d => d.open")
        shot("7-public-notice")

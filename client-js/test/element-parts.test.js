// The element's pieces that need no browser: Markdown stays inert, Hungarian versions take
// the right article and suffix. (The element itself runs in Chromium:
// tests/browser/test_notices_element.py.)
import assert from "node:assert/strict";
import { test } from "node:test";

import { markdownToHtml } from "../dist/markdown.js";
import { hungarianVersion, hungarianVersionPhrase } from "../dist/strings.js";

test("vendor Markdown never becomes HTML, a script, an image or a javascript: link", () => {
  const out = markdownToHtml("<script>alert(1)</script> <img src=x onerror=alert(1)>\n\n"
    + "[a](javascript:alert(1)) [b](JaVaScRiPt:alert(1)) [c](data:text/html,x) "
    + "[d](vbscript:x) ![e](https://t.example/p.png) [ok](https://help.example/)\n\n"
    + "1. one\n2. two");
  assert.ok(!out.includes("<script"), out);
  assert.ok(!out.includes("<img"), out);
  assert.ok(!/href="(?!https:\/\/help\.example\/)/.test(out), out);
  assert.ok(out.includes("&lt;script&gt;"));
  assert.ok(out.includes('<a href="https://help.example/">ok</a>'));
  assert.ok(out.includes("<ol>\n<li>one</li>"));
});

test("Hungarian version suffixes follow the last spoken word", () => {
  const cases = { "2.0.1": "2.0.1-es", "2.0.3": "2.0.3-as", "1.5": "1.5-ös", "1.6": "1.6-os",
                  "2.10": "2.10-es", "2.20": "2.20-as", "2.100": "2.100-as", "2.0": "2.0-s",
                  "2024.1000": "2024.1000-es", "2.0.8": "2.0.8-as", "beta": "beta" };
  for (const [version, expected] of Object.entries(cases)) {
    assert.equal(hungarianVersion(version), expected, version);
  }
  assert.equal(hungarianVersionPhrase("2.0.1"), "a 2.0.1-es");
  assert.equal(hungarianVersionPhrase("1.0"), "az 1.0-s");
  assert.equal(hungarianVersionPhrase("5.2"), "az 5.2-es");
});

/** Vendor Markdown, safe by construction: markdown-it (a well-kept CommonMark renderer)
 * with raw HTML off, images as their description and only http(s) and mailto links, then a walk over the
 * result that keeps only the elements Markdown makes and only `href` attributes. Vendor
 * text never becomes live HTML, a script, an event handler or a `javascript:` link. */

import MarkdownIt from "markdown-it";

const SAFE_LINK = /^(https?:\/\/|mailto:)/i;
const ALLOWED = new Set(["P", "OL", "UL", "LI", "STRONG", "EM", "CODE", "PRE", "A",
                         "BLOCKQUOTE", "BR", "HR", "H1", "H2", "H3", "H4", "H5", "H6", "S",
                         "TABLE", "THEAD", "TBODY", "TR", "TH", "TD"]);

const md = new MarkdownIt({ html: false, linkify: false, typographer: false });
// No remote content (tracking pixels) inside an app: an image shows its description.
md.renderer.rules.image = (tokens, index) =>
  md.utils.escapeHtml(tokens[index]?.content ?? "");
md.validateLink = (url: string) => SAFE_LINK.test(url.trim());

/** `text` as Markdown HTML (a string, for tests and server-side use). */
export function markdownToHtml(text: string): string {
  return md.render(text);
}

function clean(node: Node, doc: Document): void {
  for (const child of Array.from(node.childNodes)) {
    if (child.nodeType === 3) continue; // text
    if (child.nodeType !== 1 || !ALLOWED.has((child as Element).tagName)) {
      // Anything unexpected becomes its text, inert.
      node.replaceChild(doc.createTextNode(child.textContent ?? ""), child);
      continue;
    }
    const element = child as Element;
    for (const attribute of Array.from(element.attributes)) {
      if (!(element.tagName === "A" && attribute.name === "href")) {
        element.removeAttribute(attribute.name);
      }
    }
    if (element.tagName === "A") {
      const href = element.getAttribute("href") ?? "";
      if (!SAFE_LINK.test(href.trim())) element.removeAttribute("href");
      element.setAttribute("target", "_blank");
      element.setAttribute("rel", "noopener noreferrer");
    }
    clean(element, doc);
  }
}

/** `text` as Markdown, in a fragment of inert elements for `doc`. */
export function renderMarkdown(text: string, doc: Document = document): DocumentFragment {
  const template = doc.createElement("template");
  template.innerHTML = md.render(text); // parsed inert: a template's content never runs
  clean(template.content, doc);
  return doc.importNode(template.content, true);
}

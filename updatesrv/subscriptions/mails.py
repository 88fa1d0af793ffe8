"""What subscription mails say: plain text plus an HTML alternative rendered with the same
sanitised Markdown as the public pages."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from ..markdown import render_markdown
from ..notices.models import Notice
from ..products.models import Product
from .models import Subscription

_env = Environment(loader=PackageLoader("updatesrv", "templates/mail"),
                   autoescape=select_autoescape(["html"]), trim_blocks=True,
                   lstrip_blocks=True, keep_trailing_newline=True)
_env.filters["markdown"] = render_markdown

SUBJECTS = {
    "notice.published": "[{product}] Known issue: {title}",
    "notice.updated": "[{product}] Update on a known issue: {title}",
    "notice.fixed": "[{product}] Fixed in {fixed_in}: {title}",
}


def _render(name: str, **context: Any) -> tuple[str, str]:
    text = _env.get_template(f"{name}.txt").render(**context)
    html = _env.get_template(f"{name}.html").render(**context)
    return text, html


def describe_filter(sub: Subscription, notice_title: str | None = None) -> str:
    parts = []
    if sub.notice_id is not None:
        parts.append(f"the known issue “{notice_title}”" if notice_title
                     else "one known issue")
    else:
        parts.append("every known issue")
    if sub.version:
        parts.append(f"that affects version {sub.version}")
    if sub.platform:
        parts.append(f"on {sub.platform}")
    return " ".join(parts)


def confirmation_mail(product: Product, sub: Subscription, notice: Notice | None,
                      confirm_url: str) -> dict[str, Any]:
    what = describe_filter(sub, notice.title if notice else None)
    text, html = _render("confirm", product=product.name, what=what, url=confirm_url)
    return {"subject": f"[{product.name}] Confirm your e-mail updates", "text": text,
            "html": html}


def notice_mail(kind: str, notice: dict[str, Any], product_name: str, what: str,
                unsubscribe_url: str) -> dict[str, Any]:
    """``notice`` is the event's snapshot (notices.services.notice_to_dict shape)."""
    subject = SUBJECTS[kind].format(product=product_name, title=notice["title"],
                                    fixed_in=notice.get("fixed_in") or "a new version")
    latest = notice["timeline"][-1] if notice.get("timeline") else None
    text, html = _render("notice", kind=kind, n=notice, product=product_name, what=what,
                         latest=latest, unsubscribe_url=unsubscribe_url)
    return {"subject": subject, "text": text, "html": html,
            "headers": {"List-Unsubscribe": f"<{unsubscribe_url}>",
                        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}}

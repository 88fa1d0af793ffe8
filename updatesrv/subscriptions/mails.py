"""What subscription mails say: plain text plus an HTML alternative rendered with the same
sanitised Markdown as the public pages, in the subscriber's language (recorded when they
subscribed). Mails are rendered outside requests (the outbox drain), so the locale is named
explicitly with ``use_locale``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from ..i18n import gettext, use_locale
from ..i18n.catalogs import template_gettext, template_ngettext
from ..i18n.content import NOTICE_TEXT_FIELDS, best_locale, localized
from ..i18n.formats import datetime_text
from ..i18n.words import affected_text, severity_name, status_name
from ..markdown import render_markdown
from ..notices.models import Notice
from ..products.models import Product
from ..products.platforms import platform_name
from .models import Subscription

_env = Environment(loader=PackageLoader("updatesrv", "templates/mail"),
                   autoescape=select_autoescape(["html"]), trim_blocks=True,
                   lstrip_blocks=True, keep_trailing_newline=True,
                   extensions=["jinja2.ext.i18n"])
_env.install_gettext_callables(template_gettext, template_ngettext, newstyle=True)  # type: ignore[attr-defined]
_env.filters["markdown"] = render_markdown
_env.filters["severity_name"] = severity_name
_env.filters["status_name"] = status_name
_env.filters["affected_text"] = affected_text
_env.filters["platform_name"] = lambda platform: platform_name(None, platform, gettext)
_env.filters["when"] = lambda text: datetime_text(dt.datetime.fromisoformat(text)) if text else ""


def _render(name: str, **context: Any) -> tuple[str, str]:
    text = _env.get_template(f"{name}.txt").render(**context)
    html = _env.get_template(f"{name}.html").render(**context)
    return text, html


def describe_filter(sub: Subscription, notice_title: str | None = None) -> str:
    """What the subscriber asked for, as one phrase of the mail's sentences (in the
    current locale; call inside ``use_locale``)."""
    if sub.notice_id is not None:
        what = (gettext("the known issue “%(title)s”", title=notice_title) if notice_title
                else gettext("one known issue"))
    else:
        what = gettext("every known issue")
    if sub.version and sub.platform:
        return gettext("%(what)s that affects version %(version)s on %(platform)s", what=what,
                       version=sub.version, platform=platform_name(None, sub.platform, gettext))
    if sub.version:
        return gettext("%(what)s that affects version %(version)s", what=what,
                       version=sub.version)
    if sub.platform:
        return gettext("%(what)s on %(platform)s", what=what,
                       platform=platform_name(None, sub.platform, gettext))
    return what


def confirmation_mail(product: Product, sub: Subscription, notice: Notice | None,
                      confirm_url: str) -> dict[str, Any]:
    with use_locale(sub.locale) as locale:
        what = describe_filter(sub, notice.title if notice else None)
        text, html = _render("confirm", product=product.name, what=what, url=confirm_url,
                             lang=locale)
        subject = gettext("[%(product)s] Confirm your e-mail updates", product=product.name)
    return {"subject": subject, "text": text, "html": html}


def notice_subject(kind: str, product_name: str, notice: dict[str, Any]) -> str:
    if kind == "notice.fixed":
        if notice.get("fixed_in"):
            return gettext("[%(product)s] Fixed in %(version)s: %(title)s",
                           product=product_name, version=notice["fixed_in"],
                           title=notice["title"])
        return gettext("[%(product)s] Fixed in a new version: %(title)s",
                       product=product_name, title=notice["title"])
    if kind == "notice.updated":
        return gettext("[%(product)s] Update on a known issue: %(title)s",
                       product=product_name, title=notice["title"])
    return gettext("[%(product)s] Known issue: %(title)s", product=product_name,
                   title=notice["title"])


def localized_notice(notice: dict[str, Any], wanted: str | None,
                     ) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The snapshot with the vendor's text in the subscriber's locale where translated
    (hu-HU → hu → the product's default), and its newest timeline entry likewise."""
    default = notice.get("locale") or "en"
    translations = notice.get("translations") or {}
    shown = best_locale(wanted, translations, default)
    texts, _ = localized({name: notice.get(name) or "" for name in NOTICE_TEXT_FIELDS},
                         translations, shown, default)
    latest = dict(notice["timeline"][-1]) if notice.get("timeline") else None
    if latest is not None and shown != default:
        latest["message"] = (latest.get("translations") or {}).get(shown) or latest["message"]
    return {**notice, **texts, "locale": shown}, latest


def notice_mail(kind: str, notice: dict[str, Any], product_name: str, sub: Subscription,
                unsubscribe_url: str) -> dict[str, Any]:
    """``notice`` is the event's snapshot (notices.services.notice_to_dict shape); the mail
    speaks the subscriber's language."""
    notice, latest = localized_notice(notice, sub.locale)
    with use_locale(sub.locale) as locale:
        subject = notice_subject(kind, product_name, notice)
        text, html = _render("notice", kind=kind, n=notice, product=product_name,
                             what=describe_filter(sub, notice["title"]), latest=latest,
                             unsubscribe_url=unsubscribe_url, lang=locale)
    return {"subject": subject, "text": text, "html": html,
            "headers": {"List-Unsubscribe": f"<{unsubscribe_url}>",
                        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}}

"""Flask side of the catalogs: which language a page speaks, the switcher on every public
page, and dates and numbers through Babel.

The page's language: ``?lang=`` (and the switcher's cookie it sets) → the cookie →
``Accept-Language`` → English, the source language."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from babel import Locale
from flask import Flask, Response, g, request
from flask_babel import Babel
from markupsafe import Markup

from ..timeutil import rfc3339
from .catalogs import (
    SOURCE_LOCALE,
    current_locale,
    language_tag,
    shipped_locales,
    template_gettext,
    template_ngettext,
)
from .content import NOTICE_TEXT_FIELDS, localized, preferred_locale
from .formats import date_text, datetime_text, filesize_text, number_text

COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def select_locale() -> str:
    from ..errorhandlers import wants_problem_json

    if wants_problem_json():
        return SOURCE_LOCALE  # the API's problem+json stays English, for machines
    chosen = language_tag(request.args.get("lang"))
    if chosen:
        g.lang_chosen = chosen
        return chosen
    remembered = language_tag(request.cookies.get(COOKIE))
    if remembered:
        return remembered
    accepted = request.accept_languages.best_match(shipped_locales())
    if accepted:
        return str(accepted)
    return language_tag(_product_default_locale()) or SOURCE_LOCALE


def _product_default_locale() -> str | None:
    """The default locale of the product a page is about (from the cached catalog)."""
    slug = (request.view_args or {}).get("product")
    if not isinstance(slug, str):
        return None
    from flask import current_app

    from .. import runtime

    catalog = runtime(current_app).catalogs.get(slug)
    return catalog.default_locale if catalog is not None else None


def language_links() -> list[dict[str, Any]]:
    """One link per shipped language to this page in it, named in its own language."""
    current = current_locale()
    args = request.args.to_dict()
    links = []
    for locale in shipped_locales():
        args["lang"] = locale
        own_name = Locale.parse(locale).get_display_name(locale) or locale
        links.append({"locale": locale, "current": locale == current,
                      "name": own_name.capitalize(),
                      # Query only: the link keeps the page, and echoes no path.
                      "url": f"?{urlencode(args)}"})
    return links


def time_element(value: dt.datetime | None) -> Markup:
    """A <time> in UTC; static/localtime.js shows it in the viewer's zone, in the page's
    language."""
    if value is None:
        return Markup("")
    return Markup('<time datetime="{}">{}</time>').format(rfc3339(value), datetime_text(value))


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", SOURCE_LOCALE)
    Babel(app, locale_selector=select_locale)
    # One gettext for templates, views and mails: the same catalogs, the same locale rule.
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(template_gettext, template_ngettext, newstyle=True)  # type: ignore[attr-defined]
    app.jinja_env.globals["html_lang"] = current_locale
    app.jinja_env.globals["language_links"] = language_links
    app.jinja_env.globals["vendor_text"] = vendor_text
    app.jinja_env.globals["timeline_text"] = timeline_text
    app.jinja_env.globals["notes_text"] = notes_text
    app.jinja_env.filters["date"] = date_text
    app.jinja_env.filters["datetime"] = time_element
    app.jinja_env.filters["number"] = number_text
    app.jinja_env.filters["filesize"] = filesize_text

    @app.after_request
    def _remember_language(response: Response) -> Response:
        chosen = g.get("lang_chosen")
        if chosen and request.cookies.get(COOKIE) != chosen:
            response.set_cookie(COOKIE, chosen, max_age=COOKIE_MAX_AGE, samesite="Lax",
                                secure=request.is_secure, httponly=True)
        if response.mimetype == "text/html":
            response.vary.add("Accept-Language")
            response.vary.add("Cookie")
        return response


def content_locale(product: Any) -> str:
    """The locale of the vendor's text for this reader: ?lang=, the switcher's cookie, then
    Accept-Language in the reader's order, matched against the product's offered locales
    (hu-HU → hu → the product's default). Independent of the shipped UI languages: a
    vendor may offer German before updatesrv speaks it."""
    cache = g.setdefault("content_locales", {})
    if product.slug not in cache:
        candidates = [request.args.get("lang"), request.cookies.get(COOKIE),
                      *(tag for tag, _quality in request.accept_languages)]
        cache[product.slug] = preferred_locale(
            [c for c in candidates if c], product.offered_locales or (),
            product.default_locale)
    return str(cache[product.slug])


class VendorText:
    """A notice's (or any vendor object's) text for the page, each field with the locale
    it is in; ``lang(name)`` marks a block whose language differs from the page's."""

    def __init__(self, texts: dict[str, str], langs: dict[str, str]) -> None:
        self.texts, self.langs = texts, langs

    def __getattr__(self, name: str) -> str:
        try:
            return self.texts[name]
        except KeyError:
            raise AttributeError(name) from None

    def lang(self, name: str) -> Markup:
        own = self.langs.get(name)
        if own and own.split("-")[0] != current_locale().split("-")[0]:
            return Markup(' lang="{}"').format(own)
        return Markup("")


def vendor_text(notice: Any, product: Any) -> VendorText:
    fields = {name: getattr(notice, name, "") or "" for name in NOTICE_TEXT_FIELDS}
    texts, langs = localized(fields, notice.translations or {}, content_locale(product),
                             product.default_locale)
    return VendorText(texts, langs)


def notes_text(release: Any, product: Any) -> VendorText:
    texts, langs = localized({"notes": release.notes or ""}, release.translations or {},
                             content_locale(product), product.default_locale)
    return VendorText(texts, langs)


def timeline_text(entry: Any, product: Any) -> VendorText:
    wanted = content_locale(product)
    own = (entry.translations or {}).get(wanted)
    if own:
        return VendorText({"message": own}, {"message": wanted})
    return VendorText({"message": entry.message}, {"message": product.default_locale})

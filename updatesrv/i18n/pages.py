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
    return request.accept_languages.best_match(shipped_locales()) or SOURCE_LOCALE


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
                      "url": f"{request.path}?{urlencode(args)}"})
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

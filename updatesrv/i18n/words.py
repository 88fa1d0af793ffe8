"""The product's own words for people, in the reader's language: severities, statuses,
platform names and affected ranges (the stored values stay the English ids)."""

from __future__ import annotations

from typing import Any

from ..notices.ranges import affected_in_words
from .catalogs import N_, gettext

SEVERITY_NAMES = {"critical": N_("critical"), "major": N_("major"), "minor": N_("minor"),
                  "info": N_("info")}
STATUS_NAMES = {"investigating": N_("investigating"), "confirmed": N_("confirmed"),
                "workaround": N_("workaround available"), "fixed": N_("fixed"),
                "withdrawn": N_("withdrawn")}


def severity_name(severity: str) -> str:
    return gettext(SEVERITY_NAMES[severity]) if severity in SEVERITY_NAMES else severity


def status_name(status: str) -> str:
    return gettext(STATUS_NAMES[status]) if status in STATUS_NAMES else status


def affected_text(specifier: str) -> str:
    return affected_in_words(specifier, gettext)


def platform_text(product: Any, platform: str) -> str:
    from ..products.platforms import platform_name

    return platform_name(product, platform, gettext)


# Problem pages for people who do not read English: the status in plain words; the English
# detail (what the code said) stays behind "Technical details".
ERROR_WORDS = {
    400: (N_("The request could not be understood"),
          N_("Something in the address or the form is not right. Go back and try again.")),
    403: (N_("Access denied"), N_("You do not have permission to open this page.")),
    404: (N_("Page not found"),
          N_("There is no page at this address. It may have been moved or deleted.")),
    405: (N_("This action is not possible here"),
          N_("This page cannot be used this way. Go back and try again.")),
    409: (N_("Someone changed this at the same time"),
          N_("Reload the page and try again.")),
    410: (N_("This page no longer exists"), N_("The page you are looking for was removed.")),
    413: (N_("The upload is too large"), N_("Choose a smaller file and try again.")),
    422: (N_("The data could not be processed"),
          N_("Something in the form is not right. Go back and check what you entered.")),
    429: (N_("Too many attempts"), N_("Please wait a few minutes and try again.")),
    500: (N_("Something went wrong"),
          N_("An unexpected error happened on our side. Please try again later.")),
    503: (N_("The service is busy"), N_("Please try again in a few seconds.")),
}


def error_words(status: int) -> tuple[str, str] | None:
    """The translated heading and sentence for a problem page; None in English, whose page
    shows the exact title and detail."""
    from .catalogs import SOURCE_LOCALE, current_locale

    if current_locale() == SOURCE_LOCALE or status not in ERROR_WORDS:
        return None
    title, text = ERROR_WORDS[status]
    return gettext(title), gettext(text)


# What a form or link page says about a refused input, for readers of a translated page.
ERROR_TEXTS_BY_SLUG = {
    "link-invalid": N_("This link was already used or has expired. Subscribe again to get a "
                       "new one."),
    "rate-limited": N_("Too many attempts from your address. Please wait a few minutes and "
                       "try again."),
    "mail-disabled": N_("This server does not send e-mail."),
}
ERROR_TEXTS_BY_FIELD = {
    "email": N_("Enter a valid e-mail address, for example name@example.com."),
    "version": N_("This does not look like a version number. Version numbers look like 2.0 "
                  "or 2.0.1."),
    "platform": N_("Choose your computer from the list, or leave the field empty."),
    "message": N_("Write a message of reasonable length, in plain text."),
}


def error_text(error: Any) -> str:
    """The refusal in the reader's language: English keeps the exact detail; other
    languages get the plain sentence for the kind of error (else the detail)."""
    from .catalogs import SOURCE_LOCALE, current_locale

    detail = str(getattr(error, "detail", error))
    if current_locale() == SOURCE_LOCALE:
        return detail
    suggestion = (getattr(error, "extra", None) or {}).get("suggestion")
    if suggestion:
        return gettext("Version numbers are written with dots: did you mean %(suggestion)s?",
                       suggestion=suggestion)
    field = getattr(error, "field", None)
    if field in ERROR_TEXTS_BY_FIELD:
        return gettext(ERROR_TEXTS_BY_FIELD[field])
    slug = getattr(error, "slug", None)
    if slug in ERROR_TEXTS_BY_SLUG:
        return gettext(ERROR_TEXTS_BY_SLUG[slug])
    return detail

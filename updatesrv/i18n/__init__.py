"""Every word a person reads, in their language: gettext catalogs (``updatesrv/translations``)
served through Flask-Babel in requests and through the same catalogs outside them (mails are
rendered by the outbox drain, which has no request)."""

from __future__ import annotations

from .catalogs import (
    N_,
    SOURCE_LOCALE,
    gettext,
    language_tag,
    ngettext,
    shipped_locales,
    use_locale,
)

__all__ = ["N_", "SOURCE_LOCALE", "gettext", "language_tag", "ngettext", "shipped_locales",
           "use_locale"]

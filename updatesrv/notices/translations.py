"""A notice's text in the product's other locales: ``"translations": {"hu": {"title": …,
"summary": …, "details": …, "workaround": …, "message": …}}`` on create and PATCH.

A PATCH changes only the locales and fields it names (``""`` clears a field, ``null`` a
whole locale); ``message`` is the new timeline entry's text in that locale."""

from __future__ import annotations

from functools import partial
from typing import Any

from ..errors import InvalidInput
from ..i18n.content import merge_translations, parse_translations, require_offered
from ..products.models import Product
from ..textinput import check_text
from .models import Notice

MAX_MARKDOWN = 50_000
MAX_TITLE = 120
MAX_SUMMARY = 2000
def _checked(value: object, field: str, *, limit: int) -> str:
    return check_text(value, field, limit)


LIMITS = {"title": MAX_TITLE, "summary": MAX_SUMMARY, "details": MAX_MARKDOWN,
          "workaround": MAX_MARKDOWN, "message": MAX_MARKDOWN}
CHECKS = {name: partial(_checked, limit=limit) for name, limit in LIMITS.items()}


def parse_notice_translations(product: Product, value: object, current: Notice | None,
                              ) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """The notice's new translations (merged over ``current``'s) and the new timeline
    entry's message per locale."""
    parsed = parse_translations(value, CHECKS, product.default_locale)
    require_offered(parsed, product.offered_locales or ())
    messages = {tag: texts.pop("message") for tag, texts in parsed.items()
                if texts is not None and texts.get("message")}
    for texts in parsed.values():
        if texts is not None:
            texts.pop("message", None)
    merged = merge_translations(current.translations if current else {}, parsed)
    return merged, messages


def check_messages(messages: dict[str, str], message: str) -> None:
    if messages and not message:
        raise InvalidInput("translations: a translated message needs the message itself "
                           "(in the product's default locale) in the same change",
                           field="translations")


def translations_for_api(notice: Notice) -> dict[str, dict[str, Any]]:
    return {tag: dict(texts) for tag, texts in sorted((notice.translations or {}).items())}

"""One rule for every piece of text a person or a program sends us, API and console alike.

Text is refused (never cleaned up or cut short behind the sender's back) when it

* holds a control character other than tab and newline: C0 (U+0000-U+001F), DEL and C1
  (U+0080-U+009F). They break XML feeds, put escape sequences on terminals and NULs in
  the database. Browsers send line breaks in textareas as CRLF, so CR LF and a lone CR
  are first turned into LF, the only line break we store;
* holds a lone surrogate or U+FFFE/U+FFFF (not encodable as UTF-8, or not allowed in XML);
* is a single-line field (titles, names, URLs, reasons typed in a one-line input) and holds
  a line or paragraph separator of any kind: LF, CR, U+2028, U+2029 (U+0085, VT and FF are
  controls, refused everywhere). Such text ends up in mail headers (a Subject with a line
  break cannot be built), one-line feed entries and log lines;
* is longer than the field's limit, counted in characters (code points) as Python counts
  them; the message names the limit. Forms render the limit as ``data-maxlength`` (never
  ``maxlength``, which makes browsers cut pasted text silently) and static/textlimit.js
  shows a counter near it.

``check_text`` is the service-side call (``single_line=True`` for one-line fields);
``TextLimit`` is the same rule as a WTForms validator (single-line unless the field is a
textarea); ``check_json_strings`` applies the character rule to every string of a JSON
body, so no API field can slip past it.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import InvalidInput

_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile("\r\n?")
# Everything str.splitlines() splits on that the control rule above does not already refuse.
_LINE_SEPARATORS = re.compile("[\n\r\u2028\u2029]")
_SEPARATOR_NAMES = {"\n": "a line break", "\r": "a line break (carriage return)",
                    "\u2028": "a line separator (U+2028)",
                    "\u2029": "a paragraph separator (U+2029)"}


def normalize_newlines(value: str) -> str:
    return _LINE_BREAKS.sub("\n", value)


def forbidden_character(value: str) -> tuple[int, str] | None:
    """(position, character) of the first character we refuse, or None. CR counts as a
    line break here; call ``normalize_newlines`` before storing."""
    match = _FORBIDDEN.search(_LINE_BREAKS.sub("\n", value))
    return (match.start(), match.group()) if match else None


def describe_character(position: int, char: str) -> str:
    names = {"\x00": "NUL", "\x1b": "ESC", "\x0c": "form feed", "\x7f": "DEL",
             "\x0b": "vertical tab", "\x08": "backspace"}
    code = f"U+{ord(char):04X}"
    name = names.get(char)
    return (f"an invisible control character ({code}{', ' + name if name else ''}) "
            f"at character {position + 1}")


def character_problem(value: str, label: str) -> str | None:
    found = forbidden_character(value)
    if found is None:
        return None
    return (f"{label} contains {describe_character(*found)}; remove it (only tab and line "
            "breaks are allowed)")


def line_break_problem(value: str, label: str) -> str | None:
    """For single-line fields: the first line or paragraph separator, named, or None."""
    match = _LINE_SEPARATORS.search(value)
    if match is None:
        return None
    return (f"{label} must be a single line: it contains "
            f"{_SEPARATOR_NAMES[match.group()]} at character {match.start() + 1}; remove it")


def length_problem(value: str, label: str, max_length: int) -> str | None:
    length = len(normalize_newlines(value))
    if length <= max_length:
        return None
    return (f"{label} is {length:,} characters long; the limit is {max_length:,}. Shorten it "
            "(nothing was cut or saved).")


def check_text(value: object, field: str, max_length: int, *, required: bool = False,
               strip: bool = True, label: str | None = None,
               single_line: bool = False) -> str:
    """The text to store for ``field``: line breaks normalised, surrounding space stripped
    (unless ``strip=False``). Raises InvalidInput naming the field and the limit.
    ``single_line`` refuses every line and paragraph separator (even a trailing one)."""
    label = label or field
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{label} must be text", field=field)
    problem = character_problem(value, label) or (
        line_break_problem(value, label) if single_line else None)
    if problem:
        raise InvalidInput(problem, field=field)
    text = normalize_newlines(value)
    if strip:
        text = text.strip()
    if required and not text:
        raise InvalidInput(f"{label} is required", field=field)
    problem = length_problem(text, label, max_length)
    if problem:
        raise InvalidInput(problem, field=field, max_length=max_length)
    return text


def check_optional_text(value: object, field: str, max_length: int, **kw: Any) -> str | None:
    """Like ``check_text``, but None (or empty) stays None."""
    if value is None:
        return None
    text = check_text(value, field, max_length, **kw)
    return text or None


MAX_JSON_DEPTH = 32


def check_json_strings(body: Any, path: str = "", depth: int = 0) -> None:
    """Refuses forbidden characters in every string (keys too) of a decoded JSON body, and
    nesting deeper than any request of ours needs."""
    if depth > MAX_JSON_DEPTH:
        raise InvalidInput(f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(body, str):
        problem = character_problem(body, path or "the body")
        if problem:
            raise InvalidInput(problem, field=path.split("[")[0].split(".")[0] or None)
    elif isinstance(body, dict):
        for key, value in body.items():
            name = f"{path}.{key}" if path else str(key)
            check_json_strings(key, name, depth + 1)
            check_json_strings(value, name, depth + 1)
    elif isinstance(body, list):
        for index, value in enumerate(body):
            check_json_strings(value, f"{path}[{index}]", depth + 1)


class TextLimit:
    """WTForms validator: the same rule for console forms. Replaces ``Length(max=...)``
    (which renders ``maxlength`` and so lets browsers truncate). Normalises the field's
    line breaks; the macro in console/_macros.html renders ``data-maxlength``. Every field
    but a textarea is single-line (``single_line`` overrides): a one-line input cannot
    type a line break, so one in the request was put there by hand or by a script."""

    def __init__(self, max_length: int, min_length: int = 0,
                 single_line: bool | None = None) -> None:
        self.max_length = max_length
        self.min_length = min_length
        self.single_line = single_line
        self.field_flags: dict[str, int] = {}

    def __call__(self, form: Any, field: Any) -> None:
        from wtforms.validators import StopValidation, ValidationError

        data = field.data
        if not isinstance(data, str):
            return
        label = str(field.label.text) if getattr(field, "label", None) else field.name
        label = label.split(" (")[0]
        single_line = (self.single_line if self.single_line is not None
                       else getattr(field, "type", "") != "TextAreaField")
        problem = character_problem(data, label) or (
            line_break_problem(data, label) if single_line else None)
        if problem:
            field.errors[:] = []
            raise StopValidation(problem)
        field.data = normalize_newlines(data)
        problem = length_problem(field.data, label, self.max_length)
        if problem:
            raise ValidationError(problem)
        if self.min_length and 0 < len(field.data) < self.min_length:
            raise ValidationError(f"{label} needs at least {self.min_length} characters")


def form_text_problem(value: str, label: str) -> str | None:
    """For form fields without a TextLimit (passwords, selects): the character rule and,
    as none of them is a textarea, the single-line rule."""
    return character_problem(value, label) or line_break_problem(value, label)

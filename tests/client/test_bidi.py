"""Right-to-left text put in display order and Arabic letters joined, for toolkits (Tk 8.6)
that draw characters in the order they are given. Expected strings are written out by hand
from UAX #9 and the Arabic joining rules, character by character."""

from __future__ import annotations

from updatesrv_client.present.bidi import display_order, has_rtl, shape, visual, wrap


def drawn(text: str, rtl: bool = True) -> str:
    return "".join(ch for ch, _ in display_order(shape([(c, None) for c in text]), rtl))


def test_hebrew_reads_right_to_left_with_latin_words_and_numbers_kept():
    # The Latin file name and the version stay left-to-right inside the Hebrew line.
    assert drawn("מחקו את הקובץ print.cache") == "print.cache ץבוקה תא וקחמ"
    assert drawn("גרסה 2.0.1 מתקנת") == "תנקתמ 2.0.1 הסרג"
    # "world 123": a number after a Latin word belongs to it (rule W7).
    assert drawn("שלום world 123") == "world 123 םולש"


def test_brackets_are_mirrored_inside_right_to_left_runs():
    assert drawn("(גרסה 2)") == "(2 הסרג)"
    assert drawn("ראו «עזרה»") == "«הרזע» ואר"


def test_latin_paragraph_with_a_hebrew_phrase():
    assert drawn("Open שלום עולם now", rtl=False) == "Open םלוע םולש now"
    assert visual("Major known issue: הדפסה נכשלת") == "Major known issue: תלשכנ הספדה"


def test_arabic_letters_take_their_joined_forms():
    # مرحبا: meem initial, reh final (reh never joins forward), hah initial, beh medial,
    # alef final; drawn from the last letter on the left.
    assert drawn("مرحبا") == "\uFE8E\uFE92\uFEA3\uFEAE\uFEE3"
    # Lam + alef is always one ligature: isolated here, final after a joining letter.
    assert drawn("لا") == "\uFEFB"
    assert drawn("بلا") == "\uFEFC\uFE91"
    # Vowel marks are transparent: the letters around them still join.
    assert drawn("بَب") == "\uFE90\u064E\uFE91"


def test_arabic_numbers_and_latin_in_an_arabic_line():
    # الإصدار: alef, then lam + alef with hamza below as one isolated ligature (the alef
    # before it never joins forward), sad initial (the ligature ends in alef, which does
    # not join forward), dal final, alef and reh isolated; the number stays 2.0.1.
    assert drawn("الإصدار 2.0.1") == "2.0.1 \uFEAD\uFE8D\uFEAA\uFEBB\uFEF9\uFE8D"


def test_wrap_breaks_logical_text_before_it_is_reordered():
    words = "אחת שתיים שלוש ארבע חמש"
    lines = wrap([(c, None) for c in words], 10, len)
    logical = ["".join(c for c, _ in line) for line in lines]
    assert logical == ["אחת שתיים", "שלוש ארבע", "חמש"]
    # The first words of the paragraph are on the first line, drawn right to left.
    assert "".join(c for c, _ in display_order(lines[0], True)) == "םייתש תחא"


def test_wrap_keeps_every_character_and_breaks_overlong_words():
    text = "short averyveryverylongword end"
    lines = wrap([(c, None) for c in text], 8, len)
    assert all(len(line) <= 8 for line in lines)
    assert "".join("".join(c for c, _ in line) for line in lines) == text.replace(" ", "")


def test_has_rtl():
    assert has_rtl("Öffnen שלום") and has_rtl("مرحبا") and not has_rtl("Öffnen 123 «ça»")


def test_a_hostile_endless_word_wraps_in_linear_time():
    """Counted, not timed: a 100,000-letter word costs a few measurements per letter."""
    calls = 0

    def measure(items):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return len(items)

    text = "שלום " + "א" * 100_000 + " סוף"
    lines = wrap([(c, None) for c in text], 60, measure)
    assert all(len(line) <= 60 for line in lines)
    joined = "".join(c for line in lines for c, _ in line)
    assert joined.replace(" ", "") == text.replace(" ", "")  # only break spaces dropped
    assert calls < 3 * len(text)


def test_currency_and_percent_signs_stay_with_their_numbers():
    assert drawn("הנחה 20% היום") == "םויה 20% החנה"
    assert drawn("מחיר $5") == "$5 ריחמ"

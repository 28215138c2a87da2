import pytest

from unrepeat import Config
from unrepeat.normalize import matching_key, normalize


def paragraphs(text: str) -> list[str]:
    n = normalize(text)
    return [n.text[p.start : p.end] for p in n.paragraphs]


def test_canonical_layout():
    n = normalize("  First line  \r\n\r\n\r\n\r\nSecond\u00a0\u00a0line\t\n\n\n")
    assert n.text == "First line\n\nSecond line\n"
    assert n.fixes["line_endings"] == 4
    assert n.fixes["whitespace"] >= 3


def test_empty_and_blank_input():
    assert normalize("").text == ""
    assert normalize(" \n\t\n").text == ""


def test_single_newlines_are_paragraph_breaks():
    assert paragraphs("Title\nA lede line.\nBody text here.") == ["Title", "A lede line.", "Body text here."]


@pytest.mark.parametrize(
    ("raw", "fixed"),
    [
        ("reported.A large", "reported. A large"),
        ("the end.Next one", "the end. Next one"),
        ("in 2013.The year", "in 2013. The year"),
    ],
)
def test_glued_sentences_are_repaired(raw, fixed):
    n = normalize(raw)
    assert n.text == fixed + "\n"
    assert n.fixes["glued_sentences"] == 1


@pytest.mark.parametrize(
    "text", ["the U.S. Army", "3.14 is pi", "see example.com today", "e.g. this", "Node.JS rocks", "I.B.M. Corp"]
)
def test_not_glued(text):
    n = normalize(text)
    assert n.text == text + "\n"
    assert "glued_sentences" not in n.fixes


def test_glue_repair_can_be_turned_off():
    assert normalize("reported.A large", Config(glued_sentences=False)).text == "reported.A large\n"


def test_mojibake_and_entities_are_fixed_and_recorded():
    n = normalize("The caf\u00c3\u00a9 is open &amp; busy.")
    assert n.text == "The caf\u00e9 is open & busy.\n"
    assert any(k.startswith("fix_text.") for k in n.fixes)


def test_curly_quotes_and_full_width_text_are_kept():
    text = "\u201cQuoted\u201d \u4e2d\u6587\uff01"
    assert normalize(text).text == text + "\n"


def test_nfc():
    n = normalize("Cafe\u0301 au lait")
    assert n.text == "Caf\u00e9 au lait\n"


def test_hard_wrapped_paragraph_is_reflowed():
    wrapped = (
        "The northern rivers freeze from the edges inward, and by the middle of\n"
        "winter the ice is thick enough to carry a loaded truck. Villages that are\n"
        "cut off for the rest of the year can then be reached in a single day."
    )
    assert paragraphs(wrapped) == [wrapped.replace("\n", " ")]
    assert normalize(wrapped).fixes["reflow"] == 2


def test_short_lines_and_lists_are_not_reflowed():
    poem = "The harbour lights go out at nine,\nthe gulls fold up the sky.\nKeep the lantern burning."
    assert len(paragraphs(poem)) == 3
    items = "- first item of a list that is long enough to matter here\n- second item of the same list goes on"
    assert len(paragraphs(items)) == 2


def test_preformatted_block_keeps_its_layout():
    code = "def f(x):\n    if x:\n        return  1\n    return 0   "
    n = normalize("Some prose.\n\n" + code + "\n")
    assert n.text == "Some prose.\n\n" + code.rstrip() + "\n"
    assert [p.pre for p in n.paragraphs] == [False, True]


def test_offsets_point_into_the_raw_input():
    raw = " Title\r\n\r\nThe end.It  began. Caf\u00c3\u00a9 here.\n"
    n = normalize(raw)
    for word in ("Title", "It", "began", "The"):
        pos = n.text.index(word)
        assert raw[n.offsets.to_input(pos) :].startswith(word)
    assert n.offsets.to_input(len(n.text)) == len(raw)


def test_truncated_teaser_is_flagged():
    n = normalize("An excerpt that stops in the middle of a sent\u2026\n\nA full paragraph.")
    assert [p.truncated for p in n.paragraphs] == [True, False]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("\u201cHello,\u201d she said.", "hello she said"),
        ("HELLO   world!!!", "hello world"),
        ("\uff21\uff22\uff23", "abc"),
        ("Stra\u00dfe", "strasse"),
        ("***", ""),
    ],
)
def test_matching_key(text, key):
    assert matching_key(text) == key


# ftfy's pre-check: skipping ftfy must never change the result.
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import unicodedata  # noqa: E402

import ftfy  # noqa: E402

from unrepeat.normalize import _FTFY, _needs_ftfy  # noqa: E402

_FTFY_PLAIN = _FTFY._replace(explain=False)
_MOJIBAKE_PRONE = st.text(
    alphabet=st.sampled_from(list("aeiou ,.&;'\"") + [chr(c) for c in range(0x80, 0x180)]
                             + list("\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u20ac\u2122\ufb01\u2028\u00a0")),
    max_size=40,
)


def _ftfy_changes(line: str) -> bool:
    return ftfy.fix_text(line, _FTFY_PLAIN) != unicodedata.normalize("NFC", line)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_MOJIBAKE_PRONE, st.text(max_size=60)))
def test_ftfy_precheck_never_skips_a_fix(line):
    line = line.replace("\n", " ").replace("\r", " ")
    if not _needs_ftfy(line):
        assert not _ftfy_changes(line)


@pytest.mark.parametrize(
    "line", ["caf\u00c3\u00a9", "\u00e2\u20ac\u0153quoted\u00e2\u20ac\u009d", "a &amp; b", "\ufb01ne", "x\x1b[31mred"]
)
def test_ftfy_precheck_flags_damage(line):
    assert _needs_ftfy(line) and _ftfy_changes(line)

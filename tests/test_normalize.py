import random
import unicodedata

import ftfy
import ftfy.badness
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unrepeat import Config
from unrepeat.normalize import (
    _FTFY,
    _FTFY_TRIGGER,
    _MAYBE_MOJIBAKE,
    _NON_STARTER,
    _needs_ftfy,
    _unicode_normalize,
    matching_key,
    normalize,
)
from unrepeat.segment import sentences


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


# ---------------------------------------------------------------- ftfy's mojibake test, behind its kernel
# Every character ftfy's tables name, every character its pattern spells out,
# and the ASCII it looks at around them.
def _badness_alphabet() -> list[str]:
    chars = set()
    for table in ftfy.badness.MOJIBAKE_CATEGORIES.values():
        i = 0
        while i < len(table):
            if i + 2 < len(table) and table[i + 1] == "-":
                chars.update(map(chr, range(ord(table[i]), ord(table[i + 2]) + 1)))
                i += 3
            else:
                chars.add(table[i])
                i += 1
    chars.update(c for c in ftfy.badness.BADNESS_RE.pattern if not c.isascii())
    chars.update("aAzZ .,?!\u00a0\t1")
    return sorted(chars)


_ALPHABET = _badness_alphabet()


def _old_needs_ftfy(line: str) -> bool:
    """The pre-check as it was before the kernel: the reference."""
    if line.isascii():
        return _needs_ftfy(line)
    return "&" in line or _FTFY_TRIGGER.search(line) is not None or ftfy.badness.is_bad(line)


def test_badness_kernel_is_found_in_every_bad_text():
    # Seeded: every pair of the characters ftfy's tables care about, then
    # 100,000 texts of 2-7 of them (is_bad's longest alternative is 7 long).
    assert _MAYBE_MOJIBAKE is not None
    for a in _ALPHABET:
        for b in _ALPHABET:
            if ftfy.badness.is_bad(a + b):
                assert _MAYBE_MOJIBAKE.search(a + b), a + b
    rng = random.Random(11)
    bad = 0
    for _ in range(100_000):
        text = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(2, 7)))
        if ftfy.badness.is_bad(text):
            bad += 1
            assert _MAYBE_MOJIBAKE.search(text), text
    assert bad > 10_000  # the generator does reach ftfy's alternatives


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(alphabet=st.sampled_from(_ALPHABET), max_size=30), st.text(max_size=60)))
def test_ftfy_precheck_answers_as_before(line):
    assert _needs_ftfy(line) == _old_needs_ftfy(line)


def test_ftfy_precheck_skips_ordinary_non_ascii_lines():
    lines = ["\u201cQuoted,\u201d she said \u2014 twice.", "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e", "\u65e5\u672c\u8a9e\u306e\u6587\u3002",
             "\u041c\u043e\u0441\u043a\u0432\u0430 \u2014 \u0441\u0442\u043e\u043b\u0438\u0446\u0430."]
    assert [_MAYBE_MOJIBAKE.search(line) for line in lines] == [None] * 4
    assert not any(_needs_ftfy(line) for line in lines)


# ---------------------------------------------------------------- separators
@pytest.mark.parametrize("sep", ["\v", "\x85", "\u2028", "\x1c", "\x1e", "\r", "\r\n"])
def test_line_separators_end_lines(sep):
    n = normalize(f"one{sep}two")
    assert n.text == "one\n\ntwo\n"
    assert n.fixes["line_endings"] == 1


@pytest.mark.parametrize("sep", ["\f", "\u2029"])
def test_paragraph_separators_end_paragraphs(sep):
    assert normalize(f"one{sep}two").text == "one\n\ntwo\n"


def test_line_separator_reflows_like_a_newline_and_paragraph_separator_does_not():
    lines = ["The northern rivers freeze from the edges inward, and by the middle of",
             "winter the ice is thick enough to carry a loaded truck. Villages that are",
             "cut off for the rest of the year can then be reached in a single day."]
    assert len(normalize("\u2028".join(lines)).paragraphs) == 1
    assert len(normalize("\x85".join(lines)).paragraphs) == 1
    assert len(normalize("\u2029".join(lines)).paragraphs) == 3


def test_nel_inside_mojibake_stays_mojibake():
    # "\u00c5" (C3 85) read as Latin-1 is "\u00c3\x85": ftfy repairs it, no line break
    assert normalize("\u00c3\x85ngstr\u00f6m").text == "\u00c5ngstr\u00f6m\n"
    assert normalize("A\x85B").text == "A\n\nB\n"


def test_separators_that_ftfy_decodes_are_separators_too():
    assert normalize("one&#10;two &amp; three").text == "one\n\ntwo & three\n"
    assert normalize("one&#12;two").text == "one\n\ntwo\n"


def test_offsets_after_separators_point_into_the_raw_input():
    raw = "First\u2028second line\x85third\u2029fourth &#10;fifth\n\u00c3\u00a9t\u00c3\u00a9 sixth"
    n = normalize(raw)
    for word in ("First", "second", "third", "fourth", "fifth", "sixth"):
        assert raw[n.offsets.to_input(n.text.index(word)) :].startswith(word)
    assert n.offsets.to_input(len(n.text)) == len(raw)


# ---------------------------------------------------------------- fixed point
_PIECES = st.one_of(
    st.sampled_from(["The report said.", "A large-scale study", "dad.The average", "numbers.Real", "os.PathLike",
                     "Foo.Bar()", "e.g.", "U.S.", "3.14", "said.\"Currently", "forum.Posted by", "\u0441\u043a\u0430\u0437\u0430\u043b.\u042d\u0442\u043e",
                     "caf\u00e9", "\u65e5\u672c\u8a9e\u3002", "\u1100", "\u1161", "\u0301", "\u0323", "f(x);", "  indented", "a   b   c", "}",
                     "Real.Node.", "C\u00e9?", "Mortified", "later.Ezra"]),
    st.sampled_from([" ", "  ", "\t", "\n", "\n\n", "\r\n", "\r", "\v", "\f", "\x85", "\u2028", "\u2029", "\x1c", "\x1f",
                     "\u00a0", "\u200b", "\ufeff", "\u3000", "\u2003"]),
    st.sampled_from([".", "!", "?", "\"", "\u201d", "\u201c", "'", ",", ";", "(", ")", "`", "\u2026", "-", "_"]),
    st.sampled_from(["\u00c3\u00a9", "\u00e2\u20ac\u2122", "\u00c3", "\u00c2 ", "\u00c2\u201c", "\u00c3\x85", "\u00e5\x85\x85",
                     "\u00e2\u20ac\u00a8", "&amp;", "&#10;", "&#12;", "&#8232;", "\ufb01", "\x00", "\u00ad"]),
    st.text(max_size=4),
)


def _wrapped_paragraph(words: list[str], width: int, sep: str) -> str:
    lines, line = [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    return sep.join(lines + [line])


_WRAPPED = st.builds(
    _wrapped_paragraph,
    st.lists(st.sampled_from("the northern rivers freeze from edges inward and by winter ice is thick Villages".split()),
             min_size=20, max_size=60),
    st.integers(50, 80),
    st.sampled_from(["\n", "\r\n", "\u2028", "\x85", "\v"]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_PIECES, _WRAPPED), max_size=30).map("".join))
def test_normalize_is_a_fixed_point(raw):
    first = normalize(raw)
    assert normalize(first.text).text == first.text
    positions = [first.offsets.to_input(i) for i in range(len(first.text) + 1)]
    assert positions == sorted(positions) and positions[0] >= 0 and positions[-1] == len(raw)


@pytest.mark.parametrize(
    ("raw", "config"),
    [
        ("\u00a0\u00c2\u201c", Config()),  # "\u00c2\u201c" at the line start once the NBSP is gone
        ("\u00c3\u2003x", Config()),  # "\u00c3 " once U+2003 is a space: the mojibake of "\u00e0 "
        ("\u00c3\t\u00a9", Config()),
        ("&#8232;\u00c2 1", Config()),  # ftfy decodes a line break: each part is fixed on its own
        ("Real.Node.\u0421 Real?\u041ce?Node", Config()),  # a repair next to a name changes the name's context
        ("A long enough line of hard-wrapped text ends with the jamo \u1100\n\u1161 and goes on after it, wrapped", Config()),
        ("{\n?\t\u200b", Config(fix_text=False)),  # judged preformatted only because of a blank it loses
        ("\tx\n  c\n\x1f", Config(fix_text=False)),
    ],
)
def test_fixed_point_cases(raw, config):
    first = normalize(raw, config).text
    assert normalize(first, config).text == first


# ---------------------------------------------------------------- glued sentences and dotted names
@pytest.mark.parametrize(
    ("raw", "fixed"),
    [
        ("it was reported.A large-scale study", "it was reported. A large-scale study"),
        ('as he said."Currently, yes', 'as he said. "Currently, yes'),  # the quote opens what follows
        ('"Stay," he said."Currently, yes', '"Stay," he said. "Currently, yes'),
        ('"We wait."Currently, yes', '"We wait." Currently, yes'),  # a quote is open: this one closes it
        ("it is costly for mom and dad.The average cost", "it is costly for mom and dad. The average cost"),
        ("see it on our forum.Posted by admin", "see it on our forum. Posted by admin"),
        ("it was the phenomenon.\u201dThere was", "it was the phenomenon.\u201d There was"),
        ("\u043e\u043d \u0441\u043a\u0430\u0437\u0430\u043b.\u042d\u0442\u043e \u0442\u0430\u043a", "\u043e\u043d \u0441\u043a\u0430\u0437\u0430\u043b. \u042d\u0442\u043e \u0442\u0430\u043a"),
        ("Really?Yes, really", "Really? Yes, really"),
        ("it works.Currently it does", "it works. Currently it does"),
    ],
)
def test_glued_sentences_are_repaired_beside_names(raw, fixed):
    assert normalize(raw).text == fixed + "\n"


@pytest.mark.parametrize(
    "text",
    [
        "an instance of numbers.Real is required",
        "accepts any os.PathLike object",
        "the System.IO.File class",
        "call Foo.Bar() to start",
        "index x.Items[0] first",
        "set a.Value=1 here",
        "the `numbers.Real` type",
        "(numbers.Real) here",
        "import com.example.Widget now",
        "use Foo.Bar.baz instead",
        "on example.com today",
        "Node.JS and OS.File",
        "e.g. this, the U.S. Army, 3.14 and 2.5.1",
        "see utf8.Decoder and my_mod.Thing",
        "visit http://docs.Example for more",
    ],
)
def test_dotted_names_are_not_glued_sentences(text):
    n = normalize(text)
    assert n.text == text + "\n"
    assert "glued_sentences" not in n.fixes


def test_the_document_shows_where_a_sentence_ends():
    # "Mortified" is no common opener: the clean copy shows that "dad" ends a
    # sentence and "Mortified" starts one, so the glued copy is repaired.
    clean = "I phoned my dad. Mortified, I hung up."
    glued = "I phoned my dad.Mortified, I hung up."
    assert normalize(glued).text == glued + "\n"
    assert normalize(clean + "\n\n" + glued).text == clean + "\n\n" + clean + "\n"
    # A name stays a name whatever the document says about other words.
    text = "An instance of numbers.Real is required.The value is checked."
    assert normalize(text).text == "An instance of numbers.Real is required. The value is checked.\n"


def test_sentences_end_after_dotted_names_not_inside_them():
    n = normalize("It takes numbers.Real or os.PathLike. See example.com. Done.")
    assert [n.text[s.start : s.end] for s in sentences(n.text, n.paragraphs)] == [
        "It takes numbers.Real or os.PathLike.", "See example.com.", "Done."]


# ---------------------------------------------------------------- linear time (structurally: these finish)
@pytest.mark.parametrize(
    "raw",
    [
        "." * 200_000,  # 409 s for 40,000 before
        ". A" * 70_000,
        "U.S. " * 40_000,
        "Dr. " * 50_000,
        "a" + "\u0301\u0323" * 100_000,  # CPython's NFC sorts marks by insertion: quadratic
        "x" * 200_000,
        "word " * 40_000,
        "&" * 200_000,
        "ab.Cd" * 40_000,
        "\u65e5\u672c\u3002\u041c\u0438\u0440. Word " * 10_000,
    ],
    ids=["dots", "stop-capital", "US", "Dr", "marks", "long-word", "no-stops", "ampersands", "glue", "scripts"],
)
def test_pathological_input_finishes(raw):
    n = normalize(raw)
    spans = sentences(n.text, n.paragraphs)
    assert n.text.strip() and all(s.start < s.end for s in spans)


def test_unicode_normalize_handles_long_runs_of_marks_exactly():
    rng = random.Random(5)
    marks = ["\u0301", "\u0323", "\u0308", "\u031b", "\u0f73", "\u0344", "\uff9e", "\u3099", "e", "\u1100", "\u1161", "\u00e9"]
    for _ in range(200):
        text = "".join(rng.choice(marks) for _ in range(rng.randint(60, 300)))
        text = "a" + "\u0301\u0323" * 40 + text  # always a run of 64 or more
        for form in ("NFC", "NFKC", "NFD"):
            assert _unicode_normalize(form, text) == unicodedata.normalize(form, text)


def test_non_starters_are_all_listed():
    # The long-run test must see every character that is, or decomposes into,
    # a combining mark; else a run of them would take CPython's quadratic path.
    import regex

    listed = regex.compile(f"[{_NON_STARTER}]")
    for cp in range(0x20000):  # no combining mark lies beyond (the rest is CJK, tags, private use)
        c = chr(cp)
        if 0xD800 <= cp < 0xE000:
            continue
        nfkd = unicodedata.normalize("NFKD", c)
        if unicodedata.combining(c) or unicodedata.combining(nfkd[0]) or unicodedata.combining(unicodedata.normalize("NFD", c)[0]):
            assert listed.match(c), hex(cp)


# ---------------------------------------------------------------- the plain text shortcut

_PLAIN_PIECES = ["a", "b", "T", "A", " ", "\n", "\n\n", ".", "!", "?", "…", "...", "é", "“", "”", "’", '"', "Ã",
                 "©", "Â", "\u00a0", "\t", "Word", "ok.", "The", "1", "ß", "\u0301", "日本", "&", "Œ", "—", "\r\n",
                 "&amp;", "&#10;", "Ã©", "numbers.Real", "dad.The", "dad. Then", "áš", "Ã\n"]


def _the_long_way(text):
    import unrepeat.normalize as module

    with pytest.MonkeyPatch.context() as m:
        m.setattr(module, "_normalize_plain", lambda raw, config: None)
        return normalize(text)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PLAIN_PIECES), max_size=30).map("".join))
def test_the_plain_shortcut_gives_what_the_long_way_gives(text):
    from unrepeat.normalize import _normalize_plain

    plain = _normalize_plain(text, Config())
    if plain is None:
        return
    full = _the_long_way(text)
    assert (plain.text, plain.paragraphs, plain.fixes) == (full.text, full.paragraphs, full.fixes)
    assert [plain.offsets.to_input(i) for i in range(len(plain.text) + 1)] == \
        [full.offsets.to_input(i) for i in range(len(full.text) + 1)]


def test_the_plain_shortcut_takes_one_line_paragraphs_and_nothing_to_repair():
    from unrepeat.normalize import _normalize_plain

    assert _normalize_plain("A title\n\n\nIts body, “quoted”.\n", Config()).fixes == {"whitespace": 1}
    assert _normalize_plain("Fish & chips. Brought by dad.Then home.\n\nAsk dad. Then go.", Config()) is None
    assert _normalize_plain("Fish & chips at numbers.Real prices.", Config()) is not None
    for text in ("two\nlines", "end.The", "a  b", "cafe\u0301", "x\r\ny", "Ã©t\u00e9", "tab\there", " lead"):
        assert _normalize_plain(text, Config()) is None, text


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PLAIN_PIECES + ["    code();", "x = 1;", "\x85", "\u2028", "\f"]), max_size=40).map("".join))
def test_the_shortcuts_change_nothing(text):
    import unrepeat.normalize as module

    fast = normalize(text)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(module, "_normalize_plain", lambda raw, config: None)
        m.setattr(module, "_fixes_no_line", lambda raw: False)
        slow = normalize(text)
    assert (fast.text, fast.paragraphs, fast.fixes) == (slow.text, slow.paragraphs, slow.fixes)
    assert [fast.offsets.to_input(i) for i in range(len(fast.text) + 1)] == \
        [slow.offsets.to_input(i) for i in range(len(slow.text) + 1)]

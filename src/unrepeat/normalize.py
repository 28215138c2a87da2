"""Faithful normalization (the output text) and the lossy matching key (comparison only).

`normalize` turns raw input into canonical text: paragraphs separated by one
blank line, no leading or trailing spaces on a line, one final newline.
Preformatted blocks (indented code, aligned tables) keep their inner
whitespace and line breaks. Every change is counted under the name of the
`Config` field that enables it, and an `OffsetMap` leads every position of
the normalized text back to the raw input.

>>> n = normalize("Title\\r\\nThe end.It  began.\\n")
>>> n.text
'Title\\n\\nThe end. It began.\\n'
>>> sorted(n.fixes.items())
[('glued_sentences', 1), ('line_endings', 1), ('whitespace', 2)]
>>> n.offsets.to_input(n.text.index("It"))
15

Every separator is one: ``\\v``, U+0085, U+2028 (and the information
separators U+001C-U+001E) end a line as ``\\n`` does; a form feed and U+2029
end a paragraph as a blank line does. Normalizing normalized text changes
nothing (`normalize` is a fixed point), and its time is linear in the input.

>>> normalize("one\\vtwo\\fthree\\u2029four").text
'one\\n\\ntwo\\n\\nthree\\n\\nfour\\n'
"""

from __future__ import annotations

import itertools
import re
import re._constants as _sre  # type: ignore[import-not-found]  # the parsed form of ftfy's pattern, see `_badness_kernel`
import re._parser as _sre_parser  # type: ignore[import-not-found]
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Any, Literal, NamedTuple

import ftfy
import ftfy.badness
import ftfy.chardata
import regex

from .config import Config

_NOT_KEY = regex.compile(r"[\p{P}\p{S}\p{Cf}\s]+")


def matching_key(text: str) -> str:
    """The lossy form two texts are compared by: NFKC, case folded, punctuation,
    symbols and format characters dropped, whitespace folded to one space.

    Only for fingerprints and comparisons, never for output.

    >>> matching_key("“Hello,” she   said — twice.")
    'hello she said twice'
    >>> matching_key("...")
    ''
    """
    return _NOT_KEY.sub(" ", _unicode_normalize("NFKC", text).casefold()).strip()


# Characters that are, or decompose into, combining marks (canonical combining
# class > 0): U+0F73, U+0F75 and U+0F81 decompose into two Tibetan vowel signs,
# U+FF9E and U+FF9F (NFKC) into kana voicing marks. A test checks the list
# against `unicodedata` over every code point.
_NON_STARTER = r"\P{ccc=0}\u0f73\u0f75\u0f81\uff9e\uff9f"
_LONG_MARK_RUN = regex.compile(rf"[{_NON_STARTER}]{{64,}}")
_Form = Literal["NFC", "NFD", "NFKC", "NFKD"]


def _unicode_normalize(form: _Form, text: str) -> str:
    """`unicodedata.normalize`, in linear time.

    CPython puts combining marks in canonical order with an insertion sort,
    quadratic in the length of a run of marks: 20,000 alternating U+0301
    U+0323 took 0.25 s, a million would take hours. A text with a run of 64
    or more is decomposed character by character, each run of marks sorted
    by combining class (stable, as the standard orders them), and only then
    handed to `unicodedata.normalize`, whose sort then has nothing to do.

    >>> s = "a" + "\\u0301\\u0323" * 100
    >>> _unicode_normalize("NFC", s) == unicodedata.normalize("NFC", s)
    True
    """
    if not _LONG_MARK_RUN.search(text):
        return unicodedata.normalize(form, text)
    decompose: _Form = "NFKD" if form in ("NFKC", "NFKD") else "NFD"
    decomposed = "".join(_decompose(c, decompose) for c in text)
    out: list[str] = []
    run: list[str] = []
    for c in decomposed:
        if unicodedata.combining(c):
            run.append(c)
            continue
        if run:
            out.extend(sorted(run, key=unicodedata.combining))
            run = []
        out.append(c)
    out.extend(sorted(run, key=unicodedata.combining))
    return unicodedata.normalize(form, "".join(out))


@lru_cache(maxsize=4096)
def _decompose(char: str, form: _Form) -> str:
    return unicodedata.normalize(form, char)


# ftfy, minus the steps that would change faithful text rather than repair it:
# curly quotes and full-width characters are content, not damage.
_FTFY = ftfy.TextFixerConfig(uncurl_quotes=False, fix_character_width=False, explain=True)
_ASCII_NEEDS_FTFY = regex.compile(r"[&\x00-\x08\x0b-\x1f\x7f]")
_FTFY_TRIGGER = regex.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff"
    + "".join(regex.escape(chr(c)) for c in sorted(set(ftfy.chardata.CONTROL_CHARS) | set(ftfy.chardata.LIGATURES)))
    + "]"
)


def _badness_kernel(bad: re.Pattern[str]) -> re.Pattern[str] | None:
    """A pattern found in every text that ftfy's mojibake test ``bad`` matches.

    Derived from ftfy's own regular expression, alternative by alternative:
    each alternative needs some characters next to each other, and the two
    most telling of them form its kernel: both outside ASCII where it has
    such a pair (``[{lower_accented}][{upper_accented}]``, ``вЂ``), else the
    pair that starts with one (``[Œœ][^A-Za-z]``, ``[ÃÂ][ ]``), else one
    character (``[{c1}]``). A text that holds no kernel cannot match any
    alternative, so ``bad`` need not run. The pairs of non-ASCII characters
    are merged into one test, any character of their first halves followed
    by any of their second halves (a weaker condition, but one scan of two
    character sets instead of 37 alternatives at every position: `is_bad`
    itself costs as much as testing each kernel). The kernels are read from
    the parsed pattern, so a new ftfy brings its own; a pattern of a shape
    this does not know gives None (``bad`` then always runs).

    >>> kernel = _badness_kernel(ftfy.badness.BADNESS_RE)
    >>> [bool(kernel.search(t)) for t in ("“Quoted” — fine", "café", "cafÃ©", "Œ ", "Â ", "日本語", "Москва")]
    [False, False, True, True, True, False, False]
    """
    try:
        parsed = _sre_parser.parse(bad.pattern, bad.flags)
    except Exception:  # noqa: BLE001 - a private module: anything unexpected means "no pre-filter"
        return None
    top = list(parsed.data)
    branches = [list(b.data) for b in top[0][1][1]] if len(top) == 1 and top[0][0] is _sre.BRANCH else [top]
    firsts: set[str] = set()
    seconds: set[str] = set()
    others: list[str] = []
    for items in branches:
        kernel = _branch_kernel(items, bad.flags)
        if kernel is None:
            return None
        if len(kernel) == 2 and kernel[0][1] and kernel[1][1]:
            firsts |= kernel[0][1]
            seconds |= kernel[1][1]
        else:
            others.append("".join(pattern for pattern, _ in kernel))
    merged = [f"[{_escape_set(firsts)}][{_escape_set(seconds)}]"] if firsts else []
    return re.compile("|".join(merged + others), bad.flags & ~re.VERBOSE)


_Char = tuple[str, frozenset[str]]  # a character as a pattern, and the characters it matches if few, not ASCII


def _escape_set(chars: set[str]) -> str:
    return "".join(re.escape(c) for c in sorted(chars))


def _branch_kernel(items: list[tuple[Any, Any]], flags: int) -> list[_Char] | None:
    """The kernel of one alternative: its most telling one or two adjacent characters."""
    runs: list[list[_Char]] = [[]]
    for op, arg in items:
        if op is _sre.AT:  # an anchor takes no character: the neighbours stay adjacent
            continue
        if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and arg[0] == arg[1] == 1 and len(arg[2]) == 1:
            op, arg = next(iter(arg[2]))
        char = _char_class(op, arg, flags)
        if char is None:
            runs.append([])
        else:
            runs[-1].append(char)
    best: tuple[float, list[_Char]] | None = None
    for run in runs:
        for i, a in enumerate(run):
            candidates = [(2.5 if a[1] else 0.0, [a])]
            if i + 1 < len(run):
                b = run[i + 1]
                score = 4.0 if a[1] and b[1] else 3.0 if a[1] else 2.0 if b[1] else 1.0
                candidates.append((score, [a, b]))
            for candidate in candidates:
                if best is None or candidate[0] > best[0]:
                    best = candidate
    return None if best is None else best[1]


def _char_class(op: Any, arg: Any, flags: int) -> _Char | None:
    """One character of a parsed pattern as a pattern, with the characters it
    matches when they are few and none is ASCII (else an empty set); None if
    it is not exactly one character."""
    none: frozenset[str] = frozenset()
    if op is _sre.LITERAL:
        narrow = arg >= 0x80 and not flags & re.IGNORECASE
        return re.escape(chr(arg)), frozenset(chr(arg)) if narrow else none
    if op is _sre.NOT_LITERAL:
        return f"[^{re.escape(chr(arg))}]", none
    if op is _sre.ANY:
        return ("(?s:.)" if flags & re.DOTALL else "[^\n]"), none
    if op is not _sre.IN:
        return None
    parts, chars, narrow = [], set(), not flags & re.IGNORECASE
    for item, value in arg:
        if item is _sre.NEGATE:
            parts.append("^")
            narrow = False
        elif item is _sre.LITERAL:
            parts.append(re.escape(chr(value)))
            chars.add(chr(value))
        elif item is _sre.RANGE:
            parts.append(f"{re.escape(chr(value[0]))}-{re.escape(chr(value[1]))}")
            chars.update(map(chr, range(value[0], value[1] + 1)))
        elif item is _sre.CATEGORY and value in _CATEGORIES:
            parts.append(_CATEGORIES[value])
            narrow = False
        else:
            return None
    narrow = narrow and len(chars) < 2000 and min(chars, default="\x00") >= "\x80"
    return "[" + "".join(parts) + "]", frozenset(chars) if narrow else none


_CATEGORIES = {
    _sre.CATEGORY_DIGIT: r"\d", _sre.CATEGORY_NOT_DIGIT: r"\D",
    _sre.CATEGORY_SPACE: r"\s", _sre.CATEGORY_NOT_SPACE: r"\S",
    _sre.CATEGORY_WORD: r"\w", _sre.CATEGORY_NOT_WORD: r"\W",
}
_MAYBE_MOJIBAKE = _badness_kernel(ftfy.badness.BADNESS_RE)

# Line and paragraph separators. A line break ends a line as "\n" does (the
# line may still be reflowed with the next one, or be a line of a preformatted
# block); a paragraph break also ends the paragraph, as a blank line does:
# U+2029 says so, and a form feed starts a new page. Left inside a line, ftfy
# would delete \v and U+001C-U+001E as control characters ("one\vtwo" became
# "onetwo") and turn U+2028 into a "\n" inside the line, a paragraph break
# only on the next pass. U+0085 (NEL) is a line break too, except where it
# continues a UTF-8 sequence read as Latin-1 or Windows-1252: after a lead
# byte and the continuation bytes it still expects ("Ã\x85" is the mojibake
# of "Å", "å\x85\x85" of "充"), ftfy repairs it. (ftfy alone would read a
# lone U+0085 as "…".)
_LEAD, _CONT = "\xc2-\xf4", "\x80-\xbf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"
_BREAK = regex.compile(
    r"\r\n|[\n\r\v\x1c-\x1e\u2028]|(?P<para>[\f\u2029])"
    rf"|(?<!(?:[{_LEAD}]|[\xe0-\xf4][{_CONT}]|[\xf0-\xf4][{_CONT}][{_CONT}]))\x85"
)
# Spaces that become one ASCII space outside preformatted blocks.
_SPACE = "\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
_ZERO_WIDTH = "\u200b\ufeff"
_WS_RUN = regex.compile(rf"[ {_SPACE}{_ZERO_WIDTH}]+")
_CODE_LINE = regex.compile(r"(?:[;{}()\[\]]|=>)\s*$|^\s*(?:[})\]]|//|/\*|#include|<[a-z/])|\);")
_INDENTED = regex.compile(r"^(?:\t| {2,})\S")
_ALIGNED = regex.compile(r"\S(?: {3,}|\t)\S")
_TERMINAL = tuple(".!?:;。！？…\"”’»")
_CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Thai}]")
_TRUNCATED = regex.compile(r"(?:\w ?(?:…|\.\.\.|\[…\])|(?:…|\.\.\.)\s*\w+(?: \w+)?)$")
_LIST_ITEM = regex.compile(r"^(?:[-*•·]|\d{1,3}[.)])\s")
_WORD = regex.compile(r"[\p{L}\p{M}'’-]+[.,;:!?]?")
_PROSE_WORDS = 40

# Glued sentences: a sentence end with no space before the next sentence,
# "reported.A large-scale", 'said."Currently', "dad.The average". The
# candidates are a stop after two letters or digits ("U.S.A", "e.g.The",
# "3.14" are never candidates), maybe closing quotes, then a capital followed
# by a small letter, a space, an apostrophe or the end of the line ("Node.JS",
# "OS.File" never are). Then `_junction` decides, in this order:
#
# 1. a closing quote after the stop ('said."Currently', 'phenomenon.”There'):
#    glued, for names hold no quotes. (An opening quote after the stop,
#    'percent.“We', is no candidate, as before.)
# 2. "!" or "?": glued; names hold none either.
# 3. a word outside ASCII on either side ("сказал.Это", "été.Le"): glued;
#    names in code are ASCII.
# 4. "." between two ASCII words is where a name and a glued sentence look
#    alike. The shape says "name" when a part is CamelCase or capitals
#    ("os.PathLike", "System.IO.File"), when the left part holds "_" or mixes
#    letters and digits ("utf8.Decoder"), when the token is a link of a chain
#    or a path ("com.example.Foo", "http://x.Foo", "Foo.Bar.baz"), when a
#    call, an index, an assignment or a type argument follows ("Foo.Bar()",
#    "x.Y[0]", "a.B=1", "List.Of<T>"), or when it stands alone between
#    backticks, quotes or brackets ("`numbers.Real`", "(os.Walk)").
# 5. What is left, a word, a dot and a capitalized word, looks the same in
#    "an instance of numbers.Real is required" and "for mom and dad.The
#    average": the shape cannot tell them apart. The capitalized word can:
#    "The" is capitalized only because a sentence starts there (a function
#    word never names a type), "Real" is a name. So the pair is glued when
#    the capitalized word is a common sentence opener (`_OPENERS`: function
#    words of English and the main Latin-script languages, sentence adverbs
#    in "-ly", "Currently", and the openers of page furniture, "Posted by"),
# 6. or when the document itself ends a sentence with the first word and
#    starts one with the second elsewhere (`_Evidence`): "dad. The",
#    "dad.\n\nThe", the clean twin of a glued copy, even one that has a
#    paragraph more in between (scrapers glue paragraphs; a copy that drops
#    one glues the words of two other paragraphs).
#    Otherwise it is left alone: "numbers.Real", "Football.London". Glued
#    text this misses ("do.Mortified as I was", "later.Ezra Acayan") keeps
#    the input's own spelling: nothing is lost, and copies of it are still
#    found glued (collapse compares glued text too).
_GLUE = regex.compile(r"(?<=[\p{L}\p{N}][\p{Ll}\p{N}][.!?][\"”’]{0,3})(?=\p{Lu}(?:[\p{Ll}\s'’\u200b\ufeff]|$))")
_QUOTES = "\"”’"
#: A word longer than this next to a stop is no word of a sentence.
_MAX_WORD = 40
_WORD_BEFORE = regex.compile(r"\w+", regex.REVERSE)
_WORD_AFTER = regex.compile(r"\w+")
_PLAIN_LEFT = regex.compile(r"[A-Za-z]?[a-z]+|[0-9]+")
_PLAIN_RIGHT = regex.compile(r"[A-Z][a-z]*")
_CHAIN_BEFORE = frozenset("./\\@:#$~`")
_CALL_AFTER = frozenset("([<{=`")
_CHAIN_NEXT = regex.compile(r"[\p{Ll}\p{N}_]")
_ZERO_WIDTH_TO_SPACE = str.maketrans(dict.fromkeys(_ZERO_WIDTH, " "))
_PAIRS = {"'": "'", '"': '"', "(": ")", "[": "]", "<": ">", "‘": "’", "“": "”"}
_OPENERS = frozenset(
    # English: articles, pronouns, prepositions, conjunctions, common openers
    """the a an this that these those some each every all both no another such what which whose
    i we you he she it they there here one none nothing everyone everything someone something
    my our your his her its their in on at by for from with without after before during since until
    about above across against along among around as behind below beneath beside between beyond
    despite inside into like near of off onto out outside over past through throughout to toward
    towards under unlike upon via within and but or so yet nor if when while although though because
    unless whether once where why how however therefore thus hence moreover furthermore meanwhile
    instead also still then now today yesterday tomorrow first second third next last later earlier
    again indeed perhaps maybe yes not never always often sometimes even just only already soon rather
    overall besides nevertheless according is are was were be been do does did have has had can
    could will would shall should may might must let please thanks thank
    posted published updated written photo credit click subscribe advertisement
    le la les un une des du il elle ils elles nous vous ce cette ces mais et ou donc car si quand
    dans sur pour avec sans selon
    der die das ein eine er sie es wir ich ihr aber und oder wenn dann auch doch im am zum zur
    el los las una unos unas ella ellos pero y cuando como en con para por
    os um uma ele ela eles mas e ou quando na no com
    il lo gli uno ma anche
    het een wij maar en""".split()
)


def _junction(text: str, at: int) -> tuple[bool | None, str, str]:
    """Rules 1 to 5 above for the `_GLUE` candidate at ``at``: glued (True), a
    name (False) or undecided (None, rule 6 decides), and the words around it.

    >>> def junction(t): return _junction(t.replace("|", ""), t.index("|"))[0]
    >>> [junction(t) for t in ("dad.|The average", 'said."|Currently', "сказал.|Это", "os.|PathLike")]
    [True, True, True, False]
    >>> [junction(t) for t in ("Foo.|Bar()", "`numbers.|Real`", "a numbers.|Real instance", "by dad.|Mortified")]
    [False, False, None, None]
    """
    stop = at - 1
    while text[stop] in _QUOTES:
        stop -= 1
    left = _WORD_BEFORE.match(text, max(0, stop - _MAX_WORD - 1), stop)
    right = _WORD_AFTER.match(text, at, at + _MAX_WORD + 1)
    x = left.group() if left else ""
    y = right.group() if right else ""
    if stop < at - 1 or text[stop] != ".":
        return True, x, y
    if left is None or right is None or not (x + y).isascii():
        return True, x, y
    if len(x) > _MAX_WORD or len(y) > _MAX_WORD:
        return False, x, y
    if not _PLAIN_LEFT.fullmatch(x) or not _PLAIN_RIGHT.fullmatch(y):
        return False, x, y  # CamelCase, capitals, "_", letters and digits mixed
    # The context is read as the next pass will see it: zero-width spaces will
    # be spaces, and so will the character before a word that follows another
    # candidate, which may be repaired ("Foo.Bar.Baz", 'said."Foo.Bar"').
    before = text[left.start() - 1] if left.start() else " "
    if before in _ZERO_WIDTH or _GLUE.match(text, left.start()):
        before = " "
    after = (text[right.end() : right.end() + 2] + "  ")[:2].translate(_ZERO_WIDTH_TO_SPACE)
    if before in _CHAIN_BEFORE or after[0] in _CALL_AFTER or _PAIRS.get(before) == after[0]:
        return False, x, y
    # A chain goes on with a lower-case part ("Foo.Bar.baz"): "Foo.Bar.Baz"
    # goes on with another candidate, decided on its own.
    if (after[0] == "." and _CHAIN_NEXT.match(after[1])) or (after[0] == ":" and after[1].isalnum()):
        return False, x, y
    if after in ("->", "::"):
        return False, x, y
    folded = y.casefold()
    if folded in _OPENERS or (len(folded) > 5 and folded.endswith("ly")):
        return True, x, y
    return None, x, y


def _glued(text: str, at: int, evidence: _Evidence) -> bool:
    """Is the `_GLUE` candidate at ``at`` a glued sentence end (rather than a name)?

    >>> def glued(t, doc=""): return _glued(t.replace("|", ""), t.index("|"), _Evidence([_Line(0, 0, doc, False)]))
    >>> glued("dad.|The average"), glued("an instance of numbers.|Real is required")
    (True, False)
    >>> glued("by dad.|Mortified"), glued("by dad.|Mortified", "I asked dad. Mortified, I left.")
    (False, True)
    """
    verdict, x, y = _junction(text, at)
    return (x, y) in evidence if verdict is None else verdict


#: A sentence break the text makes itself: a stop, maybe closing quotes, a space, a capital.
_SENTENCE_BREAK = regex.compile(r"(?<=\w)[.!?][\"”’)»]{0,3}+[\s\u200b\ufeff]++[\"“‘(«]?(?=\p{Lu})")


class _Evidence:
    """The words the document ends a sentence with and starts one with (rule 6
    above), found on first use.

    Found on the fixed lines of the whole document (a break across lines
    counts), adding the words of every candidate that rules 1 to 5 glue: so
    the text `normalize` makes has the same words at sentence breaks as its
    input, and a second pass decides every candidate as the first did
    (`normalize` is a fixed point).

    >>> lines = [_Line(0, 0, t, False) for t in ("I asked dad. He left.", "Mortified, I stayed.")]
    >>> ("dad", "Mortified") in _Evidence(lines), ("Mortified", "dad") in _Evidence(lines)
    (True, False)
    """

    def __init__(self, lines: list[_Line]) -> None:
        self._lines = lines
        self._breaks: tuple[set[str], set[str]] | None = None

    def __contains__(self, pair: tuple[str, str]) -> bool:
        if self._breaks is None:
            self._breaks = _sentence_breaks("\n".join(line.text for line in self._lines))
        ends, starts = self._breaks
        return pair[0] in ends and pair[1] in starts


def _sentence_breaks(text: str) -> tuple[set[str], set[str]]:
    """The words that end a sentence of ``text``, and the words that start one."""
    ends, starts = set(), set()
    for m in _SENTENCE_BREAK.finditer(text):
        left = _WORD_BEFORE.match(text, max(0, m.start() - _MAX_WORD - 1), m.start())
        right = _WORD_AFTER.match(text, m.end(), m.end() + _MAX_WORD + 1)
        if left and right and len(left.group()) <= _MAX_WORD and len(right.group()) <= _MAX_WORD:
            ends.add(left.group())
            starts.add(right.group())
    for m in _GLUE.finditer(text):
        verdict, x, y = _junction(text, m.start())
        if verdict:
            ends.add(x)
            starts.add(y)
    return ends, starts


class Paragraph(NamedTuple):
    """A paragraph of the normalized text: ``text[start:end]``, no separator."""

    start: int
    end: int
    pre: bool = False
    repairs: int = 0  #: repairs it needed (ftfy, NFC, glued sentences, reflow), truncation
    truncated: bool = False  #: ends cut short, as teasers do: "... was based on…", "… Continued"


class OffsetMap:
    """Maps code point offsets of the normalized text to offsets of the raw input.

    Built from pieces: a piece is a stretch of normalized text and the raw span
    it came from. Unchanged pieces map one to one; changed pieces map linearly.
    """

    def __init__(self, raw_length: int) -> None:
        self._norm: list[int] = []
        self._raw: list[tuple[int, int, int, bool]] = []
        self._length = 0
        self.raw_length = raw_length

    def add(self, length: int, raw_start: int, raw_end: int, exact: bool) -> None:
        if length:
            self._norm.append(self._length)
            self._raw.append((raw_start, raw_end, length, exact))
            self._length += length

    def truncate(self, length: int) -> None:
        """Forget the pieces from normalized offset ``length`` on (they start there)."""
        k = bisect_right(self._norm, length - 1) if length else 0
        del self._norm[k:], self._raw[k:]
        self._length = length

    def to_input(self, pos: int) -> int:
        """The raw offset of normalized offset ``pos`` (``len(text)`` maps to the end)."""
        if pos >= self._length:
            return self.raw_length
        k = bisect_right(self._norm, pos) - 1
        raw_start, raw_end, length, exact = self._raw[k]
        delta = pos - self._norm[k]
        return raw_start + delta if exact else raw_start + delta * (raw_end - raw_start) // length


@dataclass(frozen=True)
class Normalized:
    """The normalized text, its paragraphs, the changes made and the offset map."""

    text: str
    paragraphs: tuple[Paragraph, ...]
    fixes: dict[str, int]
    offsets: OffsetMap


@dataclass
class _Line:
    raw_start: int
    raw_end: int
    text: str  # after ftfy and NFC, before whitespace changes
    changed: bool  # ftfy or NFC changed it: map the line linearly


def _needs_ftfy(line: str) -> bool:
    """Could ftfy (as configured here) change this line, apart from NFC?

    Every ftfy step acts only on characters this checks for: ``&`` (HTML
    entities), ESC, C0/C1 controls and the other control characters ftfy
    removes, ligatures, line separators, surrogates; and mojibake, which
    ftfy itself only fixes where its `is_bad` test finds it. `is_bad` runs
    only where its kernel (`_badness_kernel`) is found: most lines outside
    ASCII (curly quotes, accented words, CJK) cannot match it. Tests check
    this against ftfy on every line of the sample texts and on random text.
    """
    if line.isascii():
        return _ASCII_NEEDS_FTFY.search(line) is not None
    if "&" in line or _FTFY_TRIGGER.search(line) is not None:
        return True
    if _MAYBE_MOJIBAKE is not None and _MAYBE_MOJIBAKE.search(line) is None:
        return False
    return ftfy.badness.is_bad(line)


def _fix_line(line: str, config: Config, fixes: Counter[str]) -> tuple[str, bool]:
    """ftfy (behind a cheap pre-check, `_needs_ftfy`) and NFC."""
    if not line.isascii() and _LONG_MARK_RUN.search(line):
        # NFC first, in linear time: ftfy would run CPython's quadratic one.
        normalized = _unicode_normalize("NFC", line)
        if normalized != line:
            fixes["nfc"] += 1
            fixed, _ = _fix_line(normalized, config, fixes)
            return fixed, True
    if config.fix_text and _needs_ftfy(line):
        fixed, steps = ftfy.fix_and_explain(line, config=_FTFY)
        if fixed != line:
            names = {f"fix_text.{p}" if a == "apply" else "fix_text.fix_encoding" for a, p in steps or ()}
            fixes.update(names or {"fix_text"})
            return fixed, True
    if not line.isascii() and not unicodedata.is_normalized("NFC", line):
        fixes["nfc"] += 1
        return _unicode_normalize("NFC", line), True
    return line, False


def _fixed_lines(raw: str, start: int, end: int, config: Config, fixes: Counter[str]) -> Iterator[_Line]:
    """The line ``raw[start:end]`` after `_fix_line`: one line, or several where
    ftfy decoded a separator ("&#10;", the mojibake of U+2028)."""
    text, changed = _fix_line(raw[start:end], config, fixes)
    return _split_fixed(raw, start, end, text, changed, config, fixes, 0)


def _split_fixed(raw: str, start: int, end: int, text: str, changed: bool, config: Config,
                 fixes: Counter[str], depth: int) -> Iterator[_Line]:
    if not changed or depth > 8 or _BREAK.search(text) is None:
        yield _Line(start, end, text, changed)
        return
    to_raw = _LineMap(raw[start:end], text)
    pos = 0
    for m in [*_BREAK.finditer(text), None]:
        stop = len(text) if m is None else m.start()
        # Each line is fixed again on its own, as the next pass will see it:
        # ftfy reads a line start ("^Â ") and a whole line's encoding.
        piece, _ = _fix_line(text[pos:stop], config, fixes)
        piece_end = end if m is None else start + to_raw(stop)
        yield from _split_fixed(raw, start + to_raw(pos), piece_end, piece, True, config, fixes, depth + 1)
        if m is not None and m.group("para"):
            yield _Line(piece_end, piece_end, "", True)
        pos = stop if m is None else m.end()


class _LineMap:
    """Positions of a changed line (``text``) to positions of its raw line:
    the common head and tail map exactly; in the changed middle, the runs of
    characters that the fix left alone ("v&eacute;lo? Nous" and "vélo? Nous")
    map exactly too, and what lies between them linearly.

    >>> m = _LineMap("v&eacute;lo? Nous", "vélo? Nous")
    >>> m(2), m(4), m(5), m.exact(2, 6), m.exact(0, 2)
    (9, 11, 12, True, False)
    """

    #: Characters of the text that must match to take up the raw line again after a change.
    _SYNC = 4
    #: How far ahead (in raw characters) a change may end, and how many changes a line may have.
    _WINDOW, _MAX_RUNS = 64, 256

    def __init__(self, raw: str, text: str) -> None:
        self.head = _common_prefix(raw, text)
        tail = min(_common_suffix(raw, text), len(raw) - self.head, len(text) - self.head)
        self.middle_end = len(text) - tail
        self.raw_length, self.length, self.tail = len(raw), len(text), tail
        # Exact runs in the middle: starts in the text, starts in the raw line, lengths.
        self._runs: list[tuple[int, int, int]] = self._align(raw, text)
        self._starts = [t for t, _, _ in self._runs]

    def _align(self, raw: str, text: str) -> list[tuple[int, int, int]]:
        runs: list[tuple[int, int, int]] = []
        i, j = self.head, self.head
        raw_end, text_end = self.raw_length - self.tail, self.middle_end
        while i < raw_end and j < text_end and len(runs) < self._MAX_RUNS:
            found = self._resync(raw, text, i, j, raw_end)
            if found is None:
                break
            i, j = found
            n = _common_prefix(raw[i:raw_end], text[j:text_end])
            runs.append((j, i, n))
            i, j = i + n, j + n
        return runs

    def _resync(self, raw: str, text: str, i: int, j: int, raw_end: int) -> tuple[int, int] | None:
        """Where the raw line takes up the text again after a change: the first
        of the next few stretches of ``text`` (from ``j``) that the raw line
        holds a little after ``i``."""
        for skip in range(self._SYNC * 2):
            probe = text[j + skip : j + skip + self._SYNC]
            if len(probe) < self._SYNC:
                return None
            at = raw.find(probe, i, min(raw_end, i + self._WINDOW + self._SYNC))
            if at >= 0:
                return at, j + skip
        return None

    def __call__(self, pos: int) -> int:
        if pos <= self.head:
            return pos
        if pos >= self.middle_end:
            return self.raw_length - (self.length - pos)
        k = bisect_right(self._starts, pos) - 1
        if k >= 0:
            t, r, n = self._runs[k]
            if pos <= t + n:
                return r + pos - t
            lo_t, lo_r = t + n, r + n
        else:
            lo_t, lo_r = self.head, self.head
        if k + 1 < len(self._runs):
            hi_t, hi_r = self._runs[k + 1][0], self._runs[k + 1][1]
        else:
            hi_t, hi_r = self.middle_end, self.raw_length - self.tail
        return lo_r + (pos - lo_t) * (hi_r - lo_r) // max(1, hi_t - lo_t)

    def cuts(self, start: int, end: int) -> list[int]:
        """``start``, ``end`` and the bounds of unchanged stretches between them."""
        bounds = {self.head, self.middle_end}
        for t, _, n in self._runs:
            bounds.update((t, t + n))
        return sorted({start, end} | {c for c in bounds if start < c < end})

    def exact(self, start: int, end: int) -> bool:
        """Does ``text[start:end]`` lie in the unchanged head or tail, or in one unchanged run?"""
        if end <= self.head or start >= self.middle_end:
            return True
        k = bisect_right(self._starts, start) - 1
        return k >= 0 and end <= self._starts[k] + self._runs[k][2]


_BLANK_CHARS = " \t\n\r\x0b\x0c\u00a0\u1680\u2028\u2029\u202f\u205f\u3000\u200b\ufeff" + "".join(
    chr(c) for c in range(0x2000, 0x200B))


def _is_blank(text: str) -> bool:
    return not text.strip(_BLANK_CHARS)


def _split_pre(block: list[_Line]) -> list[tuple[list[_Line], bool]]:
    """Split a block into preformatted runs (code, aligned tables) and the rest.

    A line looks preformatted when it is indented, has aligned columns, or
    ends or starts like code (``;``, braces, brackets, a call). Two or more
    such lines in a row are preformatted; a block with no line of prose
    (12 words or more that looks like none of these) is preformatted whole.

    >>> def lines(*texts): return [_Line(0, 0, t, False) for t in texts]
    >>> [(len(g), pre) for g, pre in _split_pre(lines("SELECT avg(n)", "FROM t;"))]
    [(2, True)]
    >>> [(len(g), pre) for g, pre in _split_pre(lines("A line of prose,", "and another one."))]
    [(2, False)]
    >>> text = "Then we call it, as this long explanation in plain words shows:"
    >>> [(len(g), pre) for g, pre in _split_pre(lines(text, "f(x);", "g(y);"))]
    [(1, False), (2, True)]
    """
    if len(block) < 2:
        return [(block, False)]
    # Judged as the lines will be written (trailing blanks go), so that the
    # next pass judges them alike.
    texts = [line.text.rstrip(_BLANK_CHARS) for line in block]
    flags = [not _long_prose(t) and bool(_INDENTED.match(t) or _CODE_LINE.search(t) or _ALIGNED.search(t.strip(_BLANK_CHARS)))
             for t in texts]
    if sum(flags) < 2:
        return [(block, False)]
    indented = any(_INDENTED.match(t) for t in texts[1:])
    aligned = sum(1 for t in texts if _ALIGNED.search(t.strip(_BLANK_CHARS))) >= 2
    code = sum(1 for t in texts if _CODE_LINE.search(t)) * 5 >= len(block) * 3
    prose = any(not f and len(t.split()) >= 12 for f, t in zip(flags, texts))
    if (indented or aligned or code) and not prose:
        return [(block, True)]
    out: list[tuple[list[_Line], bool]] = []
    k = 0
    while k < len(block):
        m = k
        while m < len(block) and flags[m] == flags[k]:
            m += 1
        pre = flags[k] and m - k >= 2
        if out and out[-1][1] == pre:
            out[-1][0].extend(block[k:m])
        else:
            out.append((block[k:m], pre))
        k = m
    return out


def _long_prose(line: str) -> bool:
    """Is this line long running prose, whatever it ends with? (A copy of an
    article glued into one line may end in the code that closed it.)"""
    words = line.split()
    return len(words) >= _PROSE_WORDS and 3 * sum(1 for w in words if _WORD.fullmatch(w)) >= 2 * len(words)


def _wrapped(lines: list[str]) -> list[bool]:
    """For each line but the last: does it continue on the next line (hard wrap)?

    A line was wrapped when the next line's first word would not have fitted
    on it: ``len(line) + 1 + len(word) > width``, the width being the longest
    line of the block. All lines of a block must pass, so poems and lists of
    short lines are not joined, nor lists; a block of two lines must not end
    its first line with a sentence end either.
    """
    joins = [False] * (len(lines) - 1)
    if len(lines) < 2 or not all(lines):
        return joins
    width = max(len(line) for line in lines)
    if width < 50:
        return joins
    for i in range(len(lines) - 1):
        nxt = lines[i + 1]
        word = nxt.split(" ", 1)[0]
        if len(lines[i]) + 1 + len(word) <= width or len(lines[i]) < width // 2:
            return joins
    if sum(1 for line in lines if _LIST_ITEM.match(line)) >= 2:  # a list of long items
        return joins
    if sum(1 for line in lines[:-1] if line.endswith(_TERMINAL)) * 2 > len(lines) - 1:
        return joins  # lines that end sentences: one per line, not wrapped
    if len(lines) == 2 and lines[0].endswith(_TERMINAL):
        return joins
    return [True] * (len(lines) - 1)


class _Builder:
    """Accumulates normalized text with its offset map."""

    def __init__(self, raw: str, evidence: _Evidence) -> None:
        self.raw = raw
        self.parts: list[str] = []
        self.length = 0
        self.offsets = OffsetMap(len(raw))
        self.evidence = evidence

    def add(self, text: str, raw_start: int, raw_end: int, exact: bool | None = None) -> None:
        if exact is None:
            exact = len(text) == raw_end - raw_start and self.raw[raw_start:raw_end] == text
        self.parts.append(text)
        self.offsets.add(len(text), raw_start, raw_end, exact)
        self.length += len(text)

    def add_changed(self, text: str, raw_start: int, raw_end: int) -> None:
        """Add text that replaces ``raw[raw_start:raw_end]``: what the change
        left alone maps exactly, the rest linearly (`_LineMap`)."""
        to_raw = _LineMap(self.raw[raw_start:raw_end], text)
        for a, b in pairwise(to_raw.cuts(0, len(text))):
            self.add(text[a:b], raw_start + to_raw(a), raw_start + to_raw(b), to_raw.exact(a, b))

    def mark(self) -> tuple[int, int]:
        return len(self.parts), self.length

    def text_since(self, mark: tuple[int, int]) -> str:
        return "".join(self.parts[mark[0] :])

    def rewind(self, mark: tuple[int, int]) -> None:
        """Drop what was added since `mark`."""
        del self.parts[mark[0] :]
        self.offsets.truncate(mark[1])
        self.length = mark[1]

    def add_line(self, line: _Line, pre: bool, config: Config, fixes: Counter[str]) -> int:
        """Add one line with whitespace and glued sentences repaired; return the glue count."""
        glued = 0
        if pre:
            text = line.text.rstrip(_BLANK_CHARS)  # what `_is_blank` calls blank (not "\x1f")
            fixes["whitespace"] += len(text) != len(line.text)
            if text != line.text:
                stable = _stabilize(text, True, config, fixes, self.evidence)
                if stable != text:
                    self.add_changed(stable, line.raw_start, line.raw_end)
                    return 0
            pieces = [(text, 0, len(text), True)]
        else:
            pieces, spaces, glued = _edit_line(line.text, config.whitespace, config.glued_sentences, self.evidence)
            fixes["whitespace"] += spaces
            fixes["glued_sentences"] += glued
        if line.changed:
            # ftfy or NFC changed the line: the common head and tail map exactly,
            # the changed middle linearly.
            to_raw = _LineMap(self.raw[line.raw_start : line.raw_end], line.text)
            for text, start, end, exact in pieces:
                if not exact:
                    self.add(text, line.raw_start + to_raw(start), line.raw_start + to_raw(end), False)
                    continue
                # An unchanged piece is cut where the changed middle starts and
                # ends, so that its parts in the head and tail map exactly.
                for a, b in pairwise(to_raw.cuts(start, end)):
                    self.add(text[a - start : b - start], line.raw_start + to_raw(a), line.raw_start + to_raw(b),
                             to_raw.exact(a, b))
        else:
            for text, start, end, exact in pieces:
                self.add(text, line.raw_start + start, line.raw_start + end, exact)
        return glued


# Whitespace that is not already one plain space between two words: a run
# at either end of the line, two or more spaces, or any other space character.
_WS_EDIT = (rf"^[ {_SPACE}{_ZERO_WIDTH}]+|[ {_SPACE}{_ZERO_WIDTH}]+$"
            rf"| [ {_SPACE}{_ZERO_WIDTH}]+|[{_SPACE}{_ZERO_WIDTH}][ {_SPACE}{_ZERO_WIDTH}]*")
_EDIT = regex.compile(rf"(?P<ws>{_WS_EDIT})|{_GLUE.pattern}")


def _edit_line(
    text: str, whitespace: bool, glue: bool, evidence: _Evidence | None = None
) -> tuple[list[tuple[str, int, int, bool]], int, int]:
    """Split a line into unchanged pieces and edits: spaces of every kind to one
    ASCII space (none at either end), a space between glued sentences.

    Returns the pieces ``(new_text, start, end, unchanged)`` over ``text``
    and the counts of whitespace and glue edits.

    >>> pieces, spaces, glued = _edit_line(' reported.A  large. He said."Currently, yes.', True, True)
    >>> "".join(p[0] for p in pieces)
    'reported. A large. He said. "Currently, yes.'
    >>> "".join(p[0] for p in _edit_line('"We wait."Currently, yes.', True, True)[0])
    '"We wait." Currently, yes.'
    >>> spaces, glued
    (2, 2)
    >>> _edit_line("the U.S. e.g.The 3.14 example.com Node.JS numbers.Real os.PathLike Foo.Bar()", True, True)[2]
    0
    """
    evidence = evidence if evidence is not None else _Evidence([])
    pieces: list[tuple[str, int, int, bool]] = []
    spaces = glued = pos = 0
    quotes, counted = 0, 0  # straight double quotes before `counted`
    for m in _EDIT.finditer(text):
        start, end = m.start(), m.end()
        if m.group("ws") is not None:
            if not whitespace:
                continue
            new = "" if start == 0 or end == len(text) else " "
            if m.group() == new:
                continue
            spaces += 1
        else:
            if not glue or not _glued(text, start, evidence):
                continue
            new = " "
            glued += 1
            if text[start - 1] == '"':
                # A straight quote after the stop opens the next sentence unless
                # one is open before it: 'said."Currently' -> 'said. "Currently'.
                quotes += text.count('"', counted, start - 1)
                counted = start - 1
                if quotes % 2 == 0:
                    start = end = start - 1
        if pos < start:
            pieces.append((text[pos:start], pos, start, True))
        pieces.append((new, start, end, False))
        pos = end
    if pos < len(text):
        pieces.append((text[pos:], pos, len(text), True))
    return pieces, spaces, glued


def _stabilize(text: str, pre: bool, config: Config, fixes: Counter[str], evidence: _Evidence) -> str:
    """``text`` (a paragraph, or a line of a preformatted one) repaired again
    until the next pass would leave it as it is.

    ftfy and NFC ran on each raw line; the whitespace, glue and reflow
    repairs after them can make new damage visible: "Ã" and a space once
    U+2003 is a space ("Ã " is the mojibake of "à"), "Â“" at the start of a
    line once its NBSP is gone, a line that encodes as Windows-1252 once an
    ideographic space is gone, two Hangul jamo that compose once joined. A
    separator that ftfy decodes here (none did on the raw lines) becomes a
    space.
    """
    for _ in range(4):
        fixed, changed = _fix_line(text, config, fixes)
        if not changed:
            break
        fixed = _BREAK.sub(" ", fixed)
        if pre:
            text = fixed.rstrip(_BLANK_CHARS)
            continue
        pieces, spaces, glued = _edit_line(fixed, config.whitespace, config.glued_sentences, evidence)
        fixes["whitespace"] += spaces
        fixes["glued_sentences"] += glued
        text = "".join(piece[0] for piece in pieces)
    return text


def _common_prefix(a: str, b: str) -> int:
    """The length of the common prefix of two strings (halving: slices compare in C).

    >>> _common_prefix("abcdef", "abcxef"), _common_prefix("ab", "abc"), _common_prefix("", "x")
    (3, 2, 0)
    """
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    lo, hi = 0, n  # a[:lo] == b[:lo], a[:hi] != b[:hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid
    return lo


def _common_suffix(a: str, b: str) -> int:
    """The length of the common suffix of two strings.

    >>> _common_suffix("abcdef", "xbcdef"), _common_suffix("ab", "b"), _common_suffix("a", "")
    (5, 1, 0)
    """
    n = min(len(a), len(b))
    if a[len(a) - n :] == b[len(b) - n :]:
        return n
    lo, hi = 0, n  # the last lo agree, the last hi do not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[len(a) - mid : len(a) - lo] == b[len(b) - mid : len(b) - lo]:
            lo = mid
        else:
            hi = mid
    return lo


def _join_char(left: str, right: str) -> str:
    return "" if _CJK.match(left[-1:]) and _CJK.match(right[:1]) else " "


# `_normalize_plain`: a table over code points, a bit per thing to look for.
_NOT_PLAIN = 1  #: a line break other than "\n", "&", a character ftfy acts on (`_needs_ftfy`)
_ODD_SPACE = 2  #: whitespace `_edit_line` changes wherever it stands
_BEFORE_GLUE = 4  #: what stands right before a glued sentence (`_GLUE`): a stop or a closing quote
_NOT_ASCII_ALPHA = 8  #: what may open one: not ASCII, or an ASCII capital (a superset of \p{Lu})


@lru_cache(maxsize=1)
def _plain_table() -> Any:
    import numpy as np

    table = np.zeros(0x11_0000, dtype=np.uint8)
    for lo, hi in ((0x00, 0x08), (0x0B, 0x1F), (0x7F, 0x9F), (0xD800, 0xDFFF)):  # `_FTFY_TRIGGER`'s ranges
        table[lo : hi + 1] |= _NOT_PLAIN
    for c in "&\r\x85\u2028\u2029":
        table[ord(c)] |= _NOT_PLAIN
    for code in [*ftfy.chardata.CONTROL_CHARS, *ftfy.chardata.LIGATURES]:  # code points (dict keys), as `_FTFY_TRIGGER`
        table[code] |= _NOT_PLAIN
    for c in "\t\u00a0\u1680\u202f\u205f\u3000" + _ZERO_WIDTH + "".join(map(chr, range(0x2000, 0x200B))):  # `_SPACE`
        table[ord(c)] |= _ODD_SPACE
    for c in ".!?" + _QUOTES:
        table[ord(c)] |= _BEFORE_GLUE
    table[0x80:] |= _NOT_ASCII_ALPHA
    table[ord("A") : ord("Z") + 1] |= _NOT_ASCII_ALPHA
    return table


def _ascii_safe_kernel() -> bool:
    """Does every match of `_MAYBE_MOJIBAKE` hold a character outside ASCII
    in its first two (a kernel is one or two characters long)?"""
    if _MAYBE_MOJIBAKE is None:
        return False
    ascii_chars = [chr(c) for c in range(128)]
    return not any(_MAYBE_MOJIBAKE.match(a + b) for a in ascii_chars for b in [*ascii_chars, ""])


_ASCII_SAFE_KERNEL: bool | None = None


def _maybe_mojibake(raw: str, outside_ascii: Any) -> bool:
    """`_MAYBE_MOJIBAKE.search(raw)`, looked for only around the characters
    outside ASCII (``outside_ascii``: their positions) when they are few."""
    global _ASCII_SAFE_KERNEL
    if _MAYBE_MOJIBAKE is None:
        return True
    if _ASCII_SAFE_KERNEL is None:
        _ASCII_SAFE_KERNEL = _ascii_safe_kernel()
    if not _ASCII_SAFE_KERNEL or len(outside_ascii) > 64:
        return _MAYBE_MOJIBAKE.search(raw) is not None
    match = _MAYBE_MOJIBAKE.match
    return any(match(raw, i) or (i and match(raw, i - 1)) for i in outside_ascii.tolist())


_GLUE_ANY_LINE = regex.compile(rf"(?m){_GLUE.pattern}")


def _fixes_no_line(raw: str) -> bool:
    """Does ``raw`` break lines with "\n" only and hold nothing `_fix_line`
    acts on (a character ftfy may act on, text that NFC changes, a long run
    of marks)? Then `_fixed_lines` leaves each line as it is."""
    import numpy as np

    codes = np.frombuffer(raw.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if np.any(_plain_table()[codes] & _NOT_PLAIN):
        return False
    if raw.isascii():
        return True
    return (unicodedata.is_normalized("NFC", raw)
            and not (np.count_nonzero(codes >= 0x300) >= 64 and _LONG_MARK_RUN.search(raw))
            and not _maybe_mojibake(raw, np.flatnonzero(codes >= 0x80)))


def _lines_need_nothing(raw: str, suspects: list[int], config: Config) -> bool:
    """Would `normalize` leave each line holding one of the positions
    ``suspects`` as it is (ftfy, NFC, whitespace, glued sentences)?"""
    lines = raw.split("\n")
    starts = list(itertools.accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
    evidence = _Evidence([_Line(0, 0, line, False) for line in lines])
    for k in sorted({bisect_right(starts, at) - 1 for at in suspects}):
        line = lines[k]
        if _fix_line(line, config, Counter())[1]:
            return False
        _, spaces, glued = _edit_line(line, config.whitespace, config.glued_sentences, evidence)
        if spaces or glued:
            return False
    return True


def _normalize_plain(raw: str, config: Config) -> Normalized | None:
    """`normalize` of a text that needs no repair, made without the line
    machinery: one-line paragraphs split by "\\n" only, nothing for ftfy,
    NFC, whitespace or glue to change; None for any other text.

    Most documents of a crawl are such texts; `normalize` would turn each
    line into a paragraph as it is, which this does at once. The steps are
    those of `normalize`, in the same order, so the offsets and counts are
    the same. The tests for what would need a repair look at each character
    once, in a table (a test finds all of what `normalize` would act on,
    and may find more: such a text then takes the long way).

    >>> [(p.start, p.end) for p in _normalize_plain("A title\\n\\nIts body.\\n", Config()).paragraphs]
    [(0, 7), (9, 18)]
    >>> _normalize_plain("Two\\nlines.\\n", Config()) is None, _normalize_plain("Café &amp; bar", Config()) is None
    (True, True)
    >>> _normalize_plain("Fish & chips.\\n", Config()).text
    'Fish & chips.\\n'
    """
    import numpy as np

    if not raw or raw[0] == " " or raw[-1] == " " or "  " in raw or "\n " in raw or " \n" in raw:
        return None  # spaces at either end of a line, or two in a row (`_WS_EDIT`)
    codes = np.frombuffer(raw.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    bits = _plain_table()[codes]
    if np.any(bits & _ODD_SPACE):
        return None
    # Where a line may still need a repair, it is asked as `normalize` asks
    # it (`_fix_line`, `_edit_line`): an "&" (an HTML entity?), what looks
    # like mojibake, a glued sentence candidate. Any other character ftfy
    # acts on ends the shortcut.
    suspects: list[int] = []
    if np.any(bits & _NOT_PLAIN):
        odd = np.flatnonzero(bits & _NOT_PLAIN)
        if np.any(codes[odd] != ord("&")):
            return None
        suspects += odd.tolist()
    if np.any((bits[:-1] & _BEFORE_GLUE != 0) & (bits[1:] & _NOT_ASCII_ALPHA != 0)):
        suspects += [m.start() - 1 for m in _GLUE_ANY_LINE.finditer(raw)]
    if not raw.isascii():
        if not unicodedata.is_normalized("NFC", raw):
            return None
        if np.count_nonzero(codes >= 0x300) >= 64 and _LONG_MARK_RUN.search(raw):
            return None  # (every character of a long run of marks is U+0300 or above)
        if _maybe_mojibake(raw, np.flatnonzero(codes >= 0x80)):
            assert _MAYBE_MOJIBAKE is not None
            # A match the search skips overlaps one it finds: the lines of both ends of each.
            suspects += [at for m in _MAYBE_MOJIBAKE.finditer(raw) for at in (m.start(), m.end() - 1)]
    if suspects and not _lines_need_nothing(raw, sorted(set(suspects)), config):
        return None
    parts: list[str] = []
    offsets = OffsetMap(len(raw))
    paragraphs: list[Paragraph] = []
    length = prev_end = pos = 0
    separators = 0  # separators other than one blank line
    previous_blank = True
    for line in raw.split("\n"):
        start, pos = pos, pos + len(line) + 1
        if not line:  # (a line of spaces was ruled out above)
            previous_blank = True
            continue
        if not previous_blank:
            return None  # two lines in one block: a block of lines, not a paragraph
        previous_blank = False
        if paragraphs:
            gap = raw[prev_end:start]
            separators += gap != "\n\n"
            parts.append("\n\n")
            offsets.add(2, prev_end, start, gap == "\n\n")
            length += 2
        parts.append(line)
        offsets.add(len(line), start, start + len(line), True)
        tail = line[-40:]
        truncated = ("…" in tail or "..." in tail) and _TRUNCATED.search(tail) is not None
        paragraphs.append(Paragraph(length, length + len(line), False, int(truncated), truncated))
        length += len(line)
        prev_end = start + len(line)
    if not paragraphs:
        return None
    parts.append("\n")
    offsets.add(1, prev_end, len(raw), raw[prev_end:] == "\n")
    return Normalized("".join(parts), tuple(paragraphs), {"whitespace": separators} if separators else {}, offsets)


def normalize(raw: str, config: Config | None = None) -> Normalized:
    """Normalize raw text faithfully; see the module docstring."""
    config = config or Config()
    plain = _normalize_plain(raw, config)
    if plain is not None:
        return plain
    fixes: Counter[str] = Counter()
    lines: list[_Line] = []
    pos = 0
    if _fixes_no_line(raw):
        # Lines split by "\n" only, each as `_fixed_lines` would leave it.
        texts = raw.split("\n")
        for k, text in enumerate(texts):
            if text or k < len(texts) - 1:
                lines.append(_Line(pos, pos + len(text), text, False))
            pos += len(text) + 1
    else:
        for m in _BREAK.finditer(raw):
            if m.group() != "\n":
                fixes["line_endings"] += 1
            lines.extend(_fixed_lines(raw, pos, m.start(), config, fixes))
            if m.group("para"):
                lines.append(_Line(m.start(), m.start(), "", False))  # a paragraph break: as a blank line
            pos = m.end()
        if pos < len(raw):
            lines.extend(_fixed_lines(raw, pos, len(raw), config, fixes))

    blocks: list[list[_Line]] = [[]]
    for line in lines:
        if _is_blank(line.text):
            if blocks[-1]:
                blocks.append([])
        else:
            blocks[-1].append(line)
    if not blocks[-1]:
        blocks.pop()

    out = _Builder(raw, _Evidence(lines))
    paragraphs: list[Paragraph] = []
    prev_end = 0
    for part, pre in (piece for block in blocks for piece in _split_pre(block)):
        if pre:
            groups = [part]
        else:
            texts = [_WS_RUN.sub(" ", line.text).strip() for line in part]
            joins = _wrapped(texts) if config.reflow else [False] * (len(part) - 1)
            groups = [[part[0]]]
            for line, join in zip(part[1:], joins):
                if join:
                    groups[-1].append(line)
                    fixes["reflow"] += 1
                else:
                    groups.append([line])
        for group in groups:
            if paragraphs:
                sep_text = "\n\n"
                out.add(sep_text, prev_end, group[0].raw_start)
                if raw[prev_end : group[0].raw_start] not in ("\n\n", "\r\n\r\n"):
                    fixes["whitespace"] += 1
            start = out.length
            mark = out.mark()
            repairs = len(group) - 1 if not pre else 0
            for i, line in enumerate(group):
                if i:
                    if pre:
                        out.add("\n", group[i - 1].raw_end, line.raw_start)
                    else:
                        left = out.parts[-1] if out.parts else ""
                        out.add(_join_char(left, line.text.strip()), group[i - 1].raw_end, line.raw_start, False)
                repairs += out.add_line(line, pre, config, fixes) + line.changed
            if not pre:
                text = out.text_since(mark)
                # ASCII lines that ftfy left alone stay alone however they are joined.
                if not text.isascii() and (text != group[0].text or len(group) > 1):
                    stable = _stabilize(text, False, config, fixes, out.evidence)
                    if stable != text:
                        out.rewind(mark)
                        out.add_changed(stable, group[0].raw_start, group[-1].raw_end)
                        repairs += 1
            truncated = not pre and _TRUNCATED.search(group[-1].text.rstrip(_BLANK_CHARS)[-40:]) is not None
            paragraphs.append(Paragraph(start, out.length, pre, repairs + truncated, truncated))
            prev_end = group[-1].raw_end
    if paragraphs:
        out.add("\n", prev_end, len(raw), exact=raw[prev_end:] == "\n")
    text = "".join(out.parts)
    return Normalized(text, tuple(paragraphs), {k: v for k, v in fixes.items() if v}, out.offsets)

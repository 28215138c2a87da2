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
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from typing import NamedTuple

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
    return _NOT_KEY.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


# ftfy, minus the steps that would change faithful text rather than repair it:
# curly quotes and full-width characters are content, not damage.
_FTFY = ftfy.TextFixerConfig(uncurl_quotes=False, fix_character_width=False, explain=True)
_ASCII_NEEDS_FTFY = regex.compile(r"[&\x00-\x08\x0b-\x1f\x7f]")
_FTFY_TRIGGER = regex.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff"
    + "".join(regex.escape(chr(c)) for c in sorted(set(ftfy.chardata.CONTROL_CHARS) | set(ftfy.chardata.LIGATURES)))
    + "]"
)
_LINE_BREAK = regex.compile(r"\r\n|\r|\n")
# Spaces that become one ASCII space outside preformatted blocks.
_SPACE = "\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
_ZERO_WIDTH = "\u200b\ufeff"
_WS_RUN = regex.compile(rf"[ {_SPACE}{_ZERO_WIDTH}]+")
# A sentence end glued to the next sentence: "reported.A large". A quote after
# the stop is left alone: 'percent.“We' may be either copy's own typography.
# Two letters or digits before the stop keep "U.S.A", "e.g.", "3.14" and
# "example.com" intact; the next word must start with a capital followed by a
# small letter or a space, which keeps "Node.JS" intact.
_GLUE = regex.compile(r"(?<=[\p{L}\p{N}][\p{Ll}\p{N}][.!?])()(?=\p{Lu}(?:[\p{Ll}\s'’]|$))")
_CODE_LINE = regex.compile(r"(?:[;{}()\[\]]|=>)\s*$|^\s*(?:[})\]]|//|/\*|#include|<[a-z/])|\);")
_INDENTED = regex.compile(r"^(?:\t| {2,})\S")
_ALIGNED = regex.compile(r"\S(?: {3,}|\t)\S")
_TERMINAL = tuple(".!?:;。！？…\"”’»")
_CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Thai}]")
_TRUNCATED = regex.compile(r"(?:\w ?(?:…|\.\.\.|\[…\])|(?:…|\.\.\.)\s*\w+(?: \w+)?)$")
_LIST_ITEM = regex.compile(r"^(?:[-*•·]|\d{1,3}[.)])\s")
_WORD = regex.compile(r"[\p{L}\p{M}'’-]+[.,;:!?]?")
_PROSE_WORDS = 40


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
    ftfy itself only fixes where its `is_bad` test finds it. A test checks
    this against ftfy on every line of the sample texts and on random text.
    """
    if line.isascii():
        return _ASCII_NEEDS_FTFY.search(line) is not None
    return "&" in line or _FTFY_TRIGGER.search(line) is not None or ftfy.badness.is_bad(line)


def _fix_line(line: str, config: Config, fixes: Counter[str]) -> tuple[str, bool]:
    """ftfy (behind a cheap pre-check, `_needs_ftfy`) and NFC."""
    if config.fix_text and _needs_ftfy(line):
        fixed, steps = ftfy.fix_and_explain(line, config=_FTFY)
        if fixed != line:
            names = {f"fix_text.{p}" if a == "apply" else "fix_text.fix_encoding" for a, p in steps or ()}
            fixes.update(names or {"fix_text"})
            return fixed, True
    if not line.isascii() and not unicodedata.is_normalized("NFC", line):
        fixes["nfc"] += 1
        return unicodedata.normalize("NFC", line), True
    return line, False


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
    flags = [not _long_prose(line.text)
             and bool(_INDENTED.match(line.text) or _CODE_LINE.search(line.text) or _ALIGNED.search(line.text.strip()))
             for line in block]
    if sum(flags) < 2:
        return [(block, False)]
    indented = any(_INDENTED.match(line.text) for line in block[1:])
    aligned = sum(1 for line in block if _ALIGNED.search(line.text.strip())) >= 2
    code = sum(1 for line in block if _CODE_LINE.search(line.text)) * 5 >= len(block) * 3
    prose = any(not f and len(line.text.split()) >= 12 for f, line in zip(flags, block))
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

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.parts: list[str] = []
        self.length = 0
        self.offsets = OffsetMap(len(raw))

    def add(self, text: str, raw_start: int, raw_end: int, exact: bool | None = None) -> None:
        if exact is None:
            exact = len(text) == raw_end - raw_start and self.raw[raw_start:raw_end] == text
        self.parts.append(text)
        self.offsets.add(len(text), raw_start, raw_end, exact)
        self.length += len(text)

    def add_line(self, line: _Line, pre: bool, config: Config, fixes: Counter[str]) -> int:
        """Add one line with whitespace and glued sentences repaired; return the glue count."""
        glued = 0
        if pre:
            text = line.text.rstrip()
            pieces = [(text, 0, len(text), True)]
            fixes["whitespace"] += len(text) != len(line.text)
        else:
            pieces, spaces, glued = _edit_line(line.text, config.whitespace, config.glued_sentences)
            fixes["whitespace"] += spaces
            fixes["glued_sentences"] += glued
        if line.changed:
            # ftfy or NFC changed the line: the common head and tail map exactly,
            # the changed middle linearly.
            raw = self.raw[line.raw_start : line.raw_end]
            head = _common_prefix(raw, line.text)
            tail = min(_common_prefix(raw[::-1], line.text[::-1]), len(raw) - head, len(line.text) - head)
            middle = (head, len(line.text) - tail)

            def to_raw(pos: int) -> int:
                if pos <= middle[0]:
                    return line.raw_start + pos
                if pos >= middle[1]:
                    return line.raw_end - (len(line.text) - pos)
                span = len(raw) - head - tail
                return line.raw_start + head + (pos - head) * span // max(1, middle[1] - middle[0])

            for text, start, end, exact in pieces:
                inside = end <= middle[0] or start >= middle[1]
                self.add(text, to_raw(start), to_raw(end), exact and inside)
        else:
            for text, start, end, exact in pieces:
                self.add(text, line.raw_start + start, line.raw_start + end, exact)
        return glued


# Whitespace that is not already one plain space between two words: a run
# at either end of the line, two or more spaces, or any other space character.
_WS_EDIT = rf"^[ {_SPACE}{_ZERO_WIDTH}]+|[ {_SPACE}{_ZERO_WIDTH}]+$| [ {_SPACE}{_ZERO_WIDTH}]+|[{_SPACE}{_ZERO_WIDTH}][ {_SPACE}{_ZERO_WIDTH}]*"
_EDIT = regex.compile(rf"(?P<ws>{_WS_EDIT})|{_GLUE.pattern}")


def _edit_line(text: str, whitespace: bool, glue: bool) -> tuple[list[tuple[str, int, int, bool]], int, int]:
    """Split a line into unchanged pieces and edits: spaces of every kind to one
    ASCII space (none at either end), a space between glued sentences.

    Returns the pieces ``(new_text, start, end, unchanged)`` over ``text``
    and the counts of whitespace and glue edits.

    >>> pieces, spaces, glued = _edit_line(' reported.A  large. He said.Currently, yes.', True, True)
    >>> "".join(p[0] for p in pieces)
    'reported. A large. He said. Currently, yes.'
    >>> spaces, glued
    (2, 2)
    >>> _edit_line("the U.S. e.g.The 3.14 example.com Node.JS", True, True)[2]
    0
    """
    pieces: list[tuple[str, int, int, bool]] = []
    spaces = glued = pos = 0
    for m in _EDIT.finditer(text):
        if m.group("ws") is not None:
            if not whitespace:
                continue
            new = "" if m.start() == 0 or m.end() == len(text) else " "
            if m.group() == new:
                continue
            spaces += 1
        else:
            if not glue:
                continue
            new = " "
            glued += 1
        if pos < m.start():
            pieces.append((text[pos : m.start()], pos, m.start(), True))
        pieces.append((new, m.start(), m.end(), False))
        pos = m.end()
    if pos < len(text):
        pieces.append((text[pos:], pos, len(text), True))
    return pieces, spaces, glued


def _common_prefix(a: str, b: str) -> int:
    """The length of the common prefix of two strings."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def _join_char(left: str, right: str) -> str:
    return "" if _CJK.match(left[-1:]) and _CJK.match(right[:1]) else " "


def normalize(raw: str, config: Config | None = None) -> Normalized:
    """Normalize raw text faithfully; see the module docstring."""
    config = config or Config()
    fixes: Counter[str] = Counter()
    lines: list[_Line] = []
    pos = 0
    for m in _LINE_BREAK.finditer(raw):
        if m.group() != "\n":
            fixes["line_endings"] += 1
        lines.append(_Line(pos, m.start(), *_fix_line(raw[pos : m.start()], config, fixes)))
        pos = m.end()
    if pos < len(raw):
        lines.append(_Line(pos, len(raw), *_fix_line(raw[pos:], config, fixes)))

    blocks: list[list[_Line]] = [[]]
    for line in lines:
        if _is_blank(line.text):
            if blocks[-1]:
                blocks.append([])
        else:
            blocks[-1].append(line)
    if not blocks[-1]:
        blocks.pop()

    out = _Builder(raw)
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
            repairs = len(group) - 1 if not pre else 0
            for i, line in enumerate(group):
                if i:
                    if pre:
                        out.add("\n", group[i - 1].raw_end, line.raw_start)
                    else:
                        left = out.parts[-1] if out.parts else ""
                        out.add(_join_char(left, line.text.strip()), group[i - 1].raw_end, line.raw_start, False)
                repairs += out.add_line(line, pre, config, fixes) + line.changed
            truncated = not pre and _TRUNCATED.search(group[-1].text.rstrip(_BLANK_CHARS)[-40:]) is not None
            paragraphs.append(Paragraph(start, out.length, pre, repairs + truncated, truncated))
            prev_end = group[-1].raw_end
    if paragraphs:
        out.add("\n", prev_end, len(raw), exact=raw[prev_end:] == "\n")
    text = "".join(out.parts)
    return Normalized(text, tuple(paragraphs), {k: v for k, v in fixes.items() if v}, out.offsets)

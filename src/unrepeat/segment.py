"""Sentences as spans of the normalized text.

A sentence ends at ``.``, ``!``, ``?`` or ``…`` (with any closing quotes or
brackets) followed by a space and a capital, a digit, an opening quote or a
letter of an uncased script, or at the CJK stops ``。！？`` whatever follows.
Abbreviations ("Dr.", "U.S.", "e.g.", single initials) do not end sentences.
A dot inside a word never ends a sentence (``numbers.Real``, ``example.com``:
a sentence end needs a space after it, which the glued-sentence repair of
`unrepeat.normalize` inserts only where sentences really were glued); a
stop after such a dotted name may end one, as after any word. Preformatted
paragraphs are split the same way, so an indented copy of a passage matches
a flowing one.

Splitting is linear in the length of the text whatever it holds: a run of
stops is scanned once from its first character, and the abbreviation test
looks at a fixed window before the stop.

>>> text = 'He met Dr. Smith in the U.S. on Monday. "Fine," he said! Then: 3.14 is pi.'
>>> [text[s:e] for s, e in sentence_spans(text)]
['He met Dr. Smith in the U.S. on Monday.', '"Fine," he said!', 'Then: 3.14 is pi.']
>>> text = "Short answer: no. Long answer: see No. 5. 4.2. Acknowledgements. 12. Termination"
>>> [text[s:e] for s, e in sentence_spans(text)]
['Short answer: no.', 'Long answer: see No. 5.', '4.2. Acknowledgements.', '12. Termination']
>>> [s for s, e in sentence_spans("日本語です。次の文です。")]
[0, 6]
>>> text = "It takes numbers.Real or os.PathLike. See example.com. Done."
>>> [text[s:e] for s, e in sentence_spans(text)]
['It takes numbers.Real or os.PathLike.', 'See example.com.', 'Done.']
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import regex

from .normalize import Paragraph

# A match starts only at the first stop of a run and never gives back what it
# took (possessive), so a run of stops is scanned once: with a plain `+`,
# 40,000 dots took 409 s (every dot rescanned the rest of the run).
_END = regex.compile(
    r"(?:(?<![.!?…])[.!?…]++[\"'”’»)\]]*+(?=\s++[\"'“‘«(\[]?[\p{Lu}\p{N}\p{Lo}])"
    r"|[。！？]++[」』】〕〉》”’)）\"']*+)\s*+"
)
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt vs etc eg ie cf al inc ltd co corp fig figs vol pp ch
    gen gov sen rep lt col sgt capt rev hon est approx dept univ jan feb mar apr jun jul aug sep sept
    oct nov dec mon tue wed thu fri sat sun""".split()
)
# Matched from the end (REVERSE): one attempt instead of one per start position.
_WORD_BEFORE = regex.compile(r"([\p{L}.]+)[.!?…]*$", regex.REVERSE)
#: How far before a stop the abbreviation test looks (the word before it).
_WINDOW = 24
#: Abbreviations only before a number: "No. 5", but "Short answer: no. Long answer" ends a sentence.
_BEFORE_NUMBER = frozenset(("no", "nos"))
_NUMBER = regex.compile(r"\d{1,3}(?:\.\d{1,3})*\.")


@dataclass(frozen=True)
class Sentence:
    """A sentence: ``text[start:end]`` of the normalized text, in paragraph ``para``."""

    start: int
    end: int
    para: int


def _is_abbreviation(head: str, following: str = "") -> bool:
    """Does ``head`` (the text before a stop, and the stop) end with an
    abbreviation? (``following``: the character after the stop and its
    spaces; "No." and "Nos." abbreviate only before a number, "No. 5".)

    Dotted words are abbreviations when they end with two or more parts of
    one or two letters (U.S., e.g., a.m., Ph.D., and "input.L.E.A.N." glued
    to a word before it); a dotted name (numbers.Real, example.com, Node.js)
    is a word, and a stop after it may end a sentence.

    >>> [_is_abbreviation(w) for w in ("the U.S.", "e.g.", "Ph.D.", "see example.com.", "Node.js.", "Dr.", "I.")]
    [True, True, True, False, False, True, True]
    >>> _is_abbreviation("see No.", "5"), _is_abbreviation("answer: no.", "L")
    (True, False)
    """
    m = _WORD_BEFORE.search(head[-_WINDOW:])
    if not m:
        return False
    word = m.group(1).strip(".")
    if "." in word:
        parts = word.split(".")
        short = next((i for i, part in enumerate(reversed(parts)) if len(part) > 2), len(parts))
        return short >= 2
    if word.casefold() in _BEFORE_NUMBER:
        return following[:1].isdigit()
    return (len(word) == 1 and word.isupper()) or word.casefold() in _ABBREVIATIONS


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """The ``(start, end)`` spans of the sentences of ``text[start:end]``, stripped."""
    end = len(text) if end is None else end
    pos = start
    for m in _END.finditer(text, start, end):
        stop = m.start() + len(m.group().rstrip())
        # Only the window before the stop is copied: copying from `pos` made a
        # run of abbreviations ("U.S. " * n, which never advances `pos`) quadratic.
        if text[m.start()] == "." and _is_abbreviation(text[max(pos, m.start() + 1 - _WINDOW) : m.start() + 1],
                                                       text[m.end() : m.end() + 1]):
            continue
        # A section number opens a heading or a list item: "4.2. Acknowledgements", "12. Termination".
        if m.start() - pos < _WINDOW and _NUMBER.fullmatch(text, pos, m.start() + 1):
            continue
        if stop > pos:
            yield pos, stop
        pos = m.end()
    if pos < end:
        stop = len(text[pos:end].rstrip()) + pos
        if stop > pos:
            yield pos, stop


def sentences(text: str, paragraphs: tuple[Paragraph, ...] | list[Paragraph]) -> list[Sentence]:
    """All sentences of the normalized text, paragraph by paragraph."""
    out: list[Sentence] = []
    for i, p in enumerate(paragraphs):
        out.extend(Sentence(s, e, i) for s, e in sentence_spans(text, p.start, p.end))
    return out

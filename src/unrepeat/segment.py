"""Sentences as spans of the normalized text.

A sentence ends at ``.``, ``!``, ``?`` or ``…`` (with any closing quotes or
brackets) followed by a space and a capital, a digit, an opening quote or a
letter of an uncased script, or at the CJK stops ``。！？`` whatever follows.
Abbreviations ("Dr.", "U.S.", "e.g.", single initials) do not end sentences.
Preformatted paragraphs are split the same way, so an indented copy of a
passage matches a flowing one.

>>> text = 'He met Dr. Smith in the U.S. on Monday. "Fine," he said! Then: 3.14 is pi.'
>>> [text[s:e] for s, e in sentence_spans(text)]
['He met Dr. Smith in the U.S. on Monday.', '"Fine," he said!', 'Then: 3.14 is pi.']
>>> [s for s, e in sentence_spans("日本語です。次の文です。")]
[0, 6]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import regex

from .normalize import Paragraph

_END = regex.compile(
    r"(?:[.!?…]+[\"'”’»)\]]*(?=\s+[\"'“‘«(\[]?[\p{Lu}\p{N}\p{Lo}])"
    r"|[。！？]+[」』】〕〉》”’)）\"']*)\s*"
)
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt vs etc eg ie cf al inc ltd co corp no nos fig figs vol pp ch
    gen gov sen rep lt col sgt capt rev hon est approx dept univ jan feb mar apr jun jul aug sep sept
    oct nov dec mon tue wed thu fri sat sun""".split()
)
_WORD_BEFORE = regex.compile(r"([\p{L}.]+)[.!?…]*$")


@dataclass(frozen=True)
class Sentence:
    """A sentence: ``text[start:end]`` of the normalized text, in paragraph ``para``."""

    start: int
    end: int
    para: int


def _is_abbreviation(head: str) -> bool:
    m = _WORD_BEFORE.search(head[-24:])
    if not m:
        return False
    word = m.group(1)
    if "." in word.strip("."):  # U.S., e.g., a.m.
        return True
    word = word.strip(".")
    return (len(word) == 1 and word.isupper()) or word.casefold() in _ABBREVIATIONS


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """The ``(start, end)`` spans of the sentences of ``text[start:end]``, stripped."""
    end = len(text) if end is None else end
    pos = start
    for m in _END.finditer(text, start, end):
        stop = m.start() + len(m.group().rstrip())
        if text[m.start()] in ".!?…" and text[m.start()] == "." and _is_abbreviation(text[pos : m.start() + 1]):
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

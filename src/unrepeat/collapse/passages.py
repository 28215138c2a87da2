"""Which runs are repeated passages, and which repetition is content.

A run is a **passage** when it is big enough to be a copy rather than a
coincidence (`passage_rule`, shared with corpus scope): two or more
pieces with 10 words or more between them, or one long piece (10 words, or
25 characters in scripts without spaces) repeated exactly. The same line twice
in a row (a stutter) goes at any size; other repeats below passage size stay
unless ``Config.collapse_short``.

A passage is **content** (it stays at every occurrence) when each occurrence
lies inside one paragraph that also holds words of its own (at least
`OWN_WORDS` in pieces the other occurrence's paragraph lacks), the two are not next to each
other, and no occurrence is a teaser cut short: the shared opening of
glossary entries, a templated first sentence in API documentation, a phrase a
writer repeats. Runs are maximal, so an occurrence inside a larger repeated
block is part of that block's run, not a run of its own, and goes with it.
A pull quote standing in a paragraph of its own is not content: the copy
embedded in the text stays, the standalone one goes.

Preformatted text (code, aligned tables) counts only inside a run of prose:
code that repeats code is content (also where a page break left a line of
it outside its block), and a sentence repeated before two code blocks takes
no code with it.
"""

from __future__ import annotations

from typing import NamedTuple

from ..config import Config
from ..report import Reason, Rule
from .clusters import Document, is_long
from .runs import Kind, Run

#: Words of its own a paragraph needs for a repeated run inside it to be content.
OWN_WORDS = 3


class Passage(NamedTuple):
    """A run that is a copy: its matches, why it goes and which rule found it."""

    matches: tuple[tuple[int, int, Kind], ...]
    reason: Reason
    rule: Rule

    @property
    def a_span(self) -> tuple[int, int]:
        return self.matches[0][0], self.matches[-1][0]

    @property
    def b_span(self) -> tuple[int, int]:
        return self.matches[0][1], self.matches[-1][1]


def passage_rule(matched: int, exact: int, words: int, long_exact: bool, config: Config) -> Rule | None:
    """Is a run of ``matched`` pieces (``exact`` of them in the same cluster,
    ``words`` words) a passage, and by which rule? ``long_exact``: one of the
    pieces it matches word for word is long.

    >>> passage_rule(2, 2, 14, False, Config())
    <Rule.RUN: 'run'>
    >>> passage_rule(1, 1, 12, True, Config())
    <Rule.LONG_SENTENCE: 'long_sentence'>
    >>> passage_rule(1, 1, 4, False, Config()) is None
    True
    """
    if matched >= config.min_run_sentences and exact >= 2 and words >= config.min_passage_words:
        return Rule.RUN
    if long_exact:
        return Rule.LONG_SENTENCE
    return None


def classify(doc: Document, run: Run) -> list[Passage]:
    """The passages a run holds: itself, the long sentences it matches one by
    one, or none when it stays (too small, code, or content)."""
    config, pieces = doc.config, doc.pieces
    if run.stutter:
        return [Passage(run.matches, Reason.STUTTERED_LINE, Rule.STUTTER)]
    prose = [m for m in run.matches if _prose(doc, m.a, m.b)]
    strong = [m for m in prose if m.kind is Kind.STRONG]
    words = sum(pieces[m.a].words for m in prose)
    # Outside a run, only whole sentences that are exact copies count:
    # near-duplicates that merely look alike (list lines) are distinct items,
    # and so is a sentence quoted inside a longer one ("[Read: X]" and "X").
    exact = [m for m in strong if pieces[m.a].key == pieces[m.b].key and doc.whole[m.a] and doc.whole[m.b]]
    # Matches of one sentence only ("I would prefer not to." said four times,
    # with other lines between) make no run of it.
    distinct = len({doc.cid[m.a] for m in strong})
    rule = passage_rule(len(prose), min(len(strong), distinct), words,
                        any(is_long(pieces[m.a].key, config) for m in exact), config)
    if rule is Rule.RUN:
        found = [Passage(run.matches, Reason.REPEATED_PASSAGE, rule)]
    elif rule is Rule.LONG_SENTENCE:
        found = [Passage((m,), Reason.REPEATED_SENTENCE, rule) for m in exact if is_long(pieces[m.a].key, config)]
    elif config.collapse_short and exact:
        return [Passage(tuple(strong), Reason.SHORT_REPEAT, Rule.SHORT)]
    else:
        return []
    return [p for p in found if not is_content(doc, p)]


def code_paragraphs(doc: Document) -> list[bool]:
    """Which paragraphs are code or tables: preformatted, or mostly not letters
    (a table row on a line of its own, "2 │ -0.757 │ f")."""
    text = doc.norm.text
    out = []
    for para in doc.norm.paragraphs:
        if para.pre:
            out.append(True)
            continue
        body = text[para.start : para.end]
        signs = len(body) - body.count(" ")
        out.append(signs >= 8 and 2 * _letters(body) < signs)
    return out


_ASCII_LETTERS = bytes(range(65, 91)) + bytes(range(97, 123))


def _letters(text: str) -> int:
    """How many characters of ``text`` are letters (`str.isalpha`).

    >>> _letters("a1 bé-C"), _letters("x = 2;")
    (4, 1)
    """
    if text.isascii():
        return len(text) - len(text.encode("ascii").translate(None, _ASCII_LETTERS))
    return sum(map(str.isalpha, text))


def _prose(doc: Document, a: int, b: int) -> bool:
    """Does a match count towards a passage: prose on both sides, or prose on
    one side (at least a long sentence's worth of words in its paragraph)
    and a copy of it in code (a glued copy taken for code)?"""
    pieces = doc.pieces
    if doc.code is None:
        doc.code = code_paragraphs(doc)
    pre_a, pre_b = doc.code[pieces[a].para], doc.code[pieces[b].para]
    if pre_a == pre_b:
        return not pre_a
    para = pieces[b if pre_a else a].para
    return sum(pieces[k].words for k in doc.para_pieces[para]) >= doc.config.min_sentence_words


def is_content(doc: Document, passage: Passage) -> bool:
    """Is this repetition part of the text at each occurrence (see the module docstring)?

    Pieces matched only as name or number variants ("Its value for Alpha is
    12", "Its value for Bravo is 47") are text of their own, not copies.
    """
    pieces, paragraphs = doc.pieces, doc.norm.paragraphs
    strong = [m for m in passage.matches if m[2] is Kind.STRONG]
    if not strong:
        return False
    a_lo, a_hi, b_lo, b_hi = strong[0][0], strong[-1][0], strong[0][1], strong[-1][1]
    if a_hi + 1 >= b_lo:
        return False
    paras = pieces[a_lo].para, pieces[b_lo].para
    for side, (_lo, hi) in enumerate(((a_lo, a_hi), (b_lo, b_hi))):
        para = paras[side]
        if pieces[hi].para != para or paragraphs[para].truncated or paragraphs[para].pre:
            return False
        copied = {m[side] for m in strong}
        # Text of its own: pieces the other occurrence's paragraph does not hold
        # (they may stand elsewhere: a doubled glossary holds each entry twice).
        theirs = {doc.cid[k] for k in doc.para_pieces[paras[1 - side]]}
        own = sum(pieces[k].words for k in doc.para_pieces[para]
                  if k not in copied and pieces[k].s1 > pieces[k].s0 and doc.cid[k] not in theirs)
        if own < OWN_WORDS:
            return False
    return True

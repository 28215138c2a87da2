"""Finds repeated passages in a document and decides which copy stays: `clean`.

The stages, each a module, in the order they run:

1. `pieces`: the sentences, cut wherever another copy of the same text has a
   boundary (found on the document's stream of letters and digits), so that a
   glued, hard-wrapped or re-split copy is made of the same pieces as the
   well-formed one.
2. `clusters`: pieces with the same letters form a cluster; near-duplicates
   join it (name and number variants only as weak partners).
3. `runs`: two occurrences of the same sequence of clusters, with gaps and
   edits (the diagonals of a dot plot); stutters.
4. `passages`: which runs are copies (big enough, not code repeating code,
   not repetition that is content).
5. `choice`: every family of copies keeps one copy, the best, whole.
6. `removals`: teasers and code go whole or not at all, new stutters, the
   invariant that every removal names a kept copy of itself; then the spans
   and the report records.

>>> doc = ("A long first sentence that is repeated here. And a second one follows it.\\n"
...        "Something else entirely.\\n"
...        "A long first sentence that is repeated here. And a second one follows it.\\n")
>>> print(clean(doc).text, end="")
A long first sentence that is repeated here. And a second one follows it.
<BLANKLINE>
Something else entirely.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Config
from ..normalize import Normalized, normalize
from ..report import CleanResult, apply_removals
from ..segment import sentences
from .choice import Decision, choose
from .clusters import Document, is_long
from .passages import Passage, classify, passage_rule
from .pieces import Piece, make_pieces
from .removals import CorpusCopy, collapse_new_stutters, keep_sentences_whole, keep_teasers_and_code_whole, records, settle, spans
from .runs import find_runs
from .similar import similarity

__all__ = [
    "Analysis",
    "CorpusCopy",
    "Decision",
    "Piece",
    "analyze",
    "clean",
    "finish",
    "is_long",
    "passage_rule",
    "similarity",
]


@dataclass
class Analysis:
    """A document after the within-document collapse, with what a corpus-wide
    step needs to go on: its pieces and which of them were removed."""

    input_chars: int
    norm: Normalized
    pieces: list[Piece]
    decisions: dict[int, Decision]
    config: Config

    def para_pieces(self) -> list[list[int]]:
        out: list[list[int]] = [[] for _ in self.norm.paragraphs]
        for i, p in enumerate(self.pieces):
            out[p.para].append(i)
        return out


#: How many times what is left after the removals is looked at again.
ROUNDS = 2


def decide(doc: Document) -> dict[int, Decision]:
    """The within-document decisions: passages, the choice, the finishing passes."""
    found: list[Passage] = [p for run in find_runs(doc) for p in classify(doc, run)]
    decisions = choose(doc, found)
    keep_teasers_and_code_whole(doc, decisions)
    collapse_new_stutters(doc, decisions)
    settle(doc, decisions)
    keep_sentences_whole(doc, decisions)
    settle(doc, decisions)
    return decisions


def analyze(text: str, config: Config | None = None) -> Analysis:
    """Normalize one document and decide its within-document removals."""
    config = config or Config()
    norm = normalize(text, config)
    cut = make_pieces(norm, sentences(norm.text, norm.paragraphs))
    doc = Document(norm, cut, config, text)
    decisions = decide(doc)
    # What is left is looked at again, as a second clean of the output would
    # look at it (a line next to its copy once the copies between them are
    # gone, a passage whose other occurrences were part of larger copies), so
    # that cleaning is a fixed point.
    for _ in range(ROUNDS):
        left = [i for i in range(len(cut)) if i not in decisions]
        if len(left) == len(cut):
            break
        more = decide(Document(norm, [cut[i] for i in left], config, text))
        if not more:
            break
        for j, d in more.items():
            decisions[left[j]] = Decision(left[j], left[d.kept], d.reason, d.rule, d.similarity)
        # (A kept copy of one round may go in the next: chains are followed to what stays.)
        settle(doc, decisions)
    return Analysis(len(text), norm, cut, decisions, config)


def finish(analysis: Analysis, corpus: dict[int, CorpusCopy] | None = None,
           duplicate_of: str | None = None) -> CleanResult:
    """The output text and the report of an analysed document; ``corpus``: the
    pieces the corpus step removed as copies of pieces kept in other documents."""
    norm, cut = analysis.norm, analysis.pieces
    decisions = dict(analysis.decisions)
    corpus = dict(corpus or {})
    # A piece whose kept copy went as a copy of an earlier document's piece goes as one too.
    for i, d in list(decisions.items()):
        if d.kept in corpus:
            copy = corpus[d.kept]
            corpus[i] = copy._replace(similarity=min(copy.similarity, d.similarity))
            del decisions[i]
    removed = set(decisions) | set(corpus)
    removals = tuple(records(norm, cut, spans(norm, cut, analysis.para_pieces(), removed), decisions, corpus,
                             analysis.config.similarity))
    out = apply_removals(norm.text, removals)
    stats = {"input_chars": analysis.input_chars, "paragraphs": len(norm.paragraphs),
             "sentences": len({p.unit for p in cut})}
    return CleanResult(out, norm.text, removals, dict(norm.fixes), stats, duplicate_of)


def clean(text: str, config: Config | None = None) -> CleanResult:
    """Clean one document: normalize it, collapse its repeated passages, report.

    >>> r = clean("Stutter line\\nStutter line\\n")
    >>> r.text, [x.reason.value for x in r.removals]
    ('Stutter line\\n', ['stuttered_line'])
    """
    return finish(analyze(text, config))

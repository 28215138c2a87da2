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

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..config import Config
from ..fingerprint import matching_keys, simhash_many
from ..index import near_duplicate_pairs
from ..normalize import Normalized, normalize
from ..report import CleanResult, apply_removals
from ..segment import sentences
from .choice import Decision, choose
from .clusters import Document, is_long
from .passages import Passage, classify, passage_rule
from .pieces import Cut, Piece, chains_many, cut_sentences, squeeze, with_keys
from .removals import CorpusCopy, collapse_new_stutters, keep_sentences_whole, keep_teasers_and_code_whole, records, settle, spans
from .runs import find_runs
from .similar import similarity

__all__ = [
    "Analysis",
    "CorpusCopy",
    "Decision",
    "Piece",
    "analyze",
    "analyze_many",
    "clean",
    "clean_many",
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
    fingerprints: np.ndarray | None = field(default=None, repr=False)  #: simhash of each piece's key

    def para_pieces(self) -> list[list[int]]:
        out: list[list[int]] = [[] for _ in self.norm.paragraphs]
        for i, p in enumerate(self.pieces):
            out[p.para].append(i)
        return out


#: How many times what is left after the removals is looked at again.
ROUNDS = 2


def decide(doc: Document) -> dict[int, Decision]:
    """The within-document decisions: passages, the choice, the finishing passes."""
    if not doc.repeats:
        # No cluster occurs twice: no run, no stutter, nothing to choose (most
        # documents of a crawl; the passes below would find nothing, slowly).
        return {}
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
    return analyze_many([text], config)[0]


def analyze_many(texts: Sequence[str], config: Config | None = None) -> list[Analysis]:
    """`analyze` of each text; the per-sentence work (matching keys,
    fingerprints) is done for all of them at once, which costs far less
    than a call per document."""
    config = config or Config()
    norms = [normalize(text, config) for text in texts]
    squeezed = [squeeze(norm.text) for norm in norms]
    sents = [sentences(norm.text, norm.paragraphs) for norm in norms]
    found = chains_many([sq[0] if len(s) > 1 else sq[0][:0] for sq, s in zip(squeezed, sents)])
    cuts = [cut_sentences(*args) for args in zip(norms, sents, squeezed, found)]
    keys = matching_keys([body for cut in cuts for body in cut.bodies])
    fingerprints = simhash_many(keys)
    near = _near_pairs_in(fingerprints, [len(cut.bodies) for cut in cuts], config.threshold)
    out = []
    at = 0
    for k, (text, norm, sq, cut) in enumerate(zip(texts, norms, squeezed, cuts)):
        n = len(cut.bodies)
        pieces = with_keys(cut, keys[at : at + n])
        fps = fingerprints[at : at + n]
        if k in near or _same_letters_twice(sq[0], cut):
            decisions = _decide_rounds(Document(norm, pieces, config, text, sq[0], fps))
        else:
            # No two pieces with the same letters, none near another: every
            # cluster occurs once, and `decide` would decide nothing.
            decisions = {}
        out.append(Analysis(len(text), norm, pieces, decisions, config, fps))
        at += n
    return out


def _decide_rounds(doc: Document) -> dict[int, Decision]:
    """`decide`, then what is left looked at again, up to `ROUNDS` times."""
    decisions = decide(doc)
    cut = doc.pieces
    # What is left is looked at again, as a second clean of the output would
    # look at it (a line next to its copy once the copies between them are
    # gone, a passage whose other occurrences were part of larger copies), so
    # that cleaning is a fixed point.
    for _ in range(ROUNDS):
        left = [i for i in range(len(cut)) if i not in decisions]
        if len(left) == len(cut):
            break
        fps = None if doc.fingerprints is None else doc.fingerprints[left]
        more = decide(Document(doc.norm, [cut[i] for i in left], doc.config, doc.raw, doc.stream, fps))
        if not more:
            break
        for j, d in more.items():
            decisions[left[j]] = Decision(left[j], left[d.kept], d.reason, d.rule, d.similarity)
        # (A kept copy of one round may go in the next: chains are followed to what stays.)
        settle(doc, decisions)
    return decisions


def _same_letters_twice(stream: np.ndarray, cut: Cut) -> bool:
    """Do two pieces of ``cut`` have the same letters and digits (some)?"""
    seen = {stream[s0:s1].tobytes() for _, _, _, s0, s1 in cut.spans if s1 > s0}
    return len(seen) < sum(1 for _, _, _, s0, s1 in cut.spans if s1 > s0)


def _near_pairs_in(fingerprints: np.ndarray, sizes: list[int], k: int) -> set[int]:
    """The documents (of ``sizes`` consecutive pieces each) holding two
    pieces whose fingerprints differ in 1 to ``k`` bits: all documents
    whose near-duplicate search (`Document`) can find something, and
    perhaps a few more. One search for all of them."""
    if k == 0 or len(fingerprints) < 2:
        return set()
    values, inverse = np.unique(fingerprints, return_inverse=True)
    pairs = near_duplicate_pairs(values, k)
    if not len(pairs):
        return set()
    doc_of = np.repeat(np.arange(len(sizes)), sizes)
    docs: dict[int, set[int]] = {}
    paired = np.flatnonzero(np.isin(inverse, pairs))
    for value, doc in zip(inverse[paired].tolist(), doc_of[paired].tolist()):
        docs.setdefault(value, set()).add(doc)
    return {d for a, b in pairs.tolist() for d in docs[a] & docs[b]}


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
    if removed:
        removals = tuple(records(norm, cut, spans(norm, cut, analysis.para_pieces(), removed), decisions, corpus,
                                 analysis.config.similarity))
    else:  # (most documents)
        removals = ()
    out = apply_removals(norm.text, removals)
    stats = {"input_chars": analysis.input_chars, "paragraphs": len(norm.paragraphs),
             "sentences": len({p.unit for p in cut})}
    return CleanResult(out, norm.text, removals, dict(norm.fixes), stats, duplicate_of)


def clean_many(texts: Sequence[str], config: Config | None = None) -> list[CleanResult]:
    """`clean` of each text (see `analyze_many`)."""
    return [finish(analysis) for analysis in analyze_many(texts, config)]


def clean(text: str, config: Config | None = None) -> CleanResult:
    """Clean one document: normalize it, collapse its repeated passages, report.

    >>> r = clean("Stutter line\\nStutter line\\n")
    >>> r.text, [x.reason.value for x in r.removals]
    ('Stutter line\\n', ['stuttered_line'])
    """
    return finish(analyze(text, config))

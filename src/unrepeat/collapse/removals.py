"""Removals: the finishing passes over the chosen decisions, then the spans of
text that go and the report records that prove them.

Passes, in this order:

1. `keep_teasers_and_code_whole`: a teaser cut short ("… Continued") goes
   whole or not at all (an excerpt that quotes the article's first sentences
   is the excerpt); preformatted text goes only where it is mostly a copy (a
   line that code repeats is code). Runs before the next passes, which look
   at what is left.
2. `collapse_new_stutters`: lines that end up next to their copy once the
   copies between them are gone are stutters too ("Title / [removed copy] /
   Title").
3. `settle`: the invariant every removal must hold, enforced where it is
   made: its kept piece stays (a chain of removals is followed to the piece
   that stays) and is a copy of it by `similarity`; a removal that cannot
   name such a piece is taken back. Nothing unique is lost.
4. `keep_sentences_whole`: no sentence stands torn between two copies; then
   `settle` again.

Then `spans` turns removed pieces into spans of the normalized text (a
paragraph whose pieces all go takes its separator with it, so no blank-line
runs or stray punctuation remain) and `records` merges adjacent spans into
`Removal` records whose kept copies stand together in the same order.
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from ..normalize import Normalized
from ..report import Reason, Removal, Rule
from .choice import Decision, _continues, _ends_with_stop
from .clusters import Document
from .pieces import Piece
from .similar import similarity


class CorpusCopy(NamedTuple):
    """A removed piece whose kept copy is in another document."""

    doc: str
    start: int
    end: int
    similarity: float
    rule: Rule


def keep_teasers_and_code_whole(doc: Document, decisions: dict[int, Decision]) -> None:
    """Teasers cut short go whole (every piece a word-for-word copy) or not at all;
    preformatted paragraphs go only when at least half of them goes."""
    by_para: dict[int, list[int]] = defaultdict(list)
    for i in decisions:
        by_para[doc.pieces[i].para].append(i)
    paragraphs = doc.norm.paragraphs
    for p, removed in by_para.items():
        para = paragraphs[p]
        if not (para.pre or para.truncated):
            continue
        members = [i for i in doc.para_pieces[p] if doc.pieces[i].key]
        gone = sum(1 for i in members if i in decisions)
        exact = all(i in decisions and doc.pieces[decisions[i].kept].key == doc.pieces[i].key for i in members)
        if (para.truncated and not exact) or (para.pre and gone * 2 < len(members)):
            for i in removed:
                del decisions[i]


def collapse_new_stutters(doc: Document, decisions: dict[int, Decision]) -> None:
    """A paragraph that equals the kept paragraph before it, once the removed
    ones between them are gone, is a stutter."""
    paragraphs, pieces, cid = doc.norm.paragraphs, doc.pieces, doc.cid
    previous: list[int] = []
    for p, members in enumerate(doc.para_pieces):
        kept = [i for i in members if pieces[i].key and i not in decisions]
        if not kept:
            continue
        whole = len(kept) == sum(1 for i in members if pieces[i].key)
        if (previous and whole and not paragraphs[p].pre and not paragraphs[pieces[previous[0]].para].pre
                and [cid[i] for i in kept] == [cid[i] for i in previous]):
            for i, k in zip(kept, previous):
                decisions[i] = Decision(i, k, Reason.STUTTERED_LINE, Rule.NEW_STUTTER, 1.0)
            continue
        previous = kept


def settle(doc: Document, decisions: dict[int, Decision]) -> None:
    """Every removal names a kept piece that stays and is a copy of it; the others are taken back."""
    changed = True
    while changed:
        changed = False
        for i in sorted(decisions):
            d = decisions[i]
            kept, seen = d.kept, {i}
            while kept in decisions and kept not in seen:
                seen.add(kept)
                kept = decisions[kept].kept
            if kept in decisions:  # a loop: nothing stays
                del decisions[i]
                changed = True
                continue
            if kept != d.kept:
                sim = doc.similarity(i, kept)
                if sim < doc.config.similarity:
                    del decisions[i]
                    changed = True
                    continue
                decisions[i] = d._replace(kept=kept, similarity=sim)


#: A unit of more words than this is several sentences glued together, not one sentence.
TORN_WORDS = 40


def keep_sentences_whole(doc: Document, decisions: dict[int, Decision]) -> None:
    """A sentence that keeps a repeated piece and loses another (its copies
    were decided apart: "On Windows the call goes through" kept in one copy,
    "`System.IO.File.Open` and inherits..." in another) would stand torn in
    the output: it goes whole as a copy of the same sentence standing whole
    elsewhere, or it keeps its removed pieces too. (Not a sentence whose kept
    part is its own text, "...on our forum.Posted by", nor a long unit: text
    glued without stops.)"""
    pieces = doc.pieces
    units: dict[int, list[int]] = defaultdict(list)
    for i, p in enumerate(pieces):
        if p.key:
            units[p.unit].append(i)
    named = {d.kept for d in decisions.values()}
    by_clusters: dict[tuple[int, ...], list[list[int]]] = defaultdict(list)
    for members in units.values():
        by_clusters[tuple(doc.cid[i] for i in members)].append(members)
    def runs_on(i: int) -> bool:
        # Piece i and the next, one removed and one kept, go on as one sentence: "meadow quarry!".
        return ((i in decisions) != (i + 1 in decisions) and doc.spaced_join(i)
                and not _ends_with_stop(doc.text(i)) and _continues(doc.text(i + 1)))

    for members in units.values():
        if not (sum(pieces[i].words for i in members) <= TORN_WORDS and any(i in decisions for i in members)
                and (any(i not in decisions and (i in named or not doc.is_unique(i)) for i in members)
                     or any(runs_on(i) for i in members[:-1] if pieces[i + 1].unit == pieces[i].unit))):
            continue
        # It goes whole where the same sentence stands whole elsewhere, else it stays whole.
        whole = next((other for other in by_clusters[tuple(doc.cid[i] for i in members)]
                      if other is not members and not any(k in decisions for k in other)), None)
        first = next(decisions[i] for i in members if i in decisions)
        for i, k in zip(members, whole or members):
            if whole is None:
                decisions.pop(i, None)
            elif (sim := doc.similarity(i, k)) >= doc.config.similarity:
                decisions[i] = Decision(i, k, first.reason, first.rule, sim)
            else:
                for j in members:
                    decisions.pop(j, None)
                break


class Span(NamedTuple):
    start: int
    end: int
    piece: int  #: the removed piece whose decision this span carries


def spans(norm: Normalized, pieces: list[Piece], members: list[list[int]], removed: set[int]) -> list[Span]:
    """The normalized-text span each removed piece takes with it, whitespace
    included (``members``: the pieces of each paragraph)."""
    paras, text = norm.paragraphs, norm.text
    # A paragraph goes whole when every piece with letters goes; pieces without ("。", "***") go with it.
    whole = [p for p in range(len(paras))
             if any(i in removed for i in members[p]) and all(i in removed or not pieces[i].key for i in members[p])]
    whole_set = set(whole)
    out: list[Span] = []
    last = len(paras) - 1
    if len(whole) == len(paras):
        # Everything goes: the final newline too.
        for p in range(len(paras)):
            end = paras[p + 1].start if p < last else len(text)
            _add_para(out, pieces, members[p], removed, paras[p].start if p else 0, end)
    else:
        # Paragraphs at the end take the separator before them, the others the one after.
        tail = last
        while tail in whole_set:
            tail -= 1
        for p in whole:
            if p > tail:
                _add_para(out, pieces, members[p], removed, paras[p - 1].end, paras[p].end)
            else:
                _add_para(out, pieces, members[p], removed, paras[p].start, paras[p + 1].start)
    for p, group in enumerate(members):
        if p in whole_set or not any(i in removed for i in group):
            continue
        tail_k = len(group) - 1
        while group[tail_k] in removed:
            tail_k -= 1
        for k, i in enumerate(group):
            if i not in removed:
                continue
            if k > tail_k:
                out.append(Span(pieces[group[k - 1]].end, pieces[i].end, i))
            else:
                out.append(Span(pieces[i].start, pieces[group[k + 1]].start, i))
    out.sort()
    return out


def _add_para(out: list[Span], pieces: list[Piece], members: list[int], removed: set[int], start: int,
              end: int) -> None:
    """A whole paragraph's span ``start:end``, cut between its pieces; a piece
    without letters goes with its nearest removed neighbour."""
    cuts = [start] + [pieces[i].start for i in members[1:]] + [end]
    gone = [k for k, i in enumerate(members) if i in removed]
    for k, i in enumerate(members):
        owner = i if i in removed else members[min(gone, key=lambda r: (abs(r - k), r))]
        out.append(Span(cuts[k], cuts[k + 1], owner))


def records(norm: Normalized, pieces: list[Piece], spans_: list[Span], decisions: dict[int, Decision],
            corpus: dict[int, CorpusCopy] | None = None, least: float = 0.0) -> list[Removal]:
    """One `Removal` per stretch of adjacent spans with one reason and rule whose
    kept copies stand together in the same order: the same kept piece again
    (a sentence said three times) or the next kept piece each time, as long
    as the whole stretch is as similar to its kept copy as ``least`` (each of
    its pieces is; the stretch goes piece by piece where the whole is not)."""
    text, offsets = norm.text, norm.offsets
    corpus = corpus or {}
    out: list[Removal] = []
    group: list[Span] = []

    def record(group: list[Span]) -> Removal | None:
        start, end = group[0].start, group[-1].end
        first = group[0].piece
        if first in corpus:
            copy = corpus[first]
            kept_doc, kept_start, kept_end = copy.doc, copy.start, max(corpus[s.piece].end for s in group)
            sim, reason, rule = min(corpus[s.piece].similarity for s in group), Reason.CORPUS_PASSAGE, copy.rule
        else:
            d = decisions[first]
            kept = [decisions[s.piece].kept for s in group]
            kept_doc, kept_start, kept_end = None, pieces[min(kept)].start, pieces[max(kept)].end
            sim = similarity(text[start:end], text[kept_start:kept_end], repeats=True)
            if sim < least and len({s.piece for s in group}) > 1:
                return None
            reason, rule = d.reason, d.rule
        return Removal(reason=reason, start=start, end=end, input_start=offsets.to_input(start),
                       input_end=offsets.to_input(end), text=text[start:end], kept_start=kept_start,
                       kept_end=kept_end, similarity=sim, kept_doc=kept_doc, rule=rule)

    def flush() -> None:
        if not group:
            return
        whole = record(group)
        if whole is not None:
            out.append(whole)
        else:
            by_piece: dict[int, list[Span]] = {}
            for s in group:
                by_piece.setdefault(s.piece, []).append(s)
            out.extend(r for part in by_piece.values() if (r := record(part)) is not None)
        group.clear()

    mode: list[str | None] = [None]  # how the kept pieces of the group follow each other: "same" or "next"
    for span in spans_:
        if group:
            step = _step(group[-1], span, decisions, corpus)
            if step is None or (step != "piece" and mode[0] not in (None, step)):
                flush()
                mode[0] = None
            elif step != "piece":
                mode[0] = step
        group.append(span)
    flush()
    return out

def _step(prev: Span, span: Span, decisions: dict[int, Decision], corpus: dict[int, CorpusCopy]) -> str | None:
    """How ``span`` follows ``prev`` in one record: "piece" (the same removed
    piece), "same" (the same kept piece again, exactly: a sentence repeated
    back to back), "next" (the next kept piece: a copy of a longer stretch),
    or None (a new record)."""
    if span.start != prev.end:
        return None
    if span.piece == prev.piece:
        return "piece"
    if (span.piece in corpus) != (prev.piece in corpus):
        return None
    if span.piece in corpus:
        a, b = corpus[prev.piece], corpus[span.piece]
        # Copies kept elsewhere merge only where they stand next to each other
        # there too (one space or one paragraph break apart).
        return "next" if a.doc == b.doc and a.rule == b.rule and 0 <= b.start - a.end <= 2 else None
    x, y = decisions[prev.piece], decisions[span.piece]
    if (x.reason, x.rule) != (y.reason, y.rule):
        return None
    if y.kept == x.kept:
        return "same" if x.similarity == y.similarity == 1.0 else None
    return "next" if y.kept == x.kept + 1 else None

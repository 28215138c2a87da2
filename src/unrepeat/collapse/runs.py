"""Runs: two occurrences of the same sequence of pieces (the diagonals of a dot plot).

The document is a sequence of cluster ids. Every pair of equal ids is a seed;
a run follows the diagonal from its seed, allowing pieces that one copy adds
or drops (up to ``Config.max_gap`` on either side), pieces edited in place
between or beside matched ones, and name or number variants (weak partners)
once it is under way. The first occurrence of a run never reaches into the
second: "X X X" gives the runs X1-X2, X2-X3 and X1-X3, never X1X2-X2X3.
"""

from __future__ import annotations

from enum import IntEnum
from itertools import pairwise
from typing import NamedTuple

from .clusters import Document, differs_in_name_or_number

#: Clusters with more occurrences than this pair each occurrence only with the
#: next one, so one sentence repeated 100,000 times costs linear time.
ALL_PAIRS_LIMIT = 8
#: A run stops where its first occurrence repeats a piece it holds and this many after it.
RESTART = 1


class Kind(IntEnum):
    """How two matched pieces match."""

    STRONG = 0  #: same cluster
    WEAK = 1  #: name or number variants, inside a run
    EDITED = 2  #: similar enough, in the same place of the run


class Match(NamedTuple):
    a: int
    b: int
    kind: Kind


class Run(NamedTuple):
    """Two occurrences of a sequence of pieces: matches ``(a, b, kind)``, a < b, in order."""

    matches: tuple[Match, ...]
    stutter: bool = False

    @property
    def a_span(self) -> tuple[int, int]:
        return self.matches[0].a, self.matches[-1].a

    @property
    def b_span(self) -> tuple[int, int]:
        return self.matches[0].b, self.matches[-1].b


def seed_pairs(doc: Document) -> list[tuple[int, int]]:
    """Pairs of pieces in the same cluster, in order."""
    seeds: list[tuple[int, int]] = []
    for occ in doc.occurrences.values():
        if len(occ) < 2:
            continue
        if len(occ) <= ALL_PAIRS_LIMIT:
            seeds.extend((x, y) for k, x in enumerate(occ) for y in occ[k + 1 :])
        else:
            seeds.extend(pairwise(occ))
    seeds.sort()
    return seeds


def _next_match(doc: Document, a: int, b: int, j: int) -> Match | None:
    """The nearest matching pair after (a, b) on its diagonal: A may skip ``ga``
    and B ``gb`` pieces, each up to max_gap (the fewest in all, then the fewest in A)."""
    cid, n, g = doc.cid, len(doc.pieces), doc.config.max_gap
    wa = cid[a + 1 : min(a + 2 + g, j)]
    wb = cid[b + 1 : min(b + 2 + g, n)]
    where: dict[int, list[int]] = {}
    for gb, c in enumerate(wb):
        where.setdefault(c, []).append(gb)
    best: tuple[int, int, int, Kind] | None = None
    for ga, c in enumerate(wa):
        for gb in where.get(c, ()):
            cand = (ga + gb, ga, gb, Kind.STRONG)
            best = cand if best is None or cand < best else best
        for partner in doc.weak.get(c, ()):
            for gb in where.get(partner, ()):
                cand = (ga + gb, ga, gb, Kind.WEAK)
                best = cand if best is None or cand < best else best
    if best is None:
        return None
    return Match(a + 1 + best[1], b + 1 + best[2], best[3])


def _next_edit(doc: Document, a: int, b: int, j: int) -> Match | None:
    """Where no copy follows (a, b): the nearest edited pair, after up to
    ``max_gap`` pieces one copy adds or drops (the fewest in all)."""
    n, g = len(doc.pieces), doc.config.max_gap
    for total in range(2 * g + 1):
        for ga in range(max(0, total - g), min(total, g) + 1):
            x, y = a + 1 + ga, b + 1 + total - ga
            # (Past a gap, a variant in a name or number is another sentence: "The value 0 / 1 is reserved".)
            if x < j and y < n and doc.edited(x, y) and (
                    total == 0 or not differs_in_name_or_number(doc.text(x), doc.text(y))):
                return Match(x, y, Kind.EDITED)
    return None


def _restarts(cid: list[int], seen: dict[int, int], a: int, limit: int) -> bool:
    """Does the first occurrence start over at ``a``: the piece and the
    `RESTART` pieces after it repeat pieces it already holds, in order?"""
    p = seen.get(cid[a])
    if p is None or a + RESTART >= limit:
        return False
    return all(cid[a + k] == cid[p + k] for k in range(1, RESTART + 1))


def extend(doc: Document, i: int, j: int, visited: set[tuple[int, int]] | frozenset[tuple[int, int]] = frozenset()
           ) -> list[Match]:
    """Follow the diagonal that starts at the matching pair (i, j).

    The run stops where its first occurrence starts over (with three or four
    copies in a row, copy 1 + copy 2 matches copy 3 + copy 4 piece by piece,
    yet they are four copies, not two), and where it reaches a pair of an
    earlier run (``visited``): a seed off the diagonal of a copy ("Next" in
    copy 1 paired with the other "Next" of copy 2) would otherwise slide onto
    that diagonal and pair the two lines as copies.
    """
    cid = doc.cid
    matches = [Match(i, j, Kind.STRONG)]
    seen = {cid[i]: i}
    a, b = i, j
    while True:
        found = _next_match(doc, a, b, j) or _next_edit(doc, a, b, j)
        if found is None:
            break
        if _restarts(cid, seen, found.a, j) or (found.a, found.b) in visited:
            break
        for x in range(a + 1, found.a + 1):
            if cid[x] >= 0:
                seen.setdefault(cid[x], x)
        # Pieces edited in place between two matches (where one copy also
        # dropped a piece there, the edited one may not stand opposite its copy).
        start = b + 1
        for x in range(a + 1, found.a):
            y = next((y for y in range(start, found.b) if doc.edited(x, y)), None)
            if y is not None:
                matches.append(Match(x, y, Kind.EDITED))
                start = y + 1
        matches.append(found)
        a, b = found.a, found.b
    # Pieces right before the first match, copied or edited in place: where a
    # sentence occurs too often to pair every occurrence with every other, a
    # run may start after its true beginning.
    a, b = i, j
    last_a = matches[-1].a
    head: list[Match] = []
    edits = 0
    while a > 0 and b - 1 > last_a and (a - 1, b - 1) not in visited:
        if cid[a - 1] == cid[b - 1] and cid[a - 1] >= 0:
            kind = Kind.STRONG
        elif edits < doc.config.max_gap and doc.edited(a - 1, b - 1):
            kind, edits = Kind.EDITED, edits + 1
        else:
            break
        a, b = a - 1, b - 1
        head.append(Match(a, b, kind))
    return head[::-1] + matches


def stutters(doc: Document) -> list[Run]:
    """The same line twice in a row: consecutive paragraphs with the same
    pieces, outside preformatted text."""
    paras, cid = doc.norm.paragraphs, doc.cid
    out = []
    for p in range(len(paras) - 1):
        xs, ys = doc.para_pieces[p], doc.para_pieces[p + 1]
        if paras[p].pre or paras[p + 1].pre or not xs or len(xs) != len(ys):
            continue
        if all(cid[x] == cid[y] for x, y in zip(xs, ys)) and any(doc.pieces[x].key for x in xs):
            out.append(Run(tuple(Match(x, y, Kind.STRONG) for x, y in zip(xs, ys)), stutter=True))
    return out


def find_runs(doc: Document) -> list[Run]:
    """Every run of the document (maximal: a pair already in a run seeds no other), and the stutters."""
    runs = []
    visited: set[tuple[int, int]] = set()
    for i, j in seed_pairs(doc):
        if (i, j) in visited:
            continue
        matches = extend(doc, i, j, visited)
        visited.update((m.a, m.b) for m in matches)
        runs.append(Run(tuple(matches)))
    return stutters(doc) + runs


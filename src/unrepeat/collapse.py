"""Finds repeated passages in a document and decides which copy stays: `clean`.

The unit is the sentence; the passage is a run of sentences. Each sentence
gets a cluster id (equal matching keys, or near-duplicates confirmed by a
similarity check), which turns the document into a sequence of ids. Two
occurrences of the same run of ids, allowing a few sentences that one copy
adds or drops, sentences edited in place and sentences one copy glued
together, are two copies of a passage (the diagonals of a dot plot).

Pairs of copies are decided largest first: the worse copy (less complete
over its region, worse formed, set in less unrepeated text, later) loses
the sentences the better copy holds, as long as those stay. Then come the
finishing passes: teasers cut short and code go whole or not at all,
leftovers of a removed copy that the kept copy holds in other words go too,
and lines that become stutters collapse.

>>> doc = ("A long first sentence that is repeated here. And a second one follows it.\\n"
...        "Something else entirely.\\n"
...        "A long first sentence that is repeated here. And a second one follows it.\\n")
>>> print(clean(doc).text, end="")
A long first sentence that is repeated here. And a second one follows it.
<BLANKLINE>
Something else entirely.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple
from difflib import SequenceMatcher

import numpy as np
import regex

from .config import Config, Keep
from .fingerprint import simhash_many
from .index import near_duplicate_pairs
from .normalize import Normalized, matching_key, normalize
from .report import CleanResult, Reason, Removal, apply_removals
from .segment import Sentence, sentences

#: Clusters with more occurrences than this pair each occurrence only with the
#: next one, so one sentence repeated 100,000 times costs linear time.
_ALL_PAIRS_LIMIT = 8
_UNSPACED = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]")
_WORD = regex.compile(r"\w+")
_NAME_OR_NUMBER = regex.compile(r"\d|^\p{Lu}")
#: Two sentences or paragraphs run together: "newsletterSnopes", "2016Sign", "said.Then".
_GLUED = regex.compile(r"[\p{Ll}\d.!?:;,\"”’)][\p{Lu}][\p{Ll}]")

STRONG, WEAK, EDITED = 0, 1, 2  # kinds of match between two sentences
#: How many sentences a copy may skip where the other glued them into fewer.
_GLUED_GAP = 12


class Unit(NamedTuple):
    """A sentence with what comparison needs (a tuple: documents hold many)."""

    start: int
    end: int
    para: int
    key: str
    words: int
    long: bool


@dataclass
class Segment:
    """Two copies of a passage: matched sentence positions ``(a, b, kind)``, a < b."""

    matches: list[tuple[int, int, int]]
    reason: Reason

    @property
    def a_span(self) -> tuple[int, int]:
        return self.matches[0][0], self.matches[-1][0]

    @property
    def b_span(self) -> tuple[int, int]:
        return self.matches[0][1], self.matches[-1][1]


@dataclass(frozen=True)
class Decision:
    """A removed sentence, the kept sentence (or span of sentences) it copies, and why.

    For a copy kept in another document, ``kept_doc`` names it and
    ``kept_span`` locates the copy in that document's normalized text.
    """

    unit: int
    kept_first: int
    kept_last: int
    reason: Reason
    kept_doc: str | None = None
    kept_span: tuple[int, int] | None = None
    similarity: float | None = None


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, x: int, y: int) -> None:
        rx, ry = self.find(x), self.find(y)
        if rx != ry:
            if rx < ry:
                rx, ry = ry, rx
            self.parent[rx] = ry


def is_long(key: str, config: Config) -> bool:
    """Is a sentence with this matching key a passage on its own?"""
    words = key.count(" ") + 1 if key else 0
    if words >= config.min_sentence_words:
        return True
    return len(key) >= config.min_sentence_chars and len(_UNSPACED.findall(key)) * 2 >= len(key.replace(" ", ""))


def make_units(norm: Normalized, sents: list[Sentence], config: Config) -> list[Unit]:
    units = []
    for s in sents:
        key = matching_key(norm.text[s.start : s.end])
        words = key.count(" ") + 1 if key else 0
        units.append(Unit(s.start, s.end, s.para, key, words, is_long(key, config)))
    return units


def similarity(a: str, b: str, at_least: float = 0.0) -> float:
    """Token sequence similarity of two matching keys, from 0 to 1.

    With ``at_least``, pairs that cannot reach it return a cheap upper bound
    (below ``at_least``) instead of the exact value.

    >>> similarity("the cat sat on the mat", "the cat sat on a mat")
    0.8333333333333334
    """
    if a == b:
        return 1.0
    ta, tb = a.split(), b.split()
    if not ta or not tb:
        return 0.0
    matcher = SequenceMatcher(None, ta, tb, autojunk=False)
    if at_least:
        bound = matcher.real_quick_ratio()
        if bound < at_least:
            return bound
        bound = matcher.quick_ratio()
        if bound < at_least:
            return bound
    return matcher.ratio()


def _differs_in_name_or_number(text_a: str, text_b: str) -> bool:
    """Do two similar sentences differ in a number or a capitalized word?"""
    ta, tb = _WORD.findall(text_a), _WORD.findall(text_b)
    sm = SequenceMatcher(None, [t.casefold() for t in ta], [t.casefold() for t in tb], autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        changed = [(t, i) for i, t in enumerate(ta[i1:i2], i1)] + [(t, j) for j, t in enumerate(tb[j1:j2], j1)]
        if any(_NAME_OR_NUMBER.search(t) and (t[0].isdigit() or i > 0) for t, i in changed):
            return True
    return False


class _Document:
    """One document's units, clusters and near-duplicate links."""

    def __init__(self, norm: Normalized, units: list[Unit], config: Config) -> None:
        self.norm, self.units, self.config = norm, units, config
        n = len(units)
        ids: dict[str, int] = {}
        cid = np.empty(n, dtype=np.int64)
        for i, u in enumerate(units):
            # An empty key ("***", "—") never matches anything.
            cid[i] = ids.setdefault(u.key, len(ids)) if u.key else -1 - i
        self.weak: set[tuple[int, int]] = set()
        self._link_near_duplicates(cid, ids)
        self.cid = cid
        self.cid_list: list[int] = cid.tolist()
        self.weak_partners: dict[int, list[int]] = defaultdict(list)
        for x, y in sorted(self.weak):
            self.weak_partners[x].append(y)
            self.weak_partners[y].append(x)
        self.para_sizes = [0] * len(norm.paragraphs)
        self.para_units: list[list[int]] = [[] for _ in norm.paragraphs]
        for i, u in enumerate(units):
            self.para_sizes[u.para] += bool(u.key)
            self.para_units[u.para].append(i)
        self._sim_cache: dict[tuple[int, int], float] = {}

    def _link_near_duplicates(self, cid: np.ndarray, ids: dict[str, int]) -> None:
        """Merge clusters of near-duplicate sentences; keep name/number variants as weak links."""
        keys = list(ids)
        if len(keys) < 2:
            return
        first: dict[int, int] = {}
        for i, c in enumerate(cid.tolist()):
            if c >= 0:
                first.setdefault(c, i)
        fps = simhash_many(keys)
        pairs = near_duplicate_pairs(fps, self.config.threshold)
        if not len(pairs):
            return
        uf = _UnionFind()
        for x, y in pairs.tolist():
            if similarity(keys[x], keys[y]) < self.config.similarity:
                continue
            ux, uy = self.units[first[x]], self.units[first[y]]
            text = self.norm.text
            if _differs_in_name_or_number(text[ux.start : ux.end], text[uy.start : uy.end]):
                self.weak.add((min(x, y), max(x, y)))
            else:
                uf.union(x, y)
        if uf.parent:
            for i, c in enumerate(cid.tolist()):
                if c >= 0:
                    cid[i] = uf.find(c)
            self.weak = {(min(a, b), max(a, b)) for a, b in ((uf.find(a), uf.find(b)) for a, b in self.weak) if a != b}

    def edited(self, a: int, b: int) -> bool:
        """Is b an edited copy of a (used only between or beside matched sentences)?"""
        ka, kb = self.units[a].key, self.units[b].key
        if not ka or not kb:
            return False
        if (a, b) not in self._sim_cache:
            self._sim_cache[(a, b)] = similarity(ka, kb, self.config.similarity)
        return self._sim_cache[(a, b)] >= self.config.similarity

    def contains(self, outer: range, inner: range) -> bool:
        """Does the text of the sentences ``outer`` hold every sentence of ``inner``
        (spaces ignored), as when one copy glued "foo. Bar" into "fooBar"?"""
        if not len(inner) or not len(outer) or len(inner) > len(outer):
            return False
        units = self.units
        hay = "".join(units[k].key for k in outer).replace(" ", "")
        needles = [units[k].key.replace(" ", "") for k in inner]
        # Most of the outer text must be made of the inner sentences, not just hold them.
        return all(x and x in hay for x in needles) and sum(map(len, needles)) >= 0.7 * len(hay)


def _seed_pairs(doc: _Document) -> list[tuple[int, int]]:
    occurrences: dict[int, list[int]] = defaultdict(list)
    for i, c in enumerate(doc.cid.tolist()):
        if c >= 0:
            occurrences[c].append(i)
    seeds = []
    for occ in occurrences.values():
        if len(occ) < 2:
            continue
        if len(occ) <= _ALL_PAIRS_LIMIT:
            seeds.extend((x, y) for k, x in enumerate(occ) for y in occ[k + 1 :])
        else:
            seeds.extend(zip(occ, occ[1:]))
    seeds.sort()
    return seeds


def _next_match(doc: _Document, a: int, b: int, j: int) -> tuple[int, int, int] | None:
    """The nearest matching pair after (a, b) on its diagonal: A may skip ``ga``
    and B ``gb`` sentences (the fewest in all, then the fewest in A), each up to
    max_gap, or more where one copy glued together what the other splits."""
    cid, n, g = doc.cid_list, len(doc.units), doc.config.max_gap
    wide = max(g, _GLUED_GAP)
    wa = cid[a + 1 : min(a + 2 + wide, j)]
    wb = cid[b + 1 : min(b + 2 + wide, n)]
    where: dict[int, list[int]] = {}
    for gb, c in enumerate(wb):
        where.setdefault(c, []).append(gb)
    candidates = []
    for ga, c in enumerate(wa):
        for gb in where.get(c, ()):
            candidates.append((ga + gb, ga, gb, STRONG))
        for partner in doc.weak_partners.get(c, ()):
            for gb in where.get(partner, ()):
                candidates.append((ga + gb, ga, gb, WEAK))
    for d, ga, gb, kind in sorted(candidates):
        if d > g + wide:
            break
        a2, b2 = a + 1 + ga, b + 1 + gb
        # Beyond max_gap only where one copy glued together what the other splits.
        if max(ga, gb) > g and not (doc.contains(range(b + 1, b2), range(a + 1, a2))
                                    or doc.contains(range(a + 1, a2), range(b + 1, b2))):
            continue
        return a2, b2, kind
    return None


def _extend(doc: _Document, i: int, j: int) -> list[tuple[int, int, int]]:
    """Follow the diagonal that starts at the matching pair (i, j)."""
    n = len(doc.units)
    matches = [(i, j, STRONG)]
    a, b = i, j
    while True:
        found = _next_match(doc, a, b, j)
        if found is None:
            if a + 1 < j and b + 1 < n and doc.edited(a + 1, b + 1):
                found = (a + 1, b + 1, EDITED)
            else:
                break
        a2, b2, kind = found
        # Sentences edited in place between two matches.
        for x, y in zip(range(a + 1, a2), range(b + 1, b2)):
            if doc.edited(x, y):
                matches.append((x, y, EDITED))
        matches.append(found)
        a, b = a2, b2
    # Sentences edited in place before the first match.
    a, b = i, j
    last_a = matches[-1][0]
    head = []
    while a > 0 and b - 1 > last_a and doc.edited(a - 1, b - 1):
        a, b = a - 1, b - 1
        head.append((a, b, EDITED))
    return head[::-1] + matches


def _classify(doc: _Document, matches: list[tuple[int, int, int]]) -> Segment | None:
    """Is this pair of copies a passage, and of which kind?

    Preformatted text (code) counts only inside a run of prose: code repeating
    code is content, and a sentence repeated before two code blocks takes no
    code with it.
    """
    config, units = doc.config, doc.units
    paragraphs = doc.norm.paragraphs
    prose = [m for m in matches if not (paragraphs[units[m[0]].para].pre and paragraphs[units[m[1]].para].pre)]
    strong = [m for m in prose if m[2] == STRONG]
    words = sum(units[a].words for a, _, _ in prose)
    if len(prose) >= config.min_run_sentences and len(strong) >= 2 and words >= config.min_passage_words:
        return Segment(matches, Reason.REPEATED_PASSAGE)
    # Outside a run, only exact copies count: near-duplicates that merely look
    # alike ("Read: X" and "X", list lines) are distinct items.
    exact = [(a, b) for a, b, _ in strong if units[a].key == units[b].key]
    if any(units[a].long for a, _ in exact):
        return Segment(prose, Reason.REPEATED_PASSAGE if len(prose) > 1 else Reason.REPEATED_SENTENCE)
    if config.collapse_short and exact:
        return Segment([m for m in prose if m[2] == STRONG], Reason.SHORT_REPEAT)
    return None


def _stutters(doc: _Document) -> list[Segment]:
    """The same line twice in a row (paragraphs with equal keys), outside preformatted text."""
    by_para: dict[int, list[int]] = defaultdict(list)
    for i, u in enumerate(doc.units):
        by_para[u.para].append(i)
    paras = doc.norm.paragraphs
    out = []
    for p in range(len(paras) - 1):
        if paras[p].pre or paras[p + 1].pre or p not in by_para or p + 1 not in by_para:
            continue
        xs, ys = by_para[p], by_para[p + 1]
        if len(xs) == len(ys) and all(doc.cid[x] == doc.cid[y] for x, y in zip(xs, ys)):
            if any(doc.units[x].key for x in xs):
                out.append(Segment([(x, y, STRONG) for x, y in zip(xs, ys)], Reason.STUTTERED_LINE))
    return out


def find_segments(doc: _Document) -> list[Segment]:
    """All pairs of copies of passages in the document."""
    segments = _stutters(doc)
    visited: set[tuple[int, int]] = set()
    for i, j in _seed_pairs(doc):
        if (i, j) in visited:
            continue
        matches = _extend(doc, i, j)
        visited.update((a, b) for a, b, _ in matches)
        segment = _classify(doc, matches)
        if segment is not None:
            segments.append(segment)
    return segments


def _context(covered: list[bool], lo: int, hi: int) -> int:
    """How many unrepeated sentences stand right before and after ``lo..hi``."""
    n = 0
    k = lo - 1
    while k >= 0 and not covered[k]:
        n, k = n + 1, k - 1
    k = hi + 1
    while k < len(covered) and not covered[k]:
        n, k = n + 1, k + 1
    return n


def _completeness(doc: _Document, lo: int, hi: int, matched: set[int], other: tuple[int, int]) -> int:
    """How many distinct sentences the copy ``lo..hi`` holds. A sentence no
    match covers but whose text the other copy ``other`` holds, split or glued
    differently (a hard-wrapped fragment, "fooBar"), adds nothing."""
    hay = None
    clusters: set[int] = set()
    for k in range(lo, hi + 1):
        c = int(doc.cid[k])
        if c < 0 or c in clusters:
            continue
        if k not in matched:
            if hay is None:
                hay = "".join(doc.units[x].key for x in range(other[0], other[1] + 1)).replace(" ", "")
            if doc.units[k].key.replace(" ", "") in hay:
                continue
        clusters.add(c)
    return len(clusters)


class _Scorer:
    """Scores the two copies of each passage; higher is better.

    First the more complete copy, judged over its region (the copies that
    overlap it merged: a teaser's two paragraphs lose to the whole article
    they open), then over the copy itself; then the better formed (fewer
    repairs: glued, wrapped, mojibake, cut short); then the one embedded in
    a paragraph (for a single sentence); then the one set in more unrepeated
    text; then a plausible paragraph shape; then the earliest.
    """

    def __init__(self, doc: _Document, segments: list[Segment]) -> None:
        self.doc = doc
        self.covered = [False] * len(doc.units)
        self.matched: set[int] = set()
        spans = []
        for seg in segments:
            for lo, hi in (seg.a_span, seg.b_span):
                self.covered[lo : hi + 1] = [True] * (hi - lo + 1)
                spans.append((lo, hi))
            for a, b, _ in seg.matches:
                self.matched.update((a, b))
        self.regions: list[tuple[int, int]] = []
        for lo, hi in sorted(spans):
            if self.regions and lo <= self.regions[-1][1]:
                self.regions[-1] = (self.regions[-1][0], max(self.regions[-1][1], hi))
            else:
                self.regions.append((lo, hi))
        self._starts = [lo for lo, _ in self.regions]
        self._region_cache: dict[tuple[int, int], int] = {}

    def _region(self, pos: int) -> int:
        return bisect_right(self._starts, pos) - 1

    def score(self, seg: Segment, side: int) -> tuple[float, ...]:
        doc = self.doc
        lo, hi = seg.a_span if side == 0 else seg.b_span
        if doc.config.keep is Keep.FIRST:
            return (-lo,)
        if doc.config.keep is Keep.LAST:
            return (lo,)
        other = seg.b_span if side == 0 else seg.a_span
        mine, theirs = self._region(lo), self._region(other[0])
        if (mine, theirs) not in self._region_cache:
            self._region_cache[(mine, theirs)] = _completeness(
                doc, *self.regions[mine], self.matched, self.regions[theirs])
        region = self._region_cache[(mine, theirs)]
        own = _completeness(doc, lo, hi, {m[side] for m in seg.matches}, other)
        paras = sorted({doc.units[k].para for k in range(lo, hi + 1)})
        repairs = sum(doc.norm.paragraphs[p].repairs for p in paras)
        # A repeated sentence that shares its paragraph with other sentences stays
        # rather than its copy standing alone: cutting it out would leave a fragment.
        embedded = doc.para_sizes[paras[0]] - 1 if len(seg.matches) == 1 else 0
        shape = -abs(math.log((hi - lo + 1) / len(paras) / 2.5))
        return (region, own, -repairs, embedded, _context(self.covered, lo, hi), round(shape, 6), -lo)


def decide(doc: _Document, segments: list[Segment]) -> dict[int, Decision]:
    """Which sentences go, and which kept sentence each one copies.

    Larger passages are decided first. In each pair of copies the worse copy
    loses the sentences the better copy holds, as long as that sentence of the
    better copy is still there (or, for one sentence repeated back to back,
    points on to one that is). A removed sentence points at the sentence it
    copies; no pointer closes a loop, so every chain ends at a sentence that
    stays.
    """
    scorer = _Scorer(doc, segments)
    order = sorted(segments, key=lambda seg: (-len(seg.matches), seg.matches[0][0], seg.matches[0][1]))
    partner: dict[int, int] = {}
    reason: dict[int, Reason] = {}

    def kept_copy(unit: int) -> int:
        """Follow the pointers to the sentence that stays (compressing the path)."""
        root = unit
        while root in partner:
            root = partner[root]
        while unit != root:
            partner[unit], unit = root, partner[unit]
        return root

    for seg in order:
        a_score = scorer.score(seg, 0)
        b_score = scorer.score(seg, 1)
        b_wins = b_score > a_score
        for a, b, _ in seg.matches:
            loser, winner = (a, b) if b_wins else (b, a)
            if loser in partner:
                continue
            # A copy that went already keeps nothing alive, except along a run of
            # the same sentence repeated back to back ("X. X. X."), which
            # collapses like uniq.
            if winner in partner and not (b == a + 1 and doc.cid[a] == doc.cid[b]):
                continue
            if kept_copy(winner) == loser:
                continue
            partner[loser] = winner
            reason[loser] = seg.reason
    decisions = {unit: Decision(unit, kept_copy(unit), kept_copy(unit), reason[unit]) for unit in list(partner)}
    _keep_atomic_paragraphs(doc, decisions)
    _remove_glued_leftovers(doc, segments, decisions)
    _remove_contained(doc, decisions)
    _extend_edges(doc, decisions)
    _collapse_new_stutters(doc, decisions)
    return decisions


def _extend_edges(doc: _Document, decisions: dict[int, Decision]) -> None:
    """A line right before (or after) a removed copy that equals the line right
    before (or after) the kept copy belongs to the copy: a title above a glued
    copy of the article goes with it, whatever its size."""
    units, cid = doc.units, doc.cid_list
    n = len(units)

    def free(k: int) -> bool:
        return 0 <= k < n and k not in decisions and bool(units[k].key)

    removed = sorted(i for i, d in decisions.items() if d.kept_doc is None)
    runs: list[tuple[int, int]] = []
    for i in removed:
        if runs and i == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    for first, last in runs:
        d_first, d_last = decisions[first], decisions[last]
        x, y = first - 1, d_first.kept_first - 1
        while free(x) and free(y) and x != y and cid[x] == cid[y] and not doc.norm.paragraphs[units[x].para].pre:
            decisions[x] = Decision(x, y, y, d_first.reason)
            x, y = x - 1, y - 1
        x, y = last + 1, d_last.kept_last + 1
        while free(x) and free(y) and x != y and cid[x] == cid[y] and not doc.norm.paragraphs[units[x].para].pre:
            decisions[x] = Decision(x, y, y, d_last.reason)
            x, y = x + 1, y + 1


def _remove_contained(doc: _Document, decisions: dict[int, Decision]) -> None:
    """A sentence whose whole text stands elsewhere in what the document keeps
    is a copy, however it was glued ("...2016Sign up for our newsletterSnopes
    fact checker..." holds three paragraphs of the well-formed copy).

    Looked for only where gluing shows (a small letter or a stop run into a
    capital) in a sentence of passage size, or in what is left of a paragraph
    that is mostly removed; spaces are ignored, the kept copy must stay.
    """
    units, paragraphs = doc.units, doc.norm.paragraphs
    kept = [i for i, u in enumerate(units) if u.key and i not in decisions]
    candidates = []
    for i in kept:
        u = units[i]
        para = paragraphs[u.para]
        if para.pre or para.truncated:
            continue
        members = doc.para_units[u.para]
        mostly_gone = sum(1 for k in members if k in decisions) * 2 >= len(members)
        text = doc.norm.text[u.start : u.end]
        if (mostly_gone and len(u.key) >= 12) or (u.long and len(u.key) >= 40 and _GLUED.search(text)):
            candidates.append(i)
    if not candidates:
        return
    squeezed = [units[i].key.replace(" ", "") for i in kept]
    starts, pos = [], 0
    for part in squeezed:
        starts.append(pos)
        pos += len(part)
    hay = "".join(squeezed)
    for i in candidates:
        if i in decisions:
            continue
        needle = units[i].key.replace(" ", "")
        own = set(doc.para_units[units[i].para])
        at = hay.find(needle)
        while at >= 0:
            first = bisect_right(starts, at) - 1
            last = bisect_right(starts, at + len(needle) - 1) - 1
            span = kept[first : last + 1]
            if not any(k in own or k in decisions for k in span):
                decisions[i] = Decision(i, span[0], span[-1], Reason.REPEATED_PASSAGE)
                break
            at = hay.find(needle, at + 1)


def _collapse_new_stutters(doc: _Document, decisions: dict[int, Decision]) -> None:
    """Lines that end up next to their copy once the copies between them are
    gone are stutters too ("Title / [removed copy] / Title")."""
    paragraphs = doc.norm.paragraphs
    by_para: dict[int, list[int]] = defaultdict(list)
    for i, u in enumerate(doc.units):
        if u.key and i not in decisions:
            by_para[u.para].append(i)
    previous: list[int] = []
    for p in range(len(paragraphs)):
        members = by_para.get(p)
        if not members:
            continue
        if (previous and not paragraphs[p].pre and not paragraphs[doc.units[previous[0]].para].pre
                and [doc.cid[i] for i in members] == [doc.cid[i] for i in previous]
                and len(members) == doc.para_sizes[p]):
            for i, k in zip(members, previous):
                decisions[i] = Decision(i, k, k, Reason.STUTTERED_LINE)
            continue
        previous = members


def _keep_atomic_paragraphs(doc: _Document, decisions: dict[int, Decision]) -> None:
    """Teasers cut short ("… Continued") go whole or not at all: an excerpt that
    quotes the article's first sentences is the excerpt. Preformatted text
    (code, tables) goes only when it is mostly a copy: a line that code
    repeats is code."""
    by_para: dict[int, list[int]] = defaultdict(list)
    for i in decisions:
        by_para[doc.units[i].para].append(i)
    paragraphs = doc.norm.paragraphs
    for p, removed in by_para.items():
        para = paragraphs[p]
        if not (para.pre or para.truncated):
            continue
        members = [i for i in doc.para_units[p] if doc.units[i].key]
        gone = sum(1 for i in members if i in decisions)
        # A teaser goes only where the whole teaser, cut included, is there again word for word.
        exact = all(i in decisions and doc.units[decisions[i].kept_first].key == doc.units[i].key for i in members)
        if (para.truncated and not exact) or (para.pre and gone * 2 < len(members)):
            for i in removed:
                del decisions[i]


def _remove_glued_leftovers(doc: _Document, segments: list[Segment], decisions: dict[int, Decision]) -> None:
    """Inside a removed copy, a sentence the kept copy also holds is a copy too:
    its text is in the kept copy's text, split or glued differently ("fooBar"
    for "foo. Bar"), or it is an edited version of a kept sentence standing in
    the same place between two matched sentences."""
    units = doc.units
    para_units: dict[int, list[int]] = defaultdict(list)
    for i, u in enumerate(units):
        para_units[u.para].append(i)
    for seg in segments:
        if seg.reason is not Reason.REPEATED_PASSAGE:
            continue
        for side in (0, 1):
            lo, hi = seg.a_span if side == 0 else seg.b_span
            klo, khi = seg.b_span if side == 0 else seg.a_span
            removed = sum(1 for p in range(lo, hi + 1) if p in decisions)
            if removed * 2 < hi - lo + 1:
                continue
            # The whole paragraphs of the removed copy: a glued copy's last
            # sentences may hold text of sentences after the last match.
            lo, hi = para_units[units[lo].para][0], para_units[units[hi].para][-1]
            if side == 0:
                hi = min(hi, klo - 1)
            else:
                lo = max(lo, khi + 1)
            reach = khi + (hi - lo + 1) + doc.config.max_gap
            kept = [k for k in range(klo, min(reach, len(units) - 1) + 1)
                    if k not in decisions and not lo <= k <= hi]
            if not kept or all(p in decisions for p in range(lo, hi + 1)):
                continue
            joined, owners = _joined_keys(units, [k for k in kept if units[k].key])
            compact = spaced = None
            pairs = sorted((m[side], m[1 - side]) for m in seg.matches)
            paragraphs = doc.norm.paragraphs
            for p in range(lo, hi + 1):
                key = units[p].key
                if p in decisions or paragraphs[units[p].para].truncated:
                    continue
                found = None
                if not key:
                    text = doc.norm.text[units[p].start : units[p].end]
                    found = next(((k, k) for k in _between(pairs, p, kept)
                                  if doc.norm.text[units[k].start : units[k].end] == text), None)
                elif (at := joined.find(f" {key} ")) >= 0:
                    found = owners[at + 1], owners[at + len(key)]
                else:
                    if len(key) >= 12:
                        if compact is None:
                            compact = joined.replace(" ", "")
                            spaced = [i for i, ch in enumerate(joined) if ch != " "]
                        squeezed = key.replace(" ", "")
                        at = compact.find(squeezed)
                        if at >= 0:
                            found = owners[spaced[at]], owners[spaced[at + len(squeezed) - 1]]
                    if found is None:
                        best = max(_between(pairs, p, kept), key=lambda k: similarity(key, units[k].key), default=None)
                        if best is not None and doc.edited(min(p, best), max(p, best)):
                            found = best, best
                if found is not None:
                    decisions[p] = Decision(p, found[0], found[1], seg.reason)


def _between(pairs: list[tuple[int, int]], p: int, kept: list[int]) -> list[int]:
    """The kept sentences of the other copy between the partners of the matched
    sentences right before and after ``p``."""
    k = bisect_right(pairs, (p, -1))
    low = pairs[k - 1][1] if k > 0 else -1
    high = pairs[k][1] if k < len(pairs) else low + 4
    if high < low:
        low, high = high, low
    return [x for x in kept if low < x < high]


def _joined_keys(units: list[Unit], kept: list[int]) -> tuple[str, list[int]]:
    """The kept keys joined by spaces (and framed by spaces), with the unit of each character."""
    parts, owners = [" "], [kept[0] if kept else -1]
    for k in kept:
        parts.append(units[k].key + " ")
        owners.extend([k] * (len(units[k].key) + 1))
    return "".join(parts), owners


def _removal_spans(norm: Normalized, units: list[Unit], decisions: dict[int, Decision]) -> list[tuple[int, int, Decision]]:
    """The normalized-text span each removed sentence takes with it, whitespace included."""
    paras, text = norm.paragraphs, norm.text
    by_para: dict[int, list[int]] = defaultdict(list)
    for i, u in enumerate(units):
        by_para[u.para].append(i)
    # A paragraph goes whole when all its sentences go; punctuation-only leftovers ("。", "***") go with it.
    whole = [p for p in range(len(paras))
             if any(i in decisions for i in by_para[p]) and all(i in decisions or not units[i].key for i in by_para[p])]
    whole_set = set(whole)
    spans: list[tuple[int, int, Decision]] = []
    last = len(paras) - 1
    if len(whole) == len(paras):
        # Everything goes: the final newline too.
        for p in range(len(paras)):
            end = paras[p + 1].start if p < last else len(text)
            _add_para(spans, units, by_para[p], decisions, paras[p].start if p else 0, end)
    else:
        # Paragraphs at the end take the separator before them, the others the one after.
        tail = last
        while tail in whole_set:
            tail -= 1
        for p in whole:
            if p > tail:
                _add_para(spans, units, by_para[p], decisions, paras[p - 1].end, paras[p].end)
            else:
                _add_para(spans, units, by_para[p], decisions, paras[p].start, paras[p + 1].start)
    for p, members in by_para.items():
        if p in whole_set:
            continue
        gone = [i for i in members if i in decisions]
        if not gone:
            continue
        tail_k = len(members) - 1
        while members[tail_k] in decisions:
            tail_k -= 1
        for k, i in enumerate(members):
            if i not in decisions:
                continue
            if k > tail_k:
                spans.append((units[members[k - 1]].end, units[i].end, decisions[i]))
            else:
                spans.append((units[i].start, units[members[k + 1]].start, decisions[i]))
    spans.sort(key=lambda s: s[0])
    return spans


def _add_para(spans: list[tuple[int, int, Decision]], units: list[Unit], members: list[int],
              decisions: dict[int, Decision], start: int, end: int) -> None:
    """A whole paragraph's span ``start:end``, cut between its sentences; a
    punctuation-only sentence goes with its neighbour."""
    cuts = [start] + [units[i].start for i in members[1:]] + [end]
    removed = [k for k, i in enumerate(members) if i in decisions]
    for k, i in enumerate(members):
        owner = i if i in decisions else members[min(removed, key=lambda r: (abs(r - k), r))]
        spans.append((cuts[k], cuts[k + 1], decisions[owner]))


def _merge(norm: Normalized, units: list[Unit], spans: list[tuple[int, int, Decision]]) -> list[Removal]:
    """One removal per stretch of adjacent removed sentences whose kept copies are in order."""
    text, offsets = norm.text, norm.offsets
    out: list[Removal] = []
    group: list[tuple[int, int, Decision]] = []

    def kept(d: Decision) -> tuple[int, int]:
        return d.kept_span if d.kept_span is not None else (units[d.kept_first].start, units[d.kept_last].end)

    def flush() -> None:
        if not group:
            return
        start, end = group[0][0], group[-1][1]
        first = group[0][2]
        out.append(Removal(
            reason=first.reason, start=start, end=end,
            input_start=offsets.to_input(start), input_end=offsets.to_input(end),
            text=text[start:end], kept_start=kept(first)[0], kept_end=max(kept(d)[1] for _, _, d in group),
            similarity=min(_unit_similarity(units, d) for _, _, d in group), kept_doc=first.kept_doc,
        ))
        group.clear()

    for span in spans:
        if group:
            prev, d = group[-1][2], span[2]
            if d.kept_doc is None:
                in_order = prev.kept_doc is None and prev.kept_first <= d.kept_first <= prev.kept_last + 1
            else:
                # Copies kept elsewhere merge only where they stand next to each
                # other there too (one space or one paragraph break apart).
                in_order = prev.kept_doc == d.kept_doc and 0 <= kept(d)[0] - kept(prev)[1] <= 2
            if span[0] != group[-1][1] or d.reason != prev.reason or not in_order:
                flush()
        group.append(span)
    flush()
    return out


def _unit_similarity(units: list[Unit], d: Decision) -> float:
    if d.similarity is not None:
        return d.similarity
    kept = " ".join(units[k].key for k in range(d.kept_first, d.kept_last + 1))
    return similarity(units[d.unit].key, kept)


@dataclass
class Analysis:
    """A document after the within-document collapse, with what a corpus-wide
    step needs to go on: its units and which of them were removed."""

    input_chars: int
    norm: Normalized
    units: list[Unit]
    decisions: dict[int, Decision]
    config: Config


def analyze(text: str, config: Config | None = None) -> Analysis:
    """Normalize one document and decide its within-document removals."""
    config = config or Config()
    norm = normalize(text, config)
    units = make_units(norm, sentences(norm.text, norm.paragraphs), config)
    doc = _Document(norm, units, config)
    return Analysis(len(text), norm, units, decide(doc, find_segments(doc)), config)


def finish(analysis: Analysis, duplicate_of: str | None = None) -> CleanResult:
    """The output text and the report of an analysed document."""
    norm, units = analysis.norm, analysis.units
    removals = tuple(_merge(norm, units, _removal_spans(norm, units, analysis.decisions)))
    out = apply_removals(norm.text, removals)
    stats = {"input_chars": analysis.input_chars, "paragraphs": len(norm.paragraphs), "sentences": len(units)}
    return CleanResult(out, norm.text, removals, dict(norm.fixes), stats, duplicate_of)


def clean(text: str, config: Config | None = None) -> CleanResult:
    """Clean one document: normalize it, collapse its repeated passages, report.

    >>> r = clean("Stutter line\\nStutter line\\n")
    >>> r.text, [x.reason.value for x in r.removals]
    ('Stutter line\\n', ['stuttered_line'])
    """
    return finish(analyze(text, config))

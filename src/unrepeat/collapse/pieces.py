"""Pieces: the sentences of a document, cut wherever another copy of the same
text has a boundary, so that every copy is made of the same pieces whatever
its layout.

Copies of a passage differ in layout: one glues its sentences into a single
line (with or without a space, with or without the stop: ``...the same
priorityu_expr ::= power``), one is hard-wrapped into fragments of
sentences, one has a sentence per line, one merges a heading into the next
paragraph. Sentence by sentence they do not match; as *streams of letters and
digits* (everything else dropped, case folded) they are the same. So:

1. `squeeze`: the document as one stream of its letters and digits, each
   mapped back to its offset in the normalized text.
2. `chains`: stretches where the stream repeats itself, found from sampled
   16-grams (minimizers: any common stretch of 23 characters or more shares
   one) and followed along their diagonal; only stretches of `MIN_CHAIN`
   characters or more count.
3. `cuts`: every sentence boundary that falls inside one side of a chain is
   carried over to the same place in the other side, until nothing new
   comes (a boundary of the well-formed copy cuts the glued line at the
   place where it glued two sentences; a line end of the hard-wrapped copy
   cuts the well-formed sentence it breaks).
4. `make_pieces`: sentences cut at those boundaries.

Boundaries are only ever carried *into* the middle of a repeated stretch,
never made at its ends: two sentences that merely share a phrase are not
cut, and a sentence edited in place keeps its bounds (the edit splits the
chain, and the sentence is matched as a near-duplicate instead).

>>> text = "Ice forms from the edges inward every single winter. Roads open in January each year.\\n\\n"
>>> text += "Ice forms from the edges inward every single winterRoads open in January each year\\n"
>>> from unrepeat.normalize import normalize
>>> from unrepeat.segment import sentences
>>> n = normalize(text)
>>> [n.text[p.start:p.end] for p in make_pieces(n, sentences(n.text, n.paragraphs))]  # doctest: +NORMALIZE_WHITESPACE
['Ice forms from the edges inward every single winter.', 'Roads open in January each year.',
 'Ice forms from the edges inward every single winter', 'Roads open in January each year']
"""

from __future__ import annotations

import threading
import unicodedata
import zlib
from typing import NamedTuple

import numpy as np
import regex

from ..fingerprint import matching_keys
from ..normalize import Normalized
from ..segment import Sentence

#: Characters per sampled gram, and the window a minimizer is taken over.
GRAM = 16
WINDOW = 8
#: The shortest repeated stretch (in letters and digits) that carries
#: boundaries over: about eight words. Shorter common stretches are phrases.
MIN_CHAIN = 40
#: Two sampled grams on one diagonal belong to one chain when at most this
#: far apart: an exact stretch has one every `WINDOW`; a changed letter or
#: two breaks the grams over it, and the chain still goes on past it.
_BRIDGE = 2 * GRAM + WINDOW
#: Stretches on diagonals this close (letters inserted or dropped in one copy) form one chain.
_SHIFT = 3
#: Sampled grams occurring more often than this are paired only with their
#: next occurrence (one sentence repeated 100,000 times stays linear).
_ALL_PAIRS = 8
#: Rounds of carrying boundaries over (each round reaches one more copy).
_ROUNDS = 4

_DROP = 0xFFFF_FFFF
_UNKNOWN = 0xFFFF_FFFE
_SYNTHETIC = 0x11_0000  # codes for characters whose key is several letters ("ß" -> "ss")
_TABLE = np.full(0x11_0000, _UNKNOWN, dtype=np.uint32)
_LOCK = threading.Lock()
_MULTIPLIERS = np.random.default_rng(20261202).integers(1, 1 << 63, size=GRAM, dtype=np.uint64) * np.uint64(2) + np.uint64(1)


class Piece(NamedTuple):
    """A piece of a sentence: ``text[start:end]`` of the normalized text.

    ``s0:s1`` is its stretch of the squeezed stream; ``unit`` the sentence
    it was cut from; ``key`` its matching key, ``words`` the words in it.
    """

    start: int
    end: int
    para: int
    unit: int
    s0: int
    s1: int
    key: str
    words: int


def _learn(codes: np.ndarray) -> None:
    """Fill the table for new characters: what the matching key keeps of each."""
    for c in codes.tolist():
        folded = unicodedata.normalize("NFKC", chr(c)).casefold()
        kept = "".join(ch for ch in folded if ch.isalnum() or unicodedata.category(ch)[0] == "M")
        if not kept:
            _TABLE[c] = _DROP
        elif len(kept) == 1:
            _TABLE[c] = ord(kept)
        else:
            _TABLE[c] = _SYNTHETIC + zlib.crc32(kept.encode("utf-8", "surrogatepass")) % (_UNKNOWN - _SYNTHETIC - 1)


_learn(np.arange(0x80, dtype=np.uint32))


def squeeze(text: str) -> tuple[np.ndarray, np.ndarray]:
    """The letters, digits and marks of ``text``, case folded (uint32 codes),
    and the offset in ``text`` of each.

    >>> chars, where = squeeze("A-b c!")
    >>> "".join(map(chr, chars)), where.tolist()
    ('abc', [0, 2, 4])
    """
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    mapped = _TABLE[codes]
    unknown = mapped == _UNKNOWN
    if unknown.any():
        with _LOCK:
            _learn(np.unique(codes[unknown]))
        mapped = _TABLE[codes]
    keep = mapped != _DROP
    return mapped[keep], np.flatnonzero(keep)


def gram_hashes(stream: np.ndarray) -> np.ndarray:
    """A 64-bit hash of every `GRAM`-gram of the stream (position i: ``stream[i:i + GRAM]``)."""
    n = len(stream) - GRAM + 1
    if n <= 0:
        return np.zeros(0, dtype=np.uint64)
    wide = stream.astype(np.uint64)
    h = np.zeros(n, dtype=np.uint64)
    for t in range(GRAM):
        h += wide[t : t + n] * _MULTIPLIERS[t]
    h ^= h >> np.uint64(31)
    h *= np.uint64(0x9E37_79B9_7F4A_7C15)
    h ^= h >> np.uint64(29)
    return h


def anchors(hashes: np.ndarray) -> np.ndarray:
    """Positions of the minimizers: the least hash of every window of `WINDOW` grams."""
    if len(hashes) <= WINDOW:
        return np.array([int(np.argmin(hashes))], dtype=np.int64) if len(hashes) else np.zeros(0, dtype=np.int64)
    windows = np.lib.stride_tricks.sliding_window_view(hashes, WINDOW)
    # The first least hash of a window never lies before that of the window
    # before it: the positions come sorted, and equal ones side by side.
    found = windows.argmin(axis=1) + np.arange(len(windows))
    return found[np.concatenate(([True], found[1:] != found[:-1]))]


def anchor_pairs(hashes: np.ndarray, where: np.ndarray,
                 group: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i, j)``, ``i < j``, of sampled positions (``where``, ascending)
    with equal grams (and, if given, in the same ``group``, ascending too).

    Every pair of occurrences when a gram occurs at most `_ALL_PAIRS` times,
    else each occurrence with the next one.
    """
    values = hashes[where]
    # A stable sort by gram keeps the positions of a gram in order, and (the
    # groups ascending with the positions) each group's together.
    order = np.argsort(values, kind="stable")
    values, where = values[order], where[order]
    if group is not None:
        # a value per (group, gram): equal only within a group
        group = group[order]
        same = np.concatenate(([False], (group[1:] == group[:-1]) & (values[1:] == values[:-1])))
        values = np.cumsum(~same)
    n = len(values)
    if n < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    starts = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    sizes = np.diff(np.concatenate((starts, [n])))
    size_of = np.repeat(sizes, sizes)
    firsts, seconds = [], []
    for t in range(1, _ALL_PAIRS):
        if t >= n:
            break
        same = values[:-t] == values[t:]
        if t > 1:
            same &= size_of[:-t] <= _ALL_PAIRS
        if not same.any():
            break
        firsts.append(where[:-t][same])
        seconds.append(where[t:][same])
    if not firsts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    return np.concatenate(firsts), np.concatenate(seconds)


def chains(stream: np.ndarray) -> list[tuple[int, int, int]]:
    """Repeated stretches ``(a0, a1, d)``: ``stream[a0:a1]`` repeats at ``a0 + d``
    (exact at both ends, perhaps with a letter or two changed inside), in
    chains of `MIN_CHAIN` characters or longer."""
    hashes = gram_hashes(stream)
    if len(hashes) < 2:
        return []
    i, j = anchor_pairs(hashes, anchors(hashes))
    return _follow(stream, i, j)


def chains_many(streams: list[np.ndarray]) -> list[list[tuple[int, int, int]]]:
    """`chains` of each stream, the sampling done for all of them at once.

    The streams are hashed as one; a minimizer is taken only over windows
    that lie in one stream, and grams are paired only within a stream, so
    each stream gets what `chains` would give it. (Within a document few
    grams repeat: most documents end here with no pair to follow.)
    """
    out: list[list[tuple[int, int, int]]] = [[] for _ in streams]
    # A stream with WINDOW grams or fewer has one minimizer: nothing to pair.
    sampled = [k for k, s in enumerate(streams) if len(s) - GRAM + 1 > WINDOW]
    if not sampled:
        return out
    parts = [streams[k] for k in sampled]
    lengths = np.array([len(p) for p in parts], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    hashes = gram_hashes(np.concatenate(parts))
    windows = np.lib.stride_tricks.sliding_window_view(hashes, WINDOW)
    found = windows.argmin(axis=1) + np.arange(len(windows))
    # windows that start at k, k + WINDOW <= start + the stream's number of grams
    inside = np.zeros(len(windows) + 1, dtype=np.int64)
    np.add.at(inside, starts, 1)
    np.add.at(inside, starts + lengths - GRAM + 1 - WINDOW + 1, -1)
    found = found[np.cumsum(inside[:-1]) > 0]
    found = found[np.concatenate(([True], found[1:] != found[:-1]))]
    doc = np.searchsorted(starts, found, "right") - 1
    i, j = anchor_pairs(hashes, found, doc)
    if not len(i):
        return out
    owner = doc[np.searchsorted(found, i)]
    for m in np.unique(owner).tolist():
        mine = owner == m
        k, at = sampled[m], int(starts[m])
        out[k] = _follow(streams[k], i[mine] - at, j[mine] - at)
    return out


def _follow(stream: np.ndarray, i: np.ndarray, j: np.ndarray) -> list[tuple[int, int, int]]:
    """The chains through the pairs ``(i, j)`` of sampled positions with equal grams."""
    if not len(i):
        return []
    d = j - i
    order = np.lexsort((i, d))
    i, d = i[order], d[order]
    breaks = np.flatnonzero((d[1:] != d[:-1]) | (i[1:] - i[:-1] > _BRIDGE)) + 1
    firsts = np.concatenate(([0], breaks))
    lasts = np.concatenate((breaks - 1, [len(i) - 1]))
    n = len(stream)
    found = []
    s = stream
    for a0, a1, dd in zip(i[firsts].tolist(), (i[lasts] + GRAM).tolist(), d[firsts].tolist()):
        while a0 > 0 and s[a0 - 1] == s[a0 - 1 + dd]:
            a0 -= 1
        while a1 + dd < n and s[a1] == s[a1 + dd]:
            a1 += 1
        found.append((a0, a1, dd))
    return _significant(found)


def _significant(found: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """The stretches that belong to a chain of `MIN_CHAIN` characters or more:
    stretches one after the other whose diagonals differ by a letter or two
    (a stray accent or letter in one copy shifts the rest) are one chain."""
    found.sort()
    group_of: list[int] = []
    size: list[int] = []
    last: dict[int, tuple[int, int]] = {}  # diagonal -> (group, end of its last stretch)
    for a0, a1, d in found:
        near = [(abs(e - d), last[e][0]) for e in range(d - _SHIFT, d + _SHIFT + 1)
                if e in last and last[e][1] >= a0 - _BRIDGE]
        g = min(near)[1] if near else len(size)
        if g == len(size):
            size.append(0)
        size[g] += a1 - a0
        group_of.append(g)
        last[d] = (g, a1)
    return [chain for chain, g in zip(found, group_of) if size[g] >= MIN_CHAIN]


def cuts(bounds: np.ndarray, found: list[tuple[int, int, int]]) -> np.ndarray:
    """The sentence boundaries (stream offsets, sorted) and every boundary
    carried over from one side of a chain to the other, until nothing new comes.

    >>> cuts(np.array([0, 10, 20]), [(0, 20, 100)]).tolist()
    [0, 10, 20, 100, 110, 120]
    """
    current = np.unique(bounds)
    for _ in range(_ROUNDS):
        new = []
        for a0, a1, d in found:
            for lo, hi, shift in ((a0, a1, d), (a0 + d, a1 + d, -d)):
                k0, k1 = np.searchsorted(current, lo), np.searchsorted(current, hi, side="right")
                if k1 > k0:
                    new.append(current[k0:k1] + shift)
        if not new:
            break
        merged = np.union1d(current, np.concatenate(new))
        if len(merged) == len(current):
            break
        current = merged
    return current


def make_pieces(norm: Normalized, sents: list[Sentence],
                squeezed: tuple[np.ndarray, np.ndarray] | None = None) -> list[Piece]:
    """The sentences of the document, cut where another copy has a boundary
    (``squeezed``: `squeeze` of the normalized text, if already made)."""
    cut = cut_sentences(norm, sents, squeezed)
    return with_keys(cut, matching_keys(cut.bodies))


class Cut(NamedTuple):
    """The pieces of a document before their matching keys: per piece
    ``(start, para, unit, s0, s1)`` and its text (stripped at the end)."""

    spans: list[tuple[int, int, int, int, int]]
    bodies: list[str]


def with_keys(cut: Cut, keys: list[str]) -> list[Piece]:
    """The pieces of ``cut``, given the matching key of each (`matching_keys` of its bodies)."""
    return [Piece(start, start + len(body), para, unit, s0, s1, key, word_count(key))
            for (start, para, unit, s0, s1), body, key in zip(cut.spans, cut.bodies, keys)]


def cut_sentences(norm: Normalized, sents: list[Sentence],
                  squeezed: tuple[np.ndarray, np.ndarray] | None = None,
                  found: list[tuple[int, int, int]] | None = None) -> Cut:
    """`make_pieces` up to the matching keys, which callers may compute for
    many documents at once (``found``: the document's `chains`, if already made)."""
    text = norm.text
    stream, where = squeezed if squeezed is not None else squeeze(text)
    starts = np.array([s.start for s in sents], dtype=np.int64)
    s_starts = np.searchsorted(where, starts).tolist()
    s_ends = s_starts[1:] + [len(stream)]
    if len(sents) < 2:
        found = []
    elif found is None:
        found = chains(stream)
    if not found:  # nothing repeats at length: the pieces are the sentences
        spans = [(s.start, s.para, u, s0, s1) for u, (s, s0, s1) in enumerate(zip(sents, s_starts, s_ends))]
        return Cut(spans, [text[s.start : s.end].rstrip() for s in sents])
    inner = cuts(np.array(s_starts + [len(stream)], dtype=np.int64), found).tolist()
    # The cuts inside each sentence, as offsets from its start; sentences with
    # the same letters get the same cuts (a title too short for a chain of its
    # own is cut where its copy beside a lede was).
    offsets: list[list[int]] = [[] for _ in sents]
    k = 0
    for u, (s0, s1) in enumerate(zip(s_starts, s_ends)):
        while k < len(inner) and inner[k] <= s0:
            k += 1
        while k < len(inner) and inner[k] < s1:
            offsets[u].append(inner[k] - s0)
            k += 1
    if inner:
        same: dict[bytes, list[int]] = {}
        for u, (s0, s1) in enumerate(zip(s_starts, s_ends)):
            if s1 > s0:
                same.setdefault(stream[s0:s1].tobytes(), []).append(u)
        for group in same.values():
            if len(group) > 1 and any(offsets[u] for u in group):
                union = sorted({o for u in group for o in offsets[u]})
                for u in group:
                    offsets[u] = union
    cut: list[tuple[int, int, int, int, int, int]] = []  # start, end, para, unit, s0, s1
    for u, (sent, s0, s1) in enumerate(zip(sents, s_starts, s_ends)):
        start, lo = sent.start, s0
        for offset in offsets[u]:
            at = int(where[s0 + offset])
            cut.append((start, at, sent.para, u, lo, s0 + offset))
            start, lo = at, s0 + offset
        cut.append((start, sent.end, sent.para, u, lo, s1))
    return Cut([(start, para, unit, s0, s1) for start, _, para, unit, s0, s1 in cut],
               [text[start:end].rstrip() for start, end, *_ in cut])


#: Letters of scripts written without spaces between words.
_UNSPACED = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]")


def word_count(key: str) -> int:
    """The words of a matching key; in scripts written without spaces, one per
    two characters (a Chinese or Japanese word is one to three characters).

    >>> word_count("the cat sat"), word_count("春天来了河边的柳树都发芽了"), word_count("")
    (3, 7, 0)
    """
    if not key:
        return 0
    words = key.count(" ") + 1
    if key.isascii():
        return words
    unspaced = len(_UNSPACED.findall(key))
    if not unspaced:
        return words
    tokens = sum(1 for token in key.split(" ") if not _UNSPACED.search(token))
    return tokens + (unspaced + 1) // 2

"""Sentence identity: which pieces are the same piece of text.

Pieces with the same letters and digits form a cluster. Near-duplicates
(64-bit simhash of the matching key within ``Config.threshold`` bits, then
`similarity` at least ``Config.similarity``) join it, except pieces that
differ in a number or a name ("Round 2: ... at 19:00" and "Round 3: ... at
21:00"): those are only *weak* partners, distinct items unless they stand
in a repeated block (`unrepeat.collapse.runs` lets a run go through them).
"""

from __future__ import annotations

from collections import defaultdict
from difflib import SequenceMatcher

import numpy as np
import regex

from ..config import Config
from ..fingerprint import simhash_many
from ..index import near_duplicate_pairs
from ..normalize import Normalized
from .pieces import _UNSPACED, Piece, squeeze
from .similar import same_letters, words_similarity

_WORD = regex.compile(r"\w+")
_NAME_OR_NUMBER = regex.compile(r"\d|^\p{Lu}")
_STOPS = tuple(".!?:;…。！？")
_FULL_STOPS = tuple("。！？")
_CLOSERS = "\"'”’»)]）」』"


def is_long(key: str, config: Config) -> bool:
    """Is a sentence with this matching key a passage on its own? (10 words,
    or 25 characters in scripts written without spaces.)"""
    words = key.count(" ") + 1 if key else 0
    if words >= config.min_sentence_words:
        return True
    return len(key) >= config.min_sentence_chars and len(_UNSPACED.findall(key)) * 2 >= len(key.replace(" ", ""))


def differs_in_name_or_number(text_a: str, text_b: str) -> bool:
    """Do two similar sentences differ in a number or a capitalized word (not the first)?

    >>> differs_in_name_or_number("Round 1 starts at noon.", "Round 2 starts at noon.")
    True
    >>> differs_in_name_or_number("The game starts at noon.", "The match starts at noon.")
    False
    """
    ta, tb = _WORD.findall(text_a), _WORD.findall(text_b)
    sm = SequenceMatcher(None, [t.casefold() for t in ta], [t.casefold() for t in tb], autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        changed = [(t, i) for i, t in enumerate(ta[i1:i2], i1)] + [(t, j) for j, t in enumerate(tb[j1:j2], j1)]
        if any(_NAME_OR_NUMBER.search(t) and (t[0].isdigit() or i > 0) for t, i in changed):
            return True
    return False


class Document:
    """One document's pieces with their cluster ids and near-duplicate links.

    ``cid[i]`` is the cluster of piece i (a negative id, its own, for a piece
    with no letters or digits: "***" never matches anything);
    ``weak[c]`` the clusters that differ from cluster c in a name or number.
    """

    def __init__(self, norm: Normalized, pieces: list[Piece], config: Config, raw: str = "",
                 stream: np.ndarray | None = None, fingerprints: np.ndarray | None = None) -> None:
        self.norm, self.pieces, self.config, self.raw = norm, pieces, config, raw
        self._spaced: dict[int, bool] = {}  # `spaced_join`, asked again and again by the choice
        self.fingerprints = fingerprints  #: simhash of each piece's key, if already made
        self.code: list[bool] | None = None  #: which paragraphs are code or tables (`passages.code_paragraphs`)
        self.stream = squeeze(norm.text)[0] if stream is None else stream  #: `squeeze` of the normalized text
        ids: dict[bytes, int] = {}
        cid: list[int] = []
        for i, p in enumerate(pieces):
            cid.append(ids.setdefault(self.stream[p.s0 : p.s1].tobytes(), len(ids)) if p.s1 > p.s0 else -1 - i)
        self.para_pieces: list[list[int]] = [[] for _ in norm.paragraphs]
        for i, p in enumerate(pieces):
            self.para_pieces[p.para].append(i)
        #: Is piece i a whole sentence (not cut because another copy has a boundary inside it)?
        self.whole = [(i == 0 or p.unit != pieces[i - 1].unit) and (i + 1 == len(pieces) or p.unit != pieces[i + 1].unit)
                      for i, p in enumerate(pieces)]
        self._teasers_stand_alone(cid, len(ids))
        # Clusters numbered again, in order of first occurrence: first[c] is the first piece of cluster c.
        number: dict[int, int] = {}
        self.first: list[int] = []
        for i, c in enumerate(cid):
            if c >= 0:
                if c not in number:
                    number[c] = len(number)
                    self.first.append(i)
                cid[i] = number[c]
        self._similar: dict[tuple[int, int], float] = {}
        self.weak: dict[int, list[int]] = defaultdict(list)
        self.cid = self._link_near_duplicates(cid)
        self.occurrences: dict[int, list[int]] = defaultdict(list)
        for i, c in enumerate(self.cid):
            if c >= 0:
                self.occurrences[c].append(i)
        #: Does some cluster occur twice? If not, nothing in the document repeats.
        self.repeats = len(self.occurrences) < sum(1 for c in self.cid if c >= 0)

    def _teasers_stand_alone(self, cid: list[int], clusters: int) -> None:
        """A teaser cut short ("… Continued") goes whole or not at all: unless
        every piece of it stands elsewhere word for word, none of its pieces
        is a copy of anything (nor starts a run that would split its copy)."""
        size = [0] * clusters
        for c in cid:
            if c >= 0:
                size[c] += 1
        for p, para in enumerate(self.norm.paragraphs):
            members = self.para_pieces[p]
            if para.truncated and any(cid[i] >= 0 and size[cid[i]] == 1 for i in members):
                for i in members:
                    cid[i] = -1 - i

    def spaced_join(self, i: int) -> bool:
        """Are pieces i and i + 1 in one paragraph with a space between them in
        the raw input (not glued: "fileLists", "file.Lists", "彩衣玉峰")?"""
        known = self._spaced.get(i)
        if known is None:
            known = self._spaced[i] = self._spaced_join(i)
        return known

    def _spaced_join(self, i: int) -> bool:
        a, b = self.pieces[i], self.pieces[i + 1]
        if a.para != b.para:
            return False
        text, to_input = self.norm.text, self.norm.offsets.to_input
        gap = self.raw[to_input(a.end) : to_input(b.start)] if self.raw else text[a.end : b.start]
        return bool(gap) and not gap.strip()

    def natural_join(self, i: int) -> bool:
        """Do pieces i and i + 1 follow each other in one paragraph the way
        sentences do: a stop (or a colon) and then a space in the raw input?
        Not: "fileLists", "file.Lists" (repaired), "Raising Seedlings Before"."""
        p, q = self.pieces[i], self.pieces[i + 1]
        end = self.norm.text[p.start : p.end].rstrip(_CLOSERS)
        # (Chinese and Japanese run sentences on after "。" with no space.)
        if end.endswith(_FULL_STOPS) and p.para == q.para and p.end == q.start:
            return True
        return self.spaced_join(i) and end.endswith(_STOPS)

    def is_unique(self, i: int) -> bool:
        """Does piece i have letters, and no other piece the same ones?"""
        c, p = self.cid[i], self.pieces[i]
        return p.s1 > p.s0 and (c < 0 or len(self.occurrences[c]) == 1)

    def codes(self, i: int) -> np.ndarray:
        p = self.pieces[i]
        return self.stream[p.s0 : p.s1]

    def text(self, i: int) -> str:
        p = self.pieces[i]
        return self.norm.text[p.start : p.end]

    def similarity(self, a: int, b: int) -> float:
        """`similarity` of pieces a and b (cached)."""
        pair = (a, b) if a < b else (b, a)
        if pair not in self._similar:
            same = same_letters(self.codes(a), self.codes(b))
            self._similar[pair] = 1.0 if same else words_similarity(self.pieces[a].key, self.pieces[b].key)
        return self._similar[pair]

    def edited(self, a: int, b: int) -> bool:
        """Is b an edited copy of a? (Only asked between or beside matched pieces.)"""
        if not self.pieces[a].key or not self.pieces[b].key:
            return False
        return self.similarity(a, b) >= self.config.similarity

    def _link_near_duplicates(self, cid: list[int]) -> list[int]:
        """Merge the clusters of near-duplicate pieces; name and number variants stay weak partners."""
        first = self.first
        if len(first) < 2:
            return cid
        if self.fingerprints is not None:
            fps = self.fingerprints[first]
        else:
            fps = simhash_many([self.pieces[i].key for i in first])
        pairs = near_duplicate_pairs(fps, self.config.threshold)
        if not len(pairs):
            return cid
        parent = list(range(len(first)))

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        weak = []
        for x, y in pairs.tolist():
            a, b = first[x], first[y]
            if self.similarity(a, b) < self.config.similarity:
                continue
            if differs_in_name_or_number(self.text(a), self.text(b)):
                weak.append((x, y))
            else:
                rx, ry = find(x), find(y)
                if rx != ry:
                    parent[max(rx, ry)] = min(rx, ry)
        out = [find(c) if c >= 0 else c for c in cid]
        for x, y in weak:
            rx, ry = find(x), find(y)
            if rx != ry:
                self.weak[rx].append(ry)
                self.weak[ry].append(rx)
        return out

"""The corpus decisions as a fold over values: (state, a block's sketches) -> (verdicts, new state).

The local engine's `CorpusCleaner` decides against one growing `CorpusIndex`;
here the index is a `FoldState` of frozen segments (each a `CorpusIndex`
placed at a sentence and document offset). A step reads them, puts what its
block keeps in a segment of its own, and returns a new state sharing the old
ones: nothing changes in place, so a step Dask runs again (its worker was
lost) gets the same answer. Segments of similar size are merged (a
log-structured merge), so a step reads a handful.

>>> from unrepeat.corpus import prepare
>>> from unrepeat.config import Config
>>> config = Config(scope="corpus")
>>> footer = "Sign up for our daily newsletter to get the best stories every single morning."
>>> block = [prepare("A story about rivers.\\n\\n" + footer, config).sketch()]
>>> first, state = fold(FoldState(), ["a"], block, config)
>>> again, _ = fold(FoldState(), ["a"], block, config)  # the same state, used twice: the same answer
>>> first == again, first[0].removed
(True, {})
>>> verdicts, state = fold(state, ["b"], [prepare(footer, config).sketch()], config)
>>> verdicts[0].duplicate_of, state.documents
('a', 2)
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import NamedTuple, cast

import numpy as np

from ..config import Config
from ..corpus import CorpusCleaner, CorpusIndex, Sketch, Verdict


class Segment(NamedTuple):
    """A frozen part of the index: its own sentences and documents numbered from 0,
    placed after ``first`` sentences and ``first_doc`` documents."""

    part: CorpusIndex
    first: int
    first_doc: int


class FoldState(NamedTuple):
    """The index after some blocks: frozen segments, in order, never changed."""

    segments: tuple[Segment, ...] = ()
    sentences: int = 0
    documents: int = 0

    @classmethod
    def of(cls, index: CorpusIndex) -> FoldState:
        """The state that starts from a saved index."""
        return cls((Segment(index, 0, 0),), len(index), len(index.doc_ids))

    def whole(self) -> CorpusIndex:
        """The index as one `CorpusIndex`, as the local engine ends with it."""
        return _merged(self.segments) if self.segments else CorpusIndex()

    def __sizeof__(self) -> int:  # what Dask counts it as
        return sum(48 * len(s.part) + 80 * len(s.part.doc_ids) for s in self.segments) + 200


def fold(state: FoldState, names: Sequence[str | None], sketches: Sequence[Sketch | None],
         config: Config) -> tuple[list[Verdict | None], FoldState]:
    """Decide a block's documents in order (None: a record that is no document), as `CorpusCleaner` does."""
    view = _View(state)
    cleaner = CorpusCleaner(config, cast(CorpusIndex, view))
    verdicts = [None if sketch is None else cleaner.decide(sketch, name or "")
                for name, sketch in zip(names, sketches, strict=True)]
    tail = view.tail
    if not tail.doc_ids:
        return verdicts, state
    tail.lookup.arrays()  # pending keys into one sorted run: frozen from here on
    segments = [*state.segments, Segment(tail, state.sentences, state.documents)]
    while len(segments) > 1 and _size(segments[-2]) <= 2 * _size(segments[-1]):
        segments[-2:] = [Segment(_merged(segments[-2:]), segments[-2].first, segments[-2].first_doc)]
    return verdicts, FoldState(tuple(segments), len(view), state.documents + len(tail.doc_ids))


def _size(segment: Segment) -> int:
    return len(segment.part) + len(segment.part.doc_ids)


def _merged(segments: Sequence[Segment]) -> CorpusIndex:
    """One index holding the segments, numbered from the first one's offsets."""
    out = CorpusIndex()
    base, base_doc = segments[0].first, segments[0].first_doc
    keys, items = [], []
    for index, first, first_doc in segments:
        out.fingerprints.extend(index.fingerprints)
        out.docs.frombytes((np.asarray(index.docs, dtype=np.int64) + (first_doc - base_doc)).tobytes())
        out.starts.extend(index.starts)
        out.ends.extend(index.ends)
        out.doc_ids.extend(index.doc_ids)
        k, v = index.lookup.arrays()
        keys.append(k)
        items.append(v + (first - base))
    all_keys, all_items = np.concatenate(keys), np.concatenate(items)
    order = np.argsort(all_keys, kind="stable")
    if len(order):
        out.lookup.runs = [(all_keys[order], all_items[order])]
    return out


class _Column:
    """One column of the segments and the tail read as one sequence (global numbers)."""

    def __init__(self, parts: list[Sequence[int] | Sequence[str]], firsts: list[int], adds: list[int]) -> None:
        self.parts, self.firsts, self.adds = parts, firsts, adds

    def __getitem__(self, i: int) -> object:
        c = bisect_right(self.firsts, i) - 1
        value = self.parts[c][i - self.firsts[c]]
        return value + self.adds[c] if self.adds[c] else value  # type: ignore[operator]


class _View:
    """What `CorpusCleaner` reads and extends of a `CorpusIndex`, over a state's
    segments and a tail of this step's own (the only part it adds to)."""

    def __init__(self, state: FoldState) -> None:
        self.base = state.sentences
        self.tail = CorpusIndex()
        self.tail.lookup.frozen = True  # its keys stay in the dict that `find` reads, however many
        parts = [*state.segments, Segment(self.tail, state.sentences, state.documents)]
        firsts, doc_firsts = [s.first for s in parts], [s.first_doc for s in parts]
        self.fingerprints, self.starts, self.ends = (
            _Column([getattr(s.part, name) for s in parts], firsts, [0] * len(parts))
            for name in ("fingerprints", "starts", "ends"))
        self.docs = _Column([s.part.docs for s in parts], firsts, doc_firsts)
        self.doc_ids = _Column([s.part.doc_ids for s in parts], doc_firsts, [0] * len(parts))
        self.segments = parts
        self.lookup = self

    def __len__(self) -> int:
        return self.base + len(self.tail)

    def find(self, keys: list[int]) -> list[int]:
        """The first sentence with each key, -1 where none has it (a key is in one segment at most)."""
        out = np.full(len(keys), -1, dtype=np.int64)
        probe = np.array(keys, dtype=np.uint64)
        for index, first, _ in self.segments[:-1]:  # frozen: one sorted run each
            for run_keys, run_items in index.lookup.runs:
                at = np.minimum(np.searchsorted(run_keys, probe), len(run_keys) - 1)
                hit = run_keys[at] == probe
                out[hit] = run_items[at[hit]] + first
        found = out.tolist()
        pending = self.tail.lookup.pending  # this step's own keys (only keys no segment has)
        return [pending.get(key, -1) + self.base if f < 0 and key in pending else f for f, key in zip(found, keys)]

    def add_document(self, doc_id: str, spans: list[tuple[int, int]], hashes: list[int], fps: np.ndarray,
                     known: list[int]) -> None:
        self.tail.add_document(doc_id, spans, hashes, fps, known)  # ``known`` only tells which keys are new


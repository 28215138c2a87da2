"""Corpus scope without a fold: the local engine's decisions, in waves.

`unrepeat.corpus.CorpusCleaner` decides documents one after another: a
sentence goes when it copies a sentence *kept* by an earlier document. A
document's decision needs only the documents that hold the first kept copy
of one of its sentences (its *holders*): the lookup finds them, and runs
extend only within them. So documents can be decided in any order that
decides a document after the documents its decision reads. This module
finds such an order, many documents at a time, as a shuffle:

- Every document's sentence keys (`unrepeat.corpus.key_hash`) go to the key
  partition of their hash (`KeyPartition`). There, the occurrences of a key
  are ordered by document. An occurrence is *resolved* once every earlier
  occurrence up to the first one its document kept is decided: its holder
  is then that document (or none: nothing earlier kept the key).
- Documents are dealt to *shards* (`BlockState`). A document whose keys
  are all resolved is *ready* (`BlockState.plan`). It is decided
  (`BlockState.decide`) against an index holding its holders, in input
  order, which answers every lookup and every run as the whole index would
  (the first kept copy of each of its keys is in a holder; neighbours of a
  match are in the same holder). What it keeps goes back to the key
  partitions, which resolve the next occurrences, and to later documents
  that hold it (`Published`).

Each round (a *wave*) decides every ready document; the first undecided
document is always ready, so the waves end. Chains of documents that each
wait for the one before (a site's footer line, an edited copy never kept,
on every page) would cost a wave per page, so once the waves stop growing
and are small, the rest is decided in one pass in input order
(`finish_rest`): the fold over what is left, each document against the
first decided holder of each of its keys and the rest before it.

The verdicts are the fold's, whatever the number of partitions, shards or
blocks (`decide_all` runs the waves in one process; `unrepeat.dask` runs
them on a cluster). A saved index from an earlier run sits in front of
every holder index, as in the fold, and its keys resolve at once.

A document is named by a *gid*, ``block << 32 | position in block``:
sorting gids sorts documents in input order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from .config import Config
from .corpus import CorpusCleaner, CorpusIndex, Sketch, Verdict

GID_SHIFT = 32
_LOW = (1 << GID_SHIFT) - 1
_NONE = -1  # no holder

#: What a decided document keeps, as later documents compare with it: its
#: name, and the spans (n, 2), key hashes and simhashes of the sentences it kept.
Entry = tuple[str, np.ndarray, np.ndarray, np.ndarray]


def gid(block: int, position: int) -> int:
    """The global id of a document: sorting gids sorts documents in input order."""
    return (block << GID_SHIFT) | position


def position(g: int) -> int:
    """A document's position in its block."""
    return g & _LOW


class KeyTable(NamedTuple):
    """Sentence keys of documents: one row per (document, distinct key),
    sorted by gid then key."""

    keys: np.ndarray  # uint64
    gids: np.ndarray  # int64


class Updates(NamedTuple):
    """What documents decided in a wave kept: rows as in their `KeyTable`,
    and whether the document kept a sentence with that key."""

    gids: np.ndarray
    keys: np.ndarray
    kept: np.ndarray  # bool


class Resolved(NamedTuple):
    """Occurrences resolved in a wave: the document (sorted) and its holder
    for that key (`_NONE`: no earlier document kept it, or a saved index does)."""

    gids: np.ndarray
    holders: np.ndarray


def _partition_of(keys: np.ndarray, partitions: int) -> np.ndarray:
    return (keys % np.uint64(partitions)).astype(np.int64)


def _ranges(sorted_values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Positions in ``sorted_values`` of every element equal to one of ``wanted`` (sorted), in order."""
    lo = np.searchsorted(sorted_values, wanted, "left")
    hi = np.searchsorted(sorted_values, wanted, "right")
    lengths = hi - lo
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    starts = np.repeat(lo - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return starts + np.arange(total)


def _first_in_group(keys: np.ndarray, where: np.ndarray) -> np.ndarray:
    """For sorted ``keys``: per element, the position of the first element of its
    key's group where ``where`` holds (``len(keys)`` if none)."""
    n = len(keys)
    is_start = np.concatenate([[True], keys[1:] != keys[:-1]])
    return np.minimum.reduceat(np.where(where, np.arange(n), n), np.flatnonzero(is_start))[np.cumsum(is_start) - 1]


class KeyPartition:
    """The occurrences of the keys of one partition, and which are resolved."""

    def __init__(self, part: int, partitions: int, tables: Sequence[KeyTable],
                 prior_keys: np.ndarray | None = None) -> None:
        self.part, self.partitions = part, partitions
        mine = [_partition_of(t.keys, partitions) == part for t in tables]
        gids = np.concatenate([t.gids[m] for t, m in zip(tables, mine, strict=True)] + [np.zeros(0, np.int64)])
        keys = np.concatenate([t.keys[m] for t, m in zip(tables, mine, strict=True)] + [np.zeros(0, np.uint64)])
        rows = np.lexsort((keys, gids))
        # Rows by gid, then key: how updates are matched.
        self.row_gids, self.row_keys = gids[rows], keys[rows]
        self.status = np.zeros(len(self.row_gids), dtype=np.int8)  # 0 undecided, 1 gone, 2 kept
        order = np.lexsort((self.row_gids, self.row_keys))
        # The occurrences still to resolve, by key then gid, as rows; whole keys only.
        self.active = order
        if prior_keys is not None and len(prior_keys):
            self.prior_keys = prior_keys[_partition_of(prior_keys, partitions) == part]
        else:
            self.prior_keys = np.zeros(0, np.uint64)
        self.prior = np.isin(self.row_keys[order], self.prior_keys)
        self.resolved = np.zeros(len(self.row_gids), dtype=bool)
        self.waves = 0

    def __len__(self) -> int:
        return len(self.row_gids)

    def _take(self, updates: Sequence[Updates]) -> None:
        """Record what documents decided in the last wave kept."""
        if not updates:
            return
        gids = np.concatenate([u.gids for u in updates])
        keys = np.concatenate([u.keys for u in updates])
        kept = np.concatenate([u.kept for u in updates])
        mine = _partition_of(keys, self.partitions) == self.part
        gids, keys, kept = gids[mine], keys[mine], kept[mine]
        order = np.lexsort((keys, gids))
        gids, keys, kept = gids[order], keys[order], kept[order]
        rows = _ranges(self.row_gids, np.unique(gids))
        if len(rows) != len(gids) or not np.array_equal(self.row_keys[rows], keys):
            raise RuntimeError("a wave's updates do not match the key table (a task ran twice?)")
        self.status[rows] = np.where(kept, 2, 1)

    def candidates(self, updates: Sequence[Updates]) -> Resolved:
        """For the rest decided in one pass (`BlockState.rest`): per occurrence of an
        undecided document, the first decided document before it that kept the key."""
        self._take(updates)
        order = np.lexsort((self.row_gids, self.row_keys))
        n = len(order)
        if not n:
            return Resolved(np.zeros(0, np.int64), np.zeros(0, np.int64))
        keys, status, gids = self.row_keys[order], self.status[order], self.row_gids[order]
        first_kept = _first_in_group(keys, status == 2)
        want = (status == 0) & (first_kept < np.arange(n)) & ~np.isin(keys, self.prior_keys)
        out_gids, out_holders = gids[want], gids[first_kept[want]]
        o = np.argsort(out_gids, kind="stable")
        return Resolved(out_gids[o], out_holders[o])

    def wave(self, updates: Sequence[Updates]) -> Resolved:
        """Take what the last wave decided; the occurrences resolved now."""
        self._take(updates)
        self.waves += 1
        active, prior = self.active, self.prior
        n = len(active)
        if not n:
            return Resolved(np.zeros(0, np.int64), np.zeros(0, np.int64))
        keys = self.row_keys[active]
        status = self.status[active]
        at = np.arange(n)
        first_kept = _first_in_group(keys, status == 2)
        first_open = _first_in_group(keys, status == 0)
        new = (status == 0) & ~self.resolved[active] & (prior | (first_kept < first_open) | (at == first_open))
        gids = self.row_gids[active]
        holders = np.where(prior | (first_kept >= at), _NONE, gids[np.minimum(first_kept, n - 1)])
        self.resolved[active[new]] = True
        out_gids, out_holders = gids[new], holders[new]
        # Keys whose every occurrence is resolved need nothing more.
        keep = _first_in_group(keys, ~self.resolved[active]) < n
        self.active, self.prior = active[keep], prior[keep]
        order = np.argsort(out_gids, kind="stable")
        return Resolved(out_gids[order], out_holders[order])


class Published(NamedTuple):
    """What the documents decided in a wave keep (their `Entry`), packed in a
    few arrays: cheap to move between workers."""

    gids: np.ndarray  # sorted
    names: list[str]
    offsets: np.ndarray  # document i's sentences are offsets[i]:offsets[i + 1]
    spans: np.ndarray  # (n, 2)
    hashes: np.ndarray
    fingerprints: np.ndarray

    @classmethod
    def pack(cls, gids: list[int], entries: list[Entry]) -> Published:
        lengths = [len(e[2]) for e in entries]
        return cls(np.array(gids, dtype=np.int64), [e[0] for e in entries],
                   np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]).astype(np.int64),
                   np.concatenate([e[1] for e in entries] + [np.zeros((0, 2), np.int64)]),
                   np.concatenate([e[2] for e in entries] + [np.zeros(0, np.uint64)]),
                   np.concatenate([e[3] for e in entries] + [np.zeros(0, np.uint64)]))

    def entry(self, i: int) -> Entry:
        lo, hi = int(self.offsets[i]), int(self.offsets[i + 1])
        return self.names[i], self.spans[lo:hi], self.hashes[lo:hi], self.fingerprints[lo:hi]


def _entries_of(published: Sequence[Published], wanted: list[int]) -> dict[int, Entry]:
    """The entries of the ``wanted`` gids (sorted) found in ``published``."""
    out: dict[int, Entry] = {}
    want = np.asarray(wanted, dtype=np.int64)
    for p in published:
        if not len(p.gids) or not len(want):
            continue
        at = np.minimum(np.searchsorted(p.gids, want), len(p.gids) - 1)
        for w, i in zip(want[p.gids[at] == want].tolist(), at[p.gids[at] == want].tolist(), strict=True):
            out[w] = p.entry(i)
    return out


class Plan(NamedTuple):
    """The documents of a block that are ready, and the holders they need."""

    ready: np.ndarray  # gids, sorted
    holders: np.ndarray  # gids, sorted, unique
    undecided: int  # documents neither decided nor ready


class BlockState:
    """Documents (of one block or several) on their way through the waves."""

    def __init__(self, gids: Sequence[int] | np.ndarray, names: Sequence[str | None],
                 sketches: Sequence[Sketch | None]) -> None:
        self.gids = np.asarray(gids, dtype=np.int64)
        if len(self.gids) > 1 and not (np.diff(self.gids) > 0).all():
            raise ValueError("document gids must increase")
        self.names = list(names)
        self.sketches = list(sketches)
        n = len(self.sketches)
        self.keys = [np.zeros(0, np.uint64) if s is None else np.unique(s.hashes)
                     for s in self.sketches]
        self.unresolved = np.array([len(k) for k in self.keys], dtype=np.int64)
        self.decided = np.array([s is None for s in self.sketches], dtype=bool)
        self.verdicts: list[Verdict | None] = [None] * n
        self.entries: list[Entry | None] = [None] * n
        self._held_docs = np.zeros(0, np.int64)  # resolved occurrences with a holder: document, holder gid
        self._held_gids = np.zeros(0, np.int64)
        self._ready = np.zeros(0, np.int64)
        self.waves = 0

    def key_table(self) -> KeyTable:
        rows = [(k, np.full(len(k), g, dtype=np.int64))
                for g, k, s in zip(self.gids.tolist(), self.keys, self.sketches, strict=True) if s is not None]
        return KeyTable(np.concatenate([k for k, _ in rows] + [np.zeros(0, np.uint64)]),
                        np.concatenate([g for _, g in rows] + [np.zeros(0, np.int64)]))

    def plan(self, resolved: Sequence[Resolved]) -> Plan:
        """Count the occurrences resolved in this wave; the documents now ready."""
        docs, held = [self._held_docs], [self._held_gids]
        n = len(self.gids)
        for r in resolved:
            if not n:
                break
            lo, hi = np.searchsorted(r.gids, [self.gids[0], self.gids[-1] + 1])
            if lo == hi:
                continue
            local = np.searchsorted(self.gids, r.gids[lo:hi])
            mine = self.gids[np.minimum(local, n - 1)] == r.gids[lo:hi]
            local, holders = local[mine], r.holders[lo:hi][mine]
            self.unresolved -= np.bincount(local, minlength=n)
            with_holder = holders != _NONE
            docs.append(local[with_holder])
            held.append(holders[with_holder])
        held_docs, held_gids = np.concatenate(docs), np.concatenate(held)
        ready = np.flatnonzero(~self.decided & (self.unresolved == 0))
        self._ready = ready
        self._held_docs, self._held_gids = held_docs, held_gids
        needed = np.unique(held_gids[np.isin(held_docs, ready)])
        return Plan(self.gids[ready], needed, int((~self.decided).sum()) - len(ready))

    def decide(self, published: Sequence[Published], config: Config,
               base: CorpusIndex | None = None) -> tuple[Published, Updates]:
        """Decide the ready documents against their holders (in ``published``);
        what they keep, for later documents and for the key partitions.

        One index serves them all: the holders and the ready documents, in
        input order, each document decided when everything before it is in.
        A document sees more than its holders then, but only documents
        before it, which the fold shows it too, and none that holds a first
        kept copy of one of its keys (those are its holders).
        """
        ready = self._ready
        take = np.isin(self._held_docs, ready)
        holders = np.unique(self._held_gids[take]).tolist()
        table = _entries_of(published, holders)
        self._held_docs, self._held_gids = self._held_docs[~take], self._held_gids[~take]
        index = base if base is not None else CorpusIndex()
        mark = index.mark()
        cleaner = CorpusCleaner(config, index)
        out_gids: list[int] = []
        out_entries: list[Entry] = []
        upd_gids, upd_keys, upd_kept = [], [], []
        h = 0
        try:
            for i in ready.tolist():
                g = int(self.gids[i])
                while h < len(holders) and holders[h] < g:
                    _add(index, table[holders[h]])
                    h += 1
                sketch, name = self.sketches[i], self.names[i]
                assert sketch is not None and name is not None
                verdict = cleaner.decide(sketch, name)
                remaining = [p for p in range(len(sketch.hashes)) if p not in verdict.removed]
                entry = (name, sketch.spans[remaining], sketch.hashes[remaining], sketch.fingerprints[remaining])
                self.verdicts[i], self.entries[i] = verdict, entry
                out_gids.append(g)
                out_entries.append(entry)
                keys = self.keys[i]
                upd_gids.append(np.full(len(keys), g, dtype=np.int64))
                upd_keys.append(keys)
                upd_kept.append(np.isin(keys, entry[2]))
        finally:
            index.rollback(mark)
        self.decided[ready] = True
        self._ready = np.zeros(0, np.int64)
        self.waves += 1
        updates = Updates(np.concatenate(upd_gids + [np.zeros(0, np.int64)]),
                          np.concatenate(upd_keys + [np.zeros(0, np.uint64)]),
                          np.concatenate(upd_kept + [np.zeros(0, bool)]))
        return Published.pack(out_gids, out_entries), updates

    def all_ready(self, holders: Sequence[Resolved]) -> None:
        """Make every undecided document ready, with these holders (for `finish_rest`)."""
        gids = np.concatenate([h.gids for h in holders] + [np.zeros(0, np.int64)])
        self._held_docs = np.searchsorted(self.gids, gids)
        self._held_gids = np.concatenate([h.holders for h in holders] + [np.zeros(0, np.int64)])
        self._ready = np.flatnonzero(~self.decided)

    def skip(self) -> None:
        """Nothing is ready in this wave."""
        self.waves += 1

    def rest(self) -> BlockState:
        """The undecided documents, to be decided in one pass (see `finish_rest`)."""
        left = np.flatnonzero(~self.decided).tolist()
        return BlockState(self.gids[left], [self.names[i] for i in left], [self.sketches[i] for i in left])

    def absorb(self, decided: BlockState) -> None:
        """Take the verdicts of this state's undecided documents from ``decided``."""
        left = np.flatnonzero(~self.decided)
        at = np.searchsorted(decided.gids, self.gids[left])
        for i, j in zip(left.tolist(), at.tolist(), strict=True):
            if j >= len(decided.gids) or decided.gids[j] != self.gids[i] or not decided.decided[j]:
                raise RuntimeError("a document was left undecided")
            self.verdicts[i], self.entries[i] = decided.verdicts[j], decided.entries[j]
        self.decided[left] = True

    @property
    def done(self) -> bool:
        return bool(self.decided.all())

    def __sizeof__(self) -> int:  # for Dask's memory accounting
        sentences = sum(len(s.hashes) for s in self.sketches if s is not None)
        return 120 * sentences + 300 * len(self.sketches) + 1000


def fold_now(counts: Sequence[int], fold_below: int) -> bool:
    """Decide the rest in one pass? Once the waves no longer grow (the last
    decided no more documents than the one before) and are small."""
    return len(counts) >= 2 and counts[-1] < fold_below and counts[-1] <= counts[-2]


def finish_rest(rests: Sequence[BlockState], candidates: Sequence[Resolved],
                published: Sequence[Published], config: Config,
                base: CorpusIndex | None = None) -> BlockState:
    """Decide the documents the waves left, in one pass in input order: each
    against the documents before it, those left and the first decided one
    holding each of its keys (``candidates``, from `KeyPartition.candidates`;
    their entries in ``published``). This is the fold over what is left, so
    long chains of documents waiting on each other cost no wave each."""
    gids = np.concatenate([r.gids for r in rests] + [np.zeros(0, np.int64)])
    order = np.argsort(gids, kind="stable").tolist()
    names = [n for r in rests for n in r.names]
    sketches = [s for r in rests for s in r.sketches]
    state = BlockState(gids[order], [names[i] for i in order], [sketches[i] for i in order])
    state.all_ready(candidates)
    state.decide(published, config, base)
    return state


def _add(index: CorpusIndex, entry: Entry) -> None:
    """Index what a decided document keeps, as `CorpusCleaner.decide` does."""
    name, spans, hashes, fps = entry
    keys = hashes.tolist()
    index.add_document(name, spans.tolist(), keys, fps, index.lookup.find(keys))


def replay_index(base: CorpusIndex | None, entries: Sequence[Entry | None]) -> CorpusIndex:
    """The index the fold ends with: ``base`` (or a new one) and every document's
    kept sentences, in input order."""
    index = base if base is not None else CorpusIndex()
    for entry in entries:
        if entry is not None:
            _add(index, entry)
    return index


class Outcome(NamedTuple):
    """What `decide_all` found: per block, per document, the verdict and what it keeps."""

    verdicts: list[list[Verdict | None]]
    entries: list[list[Entry | None]]
    waves: int


def decide_all(blocks: Sequence[Sequence[tuple[str, Sketch] | None]], config: Config | None = None,
               base: CorpusIndex | None = None, partitions: int = 4, shards: int | None = None,
               fold_below: int = 0) -> Outcome:
    """Run the waves in this process: the verdicts are the fold's (`CorpusCleaner.decide` in order).

    ``blocks``: per block, per document its name and sketch (None: a line
    that is no document). ``base``: a saved index, used in place and left
    as it was. Blocks are dealt round-robin to ``shards`` states (default:
    one per block), as `unrepeat.dask` deals them to worker threads. Once a
    wave decides fewer documents than ``fold_below`` and no more than the
    wave before, the rest is decided in one pass (`finish_rest`).
    """
    config = config or Config(scope="corpus")
    shards = shards or max(len(blocks), 1)
    dealt = [[(gid(k, i), doc) for k in range(s, len(blocks), shards) for i, doc in enumerate(blocks[k])]
             for s in range(shards)]
    states = [BlockState([g for g, _ in docs], [d[0] if d else None for _, d in docs],
                         [d[1] if d else None for _, d in docs]) for docs in dealt]
    tables = [s.key_table() for s in states]
    prior = base.lookup.arrays()[0] if base is not None else None
    keyparts = [KeyPartition(j, partitions, tables, prior) for j in range(partitions)]
    published: list[Published] = []
    updates: list[Updates] = []
    counts: list[int] = []  # documents decided in each wave
    while not all(s.done for s in states):
        if fold_now(counts, fold_below):
            candidates = [kp.candidates(updates) for kp in keyparts]
            rest = finish_rest([s.rest() for s in states], candidates, published, config, base)
            for s in states:
                s.absorb(rest)
            break
        resolved = [kp.wave(updates) for kp in keyparts]
        updates = []
        plans = [s.plan(resolved) for s in states]
        for s in states:
            out, upd = s.decide(published, config, base)
            updates.append(upd)
            published.append(out)
        counts.append(sum(len(p.ready) for p in plans))
    found = {int(g): (s.verdicts[i], s.entries[i]) for s in states for i, g in enumerate(s.gids.tolist())}
    verdicts = [[found[gid(k, i)][0] for i in range(len(docs))] for k, docs in enumerate(blocks)]
    entries = [[found[gid(k, i)][1] for i in range(len(docs))] for k, docs in enumerate(blocks)]
    return Outcome(verdicts, entries, len(counts))


__all__ = ["BlockState", "Entry", "finish_rest", "fold_now", "position", "Published", "KeyPartition", "KeyTable", "Outcome", "Plan", "Resolved", "Updates",
           "decide_all", "gid", "replay_index"]

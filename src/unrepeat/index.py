"""Near-duplicate search over 64-bit fingerprints: block permutation tables.

Two fingerprints within Hamming distance k, cut into B > k blocks of bits,
differ in at most k blocks, so they agree exactly on at least B - k of them
(the pigeonhole principle). For each choice of B - k blocks, a *table* puts
those blocks in the top bits and sorts; fingerprints that agree on the
chosen blocks are then neighbours, and only those are compared (Manku, Jain
and Das Sarma, "Detecting near-duplicates for web crawling", WWW 2007).

`near_duplicate_pairs` does this for a whole array at once, with numpy
sorts; `SimhashIndex` keeps one dict per table for streaming use.

>>> fps = np.array([0b1111, 0b0111, 0b1111, 1 << 63], dtype=np.uint64)
>>> near_duplicate_pairs(fps, k=1).tolist()
[[0, 1]]
>>> index = SimhashIndex(k=1)
>>> [index.add(int(v)) for v in fps]
[0, 1, 2, 3]
>>> index.query(0b0110)
[1]
"""

from __future__ import annotations

import itertools
import math
from array import array
from collections.abc import Iterable

import numpy as np

__all__ = ["SimhashIndex", "near_duplicate_pairs"]

_BITS = 64
_U = np.uint64
_MAX_TABLES = 64  # beyond this many tables, comparing everything is cheaper


def near_duplicate_pairs(fingerprints: np.ndarray, k: int = 3) -> np.ndarray:
    """Every pair of distinct fingerprints within Hamming distance ``k``, as an (m, 2) array.

    Equal fingerprints are one value, represented by the index of its first
    occurrence (group them with ``numpy.unique(fingerprints,
    return_inverse=True)``); a row ``(i, j)``, ``i < j``, says that the
    values first seen at ``i`` and ``j`` differ in 1 to ``k`` bits. Rows are
    sorted. 100,000 copies of one value cost one sort.

    >>> fps = np.array([5, 5, 4, 1 << 40, 7], dtype=np.uint64)
    >>> near_duplicate_pairs(fps, k=1).tolist()
    [[0, 2], [0, 4]]
    >>> near_duplicate_pairs(fps, k=0).shape
    (0, 2)
    """
    _check_k(k)
    values, first = np.unique(_as_fingerprints(fingerprints), return_index=True)
    if k == 0 or values.size < 2:
        return np.empty((0, 2), dtype=np.int64)
    layout = _Layout.choose(k, values.size)
    if layout is None:
        pairs = _all_pairs(values, k)
    else:
        pairs = np.concatenate([_table_pairs(values, k, layout, t) for t in range(layout.n_tables)])
    rows = first[pairs]
    rows.sort(axis=1)
    return rows[np.lexsort((rows[:, 1], rows[:, 0]))]


class SimhashIndex:
    """An incremental index of fingerprints: `add` them, `query` for those within ``k`` bits.

    Items are numbered in the order they are added. The 64 bits are cut into
    ``blocks`` blocks (default ``k + 1``); each of the C(blocks, k) tables is
    a dict from the fingerprint's bits under the table's mask (a plain int)
    to the items that have them. More blocks mean more tables with longer
    keys: smaller buckets, faster queries in a large index, more memory.
    """

    def __init__(self, k: int = 3, fingerprints: Iterable[int] = (), blocks: int | None = None) -> None:
        _check_k(k)
        blocks = min(k + 1, _BITS) if blocks is None else blocks
        if isinstance(blocks, bool) or not isinstance(blocks, int) or not k < blocks <= _BITS:
            raise ValueError(f"blocks must be between k + 1 = {k + 1} and {_BITS}, got {blocks!r}")
        self.k = k
        self._values = array("Q")
        self._masks = _Layout(k, blocks).masks if math.comb(blocks, k) <= _MAX_TABLES else []
        self._tables: list[dict[int, list[int]]] = [{} for _ in self._masks]
        for fingerprint in fingerprints:
            self.add(fingerprint)

    def __len__(self) -> int:
        return len(self._values)

    def add(self, fingerprint: int) -> int:
        """Store a fingerprint; return its item number."""
        value = _check_fingerprint(fingerprint)
        item = len(self._values)
        self._values.append(value)
        for mask, table in zip(self._masks, self._tables, strict=True):
            bucket = table.get(value & mask)
            if bucket is None:
                table[value & mask] = [item]
            else:
                bucket.append(item)
        return item

    def query(self, fingerprint: int) -> list[int]:
        """The item numbers of the stored fingerprints within ``k`` bits (equal ones included), sorted."""
        value = _check_fingerprint(fingerprint)
        values, k = self._values, self.k
        if not self._masks:
            return [i for i, v in enumerate(values) if (v ^ value).bit_count() <= k]
        found: set[int] = set()
        for mask, table in zip(self._masks, self._tables, strict=True):
            for item in table.get(value & mask, ()):
                if (values[item] ^ value).bit_count() <= k:
                    found.add(item)
        return sorted(found)


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise ValueError(f"k must be a whole number, got {k!r}")
    if not 0 <= k <= _BITS:
        raise ValueError(f"k must be between 0 and {_BITS}, got {k}")


def _as_fingerprints(fingerprints: np.ndarray) -> np.ndarray:
    fps = np.asarray(fingerprints)
    if fps.ndim != 1:
        raise ValueError(f"fingerprints must be a 1-D array, got shape {fps.shape}")
    if fps.dtype == np.uint64:
        return fps
    if fps.size == 0:
        return fps.astype(np.uint64)
    if fps.dtype.kind in "iu" and fps.min() >= 0:
        return fps.astype(np.uint64)
    if fps.dtype.kind != "O":
        raise ValueError(f"fingerprints must be integers between 0 and 2**64 - 1, got {fps.dtype}")
    try:
        return np.array(fingerprints, dtype=np.uint64)
    except (OverflowError, TypeError, ValueError):
        raise ValueError("fingerprints must be integers between 0 and 2**64 - 1") from None


def _check_fingerprint(fingerprint: int) -> int:
    value = int(fingerprint)
    if not 0 <= value < 1 << _BITS:
        raise ValueError(f"fingerprint must be between 0 and 2**64 - 1, got {fingerprint}")
    return value


class _Layout:
    """B blocks of consecutive bits, and the tables: every choice of B - k blocks."""

    def __init__(self, k: int, blocks: int) -> None:
        sizes = [_BITS // blocks + (i < _BITS % blocks) for i in range(blocks)]
        self.starts = [sum(sizes[:i]) for i in range(blocks)]
        self.sizes = sizes
        self.tables = list(itertools.combinations(range(blocks), blocks - k))
        self.n_tables = len(self.tables)
        self.masks = [sum(self.block_mask(b) for b in table) for table in self.tables]

    def block_mask(self, block: int) -> int:
        return ((1 << self.sizes[block]) - 1) << self.starts[block]

    @classmethod
    def choose(cls, k: int, n: int) -> _Layout | None:
        """The cheapest number of blocks for n values (None: compare all pairs).

        Rough costs in nanoseconds, measured here: comparing a pair 7; a
        table 30,000 plus 50 per value (bit permutation and sort); a
        candidate pair (values that agree on the chosen blocks, about
        n^2 / 2^(key bits + 1) per table when most values differ) 100, which
        also keeps candidates, and memory, few.
        """
        best, best_cost = None, 7 * n * (n - 1) / 2
        for blocks in range(k + 1, _BITS + 1):
            tables = math.comb(blocks, k)
            if tables > _MAX_TABLES:
                break
            key_bits = (blocks - k) * (_BITS // blocks)
            candidates = n * n / 2 / 2.0**key_bits
            cost = tables * (30_000 + 50 * n + 100 * candidates)
            if cost < best_cost:
                best, best_cost = cls(k, blocks), cost
        return best


def _table_pairs(values: np.ndarray, k: int, layout: _Layout, table: int) -> np.ndarray:
    """The pairs (indices into ``values``) that table ``table`` finds and no earlier table does."""
    chosen = layout.tables[table]
    order = list(chosen) + [b for b in range(len(layout.sizes)) if b not in chosen]
    permuted = _permute(values, layout, order)
    permuted.sort()
    key_bits = sum(layout.sizes[b] for b in chosen)
    keys = permuted >> _U(_BITS - key_bits)
    same = keys[1:] == keys[:-1]
    del keys
    left, right = _runs_pairs(same)
    if not left.size:
        return np.empty((0, 2), dtype=np.int64)
    diff = permuted[left] ^ permuted[right]
    near = _popcount(diff) <= k
    left, right = left[near], right[near]
    # keep a pair only in the first table whose blocks it agrees on
    agree = np.zeros(left.size, dtype=np.int64)
    for position, block in enumerate(order):
        size = layout.sizes[block]
        shift = _BITS - sum(layout.sizes[b] for b in order[: position + 1])
        block_diff = (diff[near] >> _U(shift)) & _U((1 << size) - 1)
        agree |= (block_diff == 0).astype(np.int64) << block
    firsts = _lowest_bits(agree, len(chosen))
    mine = firsts == sum(1 << b for b in chosen)
    left, right = left[mine], right[mine]
    originals = _unpermute(np.concatenate((permuted[left], permuted[right])), layout, order)
    index = np.searchsorted(values, originals)
    return index.reshape(2, -1).T


def _runs_pairs(same: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pairs i < j of positions in the runs where ``same[i]`` says i and i + 1 are equal."""
    lefts, rights = [], []
    at = np.flatnonzero(same)
    d = 1
    while at.size:
        lefts.append(at)
        rights.append(at + d)
        at = at[at + d < same.size]
        at = at[same[at + d]]
        d += 1
    if not lefts:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    return np.concatenate(lefts), np.concatenate(rights)


def _permute(values: np.ndarray, layout: _Layout, order: list[int]) -> np.ndarray:
    """The values with their blocks moved: ``order[0]`` to the top bits, and so on down."""
    out = np.zeros_like(values)
    part = np.empty_like(values)
    top = _BITS
    for block in order:
        size, start = layout.sizes[block], layout.starts[block]
        top -= size
        np.right_shift(values, _U(start), out=part)
        part &= _U((1 << size) - 1)
        part <<= _U(top)
        out |= part
    return out


def _unpermute(permuted: np.ndarray, layout: _Layout, order: list[int]) -> np.ndarray:
    out = np.zeros_like(permuted)
    top = _BITS
    for block in order:
        size, start = layout.sizes[block], layout.starts[block]
        top -= size
        out |= ((permuted >> _U(top)) & _U((1 << size) - 1)) << _U(start)
    return out


def _lowest_bits(masks: np.ndarray, count: int) -> np.ndarray:
    """The ``count`` lowest set bits of each mask."""
    rest = masks.copy()
    out = np.zeros_like(masks)
    for _ in range(count):
        low = rest & -rest
        out |= low
        rest ^= low
    return out


def _popcount(x: np.ndarray) -> np.ndarray:
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(x)
    x = x - ((x >> _U(1)) & _U(0x5555_5555_5555_5555))
    x = (x & _U(0x3333_3333_3333_3333)) + ((x >> _U(2)) & _U(0x3333_3333_3333_3333))
    x = (x + (x >> _U(4))) & _U(0x0F0F_0F0F_0F0F_0F0F)
    return (x * _U(0x0101_0101_0101_0101)) >> _U(56)


def _all_pairs(values: np.ndarray, k: int) -> np.ndarray:
    """Compare every pair (for few values or a large k), a block of rows at a time."""
    found = []
    step = max(1, 4_000_000 // values.size)
    for start in range(0, values.size, step):
        rows = np.arange(start, min(start + step, values.size))
        dist = _popcount(values[rows, None] ^ values[None, :])
        i, j = np.nonzero(dist <= k)
        keep = j > rows[i]
        found.append(np.stack((rows[i][keep], j[keep]), axis=1))
    return np.concatenate(found) if found else np.empty((0, 2), dtype=np.int64)

"""Near-duplicate search over 64-bit fingerprints (plain version)."""

from __future__ import annotations

import numpy as np

__all__ = ["SimhashIndex", "near_duplicate_pairs"]


def near_duplicate_pairs(fingerprints: np.ndarray, k: int = 3) -> np.ndarray:
    """Pairs ``(i, j)``, ``i < j``, of first occurrences of distinct values within Hamming distance k."""
    fps = np.asarray(fingerprints, dtype=np.uint64)
    _, first = np.unique(fps, return_index=True)
    first = np.sort(first)
    vals = [int(v) for v in fps[first]]
    pairs = [
        (int(first[a]), int(first[b]))
        for a in range(len(vals))
        for b in range(a + 1, len(vals))
        if (vals[a] ^ vals[b]).bit_count() <= k
    ]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


class SimhashIndex:
    """An incremental index: `add` fingerprints, `query` the ids of those within k bits."""

    def __init__(self, k: int = 3) -> None:
        self.k = k
        self._values: list[int] = []

    def __len__(self) -> int:
        return len(self._values)

    def add(self, fingerprint: int) -> int:
        self._values.append(fingerprint)
        return len(self._values) - 1

    def query(self, fingerprint: int) -> list[int]:
        return [i for i, v in enumerate(self._values) if (v ^ fingerprint).bit_count() <= self.k]

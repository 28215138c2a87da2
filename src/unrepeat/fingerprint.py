"""Features, the feature hash and 64-bit simhash fingerprints (plain version).

The features of a text are the character 4-grams of its matching key.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .normalize import matching_key

__all__ = ["KERNEL", "feature_hash", "features", "hamming", "simhash", "simhash_many"]

KERNEL = "python"

WIDTH = 4
_MASK = (1 << 64) - 1
_SEED = 0x243F6A8885A308D3


def _fmix64(x: int) -> int:
    x ^= x >> 33
    x = (x * 0xFF51AFD7ED558CCD) & _MASK
    x ^= x >> 33
    x = (x * 0xC4CEB9FE1A85EC53) & _MASK
    return x ^ (x >> 33)


def features(text: str) -> list[str]:
    """The character 4-grams of the matching key, or the whole key if shorter."""
    key = matching_key(text)
    if len(key) < WIDTH:
        return [key]
    return [key[i : i + WIDTH] for i in range(len(key) - WIDTH + 1)]


def _hash_code_points(cps: Sequence[int]) -> int:
    h = _fmix64(_SEED ^ len(cps))
    for i in range(0, len(cps), 3):
        chunk = list(cps[i : i + 3]) + [0, 0]
        h = _fmix64(h ^ chunk[0] ^ (chunk[1] << 21) ^ (chunk[2] << 42))
    return h


def feature_hash(data: bytes) -> int:
    """The 64-bit hash of one UTF-8 encoded feature."""
    return _hash_code_points([ord(c) for c in data.decode("utf-8", "surrogateescape")])


def _simhash_features(feats: list[str]) -> int:
    counts = [0] * 64
    for f in feats:
        h = feature_hash(f.encode("utf-8"))
        for b in range(64):
            counts[b] += (h >> b) & 1
    n = len(feats)
    return sum(1 << b for b in range(64) if 2 * counts[b] > n)


def simhash(text: str) -> int:
    """The 64-bit simhash fingerprint of one text."""
    return _simhash_features(features(text))


def simhash_many(texts: Sequence[str]) -> np.ndarray:
    """The simhash fingerprints of many texts, as a uint64 array."""
    return np.array([simhash(t) for t in texts], dtype=np.uint64)


def hamming(a: int, b: int) -> int:
    """The number of bits in which two fingerprints differ."""
    return (a ^ b).bit_count()

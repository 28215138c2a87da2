import math

import numpy as np
import pytest
import simhash as reference
from hypothesis import given, settings
from hypothesis import strategies as st

from unrepeat import index
from unrepeat.index import SimhashIndex, near_duplicate_pairs

EMPTY = np.empty((0, 2), dtype=np.int64)


def brute_force(fingerprints: list[int], k: int) -> list[tuple[int, int]]:
    """Every pair of first occurrences of distinct values within k bits, by comparing all."""
    first: dict[int, int] = {}
    for i, v in enumerate(fingerprints):
        first.setdefault(v, i)
    items = sorted(first.items(), key=lambda item: item[1])
    return sorted(
        (i, j)
        for (a, i), (b, j) in ((x, y) for n, x in enumerate(items) for y in items[n + 1 :])
        if (a ^ b).bit_count() <= k
    )


def clustered(rng: np.random.Generator, n: int, centres: int, max_flips: int) -> list[int]:
    """Fingerprints near a few centres: many pairs at every small distance, and copies."""
    base = [int(v) for v in rng.integers(0, 1 << 63, centres, dtype=np.uint64, endpoint=True) << 1]
    out = []
    for _ in range(n):
        v = base[rng.integers(centres)]
        for bit in rng.integers(0, 64, rng.integers(0, max_flips + 1)):
            v ^= 1 << int(bit)
        out.append(v)
    return out


def as_pairs(rows: np.ndarray) -> list[tuple[int, int]]:
    return [(int(i), int(j)) for i, j in rows]


@pytest.fixture(params=["chosen", "4 blocks", "5 blocks", "6 blocks", "all pairs"])
def layout(request, monkeypatch):
    """Each way of finding the pairs: the automatic choice, forced block counts, brute force."""
    if request.param == "all pairs":
        monkeypatch.setattr(index._Layout, "choose", classmethod(lambda cls, k, n: None))
    elif request.param != "chosen":
        blocks = int(request.param.split()[0])

        def choose(cls, k, n):
            b = max(blocks, k + 1)
            return cls(k, b) if math.comb(b, k) <= index._MAX_TABLES else None

        monkeypatch.setattr(index._Layout, "choose", classmethod(choose))
    return request.param


@pytest.mark.parametrize("k", [0, 1, 2, 3, 4, 6])
def test_pairs_equal_brute_force_on_clusters(layout, k):
    rng = np.random.default_rng(k)
    fps = clustered(rng, 400, centres=12, max_flips=5)
    got = near_duplicate_pairs(np.array(fps, dtype=np.uint64), k)
    assert got.dtype == np.int64 and got.shape[1] == 2
    assert as_pairs(got) == brute_force(fps, k)


@settings(max_examples=60, deadline=None)
@given(
    fps=st.lists(st.integers(0, (1 << 64) - 1), max_size=60).flatmap(
        lambda base: st.lists(
            st.tuples(st.sampled_from(base or [0]), st.lists(st.integers(0, 63), max_size=4)),
            max_size=80,
        )
    ),
    k=st.integers(0, 5),
)
def test_pairs_equal_brute_force(fps, k):
    values = [v ^ sum(1 << b for b in set(flips)) for v, flips in fps]
    assert as_pairs(near_duplicate_pairs(np.array(values, dtype=np.uint64), k)) == brute_force(values, k)


def test_copies_are_represented_by_their_first_occurrence():
    fps = np.array([7] * 100_000 + [6, 7, 0xFF << 50], dtype=np.uint64)
    assert near_duplicate_pairs(fps, 3).tolist() == [[0, 100_000]]


def test_large_k_and_edge_inputs():
    fps = np.array([0, (1 << 64) - 1, 1, 3], dtype=np.uint64)
    assert near_duplicate_pairs(fps, 64).tolist() == [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]
    assert near_duplicate_pairs(fps, 63).tolist() == [[0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]
    assert near_duplicate_pairs(fps, 1).tolist() == [[0, 2], [2, 3]]
    assert np.array_equal(near_duplicate_pairs(np.array([], dtype=np.uint64)), EMPTY)
    assert np.array_equal(near_duplicate_pairs(np.array([5], dtype=np.uint64)), EMPTY)
    assert near_duplicate_pairs([2**64 - 1, 2**64 - 2], 1).tolist() == [[0, 1]]
    assert near_duplicate_pairs(np.array([4, 5], dtype=np.int64), 1).tolist() == [[0, 1]]


@pytest.mark.parametrize(
    ("fingerprints", "k", "message"),
    [
        ([1, 2], -1, "k must be between 0 and 64, got -1"),
        ([1, 2], 65, "k must be between 0 and 64, got 65"),
        ([1, 2], 2.0, "k must be a whole number, got 2.0"),
        ([[1, 2]], 3, r"fingerprints must be a 1-D array, got shape \(1, 2\)"),
        ([-1, 2], 3, r"fingerprints must be integers between 0 and 2\*\*64 - 1"),
        ([1.5, 2], 3, r"fingerprints must be integers between 0 and 2\*\*64 - 1"),
    ],
)
def test_bad_arguments_are_named(fingerprints, k, message):
    with pytest.raises(ValueError, match=message):
        near_duplicate_pairs(fingerprints, k)


def test_planted_pairs_among_many_random_fingerprints():
    rng = np.random.default_rng(3)
    fps = rng.integers(0, 1 << 64, 200_000, dtype=np.uint64, endpoint=False)
    bases = rng.choice(fps.size, 4_000, replace=False)
    partners = rng.choice(np.setdiff1d(np.arange(fps.size), bases), 4_000, replace=False)
    distance = np.arange(4_000) % 4
    for base, partner, d in zip(bases, partners, distance):
        flip = sum(1 << int(b) for b in rng.choice(64, d, replace=False))
        fps[partner] = int(fps[base]) ^ flip
    found = {tuple(pair) for pair in near_duplicate_pairs(fps, 3).tolist()}
    _values, first, inverse = np.unique(fps, return_index=True, return_inverse=True)
    rep = first[inverse]
    for base, partner, d in zip(bases, partners, distance):
        a, b = sorted((int(rep[base]), int(rep[partner])))
        assert (a == b) if d == 0 else (a, b) in found
    for i, j in found:
        assert 1 <= (int(fps[i]) ^ int(fps[j])).bit_count() <= 3


@pytest.mark.parametrize("k", [0, 1, 3, 8, 12])
def test_the_streaming_index_finds_what_brute_force_finds(k):
    rng = np.random.default_rng(k + 100)
    fps = clustered(rng, 300, centres=10, max_flips=8)
    idx = SimhashIndex(k)
    assert [idx.add(v) for v in fps] == list(range(len(fps)))
    assert len(idx) == len(fps)
    for q in fps[:40] + clustered(rng, 20, centres=3, max_flips=3):
        assert idx.query(q) == [i for i, v in enumerate(fps) if (v ^ q).bit_count() <= k]


def test_the_streaming_index_agrees_with_the_simhash_package():
    rng = np.random.default_rng(5)
    fps = clustered(rng, 300, centres=20, max_flips=4)
    ours = SimhashIndex(3, fps)
    theirs = reference.SimhashIndex([(str(i), reference.Simhash(v)) for i, v in enumerate(fps)], k=3)
    for q in fps[:50]:
        assert ours.query(q) == sorted(int(i) for i in theirs.get_near_dups(reference.Simhash(q)))


def test_the_streaming_index_checks_its_arguments():
    with pytest.raises(ValueError, match="k must be between 0 and 64, got 70"):
        SimhashIndex(70)
    idx = SimhashIndex(3)
    with pytest.raises(ValueError, match=r"fingerprint must be between 0 and 2\*\*64 - 1, got -1"):
        idx.add(-1)
    with pytest.raises(ValueError, match=r"fingerprint must be between 0 and 2\*\*64 - 1"):
        idx.query(1 << 64)

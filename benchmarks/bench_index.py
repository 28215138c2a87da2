"""Near-duplicate search speed and memory: `unrepeat.index` against `simhash.SimhashIndex`.

1. ``near_duplicate_pairs`` on ``--n`` random 64-bit fingerprints with planted
   pairs at distances 0, 1, 2 and 3 (k = 3): every planted pair must be
   found and no pair beyond k reported. Time and the rise of peak RSS
   during the call are taken after a warm-up call on the same data.
2. All near-duplicate pairs of ``--compare-n`` such fingerprints, with the
   simhash package's ``SimhashIndex`` (build, then ``get_near_dups`` for
   every fingerprint), with ``near_duplicate_pairs``, and with
   ``unrepeat.index.SimhashIndex`` (add, then query every fingerprint), in
   this one process; all three must find the same pairs. The memory column
   is the rise of peak RSS during each method (index and results included).

    .venv/bin/python benchmarks/bench_index.py [--n 1000000] [--compare-n 100000]
"""

from __future__ import annotations

import argparse
import platform
import re
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import simhash

from unrepeat.index import SimhashIndex, near_duplicate_pairs

K = 3


def planted(n: int, pairs: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n random fingerprints, of which ``pairs`` partners copy a base with 0-3 bits flipped."""
    rng = np.random.default_rng(seed)
    fps = rng.integers(0, 1 << 64, n, dtype=np.uint64, endpoint=False)
    chosen = rng.choice(n, 2 * pairs, replace=False)
    bases, partners = chosen[:pairs], chosen[pairs:]
    distance = np.arange(pairs) % (K + 1)
    flips = np.zeros(pairs, dtype=np.uint64)
    for d in range(1, K + 1):
        rows = np.flatnonzero(distance == d)
        bits = np.argsort(rng.random((rows.size, 64)), axis=1)[:, :d].astype(np.uint64)
        flips[rows] = np.bitwise_or.reduce(np.uint64(1) << bits, axis=1)
    fps[partners] = fps[bases] ^ flips
    return fps, np.stack((bases, partners), axis=1), distance


def check(fps: np.ndarray, found: np.ndarray, plants: np.ndarray, distance: np.ndarray) -> str:
    """Every planted pair found (equal values: one representative), none beyond K."""
    _, first, inverse = np.unique(fps, return_index=True, return_inverse=True)
    rep = np.sort(first[inverse][plants], axis=1)
    same = rep[:, 0] == rep[:, 1]
    if not np.array_equal(same, distance == 0):
        raise SystemExit("a planted pair at distance 0 has two values, or one at distance > 0 one")
    width = fps.size
    found_codes = set((found[:, 0] * width + found[:, 1]).tolist())
    wanted = rep[~same]
    missing = sum(code not in found_codes for code in (wanted[:, 0] * width + wanted[:, 1]).tolist())
    dist = np.bitwise_count(fps[found[:, 0]] ^ fps[found[:, 1]]) if found.size else np.zeros(0)
    if missing or (dist > K).any() or (dist < 1).any():
        raise SystemExit(f"{missing} planted pairs missing, {(dist > K).sum()} pairs beyond k")
    return (f"all {len(plants)} planted pairs found ({same.sum()} at distance 0 are one value), "
            f"{len(found)} pairs reported, none beyond k={K}")


def rss_rise(run: Callable[[], object]) -> tuple[float, int]:
    """Seconds, and the rise of peak RSS in bytes during ``run``."""
    status = Path("/proc/self/status")

    def read(field: str) -> int:
        return int(re.search(rf"{field}:\s+(\d+) kB", status.read_text()).group(1)) * 1024

    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets the peak RSS (VmHWM)
        exact = True
    except OSError:
        exact = False
    before = read("VmRSS")
    peak = [before]
    done = threading.Event()

    def sample() -> None:  # fallback when the peak cannot be reset
        while not done.wait(0.001):
            peak[0] = max(peak[0], read("VmRSS"))

    sampler = None if exact else threading.Thread(target=sample)
    if sampler:
        sampler.start()
    t0 = time.perf_counter()
    run()
    seconds = time.perf_counter() - t0
    done.set()
    if sampler:
        sampler.join()
    return seconds, (read("VmHWM") if exact else peak[0]) - before


def as_pairs(rows: list[tuple[int, int]], fps: np.ndarray) -> set[tuple[int, int]]:
    """Index pairs as pairs of first occurrences of distinct values."""
    _, first, inverse = np.unique(fps, return_index=True, return_inverse=True)
    rep = first[inverse]
    out = set()
    for i, j in rows:
        a, b = int(rep[i]), int(rep[j])
        if a != b:
            out.add((min(a, b), max(a, b)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000, help="fingerprints for part 1")
    parser.add_argument("--compare-n", type=int, default=100_000, help="fingerprints for part 2")
    args = parser.parse_args()
    print(f"{platform.machine()}, Python {platform.python_version()}, numpy {np.__version__}")

    fps, plants, distance = planted(args.n, args.n // 20)
    near_duplicate_pairs(fps, K)  # warm-up
    result: list[np.ndarray] = []
    seconds, rise = rss_rise(lambda: result.append(near_duplicate_pairs(fps, K)))
    verdict = check(fps, result[0], plants, distance)
    print(f"\n`near_duplicate_pairs`, {args.n:,} fingerprints, k={K}: {seconds:.2f} s, "
          f"peak RSS +{rise / 2**20:.1f} MiB = {rise / args.n:.1f} bytes per fingerprint; {verdict}")

    n = args.compare_n
    fps, plants, distance = planted(n, n // 20, seed=1)
    values = [int(v) for v in fps]
    rows = []

    def theirs() -> set[tuple[int, int]]:
        t0 = time.perf_counter()
        index = simhash.SimhashIndex([(str(i), simhash.Simhash(v)) for i, v in enumerate(values)], k=K)
        built = time.perf_counter() - t0
        found = [(i, int(j)) for i, v in enumerate(values) for j in index.get_near_dups(simhash.Simhash(v))]
        rows.append(("simhash package `SimhashIndex`: build, then `get_near_dups` for each", built,
                     time.perf_counter() - t0))
        return as_pairs(found, fps)

    def ours_batch() -> set[tuple[int, int]]:
        t0 = time.perf_counter()
        pairs = near_duplicate_pairs(fps, K)
        rows.append(("**unrepeat `near_duplicate_pairs`**", None, time.perf_counter() - t0))
        return set(map(tuple, pairs.tolist()))

    def ours_stream() -> set[tuple[int, int]]:
        t0 = time.perf_counter()
        index = SimhashIndex(K)
        for v in values:
            index.add(v)
        built = time.perf_counter() - t0
        found = [(i, j) for i, v in enumerate(values) for j in index.query(v)]
        rows.append(("unrepeat `SimhashIndex`: `add` each, then `query` each", built, time.perf_counter() - t0))
        return as_pairs(found, fps)

    ours_batch()  # warm-up
    rows.clear()
    results, rises = [], []
    for method in (ours_batch, ours_stream, theirs):
        _, rise = rss_rise(lambda method=method: results.append(method()))
        rises.append(rise)
    if not results[0] == results[1] == results[2]:
        raise SystemExit("the three methods found different pairs")
    check(fps, np.array(sorted(results[0]), dtype=np.int64).reshape(-1, 2), plants, distance)
    baseline = rows[-1][2]
    print(f"\nAll near-duplicate pairs (k={K}) of {n:,} fingerprints with {len(plants):,} planted pairs; "
          f"{len(results[0]):,} pairs, the same for all three:\n")
    print("| method | build, s | total, s | × simhash package | peak RSS rise, bytes per fingerprint |")
    print("|---|---:|---:|---:|---:|")
    for (name, built, total), rise in zip(rows, rises, strict=True):
        build = "" if built is None else f"{built:.2f}"
        print(f"| {name} | {build} | {total:.2f} | {baseline / total:.0f}× | {rise / n:.0f} |")


if __name__ == "__main__":
    sys.exit(main())

"""Fingerprinting speed: `unrepeat.fingerprint.simhash_many` against what users would otherwise use.

Every implementation fingerprints the same paragraphs (the ``blocks`` of
``articles.jsonl``), end to end from Python strings, in this one process;
MB/s counts the UTF-8 bytes of the paragraphs. The first-call column is
measured in fresh processes: import plus the first fingerprint of a short
text (for numba: compiling into an empty cache, then loading that cache).

    .venv/bin/python benchmarks/bench_fingerprint.py [--articles PATH] [--repeat N]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import simhash

from unrepeat import fingerprint
from unrepeat.fingerprint import feature_hash, features, simhash_many
from unrepeat.normalize import matching_key

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = ROOT.parent / "shared" / "bench" / "articles.jsonl"


def paragraphs(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as lines:
        return [block for line in lines for block in json.loads(line)["blocks"]]


def best_time(run: Callable[[], object], repeat: int, budget: float = 20.0) -> float:
    """The fastest of ``repeat`` runs (fewer if the runs exceed ``budget`` seconds)."""
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < repeat and (not times or time.perf_counter() - started < budget):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return min(times)


def first_call(setup: str, env: dict[str, str] | None = None) -> float:
    """Seconds from the import to the first result, in a fresh interpreter."""
    code = (
        "import time\nt0 = time.perf_counter()\n"
        f"{setup}\n"
        "print(time.perf_counter() - t0)\n"
    )
    full_env = {k: v for k, v in os.environ.items() if k not in ("UNREPEAT_KERNEL", "NUMBA_CACHE_DIR")}
    full_env.update(env or {})
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full_env, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def with_kernel(name: str, run: Callable[[], object]) -> Callable[[], object]:
    def switched() -> object:
        saved = fingerprint._kernel_name
        fingerprint._kernel_name = name
        try:
            return run()
        finally:
            fingerprint._kernel_name = saved

    return switched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=Path, default=ARTICLES, help="articles.jsonl (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=15, help="runs per implementation, the fastest counts")
    args = parser.parse_args()

    texts = paragraphs(args.articles)
    size = sum(len(t.encode("utf-8")) for t in texts)
    print(f"{len(texts)} paragraphs, {size / 1e6:.2f} MB UTF-8, from {args.articles}", file=sys.stderr)

    # exactness first: the batch kernels against the reference, on every paragraph
    reference = [simhash.Simhash(features(t), hashfunc=feature_hash).value for t in texts]
    have_numba = fingerprint.kernel() == "numba"
    kernels = (["numba"] if have_numba else []) + ["numpy"]
    for name in kernels:
        got = with_kernel(name, lambda: simhash_many(texts))()
        exact = sum(int(g) == r for g, r in zip(got, reference, strict=True))
        print(f"{name} kernel: {exact}/{len(texts)} fingerprints equal to the reference", file=sys.stderr)
        if exact != len(texts):
            sys.exit(f"the {name} kernel disagrees with the reference")

    rows: list[tuple[str, float, str]] = []  # name, seconds, first call

    def measure(name: str, run: Callable[[], object], first: str, repeat: int | None = None) -> None:
        seconds = best_time(run, repeat or args.repeat)
        rows.append((name, seconds, first))
        print(f"  {name}: {size / seconds / 1e6:.1f} MB/s", file=sys.stderr)

    def fmt(seconds: float) -> str:
        return f"{seconds:.2f}"

    package_first = first_call("import simhash\nsimhash.Simhash('A short text.').value")
    measure("simhash package, `Simhash(text).value`", lambda: [simhash.Simhash(t).value for t in texts],
            fmt(package_first), repeat=2)
    measure(
        "simhash package over unrepeat features (the reference)",
        lambda: [simhash.Simhash(features(t), hashfunc=feature_hash).value for t in texts],
        "",
        repeat=2,
    )
    measure("`matching_key` per paragraph only (Python, no hashing)", lambda: [matching_key(t) for t in texts], "")
    try:
        import gaoya
    except ImportError:
        print("  gaoya is not installed: no gaoya rows", file=sys.stderr)
    else:
        index = gaoya.simhash.SimHashStringIndex(
            num_blocks=5, hamming_distance=3, analyzer="char", ngram_range=(4, 4), lowercase=True
        ).index
        gaoya_first = first_call(
            "import gaoya\n"
            "gaoya.simhash.SimHashStringIndex(num_blocks=5, hamming_distance=3, analyzer='char', "
            "ngram_range=(4, 4), lowercase=True).index.doc2signature('A short text.')"
        )
        version = importlib.metadata.version("gaoya")
        measure(f"gaoya {version} (Rust), char 4-grams, `doc2signature` per paragraph",
                lambda: [index.doc2signature(t) for t in texts], fmt(gaoya_first))
        measure("gaoya, `par_bulk_doc2signatures` (all cores)", lambda: index.par_bulk_doc2signatures(texts), "")

    setup = "from unrepeat.fingerprint import simhash_many\nsimhash_many(['A short text.'])"
    if have_numba:
        with tempfile.TemporaryDirectory() as cache:
            cold = first_call(setup, {"NUMBA_CACHE_DIR": cache})
            warm = first_call(setup, {"NUMBA_CACHE_DIR": cache})
        measure("**unrepeat `simhash_many`, numba kernel**", with_kernel("numba", lambda: simhash_many(texts)),
                f"{cold:.2f} cold (compile), {warm:.2f} warm (cache)")
        cps, offsets = fingerprint._pack([matching_key(t) for t in texts])
        out = np.zeros(len(texts), dtype=np.uint64)
        measure("unrepeat numba kernel alone, keys given as code points",
                with_kernel("numba", lambda: fingerprint._run(cps, offsets, out, raw=True)), "")
    numpy_first = first_call(setup, {"UNREPEAT_KERNEL": "numpy"})
    measure("**unrepeat `simhash_many`, numpy kernel**", with_kernel("numpy", lambda: simhash_many(texts)),
            fmt(numpy_first))

    baseline = rows[0][1]
    print(f"\n{len(texts)} paragraphs of {args.articles.name}, {size / 1e6:.2f} MB; "
          f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"numpy {np.__version__}" + (f", numba {__import__('numba').__version__}" if have_numba else ""))
    print()
    print("| implementation | MB/s | × simhash package | first call, s |")
    print("|---|---:|---:|---|")
    for name, seconds, first in rows:
        ratio = baseline / seconds
        times = f"{ratio:.1f}×" if ratio < 10 else f"{ratio:.0f}×"
        print(f"| {name} | {size / seconds / 1e6:.1f} | {times} | {first} |")


if __name__ == "__main__":
    main()

"""Fuzz `unrepeat.clean` with generated documents and count failures per invariant (issue 10).

Documents come from `tests/docgen.py` (our own sentence pool): repeated
passages in random layouts, refrains, stutters, Unicode noise and odd
whitespace, with random `Config(keep, collapse_short, threshold)`. Every
document is checked by `tests/invariants.py`: never raises, replay, nothing
lost, every removed sentence covered by a kept copy, provenance, idempotent,
deterministic. After the run, the first documents are cleaned again in two
subprocesses with other PYTHONHASHSEEDs and must give the same results.

    python benchmarks/fuzz.py --docs 100000 --seed 1            # the long run (all cores)
    python benchmarks/fuzz.py --docs 2000 --seed 0              # what tests/test_fuzz.py runs
    python benchmarks/fuzz.py --one 1000000123                  # one document in full
    python benchmarks/fuzz.py --suite properties --docs 500     # issue 9's property documents
    python benchmarks/fuzz.py --docs 20000 --save /tmp/fails    # write failing documents

Document ``i`` of ``--seed N`` has the seed ``N * 10**9 + i``, which is what
``--one`` takes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import docgen  # noqa: E402
import invariants  # noqa: E402

from unrepeat import Config, clean  # noqa: E402
from unrepeat.normalize import normalize  # noqa: E402

SUITES = ("fuzz", "properties", "repro")


def make(suite: str, seed: int) -> tuple[docgen.Doc, Config | None]:
    """The document (and config) of one seed."""
    rng = random.Random(seed)
    if suite == "fuzz":
        doc, fields = docgen.fuzz_document(rng)
        return doc, Config(**fields)
    if suite == "repro":
        return docgen.repro_style_document(rng), Config(keep=rng.choice(["best", "first", "last"]))
    return docgen.copies_document(rng), None


def check(suite: str, seed: int) -> dict[str, str]:
    doc, config = make(suite, seed)
    if suite == "properties":
        try:
            r = clean(doc.text)
        except Exception as e:  # noqa: BLE001
            return {"raises": repr(e)}
        return invariants.expected_problems(doc, r, normalize(doc.keep).text)
    return invariants.check(doc, config)


def _work(args: tuple[str, list[int]]) -> list[tuple[int, dict[str, str]]]:
    suite, seeds = args
    return [(s, f) for s in seeds if (f := check(suite, s))]


def digest(suite: str, seeds: list[int]) -> str:
    """A hash of the results (text and removals) of some documents."""
    h = hashlib.sha256()
    for s in seeds:
        doc, config = make(suite, s)
        try:
            r = clean(doc.text, config)
            h.update(repr((r.text, r.removals)).encode("utf-8", "surrogatepass"))
        except Exception as e:  # noqa: BLE001
            h.update(repr(e).encode())
    return h.hexdigest()


def hash_seed_check(suite: str, seeds: list[int]) -> list[str]:
    """Clean the documents in subprocesses under two other PYTHONHASHSEEDs: same results?"""
    here = digest(suite, seeds)
    problems = []
    for hs in ("0", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=hs)
        out = subprocess.run([sys.executable, __file__, "--suite", suite, "--digest", ",".join(map(str, seeds))],
                             env=env, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            problems.append(f"PYTHONHASHSEED={hs}: subprocess failed: {out.stderr.strip()[-300:]}")
        elif out.stdout.strip() != here:
            problems.append(f"PYTHONHASHSEED={hs}: results differ from this process's")
    return problems


def minimize(suite: str, seed: int, invariant: str) -> str:
    """The smallest document (by lines, then by words) that still fails ``invariant``."""
    from dataclasses import replace

    doc, config = make(suite, seed)

    def fails(text: str) -> bool:
        return invariant in invariants.check(replace(doc, text=text, lines=[s for s in doc.lines if s in text]), config)

    if not fails(doc.text):
        return doc.text
    for sep in ("\n", " "):
        parts = doc.text.split(sep)
        n = 2
        while len(parts) >= 2:
            size = max(1, len(parts) // n)
            for i in range(0, len(parts), size):
                trial = parts[:i] + parts[i + size :]
                if trial and fails(sep.join(trial)):
                    parts, n = trial, max(n - 1, 2)
                    break
            else:
                if size == 1:
                    break
                n = min(len(parts), n * 2)
        doc = replace(doc, text=sep.join(parts))
    return doc.text


def show(suite: str, seed: int) -> None:
    doc, config = make(suite, seed)
    print(f"seed {seed} [{doc.describe()}] config={config.as_dict() if config else 'default'}")
    print("input:", json.dumps(doc.text, ensure_ascii=False))
    try:
        r = clean(doc.text, config)
    except Exception:  # noqa: BLE001
        import traceback

        traceback.print_exc()
        return
    if doc.keep is not None:
        print("expected:", json.dumps(normalize(doc.keep).text, ensure_ascii=False))
    print("output:", json.dumps(r.text, ensure_ascii=False))
    for x in r.removals:
        print(f"  {x.reason} {x.start}-{x.end} {x.text[:70]!r} kept {x.kept_start}-{x.kept_end} "
              f"{r.normalized[x.kept_start:x.kept_end][:70]!r} sim={x.similarity:.2f}")
    for name, msg in check(suite, seed).items():
        print(f"FAIL {name}: {msg}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--suite", choices=SUITES, default="fuzz")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--show", type=int, default=5, help="failing seeds to list per invariant")
    ap.add_argument("--save", type=Path, help="write failing documents (and what failed) here")
    ap.add_argument("--one", type=int, help="show one document in full")
    ap.add_argument("--minimize", metavar="INVARIANT", help="with --one: the smallest document still failing it")
    ap.add_argument("--hash-docs", type=int, default=200, help="documents cleaned again under other hash seeds")
    ap.add_argument("--digest", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.digest is not None:
        print(digest(a.suite, [int(s) for s in a.digest.split(",") if s]))
        return 0
    if a.one is not None and a.minimize:
        print(json.dumps(minimize(a.suite, a.one, a.minimize), ensure_ascii=False))
        return 0
    if a.one is not None:
        show(a.suite, a.one)
        return 0
    seeds = [a.seed * 10**9 + i for i in range(a.docs)]
    chunks = [(a.suite, seeds[i : i + 50]) for i in range(0, len(seeds), 50)]
    t0 = time.perf_counter()
    failures: list[tuple[int, dict[str, str]]] = []
    with multiprocessing.Pool(a.jobs) as pool:
        for part in pool.imap(_work, chunks):
            failures += part
    elapsed = time.perf_counter() - t0
    counts = Counter(name for _, f in failures for name in f)
    names = invariants.INVARIANTS if a.suite != "properties" else sorted(counts)
    print(f"{a.suite}: {a.docs} documents (seed {a.seed}), {elapsed:.1f} s, {a.docs / elapsed:.0f} docs/s; "
          f"{len(failures)} failing")
    print("  " + "  ".join(f"{n}={counts.get(n, 0)}" for n in names))
    for name in names:
        bad = [(s, f[name]) for s, f in failures if name in f][: a.show]
        for s, msg in bad:
            print(f"  {name}: python benchmarks/fuzz.py --suite {a.suite} --one {s}   # {msg[:150]}")
    if a.suite != "properties" and a.hash_docs:
        problems = hash_seed_check(a.suite, seeds[: a.hash_docs])
        print(f"  deterministic across PYTHONHASHSEED ({min(a.hash_docs, len(seeds))} documents): "
              + ("yes" if not problems else "; ".join(problems)))
    if a.save and failures:
        a.save.mkdir(parents=True, exist_ok=True)
        for s, f in failures:
            doc, config = make(a.suite, s)
            (a.save / f"{a.suite}-{s}.txt").write_text(doc.text, encoding="utf-8", newline="")
            meta = {"seed": s, "suite": a.suite, "config": config.as_dict() if config else None,
                    "layouts": doc.layouts, "failed": f}
            (a.save / f"{a.suite}-{s}.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n",
                                                         encoding="utf-8")
        print(f"  {len(failures)} failing documents written to {a.save}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

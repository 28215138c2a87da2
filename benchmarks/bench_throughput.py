"""Throughput of ``unrepeat clean`` against an exact-line dedup, and its outputs against the reference (issue 11).

Makes two inputs (or takes them from ``--workdir`` when there already):

- ``crawl.jsonl``: the ``make_corpus.py`` crawl, ``--size-mb 200 --seed 1``;
- ``dense.jsonl``: the quality benchmark's input (``dedupbench.py gen --seed 7``),
  repeated to 50 MB or more, each repetition's ids made fresh (``ID#k``).

Then, in this one invocation, on each input: the exact-line baseline (pure
Python: read the JSONL, drop every line seen before, write the JSONL),
``unrepeat clean --report`` in document scope with ``--jobs 1`` and
``--jobs 2`` and in corpus scope with ``--jobs 2``; each a subprocess, timed
on the wall clock, its peak memory the largest sum of the resident sizes of
the process and its workers (sampled from /proc). It prints MB/s (input MB,
1e6 bytes, a second), the time as a multiple of the baseline's, and the
peak memory; then checks every output and report against the SHA-256 sums
in the "Reference outputs" block of ``RESULTS.md`` (outputs of main before
issue 11), and the inputs against theirs, and exits 1 on any difference.
It also times ``unrepeat clean`` of a 3 kB text (the best of five runs).

    .venv/bin/python benchmarks/bench_throughput.py --workdir /tmp/throughput

When the reference moves (main changed what it outputs), ``--reference SRC``
cleans both inputs in both scopes with the package in the source tree SRC
(a checkout's ``src``, e.g. from ``git archive``) and prints the block to
put in RESULTS.md instead of measuring.

The machine is shared: ratios measured in one run mean more than the MB/s;
``--repeat N`` runs each measurement N times and keeps the fastest.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_corpus import digest, run

_HERE = Path(__file__).resolve().parent
_CLI = [sys.executable, "-c", "from unrepeat.cli import main; main()"]
_ARTICLES = _HERE.parents[1] / "shared" / "bench" / "articles.jsonl"
_DEDUPBENCH = _HERE.parents[1] / "shared" / "bench" / "dedupbench.py"
_RUNS = [("document", 1), ("document", 2), ("corpus", 2)]


def reference_sums(results: Path) -> dict[str, str]:
    """The SHA-256 sums of the "Reference outputs" block of RESULTS.md, by file name."""
    text = results.read_text(encoding="utf-8")
    block = text.split("### Reference outputs", 1)[1].split("```", 2)[1]
    return {name: value for value, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", block, re.MULTILINE)}


def make_inputs(workdir: Path, articles: Path, dedupbench: Path) -> tuple[Path, Path]:
    crawl, dense = workdir / "crawl.jsonl", workdir / "dense.jsonl"
    if not crawl.exists():
        subprocess.run([sys.executable, str(_HERE / "make_corpus.py"), str(articles), "--size-mb", "200",
                        "--seed", "1", "--out", str(crawl)], check=True)
    if not dense.exists():
        subprocess.run([sys.executable, str(dedupbench), "gen", "--articles", str(articles), "--out",
                        str(workdir / "b7"), "--seed", "7"], check=True, stdout=subprocess.DEVNULL)
        lines = [line for line in (workdir / "b7" / "input.jsonl").read_text(encoding="utf-8").split("\n") if line]
        size, k = 0, 0
        with dense.open("w", encoding="utf-8") as out:
            while size < 50e6:
                for line in lines:
                    record = json.loads(line)
                    record["id"] = f"{record['id']}#{k}"
                    row = json.dumps(record, ensure_ascii=False) + "\n"
                    out.write(row)
                    size += len(row.encode("utf-8"))
                k += 1
    return crawl, dense


def exact_line_dedup(source: Path, target: Path) -> None:
    """The baseline: every line of every text that was seen before (in any document) goes."""
    seen: set[str] = set()
    with source.open("rb") as inp, target.open("wb") as out:
        for raw in inp:
            record = json.loads(raw)
            kept = []
            for line in record["text"].split("\n"):
                if line and line in seen:
                    continue
                seen.add(line)
                kept.append(line)
            record["text"] = "\n".join(kept)
            out.write(json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n")


def fastest(command: list[str], repeat: int) -> tuple[float, int]:
    """Wall seconds and peak tree memory of the fastest of ``repeat`` runs."""
    best: tuple[float, int] | None = None
    for _ in range(repeat):
        elapsed, _, tree, _ = run(command)
        if best is None or elapsed < best[0]:
            best = (elapsed, tree)
    assert best is not None
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, help="inputs and outputs (default: a temporary directory, removed)")
    parser.add_argument("--articles", type=Path, default=_ARTICLES)
    parser.add_argument("--dedupbench", type=Path, default=_DEDUPBENCH)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement; the fastest counts")
    parser.add_argument("--reference", type=Path, metavar="SRC",
                        help="print the reference sums made with the package in SRC instead")
    parser.add_argument("--baseline", nargs=2, type=Path, metavar=("IN", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.baseline:
        exact_line_dedup(*args.baseline)
        return
    with tempfile.TemporaryDirectory(prefix="throughput-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        sys.exit(reference(workdir, args) if args.reference else measure(workdir, args))


def reference(workdir: Path, args: argparse.Namespace) -> int:
    """Clean both inputs in both scopes with the package in ``args.reference``; print the sums."""
    env = {**os.environ, "PYTHONPATH": str(args.reference.resolve())}
    lines = []
    for path in make_inputs(workdir, args.articles, args.dedupbench):
        lines.append(f"{digest(path)}  {path.name}")
    for name in ("crawl", "dense"):
        for scope in ("document", "corpus"):
            output, report = workdir / f"ref.{name}.{scope}.jsonl", workdir / f"ref.{name}.{scope}.report.jsonl"
            subprocess.run([*_CLI, "clean", str(workdir / f"{name}.jsonl"), "-o", str(output), "--report",
                            str(report), "--scope", scope, "--jobs", "2", "-q"], check=True, env=env)
            lines += [f"{digest(output)}  {name}.{scope}.jsonl", f"{digest(report)}  {name}.{scope}.report.jsonl"]
    print("\n".join(lines))
    return 0


def measure(workdir: Path, args: argparse.Namespace) -> int:
    expected = reference_sums(_HERE / "RESULTS.md")
    failures = []
    for path in make_inputs(workdir, args.articles, args.dedupbench):
        if digest(path) != expected[path.name]:
            failures.append(f"{path.name}: not the input the reference was built from")
    small = workdir / "small.txt"
    first = json.loads((workdir / "crawl.jsonl").open("rb").readline())
    small.write_text(first["text"][:3000], encoding="utf-8")
    startup = min(run([*_CLI, "clean", str(small), "-o", str(workdir / "small.out"), "-q"])[0] for _ in range(5))
    print(f"unrepeat clean of a 3 kB text: {startup:.2f} s (best of 5)\n")
    print("| input | run | MB/s | per core | x baseline time | peak tree memory |")
    print("|---|---|---:|---:|---:|---:|")
    for name in ("crawl", "dense"):
        source = workdir / f"{name}.jsonl"
        mb = source.stat().st_size / 1e6
        base, base_mem = fastest([sys.executable, __file__, "--baseline", str(source), str(workdir / "base.jsonl")],
                                 args.repeat)
        print(f"| {name} ({mb:.0f} MB) | exact-line baseline | {mb / base:.1f} | {mb / base:.1f} | 1.0 "
              f"| {base_mem / 2**20:.0f} MiB |", flush=True)
        for scope, jobs in _RUNS:
            output, report = workdir / f"{name}.{scope}.jsonl", workdir / f"{name}.{scope}.report.jsonl"
            command = [*_CLI, "clean", str(source), "-o", str(output), "--report", str(report), "--scope", scope,
                       "--jobs", str(jobs), "-q"]
            elapsed, memory = fastest(command, args.repeat)
            print(f"| {name} | {scope} scope, --jobs {jobs} | {mb / elapsed:.1f} | {mb / elapsed / jobs:.1f} "
                  f"| {elapsed / base:.1f} | {memory / 2**20:.0f} MiB |", flush=True)
            for path in (output, report):
                if digest(path) != expected[path.name]:
                    failures.append(f"{path.name} (--jobs {jobs}): differs from the reference")
    print()
    print("\n".join(failures) if failures else "outputs and reports: byte for byte the reference")
    return 1 if failures else 0


if __name__ == "__main__":
    main()

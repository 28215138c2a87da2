"""Corpus-scope speed and memory: ``unrepeat clean --scope corpus`` on a JSONL crawl.

Runs the command as a subprocess once per ``--jobs`` value (1 and 2 by
default), in this one invocation, on the same corpus (made by
``make_corpus.py``, or generated here from the benchmark articles with
``--articles`` and ``--size-mb``), each run with a fresh ``--index`` file.
For each run it reports the wall time, MB/s of input file, the peak RSS of
the largest process (``wait4``), the peak RSS of the whole process tree
(parent and pool workers, summed, sampled every 0.1 s from /proc) and the
size of the saved index; then checks that all outputs (and reports, with
``--report``) are byte for byte the same.

    .venv/bin/python benchmarks/bench_corpus.py --corpus /tmp/corpus-1g.jsonl
    .venv/bin/python benchmarks/bench_corpus.py --articles ../shared/bench/articles.jsonl --size-mb 200
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent
_CLI = [sys.executable, "-c", "from unrepeat.cli import main; main()"]


def tree_rss(root: int) -> int:
    """Bytes resident in ``root`` and all its descendants now (0 once it is gone)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)  # fields[1]: ppid
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")  # fields[21]: rss in pages
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


def run(command: list[str]) -> tuple[float, int, int, str]:
    """Wall seconds, peak RSS of the largest process, peak RSS of the tree, and stderr's last line."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(process.pid))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert process.stderr is not None
    stderr = process.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{stderr}")
    return elapsed, usage.ru_maxrss * 1024, peak, stderr.strip().splitlines()[-1] if stderr.strip() else ""


def digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, help="a JSONL corpus (from make_corpus.py)")
    parser.add_argument("--articles", type=Path, help="generate the corpus from these articles instead")
    parser.add_argument("--size-mb", type=float, default=1024, help="size of a generated corpus")
    parser.add_argument("--jobs", default="1,2", help="comma-separated --jobs values to measure")
    parser.add_argument("--report", action="store_true", help="also write (and compare) the reports")
    parser.add_argument("--workdir", type=Path, help="where outputs go (default: a temporary directory, removed)")
    args = parser.parse_args(argv)
    if (args.corpus is None) == (args.articles is None):
        parser.error("give --corpus or --articles")
    with tempfile.TemporaryDirectory(prefix="bench-corpus-", dir=args.workdir) as tmp:
        work = Path(tmp)
        corpus = args.corpus
        if corpus is None:
            corpus = work / "corpus.jsonl"
            subprocess.run([sys.executable, str(_HERE / "make_corpus.py"), str(args.articles), "--out", str(corpus),
                            "--size-mb", str(args.size_mb)], check=True)
        size = corpus.stat().st_size
        print(f"corpus {corpus}: {size / 1e6:.1f} MB; {platform.processor() or platform.machine()}, "
              f"{os.cpu_count()} CPUs, Python {platform.python_version()}")
        rows, digests = [], {}
        for jobs in [int(j) for j in args.jobs.split(",")]:
            out, index, report = work / f"out-{jobs}.jsonl", work / f"index-{jobs}", work / f"report-{jobs}.jsonl"
            command = [*_CLI, "clean", "--scope", "corpus", str(corpus), "-o", str(out), "--index", str(index),
                       "--jobs", str(jobs)] + (["--report", str(report)] if args.report else [])
            seconds, largest, tree, summary = run(command)
            digests[jobs] = (digest(out), digest(report) if args.report else "")
            rows.append((jobs, seconds, size / 1e6 / seconds, largest, tree, index.stat().st_size))
            print(f"--jobs {jobs}: {summary}", flush=True)
        print()
        print("| --jobs | seconds | MB/s | peak RSS, largest process | peak RSS, all processes | index file |")
        print("|---:|---:|---:|---:|---:|---:|")
        for jobs, seconds, speed, largest, tree, index_size in rows:
            print(f"| {jobs} | {seconds:.1f} | {speed:.2f} | {largest / 2**20:,.0f} MiB | {tree / 2**20:,.0f} MiB "
                  f"| {index_size / 2**20:,.1f} MiB |")
        same = len(set(digests.values())) == 1
        print(f"\noutputs{' and reports' if args.report else ''} identical for all --jobs: {same}")
        if not same:
            raise SystemExit(1)


if __name__ == "__main__":
    main()

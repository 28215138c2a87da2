"""Dask engine throughput: ``unrepeat.dask.run`` on a LocalCluster of 1 and 2 workers, against the local engine.

In one invocation, on the same JSONL corpus (made by ``make_corpus.py``, or
generated here from the benchmark articles with ``--articles`` and
``--size-mb``): the local CLI (``unrepeat clean``, a subprocess) for each
``--local-jobs`` value, then `unrepeat.dask.run` on a fresh
``LocalCluster(n_workers=N, threads_per_worker=1)`` for each ``--workers``
value. For each run it reports the wall time, MB/s of input file, and the
peak RSS of the whole process tree (sampled every 0.1 s from /proc); for the
Dask runs also the cluster start-up (not counted in the run's time) and the
number of parts; and the CPUs that other processes kept busy meanwhile
(from /proc/stat, less this benchmark's own CPU time), since a shared
machine skews the comparison. Then it checks that every Dask output (and report, with
``--report``), its parts decompressed and concatenated, is byte for byte the
local output.

    .venv/bin/python benchmarks/bench_dask.py --corpus /tmp/corpus-1g.jsonl
    .venv/bin/python benchmarks/bench_dask.py --articles ../shared/bench/articles.jsonl --size-mb 200
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench_corpus import digest, run, tree_rss

from unrepeat import Config
from unrepeat import dask as udask
from unrepeat.dask.job import local_cluster

_HERE = Path(__file__).resolve().parent
_CLI = [sys.executable, "-c", "from unrepeat.cli import main; main()"]


class OtherLoad:
    """The CPUs that processes outside this benchmark kept busy while it ran (other jobs on the machine)."""

    def __enter__(self) -> OtherLoad:
        self.started, self.busy, self.ours = time.perf_counter(), _busy_seconds(), _our_seconds()
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.perf_counter() - self.started
        self.cpus = max(0.0, (_busy_seconds() - self.busy) - (_our_seconds() - self.ours)) / wall


def _busy_seconds() -> float:
    """CPU seconds the whole machine spent busy since boot (/proc/stat)."""
    with open("/proc/stat") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _our_seconds() -> float:
    """CPU seconds of this process and its children (reaped ones, and the LocalCluster's workers once closed)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def parts_digest(directory: Path) -> str:
    """sha256 of the parts of a directory, decompressed and concatenated in numeric order."""
    h = hashlib.sha256()
    for part in sorted(directory.glob("part-*.jsonl.gz"), key=lambda p: int(p.name[5:].split(".")[0])):
        with gzip.open(part, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
    return h.hexdigest()


def dask_run(corpus: Path, out: Path, workers: int, config: Config, block_size: int | None,
             report: bool) -> tuple[float, float, int, int, str, float]:
    """Start-up seconds, run seconds, peak RSS of the process tree (this process: client, scheduler and
    nannies; the workers), parts, the summary line, and the CPU seconds of the run (workers and this process)."""
    peak = 0
    sampling = 0.0  # CPU seconds the sampler spends reading /proc: not the engine's
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, sampling
        while not done.is_set():
            peak = max(peak, tree_rss(os.getpid()))
            sampling = time.thread_time()
            done.wait(0.1)

    started = time.perf_counter()
    with local_cluster(workers) as client:  # the cluster `unrepeat.dask.run` starts
        client.run(_warm_up)  # import unrepeat and load numba's cache in every worker
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        ready = time.perf_counter()
        cpu = sum(client.run(_cpu_seconds).values()) + _cpu_seconds()
        summary = udask.run([str(corpus)], str(out / "parts"), config, client=client, block_size=block_size,
                            report_dir=str(out / "reports") if report else None)
        cpu = sum(client.run(_cpu_seconds).values()) + _cpu_seconds() - cpu
        finished = time.perf_counter()
        done.set()
        sampler.join()
    return ready - started, finished - ready, peak, summary.parts, summary.line(), cpu - sampling


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _warm_up() -> None:
    from unrepeat.corpus import prepare

    prepare("A warm-up sentence for the worker. Another one follows it.\n", Config(scope="corpus"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, help="a JSONL corpus (from make_corpus.py)")
    parser.add_argument("--articles", type=Path, help="generate the corpus from these articles instead")
    parser.add_argument("--size-mb", type=float, default=200, help="size of a generated corpus")
    parser.add_argument("--scope", choices=["document", "corpus"], default="corpus")
    parser.add_argument("--workers", default="2", help="comma-separated LocalCluster sizes to measure")
    parser.add_argument("--local-jobs", default="2", help="comma-separated --jobs values of the local engine")
    parser.add_argument("--block-mb", type=float, help="block size of the Dask engine, MiB [default: chosen by run]")
    parser.add_argument("--report", action="store_true", help="also write (and compare) the reports")
    parser.add_argument("--workdir", type=Path, help="where outputs go (default: a temporary directory, removed)")
    args = parser.parse_args(argv)
    if (args.corpus is None) == (args.articles is None):
        parser.error("give --corpus or --articles")
    config = Config(scope=args.scope)
    with tempfile.TemporaryDirectory(prefix="bench-dask-", dir=args.workdir) as tmp:
        work = Path(tmp)
        corpus = args.corpus
        if corpus is None:
            corpus = work / "corpus.jsonl"
            subprocess.run([sys.executable, str(_HERE / "make_corpus.py"), str(args.articles), "--out", str(corpus),
                            "--size-mb", str(args.size_mb)], check=True)
        size = corpus.stat().st_size
        print(f"corpus {corpus}: {size / 1e6:.1f} MB, --scope {args.scope}; "
              f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
              f"Python {platform.python_version()}",
              flush=True)
        rows, expected = [], None
        for jobs in [int(j) for j in args.local_jobs.split(",") if j]:
            out, report = work / f"local-{jobs}.jsonl", work / f"local-{jobs}.report.jsonl"
            command = [*_CLI, "clean", "--scope", args.scope, str(corpus), "-o", str(out), "--jobs", str(jobs)]
            with OtherLoad() as load:
                cpu = _children_cpu_seconds()
                seconds, _, tree, summary = run(command + (["--report", str(report)] if args.report else []))
                cpu = _children_cpu_seconds() - cpu
            digests = (digest(out), digest(report) if args.report else "")
            if expected is None:
                expected = digests
            rows.append((f"local engine, --jobs {jobs}", "", seconds, cpu, tree, "", load.cpus, digests == expected))
            print(f"local --jobs {jobs}: {seconds:.1f} s, {cpu:.1f} CPU s; {summary}", flush=True)
            out.unlink()
        for workers in [int(w) for w in args.workers.split(",") if w]:
            out = work / f"dask-{workers}"
            block_size = None if args.block_mb is None else int(args.block_mb * 2**20)
            with OtherLoad() as load:
                startup, seconds, tree, parts, summary, cpu = dask_run(corpus, out, workers, config, block_size,
                                                                       args.report)
            digests = (parts_digest(out / "parts"), parts_digest(out / "reports") if args.report else "")
            rows.append((f"Dask, LocalCluster of {workers} worker{'s' if workers > 1 else ''}", f"{startup:.1f}",
                         seconds, cpu, tree, str(parts), load.cpus, None if expected is None else digests == expected))
            print(f"dask {workers} workers: {seconds:.1f} s (+{startup:.1f} s start-up), {cpu:.1f} CPU s; {summary}",
                  flush=True)
        print()
        print("| engine | start-up, s | seconds | MB/s | CPU seconds | peak RSS, all processes | parts "
              "| other load, CPUs | same bytes as local |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
        for name, startup, seconds, cpu, tree, parts, other, same in rows:
            print(f"| {name} | {startup} | {seconds:.1f} | {size / 1e6 / seconds:.2f} | {cpu:.1f} | {tree / 2**20:,.0f} MiB "
                  f"| {parts} | {other:.2f} | {'not compared' if same is None else 'yes' if same else '**no**'} |")
        same = all(row[-1] is not False for row in rows)
        print(f"\noutputs{' and reports' if args.report else ''} identical to the local engine's: {same}")
        if not same:
            raise SystemExit(1)


if __name__ == "__main__":
    main()

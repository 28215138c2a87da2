"""The Dask engine: byte for byte the local engine's output and report, on a 2-worker LocalCluster."""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("distributed")
dd = pytest.importorskip("dask.dataframe")
db = pytest.importorskip("dask.bag")

import dask  # noqa: E402
import pandas as pd  # noqa: E402
import zstandard  # noqa: E402
from click.testing import CliRunner  # noqa: E402
from conftest import make_article, make_sentence  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402

import unrepeat.dask as udask  # noqa: E402
from unrepeat import Config, clean_records  # noqa: E402
from unrepeat.cli import main  # noqa: E402
from unrepeat.dask.blocks import block_lines  # noqa: E402
from unrepeat.dask.tasks import count_lines  # noqa: E402
from unrepeat.io import InputError, find_inputs  # noqa: E402

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FOOTER = ("Sign up for our daily newsletter to get the best stories every single morning. "
          "We never share your address with anyone, and you can leave at any time.")


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as c:
        yield c


# ------------------------------------------------------------------ data


def documents(rng: random.Random, n: int) -> list[dict]:
    """Records with what a crawl repeats: a shared footer, syndicated copies, pages doubled within."""
    out: list[dict] = []
    for i in range(n):
        paragraphs = make_article(rng, paragraphs=3, start=1000 * i)
        if i % 3 == 0:
            paragraphs.append(FOOTER)
        if i % 5 == 1:
            paragraphs += paragraphs[:2]  # the page twice
        if i % 4 == 2 and out:
            paragraphs = out[-2 if len(out) > 1 else -1]["text"].split("\n\n")[:3] + paragraphs[:1]  # syndicated
        text = out[i - 5]["text"] if i % 6 == 4 and i > 6 else "\n\n".join(paragraphs)  # a duplicate
        record: dict = {"id": f"d{i}", "text": text, "meta": {"n": i, "tags": ["a", "é"]}}
        if i % 7 == 3:
            del record["id"]  # named FILE:LINE in corpus scope
        out.append(record)
    return out


def jsonl_bytes(records: list[dict]) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name.endswith(".gz"):
        data = gzip.compress(data)
    elif path.name.endswith(".zst"):
        data = zstandard.ZstdCompressor().compress(data)
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def crawl(tmp_path_factory) -> Path:
    """A directory of three JSONL files (plain, .gz, .zst), with the oddities of real files."""
    root = tmp_path_factory.mktemp("crawl") / "crawl"
    rng = random.Random(5)
    docs = documents(rng, 90)
    first = jsonl_bytes(docs[:40]).split(b"\n")
    first[0] = b"\xef\xbb\xbf" + first[0]  # a byte order mark
    first[5] = first[5] + b"\r"  # a CRLF line end
    first.insert(9, b"")  # blank lines count as lines
    first.insert(10, b"   ")
    first[12] = first[12].replace(b"ends here", b"ends \xff here", 1)  # invalid UTF-8
    write(root / "a.jsonl", b"\n".join(first).rstrip(b"\n"))  # no final line end
    write(root / "b.jsonl.gz", jsonl_bytes(docs[40:70]))
    write(root / "sub" / "c.jsonl.zst", jsonl_bytes(docs[70:]))
    write(root / ".hidden.jsonl", jsonl_bytes(docs[:3]))  # left out by both engines
    return root


# --------------------------------------------------------------- helpers


def local(inputs: list[Path], out: Path, *options: str) -> tuple[bytes, bytes]:
    """The local CLI's output and report of ``inputs``, each file's concatenated in input order."""
    args = ["clean", *map(str, inputs), "-o", str(out), "--report", str(out) + "-report", "-q", *options]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    sources = find_inputs([str(i) for i in inputs])
    if len(inputs) == 1 and not inputs[0].is_dir():
        return decompressed(out), decompressed(Path(str(out) + "-report"))
    outputs = [out / s.relative for s in sources]
    reports = [Path(str(out) + "-report") / s.relative.with_name(s.relative.name + ".report.jsonl") for s in sources]
    return b"".join(decompressed(p) for p in outputs if p.exists()), b"".join(decompressed(p) for p in reports)


def decompressed(path: Path) -> bytes:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        return gzip.decompress(data)
    if path.name.endswith(".zst"):
        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    return data


def parts(directory: Path) -> list[Path]:
    return sorted(directory.glob("part-*.jsonl.gz"), key=lambda p: int(p.name[5:].split(".")[0]))


def joined(directory: Path) -> bytes:
    return b"".join(gzip.decompress(p.read_bytes()) for p in parts(directory))


def run_dask(client, inputs: list[Path], out: Path, config: Config, **options) -> udask.RunSummary:
    return udask.run([str(i) for i in inputs], str(out / "parts"), config, client=client,
                     report_dir=str(out / "reports"), **options)


# ----------------------------------------------------------------- blocks


def test_blocks_hold_every_line_once(tmp_path):
    data = b"\xef\xbb\xbf{}\n\n{\"a\": 1}\r\n" + b"x" * 50 + b"\n\n\n" + b"last line without end"
    path = write(tmp_path / "f.jsonl", data)
    for size in [1, 2, 3, 7, 16, 1000]:
        blocks = udask.input_blocks(udask.input_files([str(path)]), size)
        assert [b.start for b in blocks] == list(range(0, len(data), size))[: len(blocks)]
        assert sum(count_lines(b) for b in blocks) == data.count(b"\n") + 1
        records = [line for b in blocks for line in block_lines(b)[1]]
        assert [r.record for r in records] == [{}, {"a": 1}, None, None]  # the BOM dropped, every record once


def test_blocks_of_compressed_files_and_directories(crawl):
    blocks = udask.input_blocks(udask.input_files([str(crawl)]), 500)
    assert list(dict.fromkeys(b.name for b in blocks)) == [str(crawl / n) for n in ["a.jsonl", "b.jsonl.gz",
                                                                                     "sub/c.jsonl.zst"]]
    assert {b.name: b.compression for b in blocks} == {str(crawl / "a.jsonl"): None, str(crawl / "b.jsonl.gz"): "gz",
                                                      str(crawl / "sub" / "c.jsonl.zst"): "zst"}
    assert sum(b.name.endswith("a.jsonl") for b in blocks) > 10  # cut in blocks; a compressed file is one
    assert [f.name for f in udask.input_files([str(crawl / "*.jsonl*")])] == [str(crawl / n) for n in ["a.jsonl",
                                                                                                    "b.jsonl.gz"]]


def test_inputs_that_are_not_there_or_not_jsonl(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        udask.input_files([str(tmp_path / "missing.jsonl")])
    with pytest.raises(InputError, match="no such file"):
        udask.input_files([str(tmp_path / "*.jsonl")])
    (tmp_path / "page.txt").write_text("Hello.")
    with pytest.raises(InputError, match="reads JSONL files"):
        udask.input_files([str(tmp_path / "page.txt")])


# ------------------------------------------------- the same as the local CLI


@pytest.mark.parametrize("scope", ["document", "corpus"])
def test_same_bytes_as_the_local_engine(client, crawl, tmp_path, scope):
    expected = local([crawl], tmp_path / "local", "--scope", scope)
    seen = []
    summary = run_dask(client, [crawl], tmp_path, Config(scope=scope), block_size=600,
                       progress=lambda done, total, s: seen.append((done, total)))
    assert len(parts(tmp_path / "parts")) == summary.parts > 10
    assert (joined(tmp_path / "parts"), joined(tmp_path / "reports")) == expected
    assert seen[-1] == (summary.parts, summary.parts)
    assert summary.documents == 90 and summary.invalid_utf8 == 1
    assert summary.warnings == [f"{crawl / 'a.jsonl'}:13: 1 invalid UTF-8 sequences replaced with U+FFFD"]
    if scope == "corpus":
        assert summary.duplicates > 0 and summary.removals["corpus_passage"] > 0
    assert not list((tmp_path / "parts").glob(".unrepeat-*"))  # the temporary directory is gone


def test_several_inputs_skip_errors_and_drop_duplicates(client, crawl, tmp_path):
    bad = write(tmp_path / "bad.jsonl", b'{"id": "x", "text": "Fine."}\nnot json\n{"id": 3}\n{"text": 5}\n')
    inputs = [crawl / "b.jsonl.gz", bad, crawl / "a.jsonl"]
    options = ["--scope", "corpus", "--on-error", "skip", "--drop-duplicates"]
    expected = local(inputs, tmp_path / "local", *options)
    summary = run_dask(client, inputs, tmp_path, Config(scope="corpus"), block_size=900, skip_errors=True,
                       drop_duplicates=True)
    assert (joined(tmp_path / "parts"), joined(tmp_path / "reports")) == expected
    assert summary.skipped == 3 and summary.dropped == summary.duplicates > 0
    assert f"{bad}:2: skipped: invalid JSON: Expecting value (column 1)" in summary.warnings


def test_index_carries_over_between_runs(client, crawl, tmp_path):
    day1, day2 = crawl / "b.jsonl.gz", crawl / "sub" / "c.jsonl.zst"
    local([day1], tmp_path / "l1.jsonl", "--scope", "corpus", "--index", str(tmp_path / "local.index"))
    expected = local([day2], tmp_path / "l2.jsonl", "--scope", "corpus", "--index", str(tmp_path / "local.index"))
    index = str(tmp_path / "dask.index")
    run_dask(client, [day1], tmp_path / "1", Config(scope="corpus"), index_path=index)
    run_dask(client, [day2], tmp_path / "2", Config(scope="corpus"), index_path=index)
    assert (joined(tmp_path / "2" / "parts"), joined(tmp_path / "2" / "reports")) == expected
    assert b'"kept_doc"' in expected[1]
    local([day2], tmp_path / "l3.jsonl", "--scope", "corpus", "--index", str(tmp_path / "local.index"))
    run_dask(client, [day2], tmp_path / "3", Config(scope="corpus"), index_path=index)
    assert _index_arrays(tmp_path / "local.index") == _index_arrays(index)  # the same index, saved twice


def _index_arrays(path) -> dict:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_documents_waiting_on_each_other(client, tmp_path):
    """A site's copyright line, an edited copy of the one the first page kept, goes
    from every page: each page is decided against what the one before kept."""
    rng = random.Random(3)
    footer = " ".join(make_sentence(rng, 900 + i) for i in range(3))
    records = []
    for i in range(30):
        line = f"Copyright {2019 if i == 0 else 2018} Example Media Group, all rights reserved for the readers."
        records.append({"id": i, "text": "\n\n".join(make_article(rng, 2, 1000 * (i + 1)) + [footer, line])})
    data = write(tmp_path / "site.jsonl", jsonl_bytes(records))
    expected = local([data], tmp_path / "local.jsonl", "--scope", "corpus")
    run_dask(client, [data], tmp_path, Config(scope="corpus"), block_size=2000)
    assert (joined(tmp_path / "parts"), joined(tmp_path / "reports")) == expected
    assert expected[1].count(b"Copyright 2018") == 29  # removed from every page but the first


def test_a_failed_job_leaves_no_part_files(client, crawl, tmp_path):
    bad = write(tmp_path / "bad.jsonl", jsonl_bytes(documents(random.Random(1), 30)) + b'{"id": 1, "text": null}\n')
    result = CliRunner().invoke(main, ["clean", "--scope", "corpus", str(crawl / "a.jsonl"), str(bad),
                                       "-o", str(tmp_path / "local"), "-q"])
    assert result.exit_code == 1
    out = tmp_path / "out"
    write(out / "part-00000.jsonl.gz", b"from an earlier run\n")
    for scope in ["document", "corpus"]:
        with pytest.raises(InputError) as failure:
            udask.run([str(crawl / "a.jsonl"), str(bad)], str(out), Config(scope=scope), client=client,
                      report_dir=str(tmp_path / "reports"), block_size=500)
        assert f"Error: {failure.value}" in result.output  # the local CLI's message: FILE:LINE: problem
        assert [p.name for p in out.iterdir()] == ["part-00000.jsonl.gz"]  # as it was, no temporary files
        assert decompressed(out / "part-00000.jsonl.gz") == b"from an earlier run\n"
        assert not (tmp_path / "reports").exists()  # made for the job, removed with it


def test_parts_of_an_earlier_run_are_replaced(client, crawl, tmp_path):
    out = tmp_path / "out"
    udask.run([str(crawl / "a.jsonl")], str(out), client=client, block_size=400)
    many = len(parts(out))
    udask.run([str(crawl / "a.jsonl")], str(out), client=client, block_size=4000)
    assert 1 < len(parts(out)) < many
    assert joined(out) == local([crawl / "a.jsonl"], tmp_path / "local.jsonl")[0]


def test_options_checked_before_any_work(crawl, tmp_path):
    with pytest.raises(ValueError, match="index_path needs corpus scope"):
        udask.run([str(crawl)], str(tmp_path / "o"), index_path=str(tmp_path / "i"))
    with pytest.raises(ValueError, match="must differ"):
        udask.run([str(crawl)], str(tmp_path / "o"), report_dir=str(tmp_path / "o"))
    with pytest.raises(ValueError, match="holds the input"):
        udask.run([str(crawl)], str(crawl.parent))
    with pytest.raises(ValueError, match="no inputs"):
        udask.run([], str(tmp_path / "o"))
    with pytest.raises(ValueError, match="workers must be at least 1, got 0"):
        udask.run([str(crawl)], str(tmp_path / "o"), workers=0)
    assert not (tmp_path / "o").exists()


# --------------------------------------------------- the benchmark sets


def bench_set(tmp_path: Path, command: str) -> Path:
    script = SHARED / "bench" / "dedupbench.py"
    if not script.exists():
        pytest.skip(f"no benchmark data at {SHARED}")
    subprocess.run([sys.executable, str(script), command, "--articles", str(SHARED / "bench" / "articles.jsonl"),
                    "--out", str(tmp_path / "set")], check=True, capture_output=True)
    return tmp_path / "set" / "input.jsonl"


@pytest.mark.parametrize(("command", "scope"), [("gen", "document"), ("gen-corpus", "corpus")])
def test_benchmark_sets(client, tmp_path, command, scope):
    data = bench_set(tmp_path, command)
    expected = local([data], tmp_path / "local.jsonl", "--scope", scope)
    run_dask(client, [data], tmp_path, Config(scope=scope), block_size=data.stat().st_size // 5)
    assert len(parts(tmp_path / "parts")) >= 5
    assert (joined(tmp_path / "parts"), joined(tmp_path / "reports")) == expected


# ------------------------------------------------------- Dask collections


@pytest.mark.parametrize("scope", ["document", "corpus"])
def test_bag_gives_what_clean_records_gives(client, scope):
    records = documents(random.Random(9), 40)
    config = Config(scope=scope)
    expected = list(clean_records(records, config=config, report_field="report"))
    cleaned, reports = udask.clean(db.from_sequence(records, npartitions=6), scope=scope)
    got, got_reports = dask.compute(cleaned, reports)
    assert got == [{k: v for k, v in r.items() if k != "report"} for r in expected]
    assert got_reports == [r["report"] for r in expected]


@pytest.mark.parametrize("scope", ["document", "corpus"])
def test_dataframe_keeps_columns_types_and_index(client, scope):
    records = documents(random.Random(9), 40)
    config = Config(scope=scope)
    expected = list(clean_records(records, config=config, report_field="report"))
    frame = pd.DataFrame({"id": [r.get("id") for r in records], "text": [r["text"] for r in records],
                          "n": range(len(records))}, index=range(100, 100 + len(records)))
    df = dd.from_pandas(frame, npartitions=5)
    cleaned, reports = udask.clean(df, scope=scope)
    assert list(cleaned.columns) == ["id", "text", "n"] and list(reports.columns) == ["report"]
    got, got_reports = dask.compute(cleaned, reports)
    assert got.dtypes.equals(df.compute().dtypes) and got.dtypes.equals(cleaned.dtypes)
    assert list(got.index) == list(frame.index) == list(got_reports.index)
    assert got["text"].tolist() == [r["text"] for r in expected]
    assert [json.loads(r) for r in got_reports["report"]] == [r["report"] for r in expected]


def test_clean_refuses_what_it_cannot_clean():
    with pytest.raises(TypeError, match="got list"):
        udask.clean([{"text": "Hi."}])
    with pytest.raises(KeyError, match='no "body" column'):
        udask.clean(dd.from_pandas(pd.DataFrame({"text": ["Hi."]}), npartitions=1), text_field="body")
    cleaned, _ = udask.clean(db.from_sequence([{"id": 1}]))
    with pytest.raises(KeyError, match='record 0: no "text" field'):
        cleaned.compute(scheduler="sync")


def test_fsspec_urls(client, crawl, tmp_path):
    """Inputs, outputs and reports as URLs go through fsspec; files are then named by their URLs."""
    expected = local([crawl], tmp_path / "local")
    summary = udask.run([f"file://{crawl}/*.jsonl*", f"file://{crawl}/sub"], f"file://{tmp_path}/parts",
                        client=client, report_dir=f"file://{tmp_path}/reports", block_size=2000)
    assert (joined(tmp_path / "parts"), joined(tmp_path / "reports")) == expected
    assert summary.warnings == [f"file://{crawl}/a.jsonl:13: 1 invalid UTF-8 sequences replaced with U+FFFD"]


def test_warnings_beyond_the_limit_are_counted():
    summary = udask.RunSummary()
    summary.warn([f"w{i}" for i in range(udask.MAX_WARNINGS - 1)])
    summary.merge(udask.RunSummary(warnings=["a", "b", "c"], more_warnings=2))
    assert summary.warnings[-2:] == [f"w{udask.MAX_WARNINGS - 2}", "a"] and summary.more_warnings == 4


# ------------------------------------------------------------ a lost worker


def _holder_of_the_fold(dask_scheduler) -> str | None:
    """The worker holding the fold's latest state (run on the scheduler)."""
    held = [ts for ts in dask_scheduler.tasks.values() if ts.state == "memory"
            and (str(ts.type).endswith(".FoldState") or ts.prefix.name == "fold_block")]
    return next(iter(held[-1].who_has)).address if held else None


@pytest.mark.parametrize("scope", ["document", "corpus"])
def test_a_worker_killed_mid_job(crawl, tmp_path, scope):
    """SIGKILL to a worker (in corpus scope, the one holding the fold's state) while the
    job runs: Dask computes again what it held, and the job ends as if nothing happened."""
    expected = local([crawl], tmp_path / "local", "--scope", scope)
    killed = []

    def kill_one(done: int, total: int, summary) -> None:
        if done == 3:
            address = c.run_on_scheduler(_holder_of_the_fold) if scope == "corpus" else None
            pids = c.run(os.getpid)
            pid = pids[address] if address else next(iter(pids.values()))
            os.kill(pid, signal.SIGKILL)
            killed.append(address)

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as c:
        summary = run_dask(c, [crawl], tmp_path, Config(scope=scope), block_size=600, progress=kill_one)
    assert killed and (killed[0] is not None or scope == "document") and summary.parts > 20
    assert (joined(tmp_path / "parts"), joined(tmp_path / "reports")) == expected


def test_the_command_line_quiet_and_failing(crawl, tmp_path):
    """``-q`` on a cluster of its own: nothing on stderr, from the workers or at shutdown either.
    A job that cannot finish: one ``Error:`` line, exit code 1, nothing written."""
    command = [sys.executable, "-c", "from unrepeat.cli import main; main()", "clean", "--engine", "dask",
               "--jobs", "2", "--scope", "corpus", "-q"]
    done = subprocess.run([*command, str(crawl / "a.jsonl"), "-o", str(tmp_path / "out")], capture_output=True,
                          text=True, timeout=300, check=False)
    assert (done.returncode, done.stderr) == (0, "")
    assert joined(tmp_path / "out") == local([crawl / "a.jsonl"], tmp_path / "local.jsonl", "--scope", "corpus")[0]
    bad = write(tmp_path / "bad.jsonl", b'{"id": 1, "text": "Fine."}\n{"id": 2, "text": 3}\n')
    for quiet in [[], ["-q"]]:
        failed = subprocess.run([*command[:-1], *quiet, str(bad), "-o", str(tmp_path / "failed")],
                                capture_output=True, text=True, timeout=300, check=False)
        assert (failed.returncode, failed.stderr) == (1, f'Error: {bad}:2: "text" must be a string, got int\n')
        assert not (tmp_path / "failed").exists()

import gzip
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import zstandard
from click.testing import CliRunner
from conftest import make_sentence

import unrepeat.engine
from unrepeat import Config, __version__, clean
from unrepeat.cli import main
from unrepeat.engine import WorkerDied

DOUBLED = (
    "A long sentence with many words in it that repeats here. "
    "Another long sentence follows it right after that.\n\n"
)
TEXTS = [
    "First document.\n\nIt has   two paragraphs.",
    "",
    DOUBLED * 2,
    "Caf\u00e9 cr\u00e8me, \u201cquoted\u201d.\n",
    "Line one.\nLine one.\nLine two.",
]


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def run(*args: str, input: str | bytes | None = None):
    return CliRunner().invoke(main, list(args), input=input)


def records(n: int = 10) -> list[dict]:
    return [{"id": i, "text": TEXTS[i % len(TEXTS)], "meta": {"n": i}} for i in range(n)]


def write_jsonl(path: str, rows: list[dict]) -> None:
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    if path.endswith(".gz"):
        data = gzip.compress(data)
    elif path.endswith(".zst"):
        data = zstandard.ZstdCompressor().compress(data)
    Path(path).write_bytes(data)


def read_lines(path: str) -> list[dict]:
    data = Path(path).read_bytes()
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    elif path.endswith(".zst"):
        data = zstandard.ZstdDecompressor().decompressobj().decompress(data)
    return [json.loads(line) for line in data.decode().splitlines()]


def files(directory: str = ".") -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in Path(directory).rglob("*") if p.is_file())


# ------------------------------------------------------------------ group


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.output == f"unrepeat, version {__version__}\n"


def test_help_shows_the_commands_and_examples():
    result = run("--help")
    assert result.exit_code == 0
    assert "clean " in result.output and "verify " in result.output
    assert "unrepeat clean page.txt > clean.txt" in result.output
    result = run("clean", "--help")
    assert result.exit_code == 0
    assert "  unrepeat clean pages/ -o cleaned/ --report reports/\n" in result.output  # a \b paragraph keeps its lines
    assert "--on-error [fail|skip]" in result.output


# ------------------------------------------------------------- text input


def test_a_text_file_is_cleaned_to_stdout_with_a_summary_on_stderr():
    Path("a.txt").write_text(TEXTS[0], encoding="utf-8")
    result = run("clean", "a.txt")
    assert result.exit_code == 0
    expected = clean(TEXTS[0]).text
    assert result.stdout == expected
    summary = f"1 documents, {len(TEXTS[0])} bytes in, {len(expected.encode())} bytes out; removals: "
    assert result.stderr.startswith(summary)


def test_standard_input_is_the_default():
    result = run("clean", "--quiet", input=TEXTS[3])
    assert result.exit_code == 0
    assert result.stdout == clean(TEXTS[3]).text
    assert result.stderr == ""


def test_a_text_file_to_a_file_with_its_report():
    Path("a.txt").write_text(TEXTS[4], encoding="utf-8")
    options = ["--keep", "last", "--threshold", "5", "--collapse-short"]
    result = run("clean", "a.txt", "-o", "out.txt", "--report", "a.json", *options)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    config = Config(keep="last", threshold=5, collapse_short=True)
    expected = clean(TEXTS[4], config)
    assert Path("out.txt").read_text(encoding="utf-8") == expected.text
    assert json.loads(Path("a.json").read_text()) == expected.report("a.txt", config.as_dict())
    assert files() == ["a.json", "a.txt", "out.txt"]


def test_an_empty_document_gives_an_empty_output():
    Path("empty.txt").write_bytes(b"")
    result = run("clean", "empty.txt", "-o", "out.txt")
    assert result.exit_code == 0
    assert Path("out.txt").read_bytes() == b""


def test_an_output_directory_for_one_file_takes_its_name():
    Path("a.txt").write_text("Some text.", encoding="utf-8")
    os.mkdir("out")
    result = run("clean", "a.txt", "-o", "out", "--report", "out")
    assert result.exit_code == 0
    assert files("out") == ["a.txt", "a.txt.report.json"]


# ------------------------------------------------------------ JSONL input


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".jsonl.zst"])
def test_jsonl_round_trip(suffix):
    rows = records(12)
    write_jsonl("in" + suffix, rows)
    result = run("clean", "in" + suffix, "-o", "out" + suffix, "--report", "report.jsonl")
    assert result.exit_code == 0, result.output
    out = read_lines("out" + suffix)
    assert [list(r) for r in out] == [["id", "text", "meta"]] * len(rows)
    assert out == [{**r, "text": clean(r["text"]).text} for r in rows]
    reports = read_lines("report.jsonl")
    assert [(r["id"], r["line"]) for r in reports] == [(i, i + 1) for i in range(len(rows))]
    assert reports[0] == {**clean(rows[0]["text"]).report(0, Config().as_dict()), "line": 1}
    verified = run("verify", "in" + suffix, "report.jsonl", "out" + suffix)
    assert (verified.exit_code, verified.output) == (0, f"OK: {len(rows)} documents verified\n")


def test_jsonl_from_stdin_to_stdout_with_other_field_names():
    rows = [{"body": t, "key": f"k{i}"} for i, t in enumerate(TEXTS)]
    data = "".join(json.dumps(r) + "\n" for r in rows)
    result = run("clean", "-", "--format", "jsonl", "--text-field", "body", "--id-field", "key", "-q", input=data)
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert out == [{**r, "body": clean(r["body"]).text} for r in rows]


def test_jsonl_output_is_the_same_for_any_jobs():
    write_jsonl("in.jsonl", records(300))
    one = run("clean", "in.jsonl", "-o", "one.jsonl", "--report", "one.report.jsonl", "--jobs", "1")
    two = run("clean", "in.jsonl", "-o", "two.jsonl", "--report", "two.report.jsonl", "--jobs", "2")
    assert one.exit_code == two.exit_code == 0
    assert Path("one.jsonl").read_bytes() == Path("two.jsonl").read_bytes()
    assert Path("one.report.jsonl").read_bytes() == Path("two.report.jsonl").read_bytes()
    assert one.stderr == two.stderr


# -------------------------------------------------------------- directory


def make_tree() -> None:
    for name, text in [("pages/a.txt", TEXTS[0]), ("pages/sub/b.txt", TEXTS[2]), ("pages/sub/.draft.txt", "x"),
                       ("pages/notes.md", "x")]:
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        Path(name).write_text(text, encoding="utf-8")
    write_jsonl("pages/c.jsonl.gz", records(3))


def test_a_directory_is_mirrored_under_the_output_directory():
    make_tree()
    result = run("clean", "pages", "-o", "out", "--report", "reports")
    assert result.exit_code == 0, result.output
    assert files("out") == ["a.txt", "c.jsonl.gz", "sub/b.txt"]
    assert files("reports") == ["a.txt.report.json", "c.jsonl.gz.report.jsonl", "sub/b.txt.report.json"]
    assert Path("out/sub/b.txt").read_text(encoding="utf-8") == clean(TEXTS[2]).text
    assert result.stderr.startswith("5 documents, ")
    for name in ["a.txt", "sub/b.txt"]:
        verified = run("verify", f"pages/{name}", f"reports/{name}.report.json", f"out/{name}")
        assert verified.output == "OK: 1 documents verified\n"


def test_a_directory_gives_the_same_output_for_any_jobs():
    make_tree()
    assert run("clean", "pages", "-o", "one", "-j", "1").exit_code == 0
    assert run("clean", "pages", "-o", "two", "-j", "2").exit_code == 0
    assert files("one") == files("two")
    for name in files("one"):
        assert Path("one", name).read_bytes() == Path("two", name).read_bytes()


def test_several_inputs_need_an_output_directory():
    Path("a.txt").write_text("A.", encoding="utf-8")
    Path("b.txt").write_text("B.", encoding="utf-8")
    result = run("clean", "a.txt", "b.txt")
    assert result.exit_code == 2
    assert result.stderr.endswith("Error: several inputs or a directory need --output DIRECTORY\n")
    result = run("clean", "a.txt", "b.txt", "-o", "a.txt")
    assert result.exit_code == 2
    assert "Error: --output a.txt is a file; several inputs or a directory need a directory\n" in result.stderr
    assert run("clean", "a.txt", "b.txt", "-o", "out").exit_code == 0
    assert files("out") == ["a.txt", "b.txt"]


def test_an_output_never_overwrites_an_input():
    Path("a.txt").write_text("A.", encoding="utf-8")
    result = run("clean", "a.txt", "-o", "a.txt")
    assert result.exit_code == 2
    assert "Error: a.txt would overwrite the input a.txt\n" in result.stderr
    assert Path("a.txt").read_text() == "A."


# -------------------------------------------------------------- bad input


def test_a_missing_input_is_exit_1():
    result = run("clean", "missing.txt")
    assert (result.exit_code, result.stderr) == (1, "Error: missing.txt: no such file\n")


@pytest.mark.parametrize("data", [b"text\x00text", gzip.compress(b"hello", mtime=0)])
def test_a_binary_input_is_refused(data):
    Path("a.txt").write_bytes(data)
    result = run("clean", "a.txt", "-o", "out.txt")
    assert (result.exit_code, result.stderr) == (1, "Error: a.txt: looks like a binary file, not text\n")
    assert files() == ["a.txt"]


def test_invalid_utf8_is_replaced_counted_and_warned():
    Path("a.txt").write_bytes(b"Caf\xe9 au lait.\xff\n")
    result = run("clean", "a.txt", "-o", "out.txt", "--report", "a.json")
    assert result.exit_code == 0
    assert result.stderr.startswith("Warning: a.txt: 2 invalid UTF-8 sequences replaced with U+FFFD\n")
    assert "; invalid UTF-8 sequences replaced: 2" in result.stderr
    assert json.loads(Path("a.json").read_text())["invalid_utf8"] == 2
    assert "\ufffd" in Path("out.txt").read_text(encoding="utf-8")

    Path("b.jsonl").write_bytes(b'{"text": "fine"}\n{"text": "caf\xe9"}\n')
    result = run("clean", "b.jsonl", "-o", "out.jsonl", "--report", "b.report.jsonl")
    assert result.exit_code == 0
    assert result.stderr.startswith("Warning: b.jsonl:2: 1 invalid UTF-8 sequences replaced with U+FFFD\n")
    assert [r.get("invalid_utf8") for r in read_lines("b.report.jsonl")] == [None, 1]


BAD_LINES = [
    ('{"id": 1, "text": "ok"}\n{"id": 2, "text": "ok"\n',
     "Error: d.jsonl:2: invalid JSON: Expecting ',' delimiter (column 23)"),
    ('{"id": 1, "body": "x"}\n', 'Error: d.jsonl:1: no "text" field'),
    ('{"id": 1, "text": null}\n', 'Error: d.jsonl:1: "text" must be a string, got None'),
    ('["text"]\n', "Error: d.jsonl:1: expected a JSON object, got list"),
]


@pytest.mark.parametrize(("data", "message"), BAD_LINES)
def test_a_bad_record_stops_the_run_and_leaves_no_output(data, message):
    Path("d.jsonl").write_text(data, encoding="utf-8")
    Path("old.jsonl").write_text("old\n", encoding="utf-8")
    result = run("clean", "d.jsonl", "-o", "out.jsonl.gz", "--report", "report.jsonl")
    assert (result.exit_code, result.stderr) == (1, message + "\n")
    assert files() == ["d.jsonl", "old.jsonl"]
    result = run("clean", "d.jsonl", "-o", "old.jsonl")
    assert result.exit_code == 1
    assert Path("old.jsonl").read_text() == "old\n"
    assert files() == ["d.jsonl", "old.jsonl"]


def test_bad_records_can_be_skipped_and_are_reported():
    rows = [json.dumps(r) for r in records(4)]
    lines = [rows[0], '{"id": 9, "text": 5}', "{oops", rows[1], "", rows[2]]
    Path("d.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("clean", "d.jsonl", "-o", "out.jsonl", "--report", "report.jsonl", "--on-error", "skip")
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in read_lines("out.jsonl")] == [0, 1, 2]
    reports = read_lines("report.jsonl")
    assert reports[1] == {"id": 9, "error": '"text" must be a string, got int', "line": 2}
    assert reports[2]["id"] is None and reports[2]["line"] == 3 and reports[2]["error"].startswith("invalid JSON: ")
    assert [r["line"] for r in reports] == [1, 2, 3, 4, 6]
    assert 'Warning: d.jsonl:2: skipped: "text" must be a string, got int\n' in result.stderr
    assert result.stderr.splitlines()[-1].startswith("3 documents, ")
    assert result.stderr.splitlines()[-1].endswith("; skipped: 2 records with errors")
    verified = run("verify", "d.jsonl", "report.jsonl", "out.jsonl")
    assert (verified.exit_code, verified.output) == (0, "OK: 3 documents verified\n")


@pytest.mark.traceback_expected  # a bug in clean (RuntimeError) shows its traceback
@pytest.mark.parametrize("exception", [KeyboardInterrupt, RuntimeError])
def test_a_failure_midway_leaves_the_old_output_and_no_temporary_file(monkeypatch, exception):
    write_jsonl("in.jsonl", records(20))
    Path("out.jsonl").write_text("old\n")
    calls = []

    def failing_clean(texts, config=None):
        out = []
        for text in texts:
            calls.append(text)
            if text == records(20)[4]["text"]:
                raise exception("stop")
            out.append(clean(text, config))
        return out

    monkeypatch.setattr(unrepeat.engine, "clean_many", failing_clean)
    result = run("clean", "in.jsonl", "-o", "out.jsonl", "--report", "report.jsonl")
    assert result.exit_code == 1
    assert calls[-1] == records(20)[4]["text"]  # nothing after the failing document was cleaned
    assert Path("out.jsonl").read_text() == "old\n"
    assert files() == ["in.jsonl", "out.jsonl"]


def test_usage_errors_are_exit_2():
    Path("a.txt").write_text("A.", encoding="utf-8")
    for args, message in [
        (["--threshold", "65"], "Error: threshold must be between 0 and 64, got 65"),
        (["--scope", "site"], "Error: Invalid value for '--scope'"),
        (["--index", "seen.index"], "Error: --index needs --scope corpus"),
        (["--drop-duplicates"], "Error: --drop-duplicates needs --scope corpus"),
        (["--scope", "corpus", "--index", "a.txt"], "Error: the index a.txt would overwrite the input a.txt"),
        (["-o", "out.parquet"], "Error: --output out.parquet: only a Parquet input is written as Parquet"),
        (["--jobs", "0"], "Error: Invalid value for '-j' / '--jobs'"),
        (["--diff", "-o", "out.txt"], "Error: --diff only shows what would be removed"),
        (["--report", "-"], "Error: --report needs a file or directory path, not -"),
    ]:
        result = run("clean", "a.txt", *args)
        assert result.exit_code == 2, args
        assert message in result.stderr, args
    assert files() == ["a.txt"]


# ------------------------------------------------------ damaged compressed input

ROWS = records(300)
PLAIN = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ROWS).encode()


def flipped(data: bytes, at: int, length: int) -> bytes:
    return data[:at] + bytes(b ^ 0xFF for b in data[at : at + length]) + data[at + length :]


@pytest.mark.parametrize(("name", "data", "message"), [
    ("d.jsonl.gz", flipped(gzip.compress(PLAIN, mtime=0), 40, 30),
     "Error: d.jsonl.gz: damaged gzip data (invalid code -- missing end-of-block)"),
    ("t.jsonl.gz", gzip.compress(PLAIN, mtime=0)[:-100],
     "Error: t.jsonl.gz: truncated gzip data (the file ends inside the compressed stream)"),
    ("g.jsonl.gz", gzip.compress(PLAIN, mtime=0) + b"<html>",
     "Error: g.jsonl.gz: garbage after the gzip data"),
    ("t.jsonl.zst", zstandard.ZstdCompressor().compress(PLAIN)[:-100],
     "Error: t.jsonl.zst: truncated zstd data (the file ends inside a frame)"),
    ("g.jsonl.zst", zstandard.ZstdCompressor().compress(PLAIN) + b"<html>",
     "Error: g.jsonl.zst: garbage after the zstd data"),
])
def test_damaged_compressed_input_is_one_line_and_nothing_is_written(name, data, message):
    Path(name).write_bytes(data)
    result = run("clean", name, "-o", "out.jsonl", "--report", "report.jsonl")
    assert (result.exit_code, result.stderr) == (1, message + "\n")
    assert files() == [name]


# ------------------------------------------------------------ special files

needs_special_files = pytest.mark.skipif(not hasattr(os, "mkfifo") or not hasattr(socket, "AF_UNIX"),
                                         reason="POSIX special files")


@needs_special_files
def test_special_files_in_a_directory_are_skipped_with_a_warning():
    make_tree()
    Path("pages/dangling.txt").symlink_to("gone.txt")
    os.mkfifo("pages/fifo.txt")  # read, it would wait for a writer for ever
    Path("pages/sub/null.jsonl").symlink_to("/dev/null")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind("pages/socket.txt")
        result = run("clean", "pages", "-o", "out", "-q")
    assert result.exit_code == 0
    assert result.stderr == (
        "Warning: pages/dangling.txt: skipped: a broken symbolic link\n"
        "Warning: pages/fifo.txt: skipped: not a regular file (a named pipe)\n"
        "Warning: pages/socket.txt: skipped: not a regular file (a socket)\n"
        "Warning: pages/sub/null.jsonl: skipped: not a regular file (a character device)\n")
    assert files("out") == ["a.txt", "c.jsonl.gz", "sub/b.txt"]


@needs_special_files
def test_a_named_pipe_named_directly_is_refused_and_standard_input_still_works():
    os.mkfifo("fifo.txt")
    result = run("clean", "fifo.txt", "-o", "out.txt")
    assert (result.exit_code, result.stderr) == (
        1, "Error: fifo.txt: not a regular file (a named pipe); use - for standard input\n")
    Path("gone.txt").symlink_to("nowhere.txt")
    result = run("clean", "gone.txt")
    assert (result.exit_code, result.stderr) == (
        1, "Error: gone.txt: a broken symbolic link\n")
    assert run("clean", "-", "-q", input="From a pipe.").stdout == "From a pipe.\n"
    assert sorted(os.listdir()) == ["fifo.txt", "gone.txt"]


# ------------------------------------------------------------ --max-doc-bytes


def test_a_jsonl_line_over_max_doc_bytes_stops_the_run():
    Path("d.jsonl").write_text(json.dumps({"id": 1, "text": "Short."}) + "\n"
                               + json.dumps({"id": 2, "text": "x" * 200}) + "\n", encoding="utf-8")
    result = run("clean", "d.jsonl", "-o", "out.jsonl", "--max-doc-bytes", "100")
    assert (result.exit_code, result.stderr) == (
        1, "Error: d.jsonl:2: document is larger than --max-doc-bytes (100 bytes)\n")
    assert files() == ["d.jsonl"]


def test_a_document_over_max_doc_bytes_can_be_skipped_and_is_reported():
    megabyte_bomb = gzip.compress(b"a" * (1 << 20), mtime=0)  # 16 MiB in one line, 16 kB on disk
    Path("d.jsonl.gz").write_bytes(
        gzip.compress(b'{"id": 1, "text": "', mtime=0) + megabyte_bomb * 16
        + gzip.compress(b'"}\n{"id": 2, "text": "After the long line."}\n', mtime=0))
    result = run("clean", "d.jsonl.gz", "-o", "out.jsonl", "--report", "r.jsonl", "--max-doc-bytes", "1M",
                 "--on-error", "skip")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        "Warning: d.jsonl.gz:1: skipped: document is larger than --max-doc-bytes (1048576 bytes)\n")
    assert result.stderr.endswith("; skipped: 1 records with errors\n")
    assert read_lines("out.jsonl") == [{"id": 2, "text": "After the long line.\n"}]
    assert read_lines("r.jsonl")[0] == {"id": None, "error": "document is larger than --max-doc-bytes (1048576 bytes)",
                                        "line": 1}
    verified = run("verify", "d.jsonl.gz", "r.jsonl", "out.jsonl", "--max-doc-bytes", "1M")
    assert (verified.exit_code, verified.output) == (0, "OK: 1 documents verified\n")


def test_a_text_file_over_max_doc_bytes_is_refused_or_skipped_without_an_output_file():
    Path("big.txt").write_text("Words. " * 200, encoding="utf-8")  # 1400 bytes
    result = run("clean", "big.txt", "-o", "out.txt", "--max-doc-bytes", "1K")
    assert (result.exit_code, result.stderr) == (
        1, "Error: big.txt: document is larger than --max-doc-bytes (1024 bytes)\n")
    result = run("clean", "big.txt", "-o", "out.txt", "--report", "r.json", "--max-doc-bytes", "1K",
                 "--on-error", "skip")
    assert result.exit_code == 0
    assert result.stderr.startswith("Warning: big.txt: skipped: document is larger than --max-doc-bytes (1024 bytes)\n")
    assert json.loads(Path("r.json").read_text()) == {
        "id": "big.txt", "error": "document is larger than --max-doc-bytes (1024 bytes)"}
    assert files() == ["big.txt", "r.json"]


def test_a_parquet_text_over_max_doc_bytes_is_refused():
    pytest.importorskip("pyarrow")
    rows = parquet_rows(3)
    rows[1]["text"] = "\u00e9" * 60  # 60 characters, 120 bytes
    write_parquet("in.parquet", rows)
    result = run("clean", "in.parquet", "-o", "out.parquet", "--max-doc-bytes", "100")
    assert (result.exit_code, result.stderr) == (
        1, "Error: in.parquet:2: document is larger than --max-doc-bytes (100 bytes)\n")
    assert files() == ["in.parquet"]


@pytest.mark.parametrize(("args", "message"), [
    (["--max-doc-bytes", "12X"],
     "Error: Invalid value for '--max-doc-bytes': '12X' is not a size in bytes (for example 1000000, 64M or 1G)"),
    (["--max-doc-bytes", "0"],
     "Error: Invalid value for '--max-doc-bytes': '0' is not a size in bytes (for example 1000000, 64M or 1G)"),
    (["--engine", "dask", "-o", "parts", "--max-doc-bytes", "1G"], "Error: --max-doc-bytes is not used by --engine dask yet"),
])
def test_max_doc_bytes_usage_errors(args, message):
    Path("a.jsonl").write_text('{"text": "A."}\n')
    result = run("clean", "a.jsonl", *args)
    assert result.exit_code == 2
    assert result.stderr.endswith(message + "\n")


# -------------------------------------------------------------- ids, summary


def test_a_nan_id_verifies_as_itself():
    Path("d.jsonl").write_text('{"id": NaN, "text": "One.", "score": NaN}\n{"id": 2, "text": "Two."}\n')
    assert run("clean", "d.jsonl", "-o", "out.jsonl", "--report", "r.jsonl").exit_code == 0
    assert Path("out.jsonl").read_text().splitlines()[0] == '{"id": NaN, "text": "One.\\n", "score": NaN}'
    verified = run("verify", "d.jsonl", "r.jsonl", "out.jsonl")
    assert (verified.exit_code, verified.output) == (0, "OK: 2 documents verified\n")
    Path("r.jsonl").write_text(Path("r.jsonl").read_text().replace('"id": NaN', '"id": Infinity'))
    verified = run("verify", "d.jsonl", "r.jsonl", "out.jsonl")
    assert (verified.exit_code, verified.stderr) == (
        1, "Error: d.jsonl:1: the report line is for id inf, the record has id nan\n")


def test_bytes_in_counts_the_bytes_read():
    Path("a.txt").write_bytes(b"Caf\xe9 cr\xe8me.\n")  # 2 invalid bytes, each becomes a 3-byte U+FFFD
    result = run("clean", "a.txt", "-o", "out.txt")
    assert result.stderr.splitlines()[-1].startswith("1 documents, 12 bytes in, 16 bytes out;")  # was 16 in
    Path("d.jsonl").write_text('{"text": "caf\\u00e9", "long field": "' + "x" * 100 + '"}\n')
    result = run("clean", "d.jsonl", "-o", "out.jsonl")
    assert result.stderr.splitlines()[-1].startswith("1 documents, 5 bytes in, 6 bytes out;")  # the text field


# --------------------------------------------------- what a failed run leaves


def fail_on(monkeypatch, marker: str, exception: BaseException) -> None:
    def failing(texts, config=None):
        if any(marker in text for text in texts):
            raise exception
        return [clean(text, config) for text in texts]

    monkeypatch.setattr(unrepeat.engine, "clean_many", failing)


def test_a_dead_worker_says_which_outputs_were_written(monkeypatch):
    make_tree()
    Path("pages/sub/b.txt").write_text("The third input.")
    fail_on(monkeypatch, "third input", WorkerDied(-9))
    result = run("clean", "pages", "-o", "out")
    assert (result.exit_code, result.stderr) == (
        1, "Error: a worker process died (signal 9); only the outputs of the first 2 inputs were written\n")
    assert files("out") == ["a.txt", "c.jsonl.gz"]
    write_jsonl("in.jsonl", records(4) + [{"id": 4, "text": "Not the third input."}])
    result = run("clean", "in.jsonl")
    assert (result.exit_code, result.stderr) == (
        1, "Error: a worker process died (signal 9); standard output got only part of the output\n")
    assert len(result.stdout.splitlines()) == 4


def test_running_out_of_memory_is_one_line(monkeypatch):
    write_jsonl("in.jsonl", records(10))
    fail_on(monkeypatch, "Line one.", MemoryError())
    result = run("clean", "in.jsonl", "-o", "out.jsonl")
    assert (result.exit_code, result.stderr) == (
        1, "Error: out of memory (a lower --max-doc-bytes, or fewer --jobs, needs less)\n")
    assert files() == ["in.jsonl"]


def test_a_run_removes_the_temporary_files_killed_runs_left_for_its_outputs():
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True).stdout.strip()
    Path("a.txt").write_text("Text.", encoding="utf-8")
    stale = [f".out.txt.{dead}.0123abcd.tmp", f".a.json.{dead}.89abcdef.tmp"]
    kept = [f".out.txt.{os.getppid()}.0123abcd.tmp", f".other.txt.{dead}.0123abcd.tmp", ".out.txt.tmp"]
    for name in stale + kept:
        Path(name).write_text("partial")
    assert run("clean", "a.txt", "-o", "out.txt", "--report", "a.json").exit_code == 0
    assert sorted(os.listdir()) == sorted(["a.txt", "out.txt", "a.json", *kept])


# ------------------------------------------------------------------- diff


def test_diff_shows_the_normalized_text_and_writes_nothing():
    Path("a.txt").write_text(TEXTS[0], encoding="utf-8")
    result = run("clean", "a.txt", "--diff", "-q")
    assert result.exit_code == 0
    expected = clean(TEXTS[0])
    assert result.stdout.startswith("==> a.txt <==\n")
    assert result.stdout.replace("[-", "").replace("-]", "") == "==> a.txt <==\n" + expected.normalized
    assert files() == ["a.txt"]


# Depends on the real `clean`: the second copy of an obviously doubled
# document goes. Find these with `pytest -k real_clean`.
def test_real_clean_removes_the_second_copy_of_a_doubled_document():
    Path("a.txt").write_text(DOUBLED * 2, encoding="utf-8")
    result = run("clean", "a.txt", "-o", "out.txt", "--report", "a.json")
    assert result.exit_code == 0
    assert Path("out.txt").read_text() == DOUBLED.rstrip("\n") + "\n"
    assert "removals: none" not in result.stderr
    assert run("verify", "a.txt", "a.json", "out.txt").exit_code == 0
    diff = run("clean", "a.txt", "--diff").stdout
    assert diff.count("[-") == 1 and "\x1b[" not in diff
    coloured = run("clean", "a.txt", "--diff", "--color").stdout
    assert "\x1b[9m" in coloured and "\x1b[31m" in coloured and "[-" not in coloured


# ----------------------------------------------------------------- verify


def cleaned_text_file() -> None:
    Path("a.txt").write_text(TEXTS[4], encoding="utf-8")
    assert run("clean", "a.txt", "-o", "out.txt", "--report", "a.json").exit_code == 0


def test_verify_catches_a_changed_output():
    cleaned_text_file()
    text = Path("out.txt").read_text()
    Path("out.txt").write_text(text[:3] + "X" + text[4:])
    result = run("verify", "a.txt", "a.json", "out.txt")
    assert (result.exit_code, result.stderr) == (1, "Error: a.txt: out.txt differs from the replayed report at byte 3\n")


def test_verify_catches_a_tampered_report():
    cleaned_text_file()
    report = json.loads(Path("a.json").read_text())
    digest = report["normalized_sha256"]
    Path("a.json").write_text(json.dumps({**report, "normalized_sha256": "0" * 64}))
    result = run("verify", "a.txt", "a.json", "out.txt")
    assert (result.exit_code, result.stderr) == (
        1, f"Error: a.txt: the normalized text has sha256 {digest}, the report records {'0' * 64}\n")

    fake = {"reason": "stuttered_line", "start": 0, "end": 3, "input_start": 0, "input_end": 3, "text": "XYZ",
            "kept_start": 0, "kept_end": 0}
    Path("a.json").write_text(json.dumps({**report, "removals": [*report["removals"], fake]}))
    result = run("verify", "a.txt", "a.json", "out.txt")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: a.txt: the removals do not replay: removal span 0-3 ")

    del report["config"]
    Path("a.json").write_text(json.dumps(report))
    result = run("verify", "a.txt", "a.json", "out.txt")
    assert (result.exit_code, result.stderr) == (1, "Error: a.txt: the report records no config\n")


def test_verify_names_the_first_jsonl_record_that_differs():
    write_jsonl("in.jsonl", records(3))
    assert run("clean", "in.jsonl", "-o", "out.jsonl", "--report", "r.jsonl").exit_code == 0
    out = read_lines("out.jsonl")
    out[1]["meta"] = {"n": 99}
    Path("out.jsonl").write_text("".join(json.dumps(r) + "\n" for r in out))
    result = run("verify", "in.jsonl", "r.jsonl", "out.jsonl")
    assert (result.exit_code, result.stderr) == (
        1, "Error: in.jsonl:2 (id 1): out.jsonl:2 differs from the input record in its other fields or their order\n")

    Path("out.jsonl").write_text("".join(json.dumps(r) + "\n" for r in out[:1]))
    result = run("verify", "in.jsonl", "r.jsonl", "out.jsonl")
    assert (result.exit_code, result.stderr) == (1, "Error: in.jsonl:2 (id 1): out.jsonl has no record for it\n")


def test_verify_needs_files():
    result = run("verify", "a.txt", "a.json", "out.txt")
    assert (result.exit_code, result.stderr) == (1, "Error: a.txt: no such file\n")


# ------------------------------------------------------ progress, signals


SHORT_AND_LONG = [
    {"id": 1, "text": "Line one.\nLine one.\nLine two."},
    {"id": 2, "text": "Too short."},
    {"id": 3, "text": "It  has   spaces and a mojibake caf\u00c3\u00a9 here.\n"},
    {"id": 4, "text": 5},
]


def test_stats_hold_the_counts_of_the_summary_line_and_the_seconds_per_stage():
    write_jsonl("in.jsonl", SHORT_AND_LONG)
    result = run("clean", "in.jsonl", "-o", "out.jsonl", "--report", "r.jsonl", "--stats", "stats.json",
                 "--min-words", "3", "--on-error", "skip")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1] == (
        "3 documents, 85 bytes in, 62 bytes out; removals: stuttered_line 1; short documents left out: 1; "
        "skipped: 1 records with errors")
    stats = json.loads(Path("stats.json").read_text())
    seconds = stats.pop("seconds")
    reports = [r for r in read_lines("r.jsonl") if "error" not in r]
    fixes: dict[str, int] = {}
    for report in reports:
        for name, n in report["fixes"].items():
            fixes[name] = fixes.get(name, 0) + n
    assert fixes["fix_text.fix_encoding"] == 1  # the mojibake, once
    assert stats == {
        "documents": 3,
        "bytes_in": 29 + 10 + 46,  # "é" as mojibake is 4 bytes
        "bytes_out": len("Line one.\n\nLine two.\n") + len("It has spaces and a mojibake café here.\n".encode()),
        "removals": {"total": 1, "by_reason": {"stuttered_line": 1}, "by_rule": {"stutter": 1}},
        "fixes": dict(sorted(fixes.items())),
        "skipped": 1,
        "invalid_utf8": 0,
        "duplicates": 0,
        "dropped": {"duplicate": 0, "short": 1},
    }
    assert list(seconds) == ["read", "clean", "write", "total"]
    assert all(v >= 0 for v in seconds.values()) and seconds["total"] >= seconds["clean"]


def test_stats_count_the_index_stage_and_duplicates_left_out():
    footer = "Sign up for our daily newsletter to get the best stories every single morning.\n"
    write_jsonl("in.jsonl", [{"id": "a", "text": "A story about rivers.\n\n" + footer}, {"id": "b", "text": footer}])
    result = run("clean", "--scope", "corpus", "in.jsonl", "-o", "out.jsonl", "--index", "seen.index",
                 "--drop-duplicates", "--stats", "stats.json", "-q")
    assert (result.exit_code, result.stderr) == (0, "")
    stats = json.loads(Path("stats.json").read_text())
    assert (stats["duplicates"], stats["dropped"], stats["removals"]["by_rule"]) == (
        1, {"duplicate": 1, "short": 0}, {"corpus_sentence": 1})  # the footer is one long sentence
    assert list(stats["seconds"]) == ["index", "read", "clean", "write", "total"]


def test_min_words_leaves_out_short_documents_and_their_reports_say_so():
    write_jsonl("in.jsonl", SHORT_AND_LONG[:3])
    assert run("clean", "in.jsonl", "-o", "all.jsonl", "-q").exit_code == 0  # off by default
    assert [r["id"] for r in read_lines("all.jsonl")] == [1, 2, 3]
    result = run("clean", "in.jsonl", "-o", "out.jsonl", "--report", "r.jsonl", "--min-words", "3")
    assert result.exit_code == 0
    assert [r["id"] for r in read_lines("out.jsonl")] == [1, 3]
    assert [r.get("dropped") for r in read_lines("r.jsonl")] == [None, "short", None]
    assert run("verify", "in.jsonl", "r.jsonl", "out.jsonl").output == "OK: 3 documents verified\n"
    # "Line one. Line two." has 4 words left: kept at 4, left out at 5
    assert [r["id"] for r in map(json.loads, run("clean", "in.jsonl", "--min-words", "5", "-q").output.splitlines())] == [3]
    Path("short.txt").write_text("Hi there.\n")
    result = run("clean", "short.txt", "-o", "short.out.txt", "--report", "short.json", "--min-words", "3")
    assert result.stderr == "1 documents, 10 bytes in, 0 bytes out; removals: none; short documents left out: 1\n"
    assert not Path("short.out.txt").exists()  # a text input left out has no output file
    assert json.loads(Path("short.json").read_text())["dropped"] == "short"


def test_min_words_and_stats_are_checked():
    result = run("clean", "--min-words", "-1", "-")
    assert result.exit_code == 2 and "Invalid value for '--min-words': -1 is not in the range x>=0." in result.stderr
    for option in (["--min-words", "3"], ["--stats", "s.json"]):
        result = run("clean", "--engine", "dask", "in.jsonl", "-o", "out", *option)
        assert result.exit_code == 2 and f"Error: {option[0]} is not used by --engine dask yet" in result.stderr


def test_the_progress_bar_shows_bytes_documents_rate_and_eta_with_warnings_above_it(monkeypatch):
    clock = iter(range(1000))  # each reading of tqdm's clock is a second later
    monkeypatch.setattr("tqdm.std.time", lambda: next(clock) / 2)
    write_jsonl("in.jsonl", [{"id": i, "text": f"Doc {i}.\nSame line here.\nSame line here.\n"} for i in range(3)])
    with open("in.jsonl", "a") as file:
        file.write("not json\n")
    result = run("clean", "in.jsonl", "-o", "out.jsonl", "--progress", "--on-error", "skip")
    assert result.exit_code == 0
    bar = "\r 64%|██████▎   | 128/201 [00:02<00:00, 128B/s, 2 documents, 38.5% removed]"
    assert result.stderr == (
        bar
        + "\r 96%|█████████▌| 192/201 [00:03<00:00, 90.4B/s, 3 documents, 38.5% removed]"
        + "\r" + " " * 75 + "\r"  # erased for the warning ...
        + "Warning: in.jsonl:4: skipped: invalid JSON: Expecting value (column 1)\n"
        + "\r 96%|█████████▌| 192/201 [00:04<00:00, 90.4B/s, 3 documents, 38.5% removed]"  # ... and shown again
        + "\r" + " " * 75 + "\r"  # erased at the end
        + "3 documents, 117 bytes in, 72 bytes out; removals: stuttered_line 3; skipped: 1 records with errors\n")


def test_no_progress_bar_with_quiet_or_when_stderr_is_not_a_terminal(monkeypatch):
    clock = iter(range(1000))
    monkeypatch.setattr("tqdm.std.time", lambda: next(clock) * 10)
    write_jsonl("in.jsonl", records(5))
    assert run("clean", "in.jsonl", "-o", "out.jsonl", "--progress", "-q").stderr == ""
    assert run("clean", "in.jsonl", "-o", "out.jsonl").stderr.count("\r") == 0
    assert run("clean", "in.jsonl", "-o", "out.jsonl", "--no-progress").stderr.count("\r") == 0


@pytest.mark.parametrize(("signum", "exit_code"), [(signal.SIGTERM, 143), (signal.SIGINT, 1)])
def test_a_stopped_run_removes_its_temporary_file(signum, exit_code):
    Path("out.txt").write_text("old\n")
    command = [sys.executable, "-c", "from unrepeat.cli import main; main()", "clean", "-", "-o", "out.txt"]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60  # the output is open while the run waits for stdin (slow start under load)
        while len(files()) < 2 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        assert len(files()) == 2
        process.send_signal(signum)
        assert process.wait(timeout=30) == exit_code
        assert b"Traceback" not in process.stderr.read()
    finally:
        process.kill()
        process.stdin.close()
        process.stderr.close()
    assert files() == ["out.txt"]
    assert Path("out.txt").read_text() == "old\n"


# ---------------------------------------------------------------- Parquet


def parquet_table(rows: list[dict]):
    pa = pytest.importorskip("pyarrow")
    schema = pa.schema([("id", pa.int64()), ("text", pa.large_string()), ("score", pa.float32()),
                        ("tags", pa.list_(pa.string())), ("meta", pa.struct([("n", pa.int32())]))],
                       metadata={b"origin": b"crawl"})
    return pa.Table.from_pylist(rows, schema=schema)


def write_parquet(path: str, rows: list[dict], row_group_size: int = 4) -> None:
    import pyarrow.parquet as pq

    pq.write_table(parquet_table(rows), path, row_group_size=row_group_size, compression="zstd")


def parquet_rows(n: int) -> list[dict]:
    return [{"id": i, "text": TEXTS[i % len(TEXTS)], "score": i / 4, "tags": ["a"] * (i % 3), "meta": {"n": i}}
            for i in range(n)]


def test_parquet_round_trip_keeps_every_other_column_and_its_type():
    pq = pytest.importorskip("pyarrow.parquet")
    rows = parquet_rows(11)
    write_parquet("in.parquet", rows)
    result = run("clean", "in.parquet", "-o", "out.parquet", "--report", "report.jsonl")
    assert result.exit_code == 0, result.output
    table = pq.read_table("out.parquet")
    assert table.schema == parquet_table(rows).schema
    assert table.schema.metadata == {b"origin": b"crawl"}
    assert pq.ParquetFile("out.parquet").metadata.row_group(0).column(0).compression == "ZSTD"
    assert table.to_pylist() == [{**r, "text": clean(r["text"]).text} for r in rows]
    reports = read_lines("report.jsonl")
    assert [(r["id"], r["row"]) for r in reports] == [(i, i + 1) for i in range(len(rows))]
    verified = run("verify", "in.parquet", "report.jsonl", "out.parquet")
    assert (verified.exit_code, verified.output) == (0, f"OK: {len(rows)} documents verified\n")


def test_parquet_in_corpus_scope_drops_duplicates_and_skips_bad_rows():
    pq = pytest.importorskip("pyarrow.parquet")
    footer = "Sign up for our daily newsletter to get the most important stories in your inbox every morning."
    rows = parquet_rows(9)
    rng = random.Random(9)
    for i, row in enumerate(rows):
        row["text"] = footer if i in (3, 7) else f"{make_sentence(rng, i)}\n\n{footer}"
    rows[5]["text"] = None
    write_parquet("in.parquet", rows)
    result = run("clean", "--scope", "corpus", "--drop-duplicates", "--on-error", "skip", "in.parquet",
                 "-o", "out.parquet", "--report", "r.jsonl", "--jobs", "2")
    assert result.exit_code == 0, result.output
    out = pq.read_table("out.parquet").to_pylist()
    assert [r["id"] for r in out] == [0, 1, 2, 4, 6, 8]
    assert out[1] == {**rows[1], "text": rows[1]["text"].split("\n")[0] + "\n"}
    reports = read_lines("r.jsonl")
    assert reports[5] == {"id": 5, "error": '"text" must be a string, got None', "row": 6}
    assert [(r["id"], r["duplicate_of"], r["dropped"]) for r in reports if "dropped" in r] == [(3, "0", True), (7, "0", True)]
    assert "duplicates: 2 (2 left out); skipped: 1 records with errors" in result.stderr
    verified = run("verify", "in.parquet", "r.jsonl", "out.parquet")
    assert (verified.exit_code, verified.output) == (0, "OK: 8 documents verified\n")


def test_parquet_needs_a_parquet_output_file():
    pytest.importorskip("pyarrow")
    write_parquet("in.parquet", parquet_rows(2))
    for args in [[], ["-o", "out.jsonl"]]:
        result = run("clean", "in.parquet", *args)
        assert result.exit_code == 2
        assert "Error: the Parquet input in.parquet needs a .parquet output (--output FILE.parquet)\n" in result.stderr
    result = run("clean", "in.parquet", "--diff")  # the diff view shows Parquet records too
    assert result.exit_code == 0
    assert result.stdout.startswith("==> in.parquet:1 (id 0) <==\nFirst document.")


def test_a_file_named_parquet_that_is_not_is_exit_1():
    pytest.importorskip("pyarrow")
    Path("in.parquet").write_bytes(b"not parquet at all")
    result = run("clean", "in.parquet", "-o", "out.parquet")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: in.parquet: not a Parquet file: ")
    assert files() == ["in.parquet"]


def test_parquet_without_pyarrow_says_how_to_get_it(monkeypatch):
    Path("in.parquet").write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    result = run("clean", "in.parquet", "-o", "out.parquet")
    assert (result.exit_code, result.stderr) == (
        1, 'Error: reading in.parquet needs pyarrow: pip install "unrepeat[parquet]"\n')
    assert files() == ["in.parquet"]


# ------------------------------------------------------------ --engine dask


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--engine", "dask", "in.jsonl"], "--engine dask needs --output DIRECTORY for its part files"),
        (["--engine", "dask", "-", "-o", "out"], "--engine dask reads files or URLs, not standard input"),
        (["--engine", "dask", "in.jsonl", "-o", "out", "--diff"], "--diff runs here only; drop --engine dask"),
        (["--scheduler", "tcp://127.0.0.1:1", "in.jsonl"], "--scheduler needs --engine dask"),
    ],
)
def test_engine_usage_errors(args, message):
    write_jsonl("in.jsonl", records(2))
    result = run("clean", *args)
    assert result.exit_code == 2
    assert f"Error: {message}" in result.output


def test_engine_dask_parts_equal_the_local_output():
    pytest.importorskip("distributed")
    rows = records(12) + [{"id": "d", "text": "Same line here\nSame line here\nA sentence that is long enough to matter.\n"}]
    write_jsonl("in.jsonl", rows)
    local = run("clean", "in.jsonl", "-o", "local.jsonl", "--report", "local.report.jsonl", "-q")
    assert local.exit_code == 0, local.output
    distributed = run("clean", "--engine", "dask", "--jobs", "2", "in.jsonl", "-o", "parts", "--report", "reports")
    assert distributed.exit_code == 0, distributed.output
    assert "13 documents" in distributed.output
    joined = b"".join(gzip.decompress(p.read_bytes()) for p in sorted(Path("parts").glob("part-*.jsonl.gz")))
    assert joined == Path("local.jsonl").read_bytes()
    reports = b"".join(gzip.decompress(p.read_bytes()) for p in sorted(Path("reports").glob("part-*")))
    assert reports == Path("local.report.jsonl").read_bytes()

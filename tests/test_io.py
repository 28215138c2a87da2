import gzip
import io
import os
import sys
from pathlib import Path, PurePath

import pytest
import zstandard

from unrepeat.io import (
    AtomicFile,
    Format,
    InputError,
    OutputError,
    ParquetOutput,
    parquet_layout,
    read_parquet,
    read_records,
    compression,
    decode,
    find_inputs,
    format_of,
    read_bytes,
    read_jsonl,
    read_text,
)


def source(path: Path):
    (found,) = find_inputs([str(path)])
    return found


def write(path: Path, data: bytes) -> Path:
    with AtomicFile(path) as out:
        out.write(data)
    return path


@pytest.mark.parametrize(
    ("name", "format", "kind"),
    [
        ("a.txt", Format.TEXT, None),
        ("README", Format.TEXT, None),
        ("a.jsonl", Format.JSONL, None),
        ("dir.x/a.JSONL.GZ", Format.JSONL, "gz"),
        ("a.jsonl.zst", Format.JSONL, "zst"),
        ("a.txt.gz", Format.TEXT, "gz"),
        ("part-0.parquet", Format.PARQUET, None),
        ("part-0.PARQUET", Format.PARQUET, None),
    ],
)
def test_format_and_compression_follow_the_name(name, format, kind):
    assert format_of(name) is format
    assert compression(name) == kind


def test_decode_counts_only_the_replacements_it_inserts():
    assert decode("ok \ufffd".encode()) == ("ok \ufffd", 0)
    assert decode(b"\xff\xfe ab \xe2\x82") == ("\ufffd\ufffd ab \ufffd", 3)
    assert decode(b"") == ("", 0)


def test_a_directory_is_walked_in_sorted_order_taking_text_and_jsonl_files(tmp_path):
    for name in ["b.txt", "a/z.jsonl.gz", "a/c.txt", "notes.md", ".hidden.txt", ".git/x.txt", "c.jsonl"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    found = find_inputs([str(tmp_path)])
    assert [s.relative for s in found] == [PurePath(p) for p in ["a/c.txt", "a/z.jsonl.gz", "b.txt", "c.jsonl"]]
    assert [s.format for s in found] == [Format.TEXT, Format.JSONL, Format.TEXT, Format.JSONL]
    assert found[0].name == str(tmp_path / "a" / "c.txt")


def test_standard_input_is_text_unless_told(tmp_path):
    (stdin,) = find_inputs(["-"])
    assert (stdin.path, stdin.name, stdin.relative, stdin.format) == (None, "<stdin>", None, Format.TEXT)
    assert find_inputs(["-"], Format.JSONL)[0].format is Format.JSONL


def test_a_missing_input_is_named(tmp_path):
    (tmp_path / "a.txt").touch()
    with pytest.raises(InputError) as error:
        find_inputs([str(tmp_path / "a.txt"), str(tmp_path / "missing.txt")])
    assert str(error.value) == f"{tmp_path / 'missing.txt'}: no such file"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("nul.txt", b"text\x00more"),
        ("gzip.txt", gzip.compress(b"hello", mtime=0)),
        ("zstd.jsonl", zstandard.ZstdCompressor().compress(b"{}")),
    ],
)
def test_binary_input_is_refused(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError) as error:
        read_bytes(source(path))
    assert str(error.value) == f"{path}: looks like a binary file, not text"


def test_a_nul_byte_inside_compressed_text_is_refused_too(tmp_path):
    path = write(tmp_path / "a.jsonl.gz", b"{}\n\x00")
    with pytest.raises(InputError, match="looks like a binary file"):
        list(read_jsonl(source(path)))


def test_a_corrupt_compressed_file_is_an_input_error(tmp_path):
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"text": "x"}\n' * 1000)[:-20])
    with pytest.raises(InputError, match=r"a\.jsonl\.gz: cannot read: "):
        list(read_jsonl(source(path)))
    other = tmp_path / "b.jsonl.zst"
    other.write_bytes(b"not zstd at all")
    with pytest.raises(InputError, match=r"b\.jsonl\.zst: cannot read: "):
        list(read_jsonl(source(other)))


def test_invalid_utf8_is_replaced_and_counted(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"caf\xe9 \xef\xbf\xbd\n")
    assert read_text(source(path)) == ("caf\ufffd \ufffd\n", 1)


def test_jsonl_lines_are_parsed_one_at_a_time_with_their_numbers(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(
        b'\xef\xbb\xbf{"id": 1, "text": "a"}\r\n'
        b"\n"
        b'{"id": 2, "text": "caf\xe9"}\n'
        b"{broken\n"
        b"[1, 2]\n"
        b'{"id": 6}'
    )
    lines = list(read_jsonl(source(path)))
    assert [line.number for line in lines] == [1, 3, 4, 5, 6]
    assert lines[0].record == {"id": 1, "text": "a"}
    assert lines[1].record == {"id": 2, "text": "caf\ufffd"} and lines[1].invalid_utf8 == 1
    assert lines[2].record is None and lines[2].error.startswith("invalid JSON: ")
    assert lines[3].error == "expected a JSON object, got list"
    assert lines[4].record == {"id": 6}


def test_a_10_mb_line_without_a_newline_is_read(tmp_path):
    text = "word " * 2_000_000
    path = tmp_path / "big.jsonl"
    path.write_text('{"text": "' + text + '"}', encoding="utf-8")
    (line,) = read_jsonl(source(path))
    assert line.record == {"text": text}


def test_a_20_mb_document_is_read(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"Some sentence here.\n" * 1_000_000)
    text, invalid = read_text(source(path))
    assert len(text) == 20_000_000 and invalid == 0


def test_standard_input_is_read(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"text": "x"}\n')))
    (line,) = read_jsonl(find_inputs(["-"], Format.JSONL)[0])
    assert line.record == {"text": "x"}


@pytest.mark.parametrize("name", ["out.jsonl", "out.jsonl.gz", "out.jsonl.zst"])
def test_written_files_read_back_decompressed(tmp_path, name):
    data = b"".join(b'{"id": %d, "text": "line"}\n' % i for i in range(5000))
    path = write(tmp_path / name, data)
    assert read_bytes(source(path)) == data
    assert [line.record["id"] for line in read_jsonl(source(path))] == list(range(5000))


def test_gzip_output_is_deterministic(tmp_path):
    a = write(tmp_path / "a.txt.gz", b"same text\n").read_bytes()
    b = write(tmp_path / "sub" / "b.txt.gz", b"same text\n").read_bytes()
    assert a == b
    assert a[4:8] == b"\0\0\0\0"  # mtime 0, and no file name in the header
    assert gzip.decompress(a) == b"same text\n"


def test_an_atomic_file_appears_only_on_commit(tmp_path):
    path = tmp_path / "out.txt"
    out = AtomicFile(path)
    out.write(b"partial")
    assert not path.exists()
    out.commit()
    assert path.read_bytes() == b"partial"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_a_failure_leaves_the_old_file_and_no_temporary_file(tmp_path):
    path = tmp_path / "out.jsonl.gz"
    path.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), AtomicFile(path) as out:
        out.write(b"new data\n" * 1000)
        raise KeyboardInterrupt
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.jsonl.gz"]


def test_discard_after_commit_changes_nothing(tmp_path):
    path = write(tmp_path / "out.txt", b"kept")
    out = AtomicFile(tmp_path / "other.txt")
    out.commit()
    out.discard()
    assert path.read_bytes() == b"kept" and (tmp_path / "other.txt").read_bytes() == b""


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_output_is_an_output_error(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(OutputError, match=r"locked/out\.txt: cannot write: "):
        AtomicFile(locked / "out.txt")


# ---------------------------------------------------------------- Parquet


def test_parquet_is_read_in_batches_with_row_numbers(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    rows = [{"id": i, "text": f"row {i}"} for i in range(10)]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "a.parquet", row_group_size=3)
    batches = list(read_parquet(source(tmp_path / "a.parquet"), batch_rows=4))
    assert [(b.first, len(b.rows)) for b in batches] == [(1, 4), (5, 4), (9, 2)]
    assert [r for b in batches for r in b.rows] == rows
    assert [(line.number, line.record) for line in read_records(source(tmp_path / "a.parquet"))] == [
        (i + 1, r) for i, r in enumerate(rows)]


def test_a_parquet_output_appears_only_on_commit_with_the_input_layout(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    schema = pa.schema([("text", pa.string()), ("n", pa.int16())], metadata={b"k": b"v"})
    pq.write_table(pa.Table.from_pylist([{"text": "a", "n": 1}, {"text": "b", "n": 2}], schema=schema),
                   tmp_path / "in.parquet", compression="gzip")
    layout = parquet_layout(source(tmp_path / "in.parquet"))
    assert (layout.schema, layout.compression) == (schema, "gzip")
    (batch,) = read_parquet(source(tmp_path / "in.parquet"))
    out = ParquetOutput(tmp_path / "out.parquet", layout)
    out.write_batch(batch.table, "text", ["A", None])
    temp, _ = names = sorted(os.listdir(tmp_path))
    assert names[1] == "in.parquet" and temp.startswith(".out.parquet.") and temp.endswith(".tmp")
    out.commit()
    table = pq.read_table(tmp_path / "out.parquet")
    assert (table.schema, table.to_pylist()) == (schema, [{"text": "A", "n": 1}])
    failed = ParquetOutput(tmp_path / "failed.parquet", layout)
    failed.discard()
    assert sorted(os.listdir(tmp_path)) == ["in.parquet", "out.parquet"]


def test_a_file_that_is_not_parquet_is_an_input_error(tmp_path):
    pytest.importorskip("pyarrow")
    (tmp_path / "a.parquet").write_bytes(b"PAR1 but no more")
    with pytest.raises(InputError, match=r"a\.parquet: not a Parquet file: "):
        list(read_parquet(source(tmp_path / "a.parquet")))

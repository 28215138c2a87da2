import gzip
import io
import itertools
import os
import socket
import subprocess
import sys
from pathlib import Path, PurePath

import pytest
import zstandard

from unrepeat.io import (
    AtomicFile,
    Damaged,
    DocumentTooLarge,
    Format,
    InputError,
    JsonLine,
    OutputError,
    ParquetOutput,
    Source,
    ZstdFrames,
    compression,
    decode,
    find_inputs,
    format_of,
    parquet_layout,
    read_bytes,
    read_jsonl,
    read_parquet,
    read_range,
    read_records,
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


DATA = b"".join(b'{"id": %d, "text": "line number %d of the file"}\n' % (i, i) for i in range(3000))
GZ = gzip.compress(DATA, mtime=0)
ZST = zstandard.ZstdCompressor().compress(DATA)
ZST_CHECKED = zstandard.ZstdCompressor(write_checksum=True, write_content_size=False).compress(DATA)


def damage(data: bytes, at: int, length: int) -> bytes:
    return data[:at] + bytes(b ^ 0xFF for b in data[at : at + length]) + data[at + length :]


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        ("deflate.jsonl.gz", damage(GZ, 60, 40), "damaged gzip data (invalid distance too far back)"),
        ("crc.jsonl.gz", damage(GZ, len(GZ) - 8, 1), "damaged gzip data (CRC check failed 0x"),
        ("half.jsonl.gz", GZ[: len(GZ) // 2], "truncated gzip data (the file ends inside the compressed stream)"),
        ("tail.jsonl.gz", GZ[:-3], "truncated gzip data (the file ends inside the compressed stream)"),
        ("garbage.jsonl.gz", GZ + b"trailing garbage", "garbage after the gzip data"),
        ("plain.jsonl.gz", DATA, "not gzip data"),
        ("half.jsonl.zst", ZST[: len(ZST) // 2], "truncated zstd data (the file ends inside a frame)"),
        ("tail.jsonl.zst", ZST[:-1], "truncated zstd data (the file ends inside a frame)"),
        ("checksum.jsonl.zst", ZST_CHECKED[:-2], "truncated zstd data (the file ends inside a frame)"),
        ("header.jsonl.zst", ZST[:6], "truncated zstd data (the file ends inside a frame)"),
        ("second.jsonl.zst", ZST + ZST_CHECKED[:10], "truncated zstd data (the file ends inside a frame)"),
        ("garbage.jsonl.zst", ZST + b"trailing garbage", "garbage after the zstd data"),
        ("plain.jsonl.zst", DATA, "not zstd data"),
        ("bad-checksum.jsonl.zst", damage(ZST_CHECKED, len(ZST_CHECKED) - 1, 1), "damaged zstd data ("),
    ],
)
def test_damaged_compressed_data_is_one_input_error(tmp_path, name, data, problem):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError) as error:
        list(read_jsonl(source(path)))
    assert str(error.value).startswith(f"{path}: {problem}")
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("name", "data", "copies"),
    [
        ("members.jsonl.gz", GZ + GZ, 2),
        ("padded.jsonl.gz", GZ + b"\0" * 7, 1),  # zero padding after a member, as tape archives have
        ("frames.jsonl.zst", ZST + ZST_CHECKED, 2),
        ("skippable.jsonl.zst", b"\x5a\x2a\x4d\x18" + (5).to_bytes(4, "little") + b"skip!" + ZST, 1),
        ("empty.jsonl.zst", b"", 0),
        ("empty.jsonl.gz", b"", 0),
    ],
)
def test_whole_compressed_data_reads_to_its_end(tmp_path, name, data, copies):
    path = tmp_path / name
    path.write_bytes(data)
    assert read_bytes(source(path)) == DATA * copies


def test_a_zstd_frame_walk_reads_only_headers():
    frames = ZstdFrames(io.BytesIO(ZST + ZST_CHECKED))
    while frames.read(7):  # any read sizes: headers split across reads
        pass
    frames.finish()
    cut = ZstdFrames(io.BytesIO(ZST[:-1]))
    with pytest.raises(Damaged, match="truncated zstd data"):
        cut.finish()


# ---------------------------------------------------------------- special files


def special_files(directory: Path) -> None:
    """A directory with one good file and every kind of entry that is not a regular file."""
    directory.mkdir()
    (directory / "good.txt").write_text("Fine.")
    (directory / "dangling.txt").symlink_to(directory / "gone.txt")
    os.mkfifo(directory / "fifo.txt")
    (directory / "device.txt").symlink_to("/dev/null")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(directory / "socket.jsonl"))


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not hasattr(socket, "AF_UNIX"), reason="POSIX special files")
def test_special_files_in_a_directory_are_skipped_with_a_warning(tmp_path):
    special_files(tmp_path / "in")
    warnings: list[str] = []
    found = find_inputs([str(tmp_path / "in")], warn=warnings.append)
    assert [s.relative for s in found] == [PurePath("good.txt")]
    assert warnings == [f"{tmp_path / 'in' / name}: skipped: {problem}" for name, problem in [
        ("dangling.txt", "a broken symbolic link"),
        ("device.txt", "not a regular file (a character device)"),
        ("fifo.txt", "not a regular file (a named pipe)"),
        ("socket.jsonl", "not a regular file (a socket)"),
    ]]


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not hasattr(socket, "AF_UNIX"), reason="POSIX special files")
@pytest.mark.parametrize(("name", "problem"), [
    ("dangling.txt", "a broken symbolic link"),
    ("fifo.txt", "not a regular file (a named pipe); use - for standard input"),
    ("device.txt", "not a regular file (a character device); use - for standard input"),
    ("socket.jsonl", "not a regular file (a socket); use - for standard input"),
])
def test_special_files_named_directly_are_refused(tmp_path, name, problem):
    special_files(tmp_path / "in")
    with pytest.raises(InputError) as error:
        find_inputs([str(tmp_path / "in" / name)])
    assert str(error.value) == f"{tmp_path / 'in' / name}: {problem}"


# ---------------------------------------------------------------- bounded reading


def test_a_line_over_the_limit_comes_as_an_error_and_the_next_lines_are_read(tmp_path):
    path = tmp_path / "a.jsonl"
    ok = b'{"text": "%s"}' % (b"x" * 88)  # 100 bytes
    path.write_bytes(ok + b"\r\n" + ok + b"y\n" + b'{"text": "' + b"z" * 100_000 + b'"}\n' + ok)
    lines = list(read_jsonl(source(path), max_bytes=100))
    assert [(line.number, line.error, line.size) for line in lines] == [
        (1, None, 102),
        (2, "document is larger than --max-doc-bytes (100 bytes)", 102),
        (3, "document is larger than --max-doc-bytes (100 bytes)", 100_013),
        (4, None, 100),
    ]
    assert lines[0].record == lines[3].record == {"text": "x" * 88}


def test_a_text_over_the_limit_is_refused(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"x" * 1000)
    assert read_text(source(path), max_bytes=1000) == ("x" * 1000, 0)
    with pytest.raises(DocumentTooLarge) as error:
        read_text(source(path), max_bytes=999)
    assert str(error.value) == f"{path}: document is larger than --max-doc-bytes (999 bytes)"


def gzip_bomb(path: Path, line_mb: int) -> Path:
    """A JSONL gzip whose first line holds ``line_mb`` MiB, a few kB on disk (one member, repeated)."""
    megabyte = gzip.compress(b"a" * (1 << 20), mtime=0)
    path.write_bytes(gzip.compress(b'{"text": "', mtime=0) + megabyte * line_mb
                     + gzip.compress(b'"}\n{"id": 2, "text": "after the bomb"}\n', mtime=0))
    return path


def test_a_decompression_bomb_is_read_in_bounded_memory(tmp_path):
    path = gzip_bomb(tmp_path / "bomb.jsonl.gz", 256)
    assert path.stat().st_size < 300_000
    script = (
        "import resource, sys\n"
        "from unrepeat.io import find_inputs, read_jsonl\n"
        "(source,) = find_inputs([sys.argv[1]])\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "lines = [(line.number, line.error, line.size, line.record) for line in read_jsonl(source, 1 << 20)]\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(lines, (after - before) // 1024)\n"  # ru_maxrss is in KiB on Linux
    )
    out = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True).stdout
    lines, grown_mib = out.rsplit(" ", 1)
    assert lines == str([(1, "document is larger than --max-doc-bytes (1048576 bytes)", (256 << 20) + 13, None),
                         (2, None, 36, {"id": 2, "text": "after the bomb"})])
    assert int(grown_mib) < 64  # the line is 256 MiB


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


def test_a_device_as_output_is_written_to_not_replaced(tmp_path):
    """`-o /dev/null` discards the output; renaming a file over it would replace the device."""
    import stat as stat_

    from unrepeat.io import AtomicFile

    before = os.stat("/dev/null")
    assert stat_.S_ISCHR(before.st_mode)
    with AtomicFile(Path("/dev/null")) as out:
        out.write(b"gone\n")
    after = os.stat("/dev/null")
    assert stat_.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev


def test_ranges_of_a_file_read_as_the_whole_file_does(tmp_path):
    lines = [b'\xef\xbb\xbf{"text": "first", "id": 0}\r\n', b"\n", b'{"text": "caf\xe9"}\n', b"not json\n",
             b'{"text": "' + b"x" * 300 + b'"}\n', b"   \n", b'{"text": "last"}']
    data = b"".join(lines)
    path = tmp_path / "a.jsonl"
    path.write_bytes(data)
    whole = list(read_jsonl(Source(path, "a.jsonl", None, Format.JSONL), max_bytes=200))
    for cuts in ([], [1], [5, 40], [33, 34, 35], list(range(7, len(data), 7))):
        bounds = [0, *cuts, len(data)]
        got, before = [], 0
        for start, end in itertools.pairwise(bounds):
            with open(path, "rb") as raw:
                count, records = read_range(raw, "a.jsonl", None, start, end, max_bytes=200)
            got += [r._replace(number=r.number + before) for r in records]
            before += count
        assert got == whole, cuts
        assert before == len(lines)


def test_a_range_of_compressed_data_starts_at_its_start(tmp_path):
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"text": "a"}\n'))
    with open(path, "rb") as raw:
        assert read_range(raw, "a.jsonl.gz", "gz") == (1, [JsonLine(1, {"text": "a"}, None, 0, 14)])
    with open(path, "rb") as raw, pytest.raises(ValueError, match="read from its start"):
        read_range(raw, "a.jsonl.gz", "gz", 5)
    path.write_bytes(b"\0binary")
    with open(path, "rb") as raw, pytest.raises(InputError, match="looks like a binary file"):
        read_range(raw, "a.jsonl", None)

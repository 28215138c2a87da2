"""Reading and writing text, JSONL, Parquet and compressed files; atomic output.

Only this module and `cli` touch files. Inputs are decoded as UTF-8 with
invalid sequences replaced and counted; compression follows the file name
(``.gz``, ``.zst``); outputs are written under a temporary name beside the
target and renamed into place, so a failure never leaves a half-written file.
Parquet (``.parquet``) is read in record batches and written back with the
same schema; it needs pyarrow (``pip install "unrepeat[parquet]"``), which is
imported only when a Parquet file is read or written.

>>> decode(b"caf\\xc3\\xa9")
('café', 0)
>>> decode(b"caf\\xe9 \\xef\\xbf\\xbd")  # one invalid byte; a real U+FFFD is not counted
('caf� �', 1)
>>> format_of("crawl/part-0.jsonl.zst"), compression("crawl/part-0.jsonl.zst")
(<Format.JSONL: 'jsonl'>, 'zst')
>>> format_of("crawl/part-0.parquet")
<Format.PARQUET: 'parquet'>
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import secrets
import stat
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePath
from types import ModuleType
from typing import IO, TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar, cast

import zstandard

if TYPE_CHECKING:
    import pyarrow as pa

STDIN = "-"
"""The INPUT (and ``--output``) argument that means standard input (output)."""

_HEAD_BYTES = 8192  # looked at to tell text from binary
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_REPLACEMENT = "\ufffd"
_REPLACEMENT_UTF8 = _REPLACEMENT.encode()
BOM_UTF8 = b"\xef\xbb\xbf"
"""A UTF-8 byte order mark, dropped from the start of an input."""
_COMPRESSIONS = {".gz": "gz", ".zst": "zst"}
_FORMATS = {".txt": "text", ".jsonl": "jsonl", ".parquet": "parquet"}
_PARQUET_BATCH_ROWS = 1024  # rows per record batch read from a Parquet file
_PARQUET_CODECS = {"none", "snappy", "gzip", "brotli", "lz4", "zstd"}  # what a Parquet output can copy
_DECOMPRESSION_ERRORS = (zlib.error, EOFError, gzip.BadGzipFile, zstandard.ZstdError)
_TEMP_NAME = re.compile(r"\.(?P<name>.+)\.(?P<pid>[0-9]+)\.[0-9a-f]{8}\.tmp")

T = TypeVar("T")


class Format(StrEnum):
    """What an input holds: one document, one JSON record per line, or a table of records."""

    TEXT = "text"
    JSONL = "jsonl"
    PARQUET = "parquet"

    @property
    def has_records(self) -> bool:
        return self is not Format.TEXT


class FileError(Exception):
    """A file that cannot be read or written; ``str()`` is "NAME[:LINE]: problem"."""

    def __init__(self, name: str, problem: str, line: int | None = None) -> None:
        super().__init__(name, problem, line)
        self.name = name
        self.problem = problem
        self.line = line

    def __str__(self) -> str:
        where = self.name if self.line is None else f"{self.name}:{self.line}"
        return f"{where}: {self.problem}"


class InputError(FileError):
    """An input that is missing, unreadable, binary, or malformed."""


class OutputError(FileError):
    """An output that cannot be written."""


class DocumentTooLarge(InputError):
    """A document (a text file, a JSONL line) longer than the limit it is read with."""

    def __init__(self, name: str, max_bytes: int, line: int | None = None) -> None:
        super().__init__(name, too_large(max_bytes), line)


def too_large(max_bytes: int) -> str:
    """What is wrong with a document longer than ``max_bytes``.

    >>> too_large(1024)
    'document is larger than --max-doc-bytes (1024 bytes)'
    """
    return f"document is larger than --max-doc-bytes ({max_bytes} bytes)"


class MissingPyarrow(InputError):
    """A Parquet file, and no pyarrow to read or write it."""

    def __init__(self, name: str, verb: str = "reading") -> None:
        super().__init__(name, "needs pyarrow")
        self.verb = verb

    def __str__(self) -> str:
        return f'{self.verb} {self.name} needs pyarrow: pip install "unrepeat[parquet]"'


@dataclass(frozen=True)
class Source:
    """One input: a file, or standard input (``path`` None).

    ``name`` is how messages (and reports, for a text file) name it;
    ``relative`` is its place under an output directory (None for standard
    input).
    """

    path: Path | None
    name: str
    relative: PurePath | None
    format: Format

    @property
    def compression(self) -> str | None:
        return None if self.path is None else compression(self.path.name)


class JsonLine(NamedTuple):
    """One non-blank line of a JSONL input (or row of a Parquet input): a record, or why it is not one."""

    number: int  #: 1-based line number in the file (row number for Parquet)
    record: dict[str, object] | None
    error: str | None
    invalid_utf8: int  #: invalid UTF-8 sequences replaced with U+FFFD
    size: int = 0  #: bytes of the file it took, for progress


class ParquetBatch(NamedTuple):
    """A record batch of a Parquet input and its rows as Python values."""

    table: pa.RecordBatch
    first: int  #: the 1-based number of its first row in the file
    rows: list[dict[str, object]]


def compression(name: str) -> str | None:
    """``"gz"``, ``"zst"`` or None, from the file name."""
    return _COMPRESSIONS.get(PurePath(name).suffix.lower())


def format_of(name: str) -> Format:
    """JSONL for ``.jsonl`` (also compressed), Parquet for ``.parquet``, text for anything else."""
    suffix = _inner_suffix(name)
    if suffix == ".parquet" and not compression(name):
        return Format.PARQUET
    return Format.JSONL if suffix == ".jsonl" else Format.TEXT


def _inner_suffix(name: str) -> str:
    path = PurePath(name)
    if compression(name):
        path = PurePath(path.stem)
    return path.suffix.lower()


def find_inputs(args: Sequence[str], format: Format | None = None,
                warn: Callable[[str], None] | None = None) -> list[Source]:
    """The inputs the command line names, in order.

    A directory is walked recursively in sorted order, taking ``.txt``,
    ``.jsonl`` (also ``.gz``/``.zst``) and ``.parquet`` files and skipping
    hidden files and directories. What is there but is not a regular file
    (a broken symbolic link, a named pipe, a socket, a device) is skipped,
    and ``warn`` is told ("NAME: skipped: why"); named directly, it is an
    `InputError`. ``format`` overrides the format the file names imply;
    standard input is text unless ``format`` says otherwise.
    """
    sources: list[Source] = []
    for arg in args:
        if arg == STDIN:
            sources.append(Source(None, "<stdin>", None, format or Format.TEXT))
            continue
        path = Path(arg)
        if path.is_dir():
            for relative in _walk(path, warn or (lambda message: None)):
                name = str(path / relative)
                sources.append(Source(path / relative, name, relative, format or format_of(name)))
            continue
        problem = _not_a_file(path)
        if problem is not None:
            hint = "; use - for standard input" if problem.startswith("not a regular file") else ""
            raise InputError(arg, problem + hint)
        sources.append(Source(path, arg, PurePath(path.name), format or format_of(arg)))
    return sources


def _walk(root: Path, warn: Callable[[str], None]) -> list[PurePath]:
    def fail(exc: OSError) -> None:
        raise InputError(exc.filename or str(root), _os_problem(exc))

    found: list[PurePath] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=fail):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))  # warnings in a stable order
        base = PurePath(dirpath).relative_to(root)
        for name in sorted(filenames):
            suffix = _inner_suffix(name)
            if name.startswith(".") or suffix not in _FORMATS or (suffix == ".parquet" and compression(name)):
                continue
            problem = _not_a_file(Path(dirpath, name))
            if problem is None:
                found.append(base / name)
            else:
                warn(f"{Path(dirpath, name)}: skipped: {problem}")
    return sorted(found, key=lambda p: p.parts)


def _not_a_file(path: Path) -> str | None:
    """Why ``path`` cannot be read as an input file (None: it can be tried).

    Reading a named pipe would wait for a writer for ever, a device may never end."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "a broken symbolic link" if path.is_symlink() else "no such file"
    except OSError as exc:
        return _os_problem(exc)
    if stat.S_ISREG(mode):
        return None
    kinds = [(stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a directory")]
    kind = next((what for test, what in kinds if test(mode)), "a special file")
    return f"not a regular file ({kind})"


def decode(data: bytes) -> tuple[str, int]:
    """UTF-8 text, invalid sequences replaced with U+FFFD, and how many were replaced."""
    try:
        return data.decode("utf-8"), 0
    except UnicodeDecodeError:
        text = data.decode("utf-8", "replace")
        return text, text.count(_REPLACEMENT) - data.count(_REPLACEMENT_UTF8)


def read_bytes(source: Source, max_bytes: int | None = None) -> bytes:
    """The whole (decompressed) content of an input; `DocumentTooLarge` if it
    is longer than ``max_bytes``, found without reading more than that."""
    with open_input(source) as stream:
        data = _guarded(source.name, stream.read, -1 if max_bytes is None else max_bytes + 1)
    if max_bytes is not None and len(data) > max_bytes:
        raise DocumentTooLarge(source.name, max_bytes)
    return data


def read_text(source: Source, max_bytes: int | None = None) -> tuple[str, int]:
    """The whole text of an input, and the number of invalid UTF-8 sequences replaced (limit: as `read_bytes`)."""
    return decode(read_bytes(source, max_bytes))


def read_jsonl(source: Source, max_bytes: int | None = None) -> Iterator[JsonLine]:
    """The non-blank lines of a JSONL input, one at a time, parsed.

    A line that is not a JSON object comes out with ``record`` None and the
    problem in ``error``; the caller decides whether that is fatal. So does
    a line longer than ``max_bytes`` (without its line end), which is read
    in pieces and dropped, never held whole.
    """
    with open_input(source) as stream:
        yield from _records(_guarded_lines(source.name, _lines(stream, max_bytes)), max_bytes, bom=True)


def read_range(raw: IO[bytes], name: str, kind: str | None = None, start: int = 0, end: int | None = None,
               max_bytes: int | None = None) -> tuple[int, list[JsonLine]]:
    """The JSONL lines of an input (a binary file object ``raw``, named ``name``) that start at a byte in [start, end).

    For a Dask block: the lines are parsed as `read_jsonl` parses them and
    numbered from 1 within the range; the first number is the count of
    lines before ``start``, which the caller adds (a line belongs to the
    range in which it starts). Returns the number of lines in the range,
    blank ones included, and the records. A range at ``start`` 0 is opened
    with `open_stream` (decompressed as ``kind`` says, checked for binary
    data, a byte order mark dropped); a later range needs an uncompressed,
    seekable input, and skips the line in progress at ``start - 1``.

    >>> import io
    >>> data = b'{"text": "a"}\\n\\n{"text": "b"}\\n{"text": "c"}\\n'
    >>> read_range(io.BytesIO(data), "x.jsonl", end=15)
    (2, [JsonLine(number=1, record={'text': 'a'}, error=None, invalid_utf8=0, size=14)])
    >>> count, records = read_range(io.BytesIO(data), "x.jsonl", start=15)
    >>> count, [(r.number, r.record) for r in records]
    (2, [(1, {'text': 'b'}), (2, {'text': 'c'})])
    """
    if start == 0:
        with open_stream(raw, name, kind) as stream:
            return _range(stream, name, 0, end, max_bytes)
    if kind is not None:
        raise ValueError(f"{name}: compressed data is read from its start, not from byte {start}")
    with input_errors(name):
        raw.seek(start - 1)
        stream = io.BufferedReader(Prefixed(b"", raw), 1 << 16)
        position = start - 1 + len(stream.readline())  # the end of the line in progress at start - 1
    return _range(stream, name, position, end, max_bytes)


def _range(stream: IO[bytes], name: str, position: int, end: int | None,
           max_bytes: int | None) -> tuple[int, list[JsonLine]]:
    count = 0

    def taken(lines: Iterator[tuple[bytes | None, int]]) -> Iterator[tuple[bytes | None, int]]:
        nonlocal position, count
        while end is None or position < end:
            item = _guarded(name, next, lines, None)
            if item is None:
                return
            position += item[1]
            count += 1
            yield item

    records = list(_records(taken(_lines(stream, max_bytes)), max_bytes, bom=position == 0))
    return count, records


def _guarded_lines(name: str, lines: Iterator[T]) -> Iterator[T]:
    while (item := _guarded(name, next, lines, None)) is not None:
        yield item


def _records(lines: Iterable[tuple[bytes | None, int]], max_bytes: int | None, bom: bool) -> Iterator[JsonLine]:
    """The lines parsed, numbered from 1 (blank lines counted, not given); ``bom``: drop one from the first."""
    for number, (line, size) in enumerate(lines, 1):
        if line is None:
            yield JsonLine(number, None, too_large(max_bytes or 0), 0, size)
            continue
        if number == 1 and bom:
            line = line.removeprefix(BOM_UTF8)
        parsed = parse_line(line, number)
        if parsed is not None:
            yield parsed


def _lines(stream: IO[bytes], max_bytes: int | None) -> Iterator[tuple[bytes | None, int]]:
    """Each line and its size; None for a line longer than ``max_bytes``
    (its line end not counted), whose rest is read and dropped."""
    limit = -1 if max_bytes is None else max_bytes + 2  # room for "\r\n"
    while line := stream.readline(limit):
        if max_bytes is None or len(line.rstrip(b"\r\n")) <= max_bytes:
            yield line, len(line)
            continue
        size = len(line)
        while not line.endswith(b"\n") and (line := stream.readline(1 << 16)):
            size += len(line)
        yield None, size


def parse_line(line: bytes, number: int) -> JsonLine | None:
    """One JSONL line parsed; None for a blank line."""
    text, invalid = decode(line.rstrip(b"\r\n"))
    if not text.strip():
        return None
    size = len(line)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return JsonLine(number, None, f"invalid JSON: {exc.msg} (column {exc.colno})", invalid, size)
    except (ValueError, RecursionError) as exc:
        return JsonLine(number, None, f"invalid JSON: {exc}", invalid, size)
    if not isinstance(value, dict):
        return JsonLine(number, None, f"expected a JSON object, got {type(value).__name__}", invalid, size)
    return JsonLine(number, value, None, invalid, size)


def read_records(source: Source, max_bytes: int | None = None) -> Iterator[JsonLine]:
    """The records of a JSONL or Parquet input, one at a time (`read_jsonl`, `read_parquet`).

    ``max_bytes`` limits a JSONL line (see `read_jsonl`); Parquet rows are
    read whole, in batches, so callers check their texts.
    """
    if source.format is not Format.PARQUET:
        yield from read_jsonl(source, max_bytes)
        return
    for batch in read_parquet(source):
        for i, row in enumerate(batch.rows):
            yield JsonLine(batch.first + i, row, None, 0)


# ---------------------------------------------------------------- Parquet


def _pyarrow(name: str, verb: str = "reading") -> tuple[ModuleType, ModuleType]:
    """pyarrow and pyarrow.parquet, or `MissingPyarrow` naming the file."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise MissingPyarrow(name, verb) from None
    return pyarrow, pyarrow.parquet


def _parquet_file(source: Source) -> Any:
    if source.path is None:
        raise InputError(source.name, "Parquet cannot be read from standard input; give a file")
    pa, pq = _pyarrow(source.name)
    try:
        return pq.ParquetFile(source.path)
    except OSError as exc:
        raise InputError(source.name, _os_problem(exc) if exc.strerror else f"not a Parquet file: {exc}") from None
    except (pa.ArrowException, ValueError) as exc:
        raise InputError(source.name, f"not a Parquet file: {exc}") from None


def read_parquet(source: Source, batch_rows: int = _PARQUET_BATCH_ROWS) -> Iterator[ParquetBatch]:
    """The record batches of a Parquet input, one at a time, with their rows as Python values."""
    pa, _ = _pyarrow(source.name)
    file = _parquet_file(source)
    first = 1
    try:
        for table in file.iter_batches(batch_size=batch_rows):
            yield ParquetBatch(table, first, table.to_pylist())
            first += table.num_rows
    except (OSError, pa.ArrowException) as exc:
        raise InputError(source.name, f"cannot read: {exc}") from None
    finally:
        file.close()


class ParquetLayout(NamedTuple):
    """What a Parquet output copies from its input: the schema and the compression."""

    schema: pa.Schema
    compression: str


def parquet_layout(source: Source) -> ParquetLayout:
    """The schema and the compression codec (of the first column chunk) of a Parquet input."""
    file = _parquet_file(source)
    try:
        metadata = file.metadata
        codec = "snappy"
        if metadata.num_row_groups and metadata.num_columns:
            codec = metadata.row_group(0).column(0).compression.lower()
        codec = "none" if codec == "uncompressed" else codec if codec in _PARQUET_CODECS else "snappy"
        return ParquetLayout(file.schema_arrow, codec)
    finally:
        file.close()


class ParquetOutput:
    """A Parquet file written atomically like `AtomicFile`, batch by batch, with a given layout.

    `write_batch` writes an input batch again with new texts in one column
    and without the rows whose text is None; every other column, its type
    and the schema's metadata stay as they are.
    """

    def __init__(self, path: Path, layout: ParquetLayout) -> None:
        self.path = Path(path)
        self._pa, pq = _pyarrow(str(path), "writing")
        self._done = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._temp, fd = create_temp(self.path)
            os.close(fd)
            self._writer = pq.ParquetWriter(self._temp, layout.schema, compression=layout.compression)
        except (OSError, self._pa.ArrowException) as exc:
            self._unlink()
            raise OutputError(str(self.path), f"cannot write: {getattr(exc, 'strerror', None) or exc}") from None

    def write_batch(self, table: pa.RecordBatch, column: str, texts: Sequence[str | None]) -> None:
        pa = self._pa
        keep = [t is not None for t in texts]
        if not all(keep):
            table = table.filter(pa.array(keep, type=pa.bool_()))
        at = table.schema.get_field_index(column)
        columns = list(table.columns)
        columns[at] = pa.array([t for t in texts if t is not None], type=table.schema.field(at).type)
        try:
            self._writer.write_batch(pa.RecordBatch.from_arrays(columns, schema=table.schema))
        except OSError as exc:
            raise OutputError(str(self.path), f"cannot write: {exc.strerror or exc}") from None

    def write(self, data: bytes) -> None:
        raise TypeError("a Parquet output takes record batches (write_batch), not bytes")

    def commit(self) -> None:
        if self._done:
            return
        try:
            self._writer.close()
            os.replace(self._temp, self.path)
        except OSError as exc:
            self.discard()
            raise OutputError(str(self.path), f"cannot write: {exc.strerror or exc}") from None
        except BaseException:
            self.discard()
            raise
        self._done = True

    def discard(self) -> None:
        if self._done:
            return
        self._done = True
        with suppress(Exception):
            self._writer.close()
        self._unlink()

    def _unlink(self) -> None:
        with suppress(OSError, AttributeError):
            os.unlink(self._temp)


@contextmanager
def open_input(source: Source) -> Iterator[IO[bytes]]:
    """The decompressed bytes of an input, refused when they look binary (see `open_stream`)."""
    with ExitStack() as stack:
        if source.path is None:
            raw: IO[bytes] = sys.stdin.buffer
        else:
            try:
                raw = stack.enter_context(open(source.path, "rb"))
            except OSError as exc:
                raise InputError(source.name, _os_problem(exc)) from None
        yield stack.enter_context(open_stream(raw, source.name, source.compression))


@contextmanager
def open_stream(raw: IO[bytes], name: str, kind: str | None) -> Iterator[IO[bytes]]:
    """The decompressed bytes of ``raw`` (``kind``: "gz", "zst" or None), refused when they look binary.

    The one place where input is decompressed and checked, for every engine
    (a Dask block that starts a file opens it here too; one that starts
    later in an uncompressed file seeks to ``start - 1`` and drops the rest
    of the line there). Binary means a NUL byte in the first 8 KiB, or gzip
    / zstd data that ``kind`` does not say (an `InputError` naming ``name``).
    Compressed data that is damaged, truncated or followed by garbage raises
    `Damaged` when the reading reaches it: read inside `input_errors` to
    have it, and read errors, as an `InputError`. A UTF-8 byte order mark
    is left to the reader (`BOM_UTF8`).
    """
    with ExitStack() as stack:
        stream: IO[bytes] = raw if kind is None else cast(IO[bytes], stack.enter_context(Decompressed(raw, kind)))
        head = _guarded(name, _read_head, stream)
        if head.startswith((_GZIP_MAGIC, _ZSTD_MAGIC)) or b"\0" in head:
            raise InputError(name, "looks like a binary file, not text")
        yield io.BufferedReader(Prefixed(head, stream), 1 << 16)


class Damaged(Exception):
    """Compressed data that cannot be read to its end; ``str()`` says how."""


class Decompressed(io.RawIOBase):
    """The decompressed bytes of gzip (``kind`` "gz") or zstd ("zst") data.

    Every way the data can be wrong is a `Damaged` exception saying which:
    damaged, truncated (zstandard's reader takes a file that stops inside a
    frame for a shorter file: `ZstdFrames` walks the frames to tell), or
    followed by bytes that are not compressed data.
    """

    def __init__(self, raw: IO[bytes], kind: str) -> None:
        super().__init__()
        self._kind = kind
        self._produced = 0
        self._frames: ZstdFrames | None = None
        if kind == "gz":
            self._stream: IO[bytes] = cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))
        else:
            self._frames = ZstdFrames(raw)
            frames = cast(IO[bytes], self._frames)  # zstandard only calls its read()
            reader = zstandard.ZstdDecompressor().stream_reader(frames, read_across_frames=True, closefd=False)
            self._stream = cast(IO[bytes], reader)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        try:
            data = self._stream.read(len(buffer))
            if not data and self._frames is not None:
                self._frames.finish()
        except _DECOMPRESSION_ERRORS as exc:
            raise Damaged(self._problem(exc)) from None
        buffer[: len(data)] = data
        self._produced += len(data)
        return len(data)

    def _problem(self, exc: Exception) -> str:
        if isinstance(exc, EOFError):
            return "truncated gzip data (the file ends inside the compressed stream)"
        if isinstance(exc, gzip.BadGzipFile) and str(exc).startswith("Not a gzipped file"):
            return "garbage after the gzip data" if self._produced else "not gzip data"
        detail = str(exc).removeprefix("zstd decompress error: ")
        if isinstance(exc, zlib.error):
            detail = detail.partition(": ")[2] or detail  # "Error -3 while decompressing data: invalid block type"
        return f"damaged {'gzip' if self._kind == 'gz' else 'zstd'} data ({detail})"

    def close(self) -> None:
        if not self.closed:
            self._stream.close()
        super().close()


class ZstdFrames:
    """The compressed bytes of a zstd file (``read`` them), checked for where they end.

    Walks the frames as the bytes pass, reading only headers (the frame
    header, each block's 3-byte header with its size and last-block flag,
    the checksum) and skipping the block contents; zstandard decompresses
    them. Bytes that start no frame, or an end inside a frame, are `Damaged`.
    (RFC 8878, section 3.1.)
    """

    _MAGIC = b"\x28\xb5\x2f\xfd"
    _SKIPPABLE = b"\x2a\x4d\x18"  # a skippable frame's magic, after a first byte 0x50-0x5f

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._state = "magic"  # which header comes next
        self._need = 4  # ... its size
        self._head = b""  # ... and its bytes so far
        self._skip = 0  # content bytes to pass before it
        self._checksum = False  # whether the frame ends with a 4-byte checksum
        self._frames = 0  # frames seen to their end

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        if data:
            self._feed(memoryview(data))
        else:
            self._end()
        return data

    def finish(self) -> None:
        """Read what zstandard left unread, and check that the data ends where a frame does."""
        while self.read(1 << 16):
            pass

    def _end(self) -> None:
        if self._skip or self._head or self._state != "magic":
            raise Damaged("truncated zstd data (the file ends inside a frame)")

    def _feed(self, data: memoryview) -> None:
        at = 0
        while at < len(data):
            if self._skip:
                n = min(self._skip, len(data) - at)
                self._skip -= n
                at += n
                continue
            n = min(self._need - len(self._head), len(data) - at)
            self._head += data[at : at + n]
            at += n
            if len(self._head) == self._need:
                head, self._head = self._head, b""
                self._parse(head)

    def _parse(self, head: bytes) -> None:
        state = self._state
        if state == "magic":
            if head == self._MAGIC:
                self._state, self._need = "descriptor", 1
            elif 0x50 <= head[0] <= 0x5F and head[1:] == self._SKIPPABLE:
                self._state, self._need = "skippable size", 4
            else:
                raise Damaged("garbage after the zstd data" if self._frames else "not zstd data")
        elif state == "descriptor":
            flags = head[0]
            single_segment, self._checksum = bool(flags & 0x20), bool(flags & 0x04)
            window = 0 if single_segment else 1
            dictionary = (0, 1, 2, 4)[flags & 0x03]
            content_size = (1 if single_segment else 0, 2, 4, 8)[flags >> 6]
            self._state, self._need = "rest of header", window + dictionary + content_size
            if self._need == 0:
                self._state, self._need = "block", 3
        elif state == "rest of header":
            self._state, self._need = "block", 3
        elif state == "block":
            header = int.from_bytes(head, "little")
            last, kind, size = header & 1, (header >> 1) & 3, header >> 3
            self._skip = 1 if kind == 1 else size  # an RLE block holds one byte
            if not last:
                self._state, self._need = "block", 3
            elif self._checksum:
                self._state, self._need = "checksum", 4
            else:
                self._frame_done()
        elif state == "checksum":
            self._frame_done()
        else:  # "skippable size"
            self._skip = int.from_bytes(head, "little")
            self._frame_done()

    def _frame_done(self) -> None:
        self._frames += 1
        self._state, self._need = "magic", 4


def _read_head(stream: IO[bytes]) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < _HEAD_BYTES and (chunk := stream.read(_HEAD_BYTES - size)):
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


@contextmanager
def input_errors(name: str) -> Iterator[None]:
    """Read and decompression errors inside as `InputError` naming ``name``."""
    try:
        yield
    except Damaged as exc:
        raise InputError(name, str(exc)) from None
    except OSError as exc:
        raise InputError(name, _os_problem(exc)) from None


def _guarded(name: str, read: Callable[..., T], *args: object) -> T:
    """``read(*args)``, with read and decompression errors as `InputError` naming ``name``."""
    try:
        return read(*args)
    except Damaged as exc:
        raise InputError(name, str(exc)) from None
    except OSError as exc:
        raise InputError(name, _os_problem(exc)) from None


def _os_problem(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return f"cannot read: {exc.strerror or exc}"


class Prefixed(io.RawIOBase):
    """Bytes already read, then the rest of a stream (for `io.BufferedReader`)."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._rest = rest
        # what is there now, not a full buffer: a pipe's records go on as they come
        self._read = getattr(rest, "read1", rest.read)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class Output(Protocol):
    """Where bytes go: `commit` keeps them, `discard` drops what can be dropped."""

    def write(self, data: bytes) -> None: ...

    def commit(self) -> None: ...

    def discard(self) -> None: ...


def open_output(path: Path | None) -> Output:
    """An atomic file at ``path``, or standard output for None."""
    return StdoutOutput() if path is None else AtomicFile(path)


class StdoutOutput:
    """Standard output; nothing written to it can be taken back."""

    def __init__(self) -> None:
        self._stream = sys.stdout.buffer

    def write(self, data: bytes) -> None:
        self._stream.write(data)

    def commit(self) -> None:
        self._stream.flush()

    def discard(self) -> None:
        with suppress(OSError, ValueError):
            self._stream.flush()


class AtomicFile:
    """A file written under a temporary name beside ``path`` and renamed over it.

    The content is compressed as the name says (``.gz`` with mtime 0, so the
    bytes are deterministic; ``.zst``). `commit` renames the temporary file to
    ``path``; `discard` (or an exception inside ``with``) removes it and leaves
    ``path`` as it was. Missing parent directories are created. A ``path``
    that is a device or a pipe (``-o /dev/null``) is written as it is, never
    renamed over.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._done = False
        self._temp: Path | None = None
        try:
            if _is_special(self.path):
                fd = os.open(self.path, os.O_WRONLY)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._temp, fd = create_temp(self.path)
        except OSError as exc:
            raise OutputError(str(self.path), f"cannot write: {exc.strerror or exc}") from None
        self._file = os.fdopen(fd, "wb")
        self._stream = _compressing(self._file, compression(self.path.name))

    def write(self, data: bytes) -> None:
        try:
            self._stream.write(data)
        except OSError as exc:
            raise OutputError(str(self.path), f"cannot write: {exc.strerror or exc}") from None

    def commit(self) -> None:
        if self._done:
            return
        try:
            self._close()
            if self._temp is not None:
                os.replace(self._temp, self.path)
        except OSError as exc:
            self.discard()
            raise OutputError(str(self.path), f"cannot write: {exc.strerror or exc}") from None
        except BaseException:
            self.discard()
            raise
        self._done = True

    def discard(self) -> None:
        if self._done:
            return
        self._done = True
        with suppress(Exception):
            self._close()
        if self._temp is not None:
            with suppress(OSError):
                os.unlink(self._temp)

    def _close(self) -> None:
        try:
            if self._stream is not self._file:
                self._stream.close()
        finally:
            self._file.close()

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


def _is_special(path: Path) -> bool:
    """Is ``path`` something that exists and is neither a regular file nor a directory (a device, a pipe)?"""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def create_temp(path: Path) -> tuple[Path, int]:
    """A new temporary file beside ``path`` and its descriptor, open for writing.

    It is hidden and named ``.NAME.PID.RANDOM.tmp``: the process id says
    whose it is, so that `remove_stale_temps` can tell one a killed process
    left behind.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            return temp, os.open(temp, flags, 0o666)  # the umask applies, as for any new file
        except FileExistsError:
            continue


def remove_stale_temps(paths: Iterable[Path]) -> list[Path]:
    """Remove the temporary files of ``paths`` that processes no longer
    running left (killed with SIGKILL, or the machine stopped); return them.

    Only files named as `create_temp` names them for one of ``paths`` are
    looked at, one directory listing per directory. Where it cannot be asked
    whether a process runs (not POSIX), nothing is removed.
    """
    wanted: dict[Path, set[str]] = {}
    for path in paths:
        wanted.setdefault(Path(path).parent, set()).add(Path(path).name)
    removed: list[Path] = []
    for directory, names in wanted.items():
        try:
            entries = os.listdir(directory)
        except OSError:
            continue
        for entry in entries:
            match = _TEMP_NAME.fullmatch(entry)
            if match and match["name"] in names and not _running(int(match["pid"])):
                with suppress(OSError):  # gone already, or not ours to remove: leave it
                    os.unlink(directory / entry)
                    removed.append(directory / entry)
    return removed


def _running(pid: int) -> bool:
    if os.name != "posix" or pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process is there
    except ProcessLookupError:
        return False
    except (OverflowError, ValueError):
        return False  # no process can have that id
    except OSError:
        return True  # there, but another user's
    return True


def _compressing(file: IO[bytes], kind: str | None) -> IO[bytes]:
    if kind == "gz":
        return cast(IO[bytes], gzip.GzipFile(filename="", mode="wb", fileobj=file, compresslevel=6, mtime=0))
    if kind == "zst":
        return zstandard.ZstdCompressor(level=3).stream_writer(file, closefd=False)
    return file


def json_bytes(value: object, indent: int | None = None) -> bytes:
    """JSON as UTF-8 with a final newline, key order kept.

    A lone surrogate (from a ``\\ud800`` escape in the input) cannot be
    UTF-8: such a value is written with ASCII escapes instead.

    >>> json_bytes({"text": "é", "n": 1})
    b'{"text": "\\xc3\\xa9", "n": 1}\\n'
    >>> json_bytes({"text": "\\ud800"})
    b'{"text": "\\\\ud800"}\\n'
    """
    try:
        return (json.dumps(value, ensure_ascii=False, indent=indent) + "\n").encode("utf-8")
    except UnicodeEncodeError:
        return (json.dumps(value, indent=indent) + "\n").encode("ascii")

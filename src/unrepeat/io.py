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
import secrets
import sys
from collections.abc import Callable, Iterator, Sequence
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
_BOM_UTF8 = b"\xef\xbb\xbf"
_COMPRESSIONS = {".gz": "gz", ".zst": "zst"}
_FORMATS = {".txt": "text", ".jsonl": "jsonl", ".parquet": "parquet"}
_PARQUET_BATCH_ROWS = 1024  # rows per record batch read from a Parquet file
_PARQUET_CODECS = {"none", "snappy", "gzip", "brotli", "lz4", "zstd"}  # what a Parquet output can copy
_READ_ERRORS = (OSError, EOFError, zstandard.ZstdError)

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


def find_inputs(args: Sequence[str], format: Format | None = None) -> list[Source]:
    """The inputs the command line names, in order.

    A directory is walked recursively in sorted order, taking ``.txt``,
    ``.jsonl`` (also ``.gz``/``.zst``) and ``.parquet`` files and skipping
    hidden files and directories. ``format`` overrides the format the file names imply;
    standard input is text unless ``format`` says otherwise.
    """
    sources: list[Source] = []
    for arg in args:
        if arg == STDIN:
            sources.append(Source(None, "<stdin>", None, format or Format.TEXT))
            continue
        path = Path(arg)
        if path.is_dir():
            for relative in _walk(path):
                name = str(path / relative)
                sources.append(Source(path / relative, name, relative, format or format_of(name)))
        elif path.exists():
            sources.append(Source(path, arg, PurePath(path.name), format or format_of(arg)))
        else:
            raise InputError(arg, "no such file")
    return sources


def _walk(root: Path) -> list[PurePath]:
    def fail(exc: OSError) -> None:
        raise InputError(exc.filename or str(root), _os_problem(exc))

    found: list[PurePath] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=fail):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        base = PurePath(dirpath).relative_to(root)
        found += [base / f for f in filenames if not f.startswith(".") and _inner_suffix(f) in _FORMATS
                  and (_inner_suffix(f) != ".parquet" or not compression(f))]
    return sorted(found, key=lambda p: p.parts)


def decode(data: bytes) -> tuple[str, int]:
    """UTF-8 text, invalid sequences replaced with U+FFFD, and how many were replaced."""
    try:
        return data.decode("utf-8"), 0
    except UnicodeDecodeError:
        text = data.decode("utf-8", "replace")
        return text, text.count(_REPLACEMENT) - data.count(_REPLACEMENT_UTF8)


def read_bytes(source: Source) -> bytes:
    """The whole (decompressed) content of an input."""
    with open_input(source) as stream:
        return _guarded(source, stream.read)


def read_text(source: Source) -> tuple[str, int]:
    """The whole text of an input, and the number of invalid UTF-8 sequences replaced."""
    return decode(read_bytes(source))


def read_jsonl(source: Source) -> Iterator[JsonLine]:
    """The non-blank lines of a JSONL input, one at a time, parsed.

    A line that is not a JSON object comes out with ``record`` None and the
    problem in ``error``; the caller decides whether that is fatal.
    """
    with open_input(source) as stream:
        number = 0
        while line := _guarded(source, stream.readline):
            number += 1
            if number == 1:
                line = line.removeprefix(_BOM_UTF8)
            parsed = parse_line(line, number)
            if parsed is not None:
                yield parsed


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


def read_records(source: Source) -> Iterator[JsonLine]:
    """The records of a JSONL or Parquet input, one at a time (`read_jsonl`, `read_parquet`)."""
    if source.format is not Format.PARQUET:
        yield from read_jsonl(source)
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
            self._temp, fd = _create_temp(self.path)
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
    """The decompressed bytes of an input, refused when they look binary.

    Binary means a NUL byte in the first 8 KiB, or gzip / zstd data in a
    file whose name does not say so.
    """
    with ExitStack() as stack:
        if source.path is None:
            raw: IO[bytes] = sys.stdin.buffer
        else:
            try:
                raw = stack.enter_context(open(source.path, "rb"))
            except OSError as exc:
                raise InputError(source.name, _os_problem(exc)) from None
        kind = source.compression
        stream = raw if kind is None else stack.enter_context(_decompressing(raw, kind))
        head = _guarded(source, _read_head, stream)
        if head.startswith((_GZIP_MAGIC, _ZSTD_MAGIC)) or b"\0" in head:
            raise InputError(source.name, "looks like a binary file, not text")
        yield io.BufferedReader(Prefixed(head, stream), 1 << 16)


def _decompressing(raw: IO[bytes], kind: str) -> IO[bytes]:
    if kind == "gz":
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))
    return zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True, closefd=False)


def _read_head(stream: IO[bytes]) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < _HEAD_BYTES and (chunk := stream.read(_HEAD_BYTES - size)):
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _guarded(source: Source, read: Callable[..., T], *args: object) -> T:
    """``read(*args)``, with read and decompression errors as `InputError`."""
    try:
        return read(*args)
    except _READ_ERRORS as exc:
        problem = _os_problem(exc) if isinstance(exc, OSError) and exc.strerror else f"cannot read: {exc}"
        raise InputError(source.name, problem) from None


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

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
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
    ``path`` as it was. Missing parent directories are created.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._done = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._temp, fd = _create_temp(self.path)
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


def _create_temp(path: Path) -> tuple[Path, int]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return temp, os.open(temp, flags, 0o666)  # the umask applies, as for any new file
        except FileExistsError:
            continue


def _compressing(file: IO[bytes], kind: str | None) -> IO[bytes]:
    if kind == "gz":
        return cast(IO[bytes], gzip.GzipFile(filename="", mode="wb", fileobj=file, compresslevel=6, mtime=0))
    if kind == "zst":
        return zstandard.ZstdCompressor(level=3).stream_writer(file, closefd=False)  # type: ignore[return-value]
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

"""The Dask engine: clean JSONL corpora on a Dask cluster, byte for byte as the local engine does.

`run` is what ``unrepeat clean --engine dask`` calls: it reads JSONL files
(local paths, globs, or fsspec URLs such as ``s3://bucket/crawl/*.jsonl.gz``)
in blocks, cleans them on the workers of a ``LocalCluster`` it starts or of a
running scheduler, and writes ``part-00000.jsonl.gz``, ``part-00001.jsonl.gz``
... (and the report in parts of the same names under ``report_dir``). The
decompressed parts, concatenated in numeric order, are the local engine's
output of the same inputs and options, byte for byte; the reports likewise.
`clean` is the entry point for a Dask collection already at hand (a bag of
dicts or a DataFrame): it returns the cleaned collection and the reports.

How the work is split:

- Blocks: an uncompressed file is cut into byte ranges of ``block_size``; a
  line belongs to the block in which it starts. A compressed file (``.gz``,
  ``.zst``) is one block. Blocks are numbered in input order (file order,
  then byte order), and so are the output parts, one per block. A block knows
  its line numbers (for the report's ``"line"`` and the ``FILE:LINE`` name of
  a record without an id) from a chain of tiny tasks adding up the lines of
  the blocks before it in the same file, so no file is read twice.
- Document scope: a map over blocks; each block is read, cleaned and
  written by the worker that holds it.
- Corpus scope, in three steps:

  1. Every block is read and prepared (`unrepeat.corpus.prepare`:
     normalization, segmentation, collapse within the document,
     fingerprints; about 90 % of the work) on the worker that reads it; the
     prepared documents stay there, pickled, with their sketches (key
     hashes, simhashes, spans: a few numbers per sentence).
  2. The decisions against earlier documents are made in waves
     (`unrepeat.waves`): the sentence keys of every document are shuffled to
     key partitions, one per worker thread, which find for each occurrence
     the earlier document holding the first kept copy (its holder) once the
     documents before it are decided; a document whose keys are all
     resolved is decided on its block's worker against an index of its
     holders only, whose sketches travel to it. What it keeps goes back to
     the key partitions, which resolve the next occurrences. Each wave
     decides every document that is ready, in all blocks at once. The
     verdicts are those of the local engine's fold (`CorpusCleaner`), in any
     split, and no worker holds the whole index.
  3. Every block applies its verdicts and writes its part (the "second
     pass" over the documents).

  A wave costs a round of small tasks and a look at the plans by this
  process. Chains of documents each waiting for the one before would cost
  a wave each, so once the waves stop growing and decide fewer than
  `FOLD_BELOW_PER_SHARD` documents per shard, the rest is decided in one
  task, in input order (`unrepeat.waves.finish_rest`). Shards and key
  partitions stay on the worker that built them. A `CorpusIndex` saved by an earlier run
  (``index_path``) is loaded once per worker process and put in front of
  every holder index; the new one is replayed from what each document kept
  and saved at the end, identical to the local engine's.

`clean`, on a Dask collection, must stay lazy, and waves need a look at each
wave's results before the next is sent, so there the corpus decisions are
the fold itself: a chain of tasks through the partitions in order.

Writing is atomic per job: parts go to a hidden temporary directory beside
the output (``.unrepeat-XXXXXXXX``) and are renamed into place only once
every part succeeded; a failed job leaves no final part files (on an object
store a rename is a copy, so the parts appear one after another once the job
has succeeded). Parts of an earlier run that the new run does not replace
are then removed.

The module imports without dask; its functions need ``pip install
"unrepeat[dask]"`` (dask and distributed).

>>> import dask.bag as db
>>> footer = "Sign up for our daily newsletter to get the best stories every single morning."
>>> rows = [{"id": "a", "text": "A story about rivers.\\n\\n" + footer}, {"id": "b", "text": footer}]
>>> cleaned, reports = clean(db.from_sequence(rows, npartitions=2), scope="corpus")
>>> [r["text"] for r in cleaned.compute(scheduler="sync")]
['A story about rivers.\\n\\nSign up for our daily newsletter to get the best stories every single morning.\\n', '']
>>> [r.get("duplicate_of") for r in reports.compute(scheduler="sync")]
[None, 'a']
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import glob
import gzip
import io
import json
import operator
import os
import pickle
import re
import secrets
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple

import numpy as np
import zstandard

from .collapse import clean as clean_text
from .config import Config, Scope
from .corpus import CorpusCleaner, CorpusIndex, Prepared, Sketch, Verdict, prepare
from .io import (
    Format, InputError, OutputError, Prefixed, compression, find_inputs, format_of, json_bytes, parse_line,
)
from .records import text_of
from .report import CleanResult, Summary
from .waves import (
    GID_SHIFT, BlockState, Entry, KeyPartition, KeyTable, Plan, Published, Resolved, Updates, finish_rest, fold_now,
    gid, position, replay_index,
)

if TYPE_CHECKING:
    import dask.bag
    import dask.dataframe
    import distributed
    import pandas

MAX_BLOCK_SIZE = 32 << 20
"""The largest block `run` chooses by itself: about 25 s of work for one core,
and 1-2 GB of memory for the blocks a worker thread holds in flight."""

MIN_BLOCK_SIZE = 1 << 20
"""The smallest block `run` chooses by itself."""

MAX_WARNINGS = 1000
"""Warnings a `RunSummary` keeps (the rest are counted)."""

GZIP_LEVEL = 1
"""The gzip level of the parts: 4 times as fast as level 6 (a few percent of the
work instead of a tenth), the files about 15 % larger."""

PART_NAME = "part-{:05d}.jsonl.gz"
"""The name of output part k, and of report part k under the report directory."""

_PART = re.compile(r"part-\d{5,}\.jsonl\.gz")
_HEAD_BYTES = 8192  # looked at to tell text from binary, as `unrepeat.io` does
_BINARY_MAGIC = (b"\x1f\x8b", b"\x28\xb5\x2f\xfd")
_BOM_UTF8 = b"\xef\xbb\xbf"
_READ_ERRORS = (OSError, EOFError, zstandard.ZstdError)
#: Corpus scope: once a wave decides fewer documents than this per shard (and no
#: more than the wave before), the rest is decided in one task (`unrepeat.waves.finish_rest`).
FOLD_BELOW_PER_SHARD = 1000
_FOLD_PRIORITY = 100  # small tasks on the critical path (line offsets, the waves, the fold): first in line
_WRITE_PRIORITY = 50  # writing a part frees its memory
_NEEDS_DASK = 'the Dask engine needs dask and distributed: pip install "unrepeat[dask]"'


# ------------------------------------------------------------------ inputs


class Block(NamedTuple):
    """A byte range of one input file: the lines that start in it."""

    url: str  #: what fsspec opens (an absolute path for a local file)
    name: str  #: how reports and messages name the file, as the local engine does
    compression: str | None  #: "gz", "zst" or None
    start: int  #: the first byte (0 for a compressed file, which is one block)
    end: int | None  #: the byte after the range; None: to the end of the file


class InputFile(NamedTuple):
    """One JSONL input file."""

    url: str  #: what fsspec opens (an absolute path for a local file)
    name: str  #: how reports and messages name the file, as the local engine does
    size: int  #: bytes (compressed, for a compressed file)


def input_files(inputs: Sequence[str]) -> list[InputFile]:
    """The JSONL files that ``inputs`` name, in input order.

    An input is a file, a directory (walked recursively in sorted order, as
    the local engine does), a glob (expanded in sorted order, as a shell does
    in the C locale), or an fsspec URL of any of these. Files are named as
    the local engine names them when the shell expands the glob: the path as
    given, a directory's files as DIR/RELATIVE, a URL's files as full URLs.

    Anything but JSONL (``.jsonl``, ``.jsonl.gz``, ``.jsonl.zst``) is refused
    with an `InputError`, as is an input that is not there.
    """
    files = [InputFile(*f) for f in _found(inputs)]
    for f in files:
        if format_of(f.name) is not Format.JSONL:
            raise InputError(f.name, "the Dask engine reads JSONL files (.jsonl, .jsonl.gz, .jsonl.zst)")
    return files


def input_blocks(files: Sequence[InputFile], block_size: int) -> list[Block]:
    """The files cut into blocks of ``block_size`` bytes (a compressed file is one block), in order.

    >>> input_blocks([InputFile("/data/a.jsonl", "a.jsonl", 250)], 100)  # doctest: +NORMALIZE_WHITESPACE
    [Block(url='/data/a.jsonl', name='a.jsonl', compression=None, start=0, end=100),
     Block(url='/data/a.jsonl', name='a.jsonl', compression=None, start=100, end=200),
     Block(url='/data/a.jsonl', name='a.jsonl', compression=None, start=200, end=250)]
    >>> input_blocks([], 0)
    Traceback (most recent call last):
        ...
    ValueError: block_size must be at least 1, got 0
    """
    if block_size < 1:
        raise ValueError(f"block_size must be at least 1, got {block_size}")
    blocks: list[Block] = []
    for url, name, size in files:
        kind = compression(name)
        if kind is not None or size <= block_size:
            blocks.append(Block(url, name, kind, 0, None))
            continue
        blocks += [Block(url, name, None, start, min(start + block_size, size))
                   for start in range(0, size, block_size)]
    return blocks


def auto_block_size(files: Sequence[InputFile], threads: int) -> int:
    """A block size that gives every worker thread about 16 blocks, between 1 and 32 MiB.

    Many blocks per thread keep the workers evenly busy to the end; blocks of
    a few MiB and more keep the cost of a task small beside its work.

    >>> auto_block_size([InputFile("a", "a.jsonl", 200_000_000)], 2) / 2**20
    5.9604644775390625
    """
    total = sum(f.size for f in files if compression(f.name) is None)
    return max(MIN_BLOCK_SIZE, min(MAX_BLOCK_SIZE, total // (16 * max(threads, 1))))


def _found(inputs: Sequence[str]) -> Iterator[tuple[str, str, int]]:
    """(url, name, size) of each input file, in order."""
    import fsspec.core

    for arg in inputs:
        if "://" in arg:
            fs, path = fsspec.core.url_to_fs(arg)
            if glob.has_magic(path):
                hidden = path.rsplit("/", 1)[-1].startswith(".")  # as a shell, "*" matches no hidden name
                found = sorted(p for p in fs.glob(path) if hidden or not p.rsplit("/", 1)[-1].startswith("."))
            elif fs.isdir(path):
                found = sorted((p for p in fs.find(path) if _listed(p[len(path.rstrip("/")) + 1 :])),
                               key=lambda p: p.split("/"))
            elif fs.exists(path):
                found = [path]
            else:
                raise InputError(arg, "no such file")
            if not found:
                raise InputError(arg, "no such file")
            for p in found:
                yield fs.unstrip_protocol(p), fs.unstrip_protocol(p), fs.size(p)
            continue
        args = sorted(glob.glob(arg)) if glob.has_magic(arg) and not os.path.exists(arg) else [arg]
        if not args:
            raise InputError(arg, "no such file")
        for source in find_inputs(args):
            assert source.path is not None  # no standard input here
            yield os.path.abspath(source.path), source.name, source.path.stat().st_size


def _listed(relative: str) -> bool:
    """Would the local engine take this file of a directory (no hidden parts, a known suffix)?"""
    parts = relative.split("/")
    return not any(p.startswith(".") for p in parts) and format_of(parts[-1]) is Format.JSONL


class _Line(NamedTuple):
    """A non-blank line of a block: a record to clean, or why it is not one."""

    number: int  # the line's number in its block, from 1
    record: dict[str, object] | None  # None: a line left out for ``error``
    text: str | None
    id: object
    error: str | None
    invalid_utf8: int


@dataclass
class _Part:
    """What a block holds and, in document scope, what was made of it."""

    lines: int  # lines in the block, blank ones included
    items: list[_Line]
    work: list[Any]  # document scope: per item its CleanResult, None for an error (corpus scope: empty)
    nbytes: int  # what the block's text costs in memory, for the scheduler

    def __sizeof__(self) -> int:
        return self.nbytes


def _read(block: Block, text_field: str, id_field: str) -> tuple[int, list[_Line]]:
    """The lines of a block and the records on them; as `unrepeat.io.read_jsonl` and the CLI read a file."""
    items: list[_Line] = []
    count = 0
    for line in _block_lines(block):
        count += 1
        if count == 1 and block.start == 0:
            line = line.removeprefix(_BOM_UTF8)
        parsed = parse_line(line, count)
        if parsed is None:
            continue
        text, error = None, parsed.error
        if parsed.record is not None:
            try:
                text = text_of(parsed.record, text_field)
            except KeyError as exc:
                error = str(exc.args[0])
            except ValueError as exc:
                error = str(exc)
        doc_id = None if parsed.record is None else parsed.record.get(id_field)
        items.append(_Line(count, parsed.record if error is None else None, text, doc_id, error, parsed.invalid_utf8))
    return count, items


def _block_lines(block: Block) -> Iterator[bytes]:
    """The lines (with their line ends) that start in the block."""
    import fsspec.core

    try:
        fs, path = fsspec.core.url_to_fs(block.url)
        with fs.open(path, "rb") as raw:
            if block.start > 0:
                raw.seek(block.start - 1)
                reader = io.BufferedReader(Prefixed(b"", raw), 1 << 16)
                position = block.start - 1 + len(reader.readline())  # the end of the line that starts before
            else:
                stream = _decompressing(raw, block.compression)
                head = _read_head(stream)
                if head.startswith(_BINARY_MAGIC) or b"\0" in head:
                    raise InputError(block.name, "looks like a binary file, not text")
                reader = io.BufferedReader(Prefixed(head, stream), 1 << 16)
                position = 0
            while block.end is None or position < block.end:
                line = reader.readline()
                if not line:
                    return
                position += len(line)
                yield line
    except InputError:
        raise
    except FileNotFoundError:
        raise InputError(block.name, "no such file") from None
    except PermissionError:
        raise InputError(block.name, "permission denied") from None
    except _READ_ERRORS as exc:
        problem = getattr(exc, "strerror", None) or exc
        raise InputError(block.name, f"cannot read: {problem}") from None


def _decompressing(raw: IO[bytes], kind: str | None) -> IO[bytes]:
    if kind == "gz":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if kind == "zst":
        reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True, closefd=False)
        return reader  # type: ignore[return-value]
    return raw


def _read_head(stream: IO[bytes]) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < _HEAD_BYTES and (chunk := stream.read(_HEAD_BYTES - size)):
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


# ------------------------------------------------------------------ tasks


def _clean_block(block: Block, text_field: str, id_field: str, config: Config) -> _Part:
    """Document scope: read a block and clean each record."""
    lines, items = _read(block, text_field, id_field)
    work = [None if item.text is None else clean_text(item.text, config) for item in items]
    return _Part(lines, items, work, _nbytes(items))


@dataclass
class _CorpusPart:
    """Corpus scope: a block read and prepared. The prepared documents are
    kept pickled (about 2.5 times the text, against 15 times as objects)
    until their verdicts are in."""

    lines: int
    items: list[_Line]
    packed: bytes  # pickle of the list of Prepared (None for a line left out)
    nbytes: int

    def __sizeof__(self) -> int:
        return self.nbytes


class _Docs(NamedTuple):
    """What the waves need of a block's documents (no text): ids, line numbers, sketches."""

    ids: list[object]
    numbers: list[int]
    sketches: list[Sketch | None]  # None for a line left out


def _prepare_block(block: Block, text_field: str, id_field: str, config: Config) -> tuple[_CorpusPart, _Docs]:
    """Corpus scope: read a block and prepare each record."""
    lines, items = _read(block, text_field, id_field)
    prepared = [None if item.text is None else prepare(item.text, config) for item in items]
    packed = pickle.dumps(prepared, protocol=pickle.HIGHEST_PROTOCOL)
    docs = _Docs([i.id for i in items], [i.number for i in items],
                 [None if p is None else p.sketch() for p in prepared])
    return _CorpusPart(lines, items, packed, len(packed) + _nbytes(items) // 2), docs


def _loads(data: bytes) -> Any:
    """Unpickle with the garbage collector paused: prepared documents are many small
    objects, which it would scan over and over (they load 2-3 times faster)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(data)
    finally:
        if paused:
            gc.enable()


def _shard(blocks: list[tuple[int, str]], *docs_and_offsets: _Docs | int) -> BlockState:
    """The documents of some blocks (``blocks``: number and file name of each, then
    each one's `_Docs` and line offset), named as the local CLI names them:
    by id, else FILE:LINE."""
    gids, names, sketches = [], [], []
    for (k, name), docs, offset in zip(blocks, docs_and_offsets[::2], docs_and_offsets[1::2], strict=True):
        assert isinstance(docs, _Docs) and isinstance(offset, int)
        for i, (doc_id, number, sketch) in enumerate(zip(docs.ids, docs.numbers, docs.sketches, strict=True)):
            gids.append(gid(k, i))
            names.append(None if sketch is None else str(doc_id) if doc_id is not None else f"{name}:{offset + number}")
            sketches.append(sketch)
    return BlockState(gids, names, sketches)


def _verdicts_by_block(state: BlockState, blocks: int) -> list[dict[int, Verdict | None]]:
    """The verdicts a state holds, per block, by position in the block."""
    out: list[dict[int, Verdict | None]] = [{} for _ in range(blocks)]
    for g, verdict, decided in zip(state.gids.tolist(), state.verdicts, state.decided.tolist(), strict=True):
        if decided:
            out[g >> GID_SHIFT][position(g)] = verdict
    return out


def _first_error(part: _CorpusPart | _Part, offset: int) -> tuple[int, str] | None:
    """The line and problem of the block's first record that is not a document."""
    for item in part.items:
        if item.text is None:
            return offset + item.number, item.error or "no text"
    return None


def _key_table(state: BlockState) -> KeyTable:
    return state.key_table()


_BASE_LOCK = threading.Lock()
_BASE: dict[str, tuple[tuple[float, int], CorpusIndex]] = {}


@contextlib.contextmanager
def _base_index(path: str | None) -> Iterator[CorpusIndex | None]:
    """The saved index of an earlier run, loaded once per worker process and
    used by one task at a time (a decision extends it and takes its additions out)."""
    if path is None or not os.path.lexists(path):
        yield None
        return
    with _BASE_LOCK:
        stat = os.stat(path)
        stamp = (stat.st_mtime, stat.st_size)
        cached = _BASE.get(path)
        if cached is None or cached[0] != stamp:
            _BASE.clear()
            cached = _BASE[path] = (stamp, CorpusIndex.load(path))
        yield cached[1]


def _key_partition(j: int, partitions: int, index_path: str | None, *tables: KeyTable) -> KeyPartition:
    with _base_index(index_path) as base:
        prior = None if base is None else base.lookup.arrays()[0]
        return KeyPartition(j, partitions, tables, prior)


def _in_step(state: KeyPartition | BlockState, wave: int) -> None:
    """States are changed in place: a task run again (after a worker was lost) must not go on."""
    if state.waves != wave:
        raise RuntimeError(f"a {type(state).__name__} is out of step (a task ran twice); run the job again")


def _key_wave(part: KeyPartition, wave: int, *updates: Updates) -> tuple[KeyPartition, Resolved]:
    _in_step(part, wave)
    return part, part.wave(updates)


def _plan(state: BlockState, wave: int, *resolved: Resolved) -> tuple[BlockState, Plan]:
    _in_step(state, wave)
    return state, state.plan(resolved)


def _decide(state: BlockState, wave: int, config: Config, index_path: str | None,
            *published: Published) -> tuple[BlockState, Published, Updates]:
    _in_step(state, wave)
    with _base_index(index_path) as base:
        out, updates = state.decide(published, config, base)
    return state, out, updates


def _candidates(part: KeyPartition, wave: int, *updates: Updates) -> Resolved:
    _in_step(part, wave)
    return part.candidates(updates)


def _holders_of(*candidates: Resolved) -> np.ndarray:
    return np.unique(np.concatenate([c.holders for c in candidates] + [np.zeros(0, np.int64)]))


def _rest(state: BlockState) -> BlockState:
    return state.rest()


def _finish_rest(config: Config, index_path: str | None, rests: list[BlockState], candidates: list[Resolved],
                 *published: Published) -> BlockState:
    with _base_index(index_path) as base:
        return finish_rest(rests, candidates, published, config, base)


def _skip_wave(state: BlockState, wave: int) -> BlockState:
    """A shard with nothing ready in this wave moves on to the next."""
    _in_step(state, wave)
    state.skip()
    return state


def _write_corpus(part: _CorpusPart, offset: int, k: int, block: Block, target: _Target,
                  *verdicts: dict[int, Verdict | None]) -> RunSummary:
    """Apply a block's verdicts (from its shard, and from the rest if the waves left one) to its
    prepared documents and write its part."""
    found = {p: v for part_verdicts in verdicts for p, v in part_verdicts.items()}
    prepared: list[Prepared | None] = _loads(part.packed)
    results = []
    for i, p in enumerate(prepared):
        if p is not None and found.get(i) is None:
            raise RuntimeError(f"no verdict on document {i} of block {k}")
        results.append(None if p is None else p.apply(found[i]))
    return _write(_Part(part.lines, part.items, [], 0), _Results(results, 0), offset, k, block, target)


def _entries(state: BlockState) -> tuple[np.ndarray, list[Entry | None]]:
    """What the decided documents of a state keep, by gid."""
    return state.gids[state.decided], [e for e, d in zip(state.entries, state.decided.tolist(), strict=True) if d]


def _save_index(index_path: str, *shards: tuple[np.ndarray, list[Entry | None]]) -> int:
    """Save the index the local engine would end with (atomically); the number of sentences in it."""
    start = CorpusIndex.load(index_path) if os.path.lexists(index_path) else None
    gids = np.concatenate([g for g, _ in shards] + [np.zeros(0, np.int64)])
    entries = [e for _, block in shards for e in block]
    index = replay_index(start, [entries[i] for i in np.argsort(gids, kind="stable").tolist()])
    Path(index_path).parent.mkdir(parents=True, exist_ok=True)
    index.save(index_path)
    return len(index)


def _nbytes(items: list[_Line]) -> int:
    return sum(2 * len(item.text or "") + 200 for item in items) + 1000


def _line_count(part: _Part) -> int:
    return part.lines


@dataclass
class _FoldInput:
    """What the fold (corpus scope of `clean` on a collection) needs of a partition: the names
    of its documents and the prepared documents."""

    ids: list[object]
    prepared: list[Prepared]
    nbytes: int

    def __sizeof__(self) -> int:
        return self.nbytes

    def __reduce__(self) -> tuple[object, ...]:
        fields = (self.ids, self.prepared, self.nbytes)
        return (_unpickled, (pickle.dumps(fields, protocol=pickle.HIGHEST_PROTOCOL),))


def _unpickled(data: bytes) -> _FoldInput:
    return _FoldInput(*_loads(data))


@dataclass
class _Results:
    """The results of a part's documents (None for a line left out)."""

    results: list[CleanResult | None]
    nbytes: int

    def __sizeof__(self) -> int:
        return self.nbytes


class _State:
    """The corpus state passed along the fold: a `CorpusCleaner` and its index,
    and the number of documents folded so far.

    Each fold step takes the cleaner out of the state it is given (a state
    is used once; a step run twice on the same state fails instead of
    cleaning against the wrong index) and hands it on in a new one.
    """

    def __init__(self, cleaner: CorpusCleaner | None, documents: int = 0) -> None:
        self._cleaner = cleaner
        self.documents = documents

    def take(self) -> CorpusCleaner:
        cleaner, self._cleaner = self._cleaner, None
        if cleaner is None:
            raise RuntimeError("the corpus state was used twice (a fold step ran again); run the job again")
        return cleaner

    def __sizeof__(self) -> int:
        if self._cleaner is None:
            return 64
        index = self._cleaner.index
        return 48 * len(index) + 80 * len(index.doc_ids) + 1000

    def __reduce__(self) -> tuple[object, ...]:
        return (_State, (self._cleaner, self.documents))


def _start(config: Config) -> _State:
    """The first state: an empty index."""
    return _State(CorpusCleaner(config))


def _fold(state: _State, part: _FoldInput) -> tuple[_State, _Results]:
    """The local engine's decisions for one partition, against everything kept before it.

    A document is named by its id, else "record N", N counting all documents
    from 0, as `unrepeat.clean_records` names it.
    """
    first, cleaner = state.documents, state.take()
    results: list[CleanResult | None] = [
        cleaner.process(prepared, str(doc_id) if doc_id is not None else f"record {first + i}")
        for i, (doc_id, prepared) in enumerate(zip(part.ids, part.prepared, strict=True))]
    return _State(cleaner, first + len(part.ids)), _Results(results, part.nbytes // 2)


@dataclass
class RunSummary(Summary):
    """What a run did; the same counts as the local CLI's summary line."""

    parts: int = 0  #: output parts written
    warnings: list[str] = field(default_factory=list)  #: as the local CLI words them, in input order
    more_warnings: int = 0  #: warnings beyond the first `MAX_WARNINGS`, not kept
    waves: int = 0  #: corpus scope: rounds of decisions it took (see `unrepeat.waves`)
    rest: int = 0  #: corpus scope: documents the waves left, decided in one pass

    def merge(self, other: RunSummary) -> None:
        for f in ("documents", "bytes_in", "bytes_out", "skipped", "invalid_utf8", "duplicates", "dropped", "parts",
                  "more_warnings"):
            setattr(self, f, getattr(self, f) + getattr(other, f))
        self.removals.update(other.removals)
        self.warn(other.warnings)

    def warn(self, messages: list[str]) -> None:
        room = max(MAX_WARNINGS - len(self.warnings), 0)
        self.warnings += messages[:room]
        self.more_warnings += max(len(messages) - room, 0)


class _Target(NamedTuple):
    """Where a part goes: the temporary output and report directories (URLs), and the options."""

    output: str
    report: str | None
    config: dict[str, object]
    text_field: str
    drop_duplicates: bool
    skip_errors: bool


def _write(part: _Part, results: _Results | None, offset: int, k: int, block: Block, target: _Target) -> RunSummary:
    """Write part k and its report (gzip, mtime 0) as the local CLI writes a JSONL file's records
    (``results`` None: they are the part's work, in document scope)."""
    summary = RunSummary(parts=1)
    name = PART_NAME.format(k)
    with _gzip_file(f"{target.output}/{name}") as out, \
            (_gzip_file(f"{target.report}/{name}") if target.report else contextlib.nullcontext()) as report_file:
        for item, result in zip(part.items, part.work if results is None else results.results, strict=True):
            line = offset + item.number
            where = f"{block.name}:{line}"
            if item.invalid_utf8:
                summary.invalid_utf8 += item.invalid_utf8
                summary.warn([f"{where}: {item.invalid_utf8} invalid UTF-8 sequences replaced with U+FFFD"])
            if result is None:
                if not target.skip_errors:
                    raise InputError(block.name, item.error or "no text", line)
                summary.skipped += 1
                summary.warn([f"{where}: skipped: {item.error}"])
                if report_file is not None:
                    report_file.write(json_bytes({"id": item.id, "error": item.error, "line": line}))
                continue
            assert item.record is not None and item.text is not None
            dropped = target.drop_duplicates and result.duplicate_of is not None
            if not dropped:
                out.write(json_bytes({**item.record, target.text_field: result.text}))
            if report_file is not None:
                report = result.report(item.id, target.config)  # type: ignore[arg-type]
                report["line"] = line
                if item.invalid_utf8:
                    report["invalid_utf8"] = item.invalid_utf8
                if dropped:
                    report["dropped"] = True
                report_file.write(json_bytes(report))
            summary.add(item.text, result, dropped)
    return summary


@contextlib.contextmanager
def _gzip_file(url: str) -> Iterator[_Buffer]:
    """A gzip file written with mtime 0 (the same bytes every time); not there after a failure."""
    import fsspec.core

    fs, path = fsspec.core.url_to_fs(url)
    try:
        with fs.open(path, "wb") as raw, \
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL, mtime=0) as gz:
            buffer = _Buffer(gz)
            yield buffer
            buffer.flush()
    except BaseException as exc:
        with contextlib.suppress(Exception):
            fs.rm(path)
        if isinstance(exc, OSError):
            raise OutputError(url, f"cannot write: {exc.strerror or exc}") from None
        raise


class _Buffer:
    """Lines gathered and written a megabyte at a time."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._lines: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> None:
        self._lines.append(data)
        self._size += len(data)
        if self._size >= 1 << 20:
            self.flush()

    def flush(self) -> None:
        self._stream.write(b"".join(self._lines))
        self._lines, self._size = [], 0


# -------------------------------------------------------------------- run


def run(
    inputs: Sequence[str],
    output_dir: str,
    config: Config | None = None,
    *,
    scheduler: str | None = None,
    client: distributed.Client | None = None,
    workers: int | None = None,
    text_field: str = "text",
    id_field: str = "id",
    report_dir: str | None = None,
    skip_errors: bool = False,
    drop_duplicates: bool = False,
    index_path: str | None = None,
    block_size: int | None = None,
    progress: Callable[[int, int, RunSummary], None] | None = None,
) -> RunSummary:
    """Clean JSONL ``inputs`` into ``output_dir/part-NNNNN.jsonl.gz`` on a Dask cluster.

    The options mean what the local CLI's do (``config.scope`` included);
    the parts, decompressed and concatenated in order, are the local output,
    and the report parts (under ``report_dir``, same names) the local report.

    The cluster: ``client`` if given (left open), else the scheduler at
    ``scheduler`` (an address such as ``tcp://10.0.0.5:8786``, or the path of
    a scheduler file ending in ``.json``), else a ``LocalCluster`` of
    ``workers`` processes (default: one per CPU) with one thread each, closed
    at the end. Workers must reach the inputs, the output and report
    directories and the index file under the same names as this process
    (shared storage or object-store URLs).

    ``skip_errors``: a malformed record is left out and reported (else the
    run fails naming it, "FILE:LINE: problem", as `InputError`).
    ``drop_duplicates`` and ``index_path`` need corpus scope; the index
    file is local (or on a shared file system), loaded and saved by the
    worker that holds the corpus state, and saved once every part is in
    place. ``block_size``: bytes of an uncompressed input per block and
    output part (None: `auto_block_size`; a compressed file is one block).
    ``progress(parts_done, parts, summary_so_far)`` is called after each
    part. Input problems raise `unrepeat.io.InputError`, output ones
    `unrepeat.io.OutputError`, bad options `ValueError`, a missing dask
    `ImportError`, a scheduler that cannot be reached `OSError` (after
    distributed's connect timeout); in every case the output directory is
    left as it was. Returns what the local CLI would summarize.

    >>> run(["crawl.jsonl"], "out", Config(), drop_duplicates=True)
    Traceback (most recent call last):
        ...
    ValueError: drop_duplicates needs corpus scope
    """
    config = config or Config()
    corpus = config.scope is Scope.CORPUS
    if not inputs:
        raise ValueError("no inputs")
    if client is not None and (scheduler is not None or workers is not None):
        raise ValueError("give a client, or a scheduler or a number of workers, not both")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    for given, option in [(drop_duplicates, "drop_duplicates"), (index_path is not None, "index_path")]:
        if given and not corpus:
            raise ValueError(f"{option} needs corpus scope")
    if report_dir is not None and _same_place(report_dir, output_dir):
        raise ValueError("report_dir must differ from output_dir (their parts have the same names)")
    if block_size is not None and block_size < 1:
        raise ValueError(f"block_size must be at least 1, got {block_size}")
    _require()
    files = input_files(inputs)
    _check_outputs(files, output_dir, report_dir, index_path)
    with contextlib.ExitStack() as stack:
        if client is None:
            client = stack.enter_context(_connect(scheduler, workers))
        client.wait_for_workers(1)
        threads = sum(client.nthreads().values())
        blocks = input_blocks(files, block_size or auto_block_size(files, threads))
        return _Job(client, blocks, config, output_dir, report_dir, _Target(
            "", None, config.as_dict(), text_field, drop_duplicates, skip_errors), id_field, index_path,
            progress).run()


def _homes(client: distributed.Client, futures: list[Any]) -> dict[Any, str]:
    """The worker holding each future's result, by key."""
    found = client.who_has(futures)
    return {f.key: found[f.key][0] for f in futures if found.get(f.key)}


def _on(worker: str | None) -> dict[str, Any]:
    """Submit options that run a task on ``worker`` if it is still there."""
    return {} if worker is None else {"workers": [worker], "allow_other_workers": True}


def _require() -> None:
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        raise ImportError(_NEEDS_DASK) from None


@contextlib.contextmanager
def _connect(scheduler: str | None, workers: int | None) -> Iterator[distributed.Client]:
    from distributed import Client, LocalCluster

    if scheduler is not None:
        if scheduler.endswith(".json") and os.path.exists(scheduler):
            client = Client(scheduler_file=scheduler)
        else:
            client = Client(scheduler)
        with client:
            yield client
        return
    n = workers or os.cpu_count() or 1
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        yield client


def _same_place(a: str, b: str) -> bool:
    if "://" in a or "://" in b:
        return a.rstrip("/") == b.rstrip("/")
    return os.path.realpath(a) == os.path.realpath(b)


def _check_outputs(files: list[InputFile], output_dir: str, report_dir: str | None, index_path: str | None) -> None:
    """Refuse to write where an input is: an output directory must hold no input file."""
    for directory in [output_dir] + ([report_dir] if report_dir else []):
        if "://" in directory:
            continue
        root = os.path.realpath(directory)
        if os.path.exists(root) and not os.path.isdir(root):
            raise ValueError(f"{directory} is a file; the Dask engine writes its parts into a directory")
        for f in files:
            if "://" not in f.url and os.path.realpath(f.url).startswith(root + os.sep):
                raise ValueError(f"the output directory {directory} holds the input {f.name}")
    if index_path is not None and any(_same_place(index_path, f.url) for f in files):
        raise ValueError(f"the index {index_path} would overwrite an input")


class _Job:
    """One run on a client: tasks submitted a window of blocks at a time, so memory stays bounded."""

    def __init__(self, client: distributed.Client, blocks: list[Block], config: Config, output_dir: str,
                 report_dir: str | None, target: _Target, id_field: str, index_path: str | None,
                 progress: Callable[[int, int, RunSummary], None] | None) -> None:
        self.client = client
        self.blocks = blocks
        self.config = config
        self.output_dir = output_dir.rstrip("/") if "://" in output_dir else os.path.abspath(output_dir)
        self.report_dir = None if report_dir is None else (
            report_dir.rstrip("/") if "://" in report_dir else os.path.abspath(report_dir))
        self.token = secrets.token_hex(4)
        self.target = target._replace(output=self._temp(self.output_dir),
                                      report=None if self.report_dir is None else self._temp(self.report_dir))
        self.id_field = id_field
        self.index_path = None if index_path is None else os.path.abspath(index_path)
        self.progress = progress
        self.rest: Any = None  # corpus scope: the documents the waves left, decided in one pass
        self.rest_documents = 0
        self.entries: list[Any] = []  # corpus scope with an index: futures of what each block keeps
        self.waves = 0  # corpus scope: the number of waves it took

    def _temp(self, directory: str) -> str:
        return f"{directory}/.unrepeat-{self.token}"

    def run(self) -> RunSummary:
        import fsspec.core

        made = []
        try:
            for directory in [self.target.output, self.target.report]:
                if directory is not None:
                    fs, path = fsspec.core.url_to_fs(directory)
                    fs.makedirs(path, exist_ok=True)
                    made.append((fs, path))
            summary = self._submit_all()
            self._commit(summary.parts)
            return summary
        except OSError as exc:
            raise OutputError(self.output_dir, f"cannot write: {exc.strerror or exc}") from None
        finally:
            for fs, path in made:
                with contextlib.suppress(Exception):
                    fs.rm(path, recursive=True)

    def _submit_all(self) -> RunSummary:
        if self.config.scope is Scope.CORPUS:
            return self._submit_corpus()
        client, target = self.client, self.target
        threads = sum(client.nthreads().values()) or 1
        window = 4 * threads + 2  # blocks in flight
        futures: list[Any] = []  # the futures not done yet, cancelled if the job fails
        pending: deque[Any] = deque()  # the write futures, in block order
        summary = RunSummary()
        offset: Any = 0
        previous: Any = None  # the line count of the block before, in the same file
        try:
            for k, block in enumerate(self.blocks):
                while len(pending) >= window:
                    self._collect(pending.popleft(), summary)
                part = client.submit(_clean_block, block, target.text_field, self.id_field, self.config,
                                     pure=False, priority=-k)
                offset, previous = self._offset(block, offset, previous, part)
                written = client.submit(_write, part, None, offset, k, block, target, pure=False,
                                        priority=_WRITE_PRIORITY)
                futures += [part, previous, written] + ([offset] if not isinstance(offset, int) else [])
                pending.append(written)
                # Forget what later tasks hold on to; the scheduler keeps it as long as they need it.
                del part, written
                futures = [f for f in futures if not f.done()]
            while pending:
                self._collect(pending.popleft(), summary)
        except BaseException:
            client.cancel(futures)
            raise
        return summary

    def _offset(self, block: Block, offset: Any, previous: Any, part: Any) -> tuple[Any, Any]:
        """The line number a block starts after (a future, or 0 for a file's first block), and its line count."""
        if block.start == 0:
            offset = 0
        elif previous is not None:
            offset = self.client.submit(operator.add, offset, previous, pure=False, priority=_FOLD_PRIORITY)
        return offset, self.client.submit(_line_count, part, pure=False, priority=_FOLD_PRIORITY)

    def _submit_corpus(self) -> RunSummary:
        """Corpus scope: prepare every block, decide in waves (`unrepeat.waves`), then write."""
        from distributed import wait as distributed_wait

        client, target, config = self.client, self.target, self.config
        submit = functools.partial(client.submit, pure=False)
        threads = max(1, sum(client.nthreads().values()))
        futures: list[Any] = []
        try:
            parts, offsets, docs = [], [], []
            offset: Any = 0
            previous: Any = None
            for k, block in enumerate(self.blocks):
                prepared = submit(_prepare_block, block, target.text_field, self.id_field, config, priority=-k)
                part = submit(operator.getitem, prepared, 0, priority=_FOLD_PRIORITY)
                docs.append(submit(operator.getitem, prepared, 1, priority=_FOLD_PRIORITY))
                offset, previous = self._offset(block, offset, previous, part)
                parts.append(part)
                offsets.append(offset)
                futures += [part, previous, docs[-1]]
                del prepared
            if not target.skip_errors:
                errors = [submit(_first_error, part, offset) for part, offset in zip(parts, offsets, strict=True)]
                futures += errors
                for k, error in enumerate(errors):  # the first bad line in input order, as the local CLI
                    if (found := error.result()) is not None:
                        raise InputError(self.blocks[k].name, found[1], found[0])
            # One shard of documents per worker thread (blocks dealt round-robin), one key partition too.
            shards = []
            for s in range(min(threads, len(docs))):
                dealt = range(s, len(docs), threads)
                shards.append(submit(_shard, [(k, self.blocks[k].name) for k in dealt],
                                     *[x for k in dealt for x in (docs[k], offsets[k])]))
            tables = [submit(_key_table, shard) for shard in shards]
            keyparts = [submit(_key_partition, j, threads, self.index_path, *tables) for j in range(threads)]
            futures += shards + tables + keyparts
            del docs
            # Keep each shard and key partition where it is: their tasks go to that worker
            # (unless it is gone), so the states never travel.
            distributed_wait(shards + keyparts)
            homes = _homes(client, shards + keyparts)
            shard_homes = [homes.get(f.key) for f in shards]
            kp_homes = [homes.get(f.key) for f in keyparts]
            shards = self._waves(shards, keyparts, futures, shard_homes, kp_homes)
            summary = RunSummary(waves=self.waves, rest=self.rest_documents)
            written = []
            part_homes = _homes(client, parts)
            # The verdicts of each state, by block, in one task where the state is.
            by_block = [submit(_verdicts_by_block, state, len(self.blocks), priority=_WRITE_PRIORITY,
                               **_on(home)) for state, home in zip([*shards, self.rest], [*shard_homes, None],
                                                                   strict=True) if state is not None]
            for k, (part, offset, block) in enumerate(zip(parts, offsets, self.blocks, strict=True)):
                verdicts = [submit(operator.getitem, v, k, priority=_WRITE_PRIORITY) for v in by_block]
                written.append(submit(_write_corpus, part, offset, k, block, target, *verdicts,
                                      priority=_WRITE_PRIORITY, **_on(part_homes.get(part.key))))
            futures += written
            if self.index_path is not None:
                self.entries = [submit(_entries, state) for state in [*shards, self.rest] if state is not None]
            del parts, tables, keyparts
            for w in written:
                self._collect(w, summary)
        except BaseException:
            client.cancel(futures)
            raise
        return summary

    def _waves(self, states: list[Any], keyparts: list[Any], futures: list[Any], shard_homes: list[str | None],
               kp_homes: list[str | None]) -> list[Any]:
        """Decide every document (see `unrepeat.waves`); the final shard states."""
        client, config = self.client, self.config
        run = functools.partial(client.submit, pure=False, priority=_FOLD_PRIORITY)

        def submit(*args: Any, at: str | None = None) -> Any:
            return run(*args, **_on(at))

        published: list[list[tuple[np.ndarray, Any]]] = [[] for _ in states]  # per shard: (gids, entries)
        updates: list[Any] = []
        open_shards = list(range(len(states)))
        counts: list[int] = []  # documents decided in each wave
        left = 0  # documents not decided yet
        wave = 0

        def holding(holders: np.ndarray) -> list[Any]:
            """The published entries that hold some of these documents."""
            return [entries for shard in published for gids, entries in shard if np.isin(gids, holders).any()]

        while open_shards:
            if fold_now(counts, FOLD_BELOW_PER_SHARD * len(states)):
                candidates = [submit(_candidates, kp, wave, *updates, at=kp_homes[j]) for j, kp in enumerate(keyparts)]
                holders = submit(_holders_of, *candidates).result()
                rests = [submit(_rest, states[k], at=shard_homes[k]) for k in open_shards]
                self.rest = submit(_finish_rest, config, self.index_path, rests, candidates, *holding(holders))
                self.rest_documents = left
                break
            stepped = [submit(_key_wave, kp, wave, *updates, at=kp_homes[j]) for j, kp in enumerate(keyparts)]
            keyparts = [submit(operator.getitem, s, 0, at=kp_homes[j]) for j, s in enumerate(stepped)]
            resolved = [submit(operator.getitem, s, 1, at=kp_homes[j]) for j, s in enumerate(stepped)]
            planned = {k: submit(_plan, states[k], wave, *resolved, at=shard_homes[k]) for k in open_shards}
            for k, p in planned.items():
                states[k] = submit(operator.getitem, p, 0, at=shard_homes[k])
            plans = client.gather({k: submit(operator.getitem, p, 1, at=shard_homes[k]) for k, p in planned.items()})
            updates, still_open = [], []
            for k in open_shards:
                plan: Plan = plans[k]
                if len(plan.ready):
                    decided = submit(_decide, states[k], wave, config, self.index_path, *holding(plan.holders),
                                     at=shard_homes[k])
                    states[k] = submit(operator.getitem, decided, 0, at=shard_homes[k])
                    published[k].append((plan.ready, submit(operator.getitem, decided, 1, at=shard_homes[k])))
                    updates.append(submit(operator.getitem, decided, 2, at=shard_homes[k]))
                else:
                    states[k] = submit(_skip_wave, states[k], wave, at=shard_homes[k])
                if plan.undecided:
                    still_open.append(k)
            counts.append(sum(len(p.ready) for p in plans.values()))
            left = sum(p.undecided for p in plans.values())
            open_shards = still_open
            futures[:] = [f for f in futures if not f.done()] + keyparts + states + updates
            wave += 1
        self.waves = wave
        return states

    def _collect(self, written: Any, summary: RunSummary) -> None:
        summary.merge(written.result())
        if self.progress is not None:
            self.progress(summary.parts, len(self.blocks), summary)

    def _commit(self, parts: int) -> None:
        """Rename the parts into place, remove parts of earlier runs, then save the index."""
        import fsspec.core

        names = {PART_NAME.format(k) for k in range(parts)}
        for temp, final in [(self.target.output, self.output_dir), (self.target.report, self.report_dir)]:
            if temp is None or final is None:
                continue
            fs, temp_path = fsspec.core.url_to_fs(temp)
            _, final_path = fsspec.core.url_to_fs(final)
            for name in sorted(names):
                fs.mv(f"{temp_path}/{name}", f"{final_path}/{name}")
            for path in fs.ls(final_path, detail=False):
                base = path.rstrip("/").rsplit("/", 1)[-1]
                if _PART.fullmatch(base) and base not in names:
                    fs.rm(path)
        if self.index_path is not None:
            self.client.submit(_save_index, self.index_path, *self.entries, pure=False).result()


# ------------------------------------------------------- Dask collections


def clean(
    collection: dask.bag.Bag | dask.dataframe.DataFrame,
    scope: Scope | str | None = None,
    text_field: str = "text",
    id_field: str = "id",
    config: Config | None = None,
) -> tuple[dask.bag.Bag, dask.bag.Bag] | tuple[dask.dataframe.DataFrame, dask.dataframe.DataFrame]:
    """Clean the text field of a Dask collection of records, lazily: ``(cleaned, reports)``.

    ``collection`` is a bag of dicts (``cleaned`` is a bag of new dicts,
    ``reports`` a bag of report dicts) or a DataFrame (``cleaned`` has the
    same columns, types, index and divisions; ``reports`` one column,
    ``"report"``, holding each report as JSON text, on the same index). The
    records and reports are what `unrepeat.clean_records` gives for the same
    records in partition order (``report_field``): a report's ``"id"`` is
    the record's ``id_field``, and in corpus scope a document is named by its
    id, or "record N" (N counting from 0 over all partitions) for a record
    without one. ``scope`` overrides ``config.scope``.

    In corpus scope the decisions are a chain of tasks through the
    partitions in order (the fold; see the module docstring: `run` decides
    in waves). Compute both results
    together (``dask.compute(cleaned, reports)``) or persist one first, so
    the records are cleaned once.

    >>> import dask.bag as db
    >>> cleaned, reports = clean(db.from_sequence([{"id": 1, "text": "Hi.\\nHi.\\n"}]))
    >>> cleaned.compute(scheduler="sync"), reports.pluck("counts").pluck("removals").compute(scheduler="sync")
    ([{'id': 1, 'text': 'Hi.\\n'}], [1])
    >>> clean([{"text": "Hi."}])
    Traceback (most recent call last):
        ...
    TypeError: expected a dask.bag.Bag or a dask.dataframe.DataFrame, got list
    """
    config = config or Config()
    if scope is not None:
        config = dataclasses.replace(config, scope=Scope(scope))
    import dask.bag as db

    if isinstance(collection, db.Bag):
        return _clean_bag(collection, text_field, id_field, config)
    import dask.dataframe as dd

    if isinstance(collection, dd.DataFrame):
        return _clean_frame(collection, text_field, id_field, config)
    raise TypeError(f"expected a dask.bag.Bag or a dask.dataframe.DataFrame, got {type(collection).__name__}")


def _clean_bag(bag: dask.bag.Bag, text_field: str, id_field: str,
               config: Config) -> tuple[dask.bag.Bag, dask.bag.Bag]:
    import dask
    import dask.bag as db

    if config.scope is Scope.CORPUS:
        outputs = []
        state = dask.delayed(_start, pure=False)(config)
        for partition in bag.to_delayed():
            part = dask.delayed(list, pure=False)(partition)  # a partition may be an iterator: read it once
            prepared = dask.delayed(_prepare_records, pure=False)(part, text_field, id_field, config)
            folded = dask.delayed(_fold, pure=False, nout=2)(state, prepared)
            state, results = folded
            outputs.append(dask.delayed(_record_outputs, pure=False)(part, results, text_field, id_field, config))
        pairs = db.from_delayed(outputs)
    else:
        pairs = bag.map_partitions(_clean_records_part, text_field, id_field, config)
    return pairs.pluck(0), pairs.pluck(1)


def _records_of(part: Sequence[object], text_field: str, id_field: str) -> list[tuple[object, str]]:
    """The id and text of each record of a partition, checked as `unrepeat.clean_records` checks them."""
    out = []
    for index, record in enumerate(part):
        if not isinstance(record, dict):
            raise TypeError(f"record {index} is a {type(record).__name__}, not a mapping")
        try:
            out.append((record.get(id_field), text_of(record, text_field)))
        except KeyError as exc:
            raise KeyError(f"record {index}: {exc.args[0]}") from None
        except ValueError as exc:
            raise ValueError(f"record {index}: {exc}") from None
    return out


def _clean_records_part(part: Sequence[dict[str, object]], text_field: str, id_field: str,
                        config: Config) -> list[tuple[dict[str, object], dict[str, object]]]:
    part = list(part)
    results = [clean_text(text, config) for _, text in _records_of(part, text_field, id_field)]
    return _record_outputs(part, _Results(list(results), 0), text_field, id_field, config)


def _prepare_records(part: Sequence[object], text_field: str, id_field: str, config: Config) -> _FoldInput:
    records = _records_of(list(part), text_field, id_field)
    return _FoldInput([doc_id for doc_id, _ in records], [prepare(text, config) for _, text in records],
                      sum(6 * len(text) for _, text in records) + 1000)


def _record_outputs(part: Sequence[dict[str, object]], results: _Results, text_field: str,
                    id_field: str, config: Config) -> list[tuple[dict[str, object], dict[str, object]]]:
    config_dict = config.as_dict()
    out = []
    for record, result in zip(part, results.results, strict=True):
        assert result is not None  # every record has a text (checked before)
        report = result.report(record.get(id_field), config_dict)  # type: ignore[arg-type]
        out.append(({**record, text_field: result.text}, report))
    return out


_REPORT = "__unrepeat_report__"


def _clean_frame(df: dask.dataframe.DataFrame, text_field: str, id_field: str,
                 config: Config) -> tuple[dask.dataframe.DataFrame, dask.dataframe.DataFrame]:
    import dask
    import dask.dataframe as dd

    if text_field not in df.columns:
        raise KeyError(f'no "{text_field}" column; the columns are {", ".join(map(str, df.columns))}')
    if _REPORT in df.columns:
        raise ValueError(f"the column name {_REPORT} is taken")
    meta = df._meta.assign(**{_REPORT: df._meta[text_field].astype(object)})
    if config.scope is Scope.CORPUS:
        parts = df.to_delayed()
        outputs = []
        state = dask.delayed(_start, pure=False)(config)
        for part in parts:
            prepared = dask.delayed(_prepare_frame, pure=False)(part, text_field, id_field, config)
            state, results = dask.delayed(_fold, pure=False, nout=2)(state, prepared)
            outputs.append(dask.delayed(_frame_outputs, pure=False)(part, results, text_field, id_field, config))
        combined = dd.from_delayed(outputs, meta=meta, divisions=df.divisions, verify_meta=False)
    else:
        combined = df.map_partitions(_clean_frame_part, text_field, id_field, config, meta=meta)
    return combined.drop(columns=[_REPORT]), combined[[_REPORT]].rename(columns={_REPORT: "report"})


def _frame_records(pdf: pandas.DataFrame, text_field: str, id_field: str) -> tuple[list[object], list[str]]:
    texts = [_missing_as_none(t) for t in pdf[text_field].tolist()]
    ids = [_missing_as_none(i) for i in pdf[id_field].tolist()] if id_field in pdf.columns else [None] * len(texts)
    records = _records_of([{"id": i, "text": t} for i, t in zip(ids, texts, strict=True)], "text", "id")
    return [i for i, _ in records], [t for _, t in records]


def _missing_as_none(value: object) -> object:
    """None for pandas' missing values (NA, NaN, NaT), which a report writes as null."""
    import pandas as pd

    return None if pd.api.types.is_scalar(value) and pd.isna(value) else value


def _clean_frame_part(pdf: pandas.DataFrame, text_field: str, id_field: str, config: Config) -> pandas.DataFrame:
    _, texts = _frame_records(pdf, text_field, id_field)
    return _frame_outputs(pdf, _Results([clean_text(t, config) for t in texts], 0), text_field, id_field, config)


def _prepare_frame(pdf: pandas.DataFrame, text_field: str, id_field: str, config: Config) -> _FoldInput:
    ids, texts = _frame_records(pdf, text_field, id_field)
    return _FoldInput(ids, [prepare(t, config) for t in texts],
                      sum(6 * len(t) for t in texts) + 1000)


def _frame_outputs(pdf: pandas.DataFrame, results: _Results, text_field: str, id_field: str,
                   config: Config) -> pandas.DataFrame:
    import pandas as pd

    ids, _ = _frame_records(pdf, text_field, id_field) if len(pdf) else ([], [])
    config_dict = config.as_dict()
    texts, reports = [], []
    for doc_id, result in zip(ids, results.results, strict=True):
        assert result is not None
        texts.append(result.text)
        reports.append(json.dumps(result.report(doc_id, config_dict), ensure_ascii=False))  # type: ignore[arg-type]
    out = pdf.copy()
    out[text_field] = pd.Series(texts, index=pdf.index, dtype=pdf[text_field].dtype)
    out[_REPORT] = pd.Series(reports, index=pdf.index, dtype=object)
    return out


__all__ = ["MAX_BLOCK_SIZE", "MAX_WARNINGS", "MIN_BLOCK_SIZE", "PART_NAME", "Block", "InputFile", "RunSummary",
           "auto_block_size", "clean", "input_blocks", "input_files", "run"]

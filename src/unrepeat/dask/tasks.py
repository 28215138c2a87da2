"""The tasks of a job: pure functions of a block and the values of the tasks before them.

Document scope: `clean_block`; corpus scope: `prepare_block`, `fold_block`, `write_block`. A block is
read again where it is written rather than kept in memory (reading is about 1 % of the work).
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import gzip
import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .. import documents
from ..collapse import clean as clean_text
from ..config import Config
from ..corpus import Sketch, Verdict, prepare
from ..documents import Document, from_line
from ..io import InputError, OutputError, json_bytes
from ..report import CleanResult, Summary
from .blocks import Block, block_lines
from .fold import FoldState, fold

MAX_WARNINGS = 1000
"""Warnings a `RunSummary` keeps (the rest are counted)."""

GZIP_LEVEL = 1
"""The gzip level of the parts: 4 times as fast as level 6, the files about 15 % larger."""

PART_NAME = "part-{:05d}.jsonl.gz"
"""The name of output part k, and of report part k under the report directory."""


@dataclass
class RunSummary(Summary):
    """What a run did; the same counts as the local CLI's summary line."""

    parts: int = 0  #: output parts written
    warnings: list[str] = field(default_factory=list)  #: as the local CLI words them, in input order
    more_warnings: int = 0  #: warnings beyond the first `MAX_WARNINGS`, not kept

    def merge(self, other: RunSummary) -> None:
        for f in [f.name for f in dataclasses.fields(self) if f.type in ("int", int)]:
            setattr(self, f, getattr(self, f) + getattr(other, f))
        self.removals.update(other.removals)
        self.warn(other.warnings)

    def warn(self, messages: list[str]) -> None:
        room = max(MAX_WARNINGS - len(self.warnings), 0)
        self.warnings += messages[:room]
        self.more_warnings += max(len(messages) - room, 0)


class Target(NamedTuple):
    """Where parts go (temporary output and report directories, as URLs) and the options that shape them."""

    output: str
    report: str | None
    config: Config
    text_field: str
    id_field: str
    drop_duplicates: bool
    skip_errors: bool


def read_block(block: Block, offset: int, target: Target) -> list[Document]:
    """The records of a block (its lines numbered after ``offset``), as the local CLI reads a JSONL file's."""
    return [from_line(line._replace(number=offset + line.number), block.name, target.text_field, target.id_field)
            for line in block_lines(block)[1]]


def count_lines(block: Block) -> int:
    """The lines that start in a block, blank ones included."""
    return block_lines(block)[0]


def clean_block(block: Block, offset: int, k: int, target: Target) -> RunSummary:
    """Document scope: read, clean and write block ``k`` (its lines numbered after ``offset``)."""
    docs = read_block(block, offset, target)
    return _write(docs, [None if doc.text is None else clean_text(doc.text, target.config) for doc in docs], k, block,
                  target)


Sketches = tuple[list[str], list[Sketch | None]]
"""What the fold needs of a block (no text): the names of its documents and their sketches (None: no document)."""


def prepare_block(block: Block, offset: int, target: Target) -> tuple[bytes, Sketches]:
    """Corpus scope: read a block and prepare its documents; see `prepared`."""
    docs = read_block(block, offset, target)
    packed, sketches = prepared(docs, target.config)
    return packed, ([doc.name for doc in docs], sketches)


def prepared(docs: Sequence[Document], config: Config) -> tuple[bytes, list[Sketch | None]]:
    """The documents prepared (`unrepeat.corpus.prepare`), pickled (about 2.5 times the text, against
    15 times as objects), and their sketches (None for a record that is no document)."""
    done = [None if doc.text is None else prepare(doc.text, config) for doc in docs]
    return pickle.dumps(done, protocol=pickle.HIGHEST_PROTOCOL), [None if p is None else p.sketch() for p in done]


def fold_block(state: FoldState, docs: Sketches, config: Config) -> tuple[list[Verdict | None], FoldState]:
    """Corpus scope: the block's verdicts, against the state the blocks before it left."""
    return fold(state, *docs, config)


def write_block(block: Block, offset: int, k: int, target: Target, packed: bytes,
                verdicts: Sequence[Verdict | None]) -> RunSummary:
    """Corpus scope: apply the verdicts to the prepared documents and write block ``k``."""
    return _write(read_block(block, offset, target), applied(packed, verdicts), k, block, target)


def applied(packed: bytes, verdicts: Sequence[Verdict | None]) -> list[CleanResult | None]:
    """The results of prepared documents (`prepared`) once the fold gave their verdicts."""
    return [None if p is None or v is None else p.apply(v) for p, v in zip(unpickled(packed), verdicts, strict=True)]


def unpickled(data: bytes) -> Any:
    """Unpickle with the garbage collector paused (prepared documents, many small objects, load 2-3x faster)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(data)
    finally:
        if paused:
            gc.enable()


def _write(docs: list[Document], results: Sequence[CleanResult | None], k: int, block: Block,
           target: Target) -> RunSummary:
    """Write part k and its report as the local CLI writes a JSONL file's records."""
    summary = RunSummary(parts=1)
    config = target.config.as_dict()
    out: list[bytes] = []
    reports: list[bytes] = []
    for doc, result in zip(docs, results, strict=True):
        if result is None and not target.skip_errors:
            raise InputError(block.name, doc.error or "no text", doc.line)
        summary.invalid_utf8 += doc.invalid_utf8
        summary.warn(documents.warnings(doc))
        if result is None:
            summary.skipped += 1
            reports.append(json_bytes(documents.skipped_report(doc)))
            continue
        assert doc.text is not None
        dropped = documents.dropped(result, drop_duplicates=target.drop_duplicates)
        if not dropped:
            out.append(json_bytes(documents.output_record(doc, result, target.text_field)))
        if target.report is not None:
            reports.append(json_bytes(documents.report_record(doc, result, config, dropped)))
        summary.add(doc.text, result, bool(dropped))
    name = PART_NAME.format(k)
    _write_gzip(f"{target.output}/{name}", out)
    if target.report is not None:
        _write_gzip(f"{target.report}/{name}", reports)
    return summary


def _write_gzip(url: str, lines: list[bytes]) -> None:
    """A gzip file written with mtime 0 (the same bytes every time); gone after a failure."""
    import fsspec.core

    fs, path = fsspec.core.url_to_fs(url)
    try:
        with fs.open(path, "wb") as raw:
            raw.write(gzip.compress(b"".join(lines), compresslevel=GZIP_LEVEL, mtime=0))
    except BaseException as exc:
        with contextlib.suppress(Exception):
            fs.rm(path)
        if isinstance(exc, OSError):
            raise OutputError(url, f"cannot write: {exc.strerror or exc}") from None
        raise

"""The file runner: cleans input files (or standard input) into outputs and reports.

`plan` resolves what the command line names (inputs, ``-o``, ``--report``)
into sources and the files to write; `clean_files` cleans them, writing each
source's output and report atomically when the source ends (nothing of a
source that fails is left), or shows the removals (`DiffView`). Progress and
warnings go to callbacks; the counts come back as `Stats`, the object the
CLI's summary line and ``--stats`` file are made from.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "page.txt").write_text("Breaking news\\nBreaking news\\nThe story itself.\\n")
>>> job = plan([str(folder / "page.txt")], str(folder / "clean.txt"), str(folder / "page.report.json"))
>>> stats = clean_files(job, Config())
>>> stats.line()
'1 documents, 46 bytes in, 33 bytes out; removals: stuttered_line 1'
>>> (folder / "clean.txt").read_text()
'Breaking news\\n\\nThe story itself.\\n'
>>> plan([str(folder / "page.txt"), str(folder / "page.txt")], None, None)
Traceback (most recent call last):
    ...
unrepeat.runner.UsageProblem: several inputs or a directory need --output DIRECTORY
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path, PurePath
from typing import IO, NamedTuple, Protocol

import click

from . import documents
from .config import Config
from .corpus import CorpusIndex, IndexFileError
from .documents import Document
from .engine import WorkerDied, clean_documents
from .io import (
    STDIN,
    AtomicFile,
    DocumentTooLarge,
    Format,
    InputError,
    JsonLine,
    Output,
    ParquetBatch,
    ParquetOutput,
    Source,
    find_inputs,
    format_of,
    json_bytes,
    open_output,
    parquet_layout,
    read_bytes,
    read_jsonl,
    read_parquet,
    remove_stale_temps,
)
from .report import CleanResult, Summary

__all__ = ["DiffView", "Plan", "RunError", "Stats", "UsageProblem", "clean_files", "input_size", "plan"]


class UsageProblem(ValueError):
    """Arguments that do not fit together (the CLI shows it as a usage error, exit code 2)."""


class RunError(Exception):
    """A run that cannot go on: a worker died, the index cannot be read or written; ``str()`` says so."""


class Plan(NamedTuple):
    """What a run reads and writes: per source, its output (None: standard output) and report (None: none)."""

    sources: list[Source]
    outputs: list[Path | None]
    reports: list[Path | None]
    index_path: str | None = None  #: corpus scope: the index file read before and saved after (None: none)
    diff: bool = False  #: show the removals instead of writing anything


def plan(args: Sequence[str], output: str | None, report: str | None, *, format: Format | None = None,
         diff: bool = False, index_path: str | None = None, warn: Callable[[str], None] | None = None) -> Plan:
    """The sources named by ``args`` (files, directories, ``-``) and where their outputs and reports go.

    ``output`` and ``report`` are as the CLI's ``-o`` and ``--report``.
    Raises `UsageProblem` when they do not fit the inputs (several inputs
    need a directory; nothing is written over an input, nor twice), and
    `unrepeat.io.InputError` for an input that cannot be read. Temporary
    files that killed runs left beside the targets are removed.
    """
    args = list(args) or [STDIN]
    sources = find_inputs(args, format, warn=warn)
    outputs, reports = _targets(args, sources, output, report, diff)
    _check_distinct(sources, outputs + reports, None if index_path is None else Path(index_path))
    remove_stale_temps([t for t in [*outputs, *reports] if t is not None]
                       + ([Path(index_path)] if index_path is not None and not diff else []))
    return Plan(sources, outputs, reports, index_path, diff)


# ----------------------------------------------------------------- targets


def _targets(
    args: Sequence[str], sources: list[Source], output: str | None, report: str | None, diff: bool
) -> tuple[list[Path | None], list[Path | None]]:
    """Where each source's output (None: stdout) and report (None: none) go."""
    if diff:
        if output not in (None, STDIN) or report is not None:
            raise UsageProblem("--diff only shows what would be removed; it cannot be combined with --output or --report")
        return [None] * len(sources), [None] * len(sources)
    if report == STDIN:
        raise UsageProblem("--report needs a file or directory path, not -")
    if len(args) > 1 or any(arg != STDIN and Path(arg).is_dir() for arg in args):
        if output in (None, STDIN):
            raise UsageProblem("several inputs or a directory need --output DIRECTORY")
        if STDIN in args:
            raise UsageProblem("standard input (-) cannot be combined with other inputs")
        relatives = [s.relative for s in sources if s.relative is not None]
        output_dir = _directory(output, "--output")
        outputs: list[Path | None] = [output_dir / r for r in relatives]
        reports: list[Path | None] = [None] * len(sources)
        if report is not None:
            report_dir = _directory(report, "--report")
            reports = [report_dir / _report_name(r, s.format) for r, s in zip(relatives, sources, strict=True)]
    else:
        (source,) = sources
        outputs = [None if output in (None, STDIN) else _file(output, source.relative, "--output")]
        report_name = None if source.relative is None else _report_name(source.relative, source.format)
        reports = [None if report is None else _file(report, report_name, "--report")]
    for source, target in zip(sources, outputs, strict=True):
        parquet_in, parquet_out = source.format is Format.PARQUET, target is not None and _is_parquet(target)
        if parquet_in and not parquet_out:
            raise UsageProblem(f"the Parquet input {source.name} needs a .parquet output (--output FILE.parquet)")
        if parquet_out and not parquet_in:
            raise UsageProblem(f"--output {target}: only a Parquet input is written as Parquet")
    return outputs, reports


def _is_parquet(path: PurePath) -> bool:
    return format_of(path.name) is Format.PARQUET


def _directory(arg: str, option: str) -> Path:
    path = Path(arg)
    if path.exists() and not path.is_dir():
        raise UsageProblem(f"{option} {arg} is a file; several inputs or a directory need a directory")
    return path


def _file(arg: str, name_inside: PurePath | None, option: str) -> Path:
    """``arg``, or ``name_inside`` in it when it is an existing directory (None: standard input)."""
    path = Path(arg)
    if not path.is_dir():
        return path
    if name_inside is None:
        raise UsageProblem(f"{option} {arg} is a directory; give a file name for standard input")
    return path / name_inside.name


def _report_name(relative: PurePath, format: Format) -> PurePath:
    return relative.with_name(relative.name + (".report.jsonl" if format.has_records else ".report.json"))


def _check_distinct(sources: list[Source], targets: list[Path | None], index: Path | None = None) -> None:
    inputs = {os.path.realpath(s.path): s.name for s in sources if s.path is not None}
    seen: set[str] = set()
    for target in targets:
        if target is None:
            continue
        key = os.path.realpath(target)
        if key in inputs:
            raise UsageProblem(f"{target} would overwrite the input {inputs[key]}")
        if key in seen:
            raise UsageProblem(f"two outputs would be written to {target}")
        seen.add(key)
    if index is not None:
        key = os.path.realpath(index)
        if key in inputs or key in seen:
            raise UsageProblem(f"the index {index} would overwrite the {'input' if key in inputs else 'output'} {index}")


# ------------------------------------------------------------------- items


class _Kind(Enum):
    BEGIN = "begin"  # a source starts: open its output and report
    DOC = "doc"  # a document to clean
    SKIP = "skip"  # a record left out for an error (--on-error skip)
    END = "end"  # a source ends: commit its output and report


class _Item(NamedTuple):
    """What flows through the engine: documents and, as placeholders (text None), the rest."""

    kind: _Kind
    source: int  # index into the sources
    doc: Document = Document(None, None)
    batch: ParquetBatch | None = None  # the Parquet batch of a row

    @property
    def text(self) -> str | None:
        return self.doc.text


def _items(sources: list[Source], text_field: str, id_field: str, skip_errors: bool,
           max_bytes: int | None = None) -> Iterator[_Item]:
    for index, source in enumerate(sources):
        yield _Item(_Kind.BEGIN, index)
        if source.format is Format.TEXT:
            try:
                doc = documents.from_text(read_bytes(source, max_bytes), source.name)
            except DocumentTooLarge as exc:
                if not skip_errors:
                    raise
                doc = documents.skipped_text(source.name, exc.problem)
            yield _Item(_Kind.DOC if doc.error is None else _Kind.SKIP, index, doc)
        elif source.format is Format.JSONL:
            for line in read_jsonl(source, max_bytes):
                yield _record_item(index, source, documents.from_line(line, source.name, text_field, id_field),
                                   skip_errors)
        else:
            for batch in read_parquet(source):
                for i, row in enumerate(batch.rows):
                    line = JsonLine(batch.first + i, row, None, 0)
                    doc = documents.from_line(line, source.name, text_field, id_field, max_bytes, unit="row")
                    yield _record_item(index, source, doc, skip_errors, batch)
        yield _Item(_Kind.END, index)


def _record_item(index: int, source: Source, doc: Document, skip_errors: bool,
                 batch: ParquetBatch | None = None) -> _Item:
    if doc.error is not None and not skip_errors:
        raise InputError(source.name, doc.error, doc.line)
    return _Item(_Kind.DOC if doc.error is None else _Kind.SKIP, index, doc, batch)


def input_size(sources: list[Source]) -> int | None:
    """The bytes progress counts up to, when the inputs are uncompressed text or JSONL files."""
    if any(s.path is None or s.compression or s.format is Format.PARQUET for s in sources):
        return None
    try:
        return sum(s.path.stat().st_size for s in sources if s.path is not None)
    except OSError:
        return None


# --------------------------------------------------------------------- run


@dataclass
class Stats(Summary):
    """A run's counts (`unrepeat.report.Summary`), how far it read, and the seconds spent per stage.

    Stages: ``read`` (reading and parsing the inputs), ``clean`` (cleaning;
    with several jobs, waiting for the workers), ``write`` (outputs and
    reports), ``index`` (loading and saving ``--index``), and ``total``.
    """

    read: int = 0  #: bytes of the input files taken so far
    total: int | None = None  #: bytes of the input files, when known (uncompressed files)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def removed(self) -> float:
        """The share of the input bytes that did not reach the output."""
        return 1 - self.bytes_out / self.bytes_in if self.bytes_in else 0.0

    def as_dict(self) -> dict[str, object]:
        """The counts, then the seconds per stage (rounded to milliseconds), as JSON values."""
        return {**super().as_dict(), "seconds": {k: round(v, 3) for k, v in self.seconds.items()}}

    def time(self, stage: str, start: float) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - start


def clean_files(job: Plan, config: Config, *, text_field: str = "text", id_field: str = "id", jobs: int = 1,
                skip_errors: bool = False, max_doc_bytes: int | None = None, drop_duplicates: bool = False,
                min_words: int = 0, color: bool = False, progress: Callable[[Stats], None] | None = None,
                warn: Callable[[str], None] | None = None) -> Stats:
    """Clean the sources of ``job`` into their outputs and reports (or the diff view on standard output).

    ``skip_errors``: a malformed record, or a document over
    ``max_doc_bytes``, is left out and reported (else it stops the run with
    `unrepeat.io.InputError`). ``drop_duplicates`` (corpus scope) and
    ``min_words`` (fewer words left after cleaning; 0: off) leave documents
    out of the output, their report records marked ``"dropped"``.
    ``progress`` is called with the counts so far after each record,
    ``warn`` with each warning. A failure leaves no output of the source it
    happened in; `RunError` says what was written before.
    """
    started = time.perf_counter()
    stats = Stats(total=input_size(job.sources))
    index = None
    if job.index_path is not None:
        index = _load_index(job.index_path)
        stats.time("index", started)
    items = _timed(_items(job.sources, text_field, id_field, skip_errors, max_doc_bytes), stats, "read")
    if job.diff:
        sink: _Sink = DiffView(color)
    else:
        sink = _Files(job.sources, job.outputs, job.reports, config, text_field, drop_duplicates, min_words)
    _run(items, config, jobs, sink, stats, index, progress or _ignore, warn or _ignore)
    if index is not None and job.index_path is not None and not job.diff:
        saving = time.perf_counter()
        _save_index(index, job.index_path)
        stats.time("index", saving)
    stats.seconds["total"] = time.perf_counter() - started
    return stats


def _ignore(value: object) -> None:
    pass


def _timed(items: Iterator[_Item], stats: Stats, stage: str) -> Iterator[_Item]:
    """``items``, the time spent making them counted for ``stage``."""
    while True:
        start = time.perf_counter()
        item = next(items, None)
        stats.time(stage, start)
        if item is None:
            return
        yield item


class _Sink(Protocol):
    """Where the results go: output files and reports, or the diff view."""

    def begin(self, source: int) -> None: ...

    def document(self, item: _Item, result: CleanResult) -> documents.Dropped: ...

    def skipped(self, item: _Item) -> None: ...

    def end(self) -> None: ...

    def abort(self) -> None: ...

    def written(self) -> str:
        """What a run stopped now leaves written, said for its error message."""
        ...


def _run(items: Iterator[_Item], config: Config, jobs: int, sink: _Sink, stats: Stats, index: CorpusIndex | None,
         progress: Callable[[Stats], None], warn: Callable[[str], None]) -> None:
    """Clean the items into the sink, counting into ``stats``."""
    results = clean_documents(items, config, jobs, index=index, doc_id=_name)
    try:
        with contextlib.closing(results):
            while True:
                start, read_before = time.perf_counter(), stats.seconds.get("read", 0.0)
                pair = next(results, None)
                stats.time("clean", start)
                stats.seconds["clean"] -= stats.seconds.get("read", 0.0) - read_before  # reading is its own stage
                if pair is None:
                    break
                item, result = pair
                start = time.perf_counter()
                _take(item, result, sink, stats, warn)
                stats.time("write", start)
                if item.kind is _Kind.DOC or item.kind is _Kind.SKIP:
                    progress(stats)
    except WorkerDied as exc:
        sink.abort()
        raise RunError(f"{exc}; {sink.written()}") from None
    except BaseException:
        sink.abort()
        raise


def _take(item: _Item, result: CleanResult | None, sink: _Sink, stats: Stats, warn: Callable[[str], None]) -> None:
    doc = item.doc
    stats.read += doc.size
    stats.invalid_utf8 += doc.invalid_utf8
    for warning in documents.warnings(doc):
        warn(warning)
    if item.kind is _Kind.BEGIN:
        sink.begin(item.source)
    elif item.kind is _Kind.END:
        sink.end()
    elif item.kind is _Kind.SKIP:
        stats.skipped += 1
        sink.skipped(item)
    elif result is not None:
        dropped = sink.document(item, result)
        # a text file counts the bytes read; a record, its text field in UTF-8
        stats.add(doc.text or "", result, dropped, doc.size if doc.record is None else None)


def _name(item: _Item) -> str:
    return item.doc.name


def _load_index(path: str) -> CorpusIndex:
    """The index in ``path``, or an empty one if there is no such file."""
    if not os.path.lexists(path):
        return CorpusIndex()
    try:
        return CorpusIndex.load(path)
    except IndexFileError as exc:
        message = str(exc)
        raise RunError(message if message.startswith(f"{path}:") else f"{path}: {message}") from None


def _save_index(index: CorpusIndex, path: str) -> None:
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        index.save(path)
    except OSError as exc:
        raise RunError(f"{path}: cannot write the index: {exc.strerror or exc}") from None


class _Files:
    """Each source's output and report; committed when the source ends, removed on failure.

    With ``drop_duplicates``, a document whose result is a duplicate has no
    output (a text input: no output file) and its report record says
    ``"dropped": true``; with ``min_words``, one left with fewer words has
    none either, and its report record says ``"dropped": "short"``.
    """

    def __init__(self, sources: list[Source], outputs: list[Path | None], reports: list[Path | None], config: Config,
                 text_field: str, drop_duplicates: bool = False, min_words: int = 0) -> None:
        self._sources = sources
        self._outputs = outputs
        self._reports = reports
        self._config = config.as_dict()
        self._text_field = text_field
        self._drop_duplicates = drop_duplicates
        self._min_words = min_words
        self._open: list[Output | ParquetOutput] = []
        self._batch: ParquetBatch | None = None  # the Parquet batch whose rows are being collected
        self._texts: list[str | None] = []  # ... and their output texts (None: left out)
        self._committed = 0  # sources whose files are written
        self._streamed = False  # whether anything went to standard output

    def begin(self, source: int) -> None:
        report, output = self._reports[source], self._outputs[source]
        self._to_stdout = output is None
        self._parquet = None
        self._drop_text = False
        if self._sources[source].format is Format.PARQUET:
            assert output is not None  # `_targets` saw to it
            self._output: Output = _NoBytes()
            self._parquet = ParquetOutput(output, parquet_layout(self._sources[source]))
        else:
            self._output = open_output(output)
        self._report = None if report is None else AtomicFile(report)
        self._open = [self._parquet or self._output] + ([self._report] if self._report else [])

    def document(self, item: _Item, result: CleanResult) -> documents.Dropped:
        doc = item.doc
        dropped = documents.dropped(result, drop_duplicates=self._drop_duplicates, min_words=self._min_words)
        self._streamed |= self._to_stdout and not dropped
        if item.batch is not None:
            self._row(item.batch, None if dropped else result.text)
        elif doc.record is None:
            self._drop_text = bool(dropped)
            if not dropped:
                self._output.write(result.text.encode("utf-8"))
        elif not dropped:
            self._output.write(json_bytes(documents.output_record(doc, result, self._text_field)))
        if self._report is not None:
            report = documents.report_record(doc, result, self._config, dropped)
            self._report.write(json_bytes(report, indent=None if doc.line is not None else 2))
        return dropped

    def skipped(self, item: _Item) -> None:
        if item.batch is not None:
            self._row(item.batch, None)
        elif item.doc.line is None:
            self._drop_text = True  # a text input left out has no output file
        if self._report is not None:
            indent = None if item.doc.line is not None else 2
            self._report.write(json_bytes(documents.skipped_report(item.doc), indent=indent))

    def _row(self, batch: ParquetBatch, text: str | None) -> None:
        if batch is not self._batch:
            self._flush()
            self._batch = batch
        self._texts.append(text)

    def _flush(self) -> None:
        if self._batch is not None and self._parquet is not None:
            self._parquet.write_batch(self._batch.table, self._text_field, self._texts)
        self._batch, self._texts = None, []

    def end(self) -> None:
        self._flush()
        if self._drop_text:
            self._output.discard()  # a dropped text document has no output file
        for file in self._open:
            file.commit()
        self._open = []
        self._committed += not self._to_stdout

    def abort(self) -> None:
        self._batch, self._texts = None, []
        for file in self._open:
            file.discard()
        self._open = []

    def written(self) -> str:
        if self._streamed:
            return "standard output got only part of the output"
        if self._committed:
            inputs = "input" if self._committed == 1 else f"{self._committed} inputs"
            return f"only the outputs of the first {inputs} were written"
        return "no output was written"


class _NoBytes:
    """The byte output of a Parquet source, which takes none."""

    def write(self, data: bytes) -> None:
        raise TypeError("a Parquet output takes no bytes")

    def commit(self) -> None:
        pass

    def discard(self) -> None:
        pass


class DiffView:
    """The normalized text of each document with the removed spans marked:
    red and struck through in colour, ``[-like this-]`` without; to ``stream``
    (None: standard output)."""

    def __init__(self, color: bool, stream: IO[bytes] | None = None) -> None:
        self._color = color
        self._stream = sys.stdout.buffer if stream is None else stream

    def document(self, item: _Item, result: CleanResult) -> documents.Dropped:
        doc = item.doc
        header = f"==> {doc.where}" + ("" if doc.record is None or doc.id is None else f" (id {doc.id})") + " <=="
        parts = [click.style(header, bold=True) if self._color else header, "\n"]
        pos = 0
        for removal in sorted(result.removals, key=lambda r: r.start):
            parts += [result.normalized[pos : removal.start], self._removed(result.normalized[removal.start : removal.end])]
            pos = removal.end
        parts.append(result.normalized[pos:])
        text = "".join(parts)
        self._stream.write((text if text.endswith("\n") else text + "\n").encode("utf-8", "replace"))
        return None

    def _removed(self, text: str) -> str:
        if not self._color:
            return f"[-{text}-]"
        return "\n".join(click.style(line, fg="red", strikethrough=True) if line else line for line in text.split("\n"))

    def begin(self, source: int) -> None:
        pass

    def skipped(self, item: _Item) -> None:
        pass

    def end(self) -> None:
        self._stream.flush()

    def abort(self) -> None:
        pass

    def written(self) -> str:
        return "the view above is incomplete"



"""The ``unrepeat`` command: thin click commands over the library.

Data goes to standard output or the output files; progress, warnings and the
summary go to standard error. Exit codes: 0 success, 1 bad input data or a
failed verification ("Error: FILE[:LINE]: problem"), 2 a usage error.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from itertools import zip_longest
from pathlib import Path, PurePath
from typing import ClassVar, NamedTuple, Protocol

import click

from . import __version__, report_page
from .collapse import clean
from .config import Config, Keep, Scope
from .corpus import CorpusIndex, IndexFileError
from .engine import WorkerDied, clean_documents
from .io import (
    STDIN,
    AtomicFile,
    DocumentTooLarge,
    FileError,
    Format,
    InputError,
    JsonLine,
    Output,
    ParquetBatch,
    ParquetOutput,
    Source,
    decode,
    find_inputs,
    format_of,
    json_bytes,
    open_output,
    parquet_layout,
    read_bytes,
    read_jsonl,
    read_parquet,
    read_records,
    read_text,
    remove_stale_temps,
    too_large,
)
from .records import text_of
from .report import CleanResult, Removal, Summary, apply_removals, sha256, utf8_len
from .verify import VerifyError, check_report

_DEFAULT = Config()
_FORMATS = ("auto", *(f.value for f in Format))


class DataError(click.ClickException):
    """Input data that cannot be cleaned or verified: exit code 1."""

    exit_code = 1


class ByteSize(click.ParamType):
    """A number of bytes, with an optional unit: K, M, G or T (powers of 1024; KB, KiB, ... also do).

    >>> ByteSize().convert("64M", None, None), ByteSize().convert("1g", None, None), ByteSize().convert("512", None, None)
    (67108864, 1073741824, 512)
    """

    name = "size"
    _UNITS: ClassVar[dict[str, int]] = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        match = re.fullmatch(r"\s*([0-9]+)\s*([KMGT]?)(?:I?B)?\s*", str(value).upper())
        if match is None or int(match[1]) == 0:
            self.fail(f"{value!r} is not a size in bytes (for example 1000000, 64M or 1G)", param, ctx)
        return int(match[1]) * self._UNITS[match[2]]


MAX_DOC_BYTES = "64M"
_MAX_DOC_BYTES_HELP = ("The largest document: a text file, a JSONL line (without its line end) or a Parquet "
                       "text, in bytes (K, M, G: powers of 1024). A larger one is an error, or left out with "
                       "--on-error skip; it is never read into memory whole.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="unrepeat")
def main() -> None:
    """Turn scraped, repetitive text into canonical clean text, and report
    exactly what was removed.

    \b
    Examples:
      unrepeat clean page.txt > clean.txt
      unrepeat clean crawl.jsonl.gz -o clean.jsonl.gz --report report.jsonl
      unrepeat clean --scope corpus crawl/ -o clean/ --index seen.index
      unrepeat verify crawl.jsonl.gz report.jsonl clean.jsonl.gz
      unrepeat report report.jsonl --texts clean.jsonl.gz -o report.html

    Run "unrepeat COMMAND --help" for the options of a command.
    """


@main.command("clean")
@click.argument("inputs", nargs=-1, metavar="[INPUT]...")
@click.option("-o", "--output", metavar="PATH", help="Output file, directory (for several inputs), or - for stdout [default: -].")
@click.option("--report", metavar="PATH",
              help="Write the report: JSON for a text input, one JSON line per record for JSONL and Parquet.")
@click.option("--text-field", default="text", show_default=True, help="JSONL / Parquet field holding the text.")
@click.option("--id-field", default="id", show_default=True,
              help="JSONL / Parquet field holding the document id (for the report).")
@click.option("--format", "input_format", type=click.Choice(_FORMATS), default="auto", show_default=True,
              help="Input format; auto: by file name (.jsonl, .jsonl.gz, .jsonl.zst are JSONL, .parquet is "
                   "Parquet), stdin is text.")
@click.option("--keep", type=click.Choice([k.value for k in Keep]), default=_DEFAULT.keep.value, show_default=True,
              help="Which copy of a repeated passage stays.")
@click.option("--threshold", type=int, default=_DEFAULT.threshold, show_default=True,
              help="Largest simhash Hamming distance (0-64) for near-duplicate sentences.")
@click.option("--collapse-short", is_flag=True, default=_DEFAULT.collapse_short,
              help="Also remove isolated short repeats (refrains, captions).")
@click.option("--scope", type=click.Choice([s.value for s in Scope]), default=_DEFAULT.scope.value, show_default=True,
              help="What a passage is compared with: the same document only, or also the passages kept by "
                   "earlier documents (in input order, all inputs as one corpus).")
@click.option("--index", "index_path", metavar="PATH",
              help="With --scope corpus: also clean against the documents of earlier runs, kept in the index "
                   "file PATH (started if missing), and save the updated index there (not with --diff).")
@click.option("--drop-duplicates", is_flag=True,
              help="With --scope corpus: leave out documents all of whose passages were kept earlier "
                   "(their report records stay, marked \"dropped\").")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes; the output is the same for any number.")
@click.option("--on-error", type=click.Choice(["fail", "skip"]), default="fail", show_default=True,
              help="A malformed JSONL record, or a document over --max-doc-bytes: stop, or leave it out "
                   "(and say so in the report and on stderr).")
@click.option("--max-doc-bytes", type=ByteSize(), default=MAX_DOC_BYTES, show_default=True, metavar="SIZE",
              help=_MAX_DOC_BYTES_HELP)
@click.option("--diff", is_flag=True, help="Show what would be removed, write nothing.")
@click.option("--color/--no-color", default=None, help="Colour the --diff view [default: when stdout is a terminal].")
@click.option("-q", "--quiet", is_flag=True, help="No progress and no summary on stderr.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Where to run: here, or on a Dask cluster (JSONL in, part-NNNNN.jsonl.gz parts out "
                   "under -o DIRECTORY; pip install \"unrepeat[dask]\").")
@click.option("--scheduler", metavar="ADDRESS",
              help="With --engine dask: a running Dask scheduler (tcp://HOST:8786 or a scheduler file); "
                   "without it a local cluster of --jobs workers (default: one per CPU).")
def clean_command(
    inputs: tuple[str, ...],
    output: str | None,
    report: str | None,
    text_field: str,
    id_field: str,
    input_format: str,
    keep: str,
    threshold: int,
    collapse_short: bool,
    scope: str,
    index_path: str | None,
    drop_duplicates: bool,
    jobs: int,
    on_error: str,
    max_doc_bytes: int,
    diff: bool,
    color: bool | None,
    quiet: bool,
    engine: str,
    scheduler: str | None,
) -> None:
    """Remove repeated passages from text, JSONL and Parquet documents.

    INPUT is a .txt file, a .jsonl file (also .jsonl.gz, .jsonl.zst), a
    .parquet file, a directory (walked recursively, in sorted order), or -
    for standard input (the default). The cleaned text goes to standard
    output unless -o says otherwise; several inputs or a directory need -o
    DIRECTORY, under which their relative paths are mirrored (reports
    likewise, as NAME.report.json or NAME.report.jsonl under --report
    DIRECTORY). JSONL and Parquet records keep every other field, its type
    and their order; a Parquet input gives a Parquet output (needs pyarrow:
    pip install "unrepeat[parquet]"). Output files are written atomically
    and compressed as their names say (.gz, .zst).

    With --scope corpus, documents are taken in input order and a passage
    kept by an earlier document is removed from later ones, near-duplicates
    included; the report names the earlier document ("kept_doc": its id, or
    FILE:LINE for a record without one (for Parquet the row, counted from
    1, as "row" in the report), or the file name for a text input)
    and the kept copy's offsets in its normalized text. A document left with
    nothing of its own gets "duplicate_of" in its report.

    Damaged input (a malformed record, truncated or corrupt .gz/.zst data, a
    document over --max-doc-bytes) stops the run with "Error: FILE[:LINE]:
    problem" and exit code 1; outputs not finished are not written (their
    temporary files, and those a killed run left, are removed). In a
    directory, broken symbolic links, named pipes, sockets and devices are
    skipped with a warning. A worker process that dies (the OOM killer)
    stops the run the same way. The summary's bytes in are the input as
    read (a text file's bytes, a record's text field in UTF-8), its bytes
    out the output texts in UTF-8.

    \b
    Examples:
      unrepeat clean page.txt                     # cleaned text to stdout
      unrepeat clean page.txt -o clean.txt --report page.report.json
      unrepeat clean crawl.jsonl.gz -o clean.jsonl.gz --jobs 8
      unrepeat clean pages/ -o cleaned/ --report reports/
      zcat crawl.jsonl.gz | unrepeat clean --format jsonl > clean.jsonl
      unrepeat clean page.txt --diff | less -R    # what would be removed
      unrepeat clean --scope corpus crawl.parquet -o clean.parquet --drop-duplicates
      unrepeat clean --scope corpus day1.jsonl -o clean1.jsonl --index seen.index
      unrepeat clean --scope corpus day2.jsonl -o clean2.jsonl --index seen.index
      unrepeat clean --engine dask 'crawl/*.jsonl.gz' -o cleaned/ --report reports/
      unrepeat clean --engine dask --scheduler tcp://10.0.0.5:8786 s3://bucket/crawl/ -o s3://bucket/clean/
    """
    try:
        config = Config(keep=Keep(keep), threshold=threshold, collapse_short=collapse_short, scope=Scope(scope))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if config.scope is not Scope.CORPUS:
        for given, option in [(index_path is not None, "--index"), (drop_duplicates, "--drop-duplicates")]:
            if given:
                raise click.UsageError(f"{option} needs --scope corpus")
    if engine == "dask":
        source = click.get_current_context().get_parameter_source("max_doc_bytes")
        if source is not click.core.ParameterSource.DEFAULT:
            raise click.UsageError("--max-doc-bytes is not used by --engine dask yet")
        _run_on_dask(inputs, output, report, text_field, id_field, config, index_path, drop_duplicates,
                     jobs, on_error, diff, scheduler, quiet)
        return
    if scheduler is not None:
        raise click.UsageError("--scheduler needs --engine dask")
    args = inputs or (STDIN,)
    try:
        sources = find_inputs(args, None if input_format == "auto" else Format(input_format), warn=_warn)
        outputs, reports = _targets(args, sources, output, report, diff)
        _check_distinct(sources, outputs + reports, None if index_path is None else Path(index_path))
        remove_stale_temps([t for t in [*outputs, *reports] if t is not None]
                           + ([Path(index_path)] if index_path is not None and not diff else []))
        index = None if index_path is None else _load_index(index_path)
        items = _items(sources, text_field, id_field, skip_errors=on_error == "skip", max_bytes=max_doc_bytes)
        if diff:
            sink: _Sink = _DiffView(color if color is not None else sys.stdout.isatty())
        else:
            sink = _Files(sources, outputs, reports, config, text_field, drop_duplicates)
        with _sigterm_unwinds():
            summary = _run(sources, items, config, jobs, sink, quiet, index)
            if index is not None and index_path is not None and not diff:
                _save_index(index, index_path)
    except FileError as exc:
        raise DataError(str(exc)) from None
    except MemoryError:
        raise DataError("out of memory (a lower --max-doc-bytes, or fewer --jobs, needs less)") from None
    except BrokenPipeError:
        # whoever read stdout went away (`| head`): stop quietly, as other filters do
        with contextlib.suppress(Exception):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    if not quiet:
        click.echo(summary.line(), err=True)


def _run_on_dask(inputs: tuple[str, ...], output: str | None, report: str | None, text_field: str, id_field: str,
                 config: Config, index_path: str | None, drop_duplicates: bool, jobs: int, on_error: str,
                 diff: bool, scheduler: str | None, quiet: bool) -> None:
    """``--engine dask``: the same cleaning on a Dask cluster, written as parts."""
    if diff:
        raise click.UsageError("--diff runs here only; drop --engine dask")
    if not inputs or STDIN in inputs:
        raise click.UsageError("--engine dask reads files or URLs, not standard input")
    if output in (None, STDIN):
        raise click.UsageError("--engine dask needs --output DIRECTORY for its part files")
    try:
        from . import dask as dask_engine
    except ImportError as exc:
        raise DataError(f'--engine dask needs dask and distributed: pip install "unrepeat[dask]" ({exc})') from None

    def progress(done: int, parts: int, so_far: object) -> None:
        if not quiet and sys.stderr.isatty():
            click.echo(f"\r{done}/{parts} parts", err=True, nl=False)

    if quiet:  # distributed says nothing either, here and in the worker processes of a cluster started here
        os.environ["DASK_LOGGING__DISTRIBUTED"] = "critical"
        dask_engine.silence_distributed()
    try:
        summary = dask_engine.run(
            list(inputs), output, config, scheduler=scheduler, workers=jobs if jobs > 1 else None,
            text_field=text_field, id_field=id_field, report_dir=report, skip_errors=on_error == "skip",
            drop_duplicates=drop_duplicates, index_path=index_path, progress=progress,
        )
    except (FileError, IndexFileError, ImportError, ValueError) as exc:
        raise DataError(str(exc)) from None
    except OSError as exc:  # a scheduler that cannot be reached
        raise DataError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - the cluster's own failures (e.g. workers that keep dying)
        raise DataError(f"the Dask job failed: {type(exc).__name__}: {exc}") from None
    if not quiet:
        if sys.stderr.isatty():
            click.echo("", err=True)
        for warning in summary.warnings:
            click.echo(f"Warning: {warning}", err=True)
        if summary.more_warnings:
            click.echo(f"Warning: {summary.more_warnings} more warnings not shown", err=True)
        click.echo(summary.line() + f"; {summary.parts} parts", err=True)


def _warn(message: str) -> None:
    click.echo(f"Warning: {message}", err=True)


def _load_index(path: str) -> CorpusIndex:
    """The index in ``path``, or an empty one if there is no such file."""
    if not os.path.lexists(path):
        return CorpusIndex()
    try:
        return CorpusIndex.load(path)
    except IndexFileError as exc:
        message = str(exc)
        raise DataError(message if message.startswith(f"{path}:") else f"{path}: {message}") from None


def _save_index(index: CorpusIndex, path: str) -> None:
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        index.save(path)
    except OSError as exc:
        raise DataError(f"{path}: cannot write the index: {exc.strerror or exc}") from None


# ----------------------------------------------------------------- targets


def _targets(
    args: Sequence[str], sources: list[Source], output: str | None, report: str | None, diff: bool
) -> tuple[list[Path | None], list[Path | None]]:
    """Where each source's output (None: stdout) and report (None: none) go."""
    if diff:
        if output not in (None, STDIN) or report is not None:
            raise click.UsageError("--diff only shows what would be removed; it cannot be combined with --output or --report")
        return [None] * len(sources), [None] * len(sources)
    if report == STDIN:
        raise click.UsageError("--report needs a file or directory path, not -")
    if len(args) > 1 or any(arg != STDIN and Path(arg).is_dir() for arg in args):
        if output in (None, STDIN):
            raise click.UsageError("several inputs or a directory need --output DIRECTORY")
        if STDIN in args:
            raise click.UsageError("standard input (-) cannot be combined with other inputs")
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
            raise click.UsageError(f"the Parquet input {source.name} needs a .parquet output (--output FILE.parquet)")
        if parquet_out and not parquet_in:
            raise click.UsageError(f"--output {target}: only a Parquet input is written as Parquet")
    return outputs, reports


def _is_parquet(path: PurePath) -> bool:
    return format_of(path.name) is Format.PARQUET


def _directory(arg: str, option: str) -> Path:
    path = Path(arg)
    if path.exists() and not path.is_dir():
        raise click.UsageError(f"{option} {arg} is a file; several inputs or a directory need a directory")
    return path


def _file(arg: str, name_inside: PurePath | None, option: str) -> Path:
    """``arg``, or ``name_inside`` in it when it is an existing directory (None: standard input)."""
    path = Path(arg)
    if not path.is_dir():
        return path
    if name_inside is None:
        raise click.UsageError(f"{option} {arg} is a directory; give a file name for standard input")
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
            raise click.UsageError(f"{target} would overwrite the input {inputs[key]}")
        if key in seen:
            raise click.UsageError(f"two outputs would be written to {target}")
        seen.add(key)
    if index is not None:
        key = os.path.realpath(index)
        if key in inputs or key in seen:
            raise click.UsageError(f"the index {index} would overwrite the {'input' if key in inputs else 'output'} {index}")


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
    text: str | None = None
    id: object = None
    record: dict[str, object] | None = None
    line: int | None = None  # JSONL line number, Parquet row number (from 1)
    invalid_utf8: int = 0
    error: str | None = None
    name: str = ""  # the document's name in a corpus: its id, else FILE:LINE; a text input's file name
    size: int = 0  # bytes of the input file it took, for progress
    batch: ParquetBatch | None = None  # the Parquet batch of a row


def _items(sources: list[Source], text_field: str, id_field: str, skip_errors: bool,
           max_bytes: int | None = None) -> Iterator[_Item]:
    for index, source in enumerate(sources):
        yield _Item(_Kind.BEGIN, index)
        if source.format is Format.TEXT:
            yield _text_item(index, source, skip_errors, max_bytes)
        elif source.format is Format.JSONL:
            for line in read_jsonl(source, max_bytes):
                yield _record_item(index, source, line, text_field, id_field, skip_errors)
        else:
            for batch in read_parquet(source):
                for i, row in enumerate(batch.rows):
                    line = JsonLine(batch.first + i, row, None, 0)
                    item = _record_item(index, source, line, text_field, id_field, skip_errors, max_bytes)
                    yield item._replace(batch=batch)
        yield _Item(_Kind.END, index)


def _text_item(index: int, source: Source, skip_errors: bool, max_bytes: int | None) -> _Item:
    """A text input as one document (``size``: its bytes), or left out when it is too large and errors are skipped."""
    try:
        data = read_bytes(source, max_bytes)
    except DocumentTooLarge as exc:
        if not skip_errors:
            raise
        return _Item(_Kind.SKIP, index, id=source.name, error=exc.problem, name=source.name)
    whole, invalid = decode(data)
    return _Item(_Kind.DOC, index, whole, source.name, invalid_utf8=invalid, name=source.name, size=len(data))


def _record_item(index: int, source: Source, line: JsonLine, text_field: str, id_field: str, skip_errors: bool,
                 max_bytes: int | None = None) -> _Item:
    text, error = _record_text(line, text_field)
    if text is not None and max_bytes is not None and len(text) * 4 > max_bytes and utf8_len(text) > max_bytes:
        text, error = None, too_large(max_bytes)  # a Parquet text (a JSONL line is checked as it is read)
    doc_id = None if line.record is None else line.record.get(id_field)
    if error is not None and not skip_errors:
        raise InputError(source.name, error, line.number)
    name = f"{source.name}:{line.number}" if doc_id is None else str(doc_id)
    kind = _Kind.DOC if error is None else _Kind.SKIP
    return _Item(kind, index, text, doc_id, line.record if error is None else None, line.number, line.invalid_utf8,
                 error, name, line.size)


def _record_text(line: JsonLine, text_field: str) -> tuple[str | None, str | None]:
    """The text of a JSONL line's record, or what is wrong with it."""
    if line.record is None:
        return None, line.error
    try:
        return text_of(line.record, text_field), None
    except KeyError as exc:
        return None, str(exc.args[0])
    except ValueError as exc:
        return None, str(exc)


def _input_size(sources: list[Source]) -> int | None:
    """The bytes progress counts up to, when the inputs are uncompressed text or JSONL files."""
    if any(s.path is None or s.compression or s.format is Format.PARQUET for s in sources):
        return None
    try:
        return sum(s.path.stat().st_size for s in sources if s.path is not None)
    except OSError:
        return None


# --------------------------------------------------------------------- run


@dataclass
class _Summary(Summary):
    read: int = 0  # bytes of the input files taken so far

    @property
    def removed(self) -> float:
        """The share of the input bytes that did not reach the output."""
        return 1 - self.bytes_out / self.bytes_in if self.bytes_in else 0.0



class _Sink(Protocol):
    """Where the results go: output files and reports, or the diff view."""

    def begin(self, source: int) -> None: ...

    def document(self, item: _Item, result: CleanResult, where: str) -> bool: ...

    def skipped(self, item: _Item) -> None: ...

    def end(self) -> None: ...

    def abort(self) -> None: ...

    def written(self) -> str:
        """What a run stopped now leaves written, said for its error message."""
        ...


def _run(sources: list[Source], items: Iterator[_Item], config: Config, jobs: int, sink: _Sink, quiet: bool,
         index: CorpusIndex | None = None) -> _Summary:
    """Clean the items into the sink, with warnings and progress on stderr."""
    summary = _Summary()
    progress = _Progress(enabled=not quiet and sys.stderr.isatty(), total=_input_size(sources))
    results = clean_documents(items, config, jobs, index=index, doc_id=_name)
    try:
        with contextlib.closing(results):
            for item, result in results:
                where = sources[item.source].name + ("" if item.line is None else f":{item.line}")
                summary.read += item.size
                if item.invalid_utf8:
                    summary.invalid_utf8 += item.invalid_utf8
                    progress.warn(f"{where}: {item.invalid_utf8} invalid UTF-8 sequences replaced with U+FFFD")
                if item.kind is _Kind.BEGIN:
                    sink.begin(item.source)
                elif item.kind is _Kind.END:
                    sink.end()
                elif item.kind is _Kind.SKIP:
                    summary.skipped += 1
                    progress.warn(f"{where}: skipped: {item.error}")
                    sink.skipped(item)
                elif result is not None:
                    dropped = sink.document(item, result, where)
                    # a text file counts the bytes read; a record, its text field in UTF-8
                    summary.add(item.text or "", result, dropped, item.size if item.record is None else None)
                    progress.update(summary)
    except WorkerDied as exc:
        sink.abort()
        raise DataError(f"{exc}; {sink.written()}") from None
    except BaseException:
        sink.abort()
        raise
    finally:
        progress.clear()
    return summary


def _name(item: _Item) -> str:
    return item.name


class _Files:
    """Each source's output and report; committed when the source ends, removed on failure.

    With ``drop_duplicates``, a document whose result is a duplicate has no
    output (a text input: no output file) and its report record says
    ``"dropped": true``.
    """

    def __init__(self, sources: list[Source], outputs: list[Path | None], reports: list[Path | None], config: Config,
                 text_field: str, drop_duplicates: bool = False) -> None:
        self._sources = sources
        self._outputs = outputs
        self._reports = reports
        self._config = config.as_dict()
        self._text_field = text_field
        self._drop_duplicates = drop_duplicates
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

    def document(self, item: _Item, result: CleanResult, where: str) -> bool:
        dropped = self._drop_duplicates and result.duplicate_of is not None
        self._streamed |= self._to_stdout and not dropped
        if item.batch is not None:
            self._row(item.batch, None if dropped else result.text)
        elif item.record is None:
            self._drop_text = dropped
            if not dropped:
                self._output.write(result.text.encode("utf-8"))
        elif not dropped:
            self._output.write(json_bytes({**item.record, self._text_field: result.text}))
        if self._report is not None:
            report = result.report(item.id, self._config)  # type: ignore[arg-type]
            if item.line is not None:
                report["row" if item.batch is not None else "line"] = item.line
            if item.invalid_utf8:
                report["invalid_utf8"] = item.invalid_utf8
            if dropped:
                report["dropped"] = True
            self._report.write(json_bytes(report, indent=None if item.line is not None else 2))
        return dropped

    def skipped(self, item: _Item) -> None:
        if item.batch is not None:
            self._row(item.batch, None)
        elif item.line is None:
            self._drop_text = True  # a text input left out has no output file
        if self._report is None:
            return
        if item.line is None:
            self._report.write(json_bytes({"id": item.id, "error": item.error}, indent=2))
        else:
            key = "row" if item.batch is not None else "line"
            self._report.write(json_bytes({"id": item.id, "error": item.error, key: item.line}))

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


class _DiffView:
    """The normalized text of each document with the removed spans marked:
    red and struck through in colour, ``[-like this-]`` without."""

    def __init__(self, color: bool) -> None:
        self._color = color
        self._stream = sys.stdout.buffer

    def document(self, item: _Item, result: CleanResult, where: str) -> bool:
        header = f"==> {where}" + ("" if item.record is None or item.id is None else f" (id {item.id})") + " <=="
        parts = [click.style(header, bold=True) if self._color else header, "\n"]
        pos = 0
        for removal in sorted(result.removals, key=lambda r: r.start):
            parts += [result.normalized[pos : removal.start], self._removed(result.normalized[removal.start : removal.end])]
            pos = removal.end
        parts.append(result.normalized[pos:])
        text = "".join(parts)
        self._stream.write((text if text.endswith("\n") else text + "\n").encode("utf-8", "replace"))
        return False

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


@contextlib.contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """SIGTERM (``kill``, a timeout) unwinds like Ctrl-C, so no temporary file is left."""

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


class _Progress:
    """A progress line on stderr for runs longer than a second: a bar (when the
    input size is known), documents, MB and MB/s, the share removed and the
    duplicates; warnings go around it."""

    _WIDTH = 20  # characters of the bar

    def __init__(self, enabled: bool, clock: Callable[[], float] = time.monotonic, total: int | None = None) -> None:
        self._enabled = enabled
        self._clock = clock
        self._start = clock()
        self._next = self._start + 1.0
        self._shown = False
        self._total = total

    def update(self, summary: _Summary) -> None:
        if not self._enabled or self._clock() < self._next:
            return
        now = self._clock()
        self._next = now + 0.2
        parts = [f"{summary.documents:,} documents", f"{summary.bytes_in / 1e6:,.1f} MB",
                 f"{summary.bytes_in / 1e6 / max(now - self._start, 1e-9):.1f} MB/s", f"{summary.removed:.1%} removed"]
        if summary.duplicates:
            parts.append(f"{summary.duplicates:,} duplicates")
        line = ", ".join(parts)
        if self._total:
            done = min(summary.read / self._total, 1.0)
            filled = int(done * self._WIDTH)
            line = f"[{'#' * filled}{'.' * (self._WIDTH - filled)}] {done:4.0%} " + line
        self._write(f"\r{line}\x1b[K")
        self._shown = True

    def warn(self, message: str) -> None:
        self.clear()
        click.echo(f"Warning: {message}", err=True)

    def clear(self) -> None:
        if self._shown:
            self._write("\r\x1b[K")  # to the start of the line, and erase it
            self._shown = False

    @staticmethod
    def _write(text: str) -> None:
        sys.stderr.write(text)
        sys.stderr.flush()


# ------------------------------------------------------------------ verify


@main.command()
@click.argument("input_arg", metavar="INPUT")
@click.argument("report_arg", metavar="REPORT")
@click.argument("output_arg", metavar="OUTPUT")
@click.option("--text-field", default="text", show_default=True, help="JSONL field holding the text.")
@click.option("--id-field", default="id", show_default=True, help="JSONL field holding the document id.")
@click.option("--format", "input_format", type=click.Choice(_FORMATS), default="auto", show_default=True,
              help="Input format; auto: by file name, stdin is text.")
@click.option("--max-doc-bytes", type=ByteSize(), default=MAX_DOC_BYTES, show_default=True, metavar="SIZE",
              help="The largest input document, as for clean.")
def verify(input_arg: str, report_arg: str, output_arg: str, text_field: str, id_field: str, input_format: str,
           max_doc_bytes: int) -> None:
    """Check that REPORT proves how INPUT became OUTPUT.

    For each document: the input normalized again with the report's config
    has the recorded sha256, every removal's text is what the normalized text
    holds at its span, and deleting the removals gives OUTPUT byte for byte.
    For JSONL and Parquet, line n of REPORT goes with record n of INPUT and
    of OUTPUT (a record the report marks skipped, or dropped as a duplicate,
    has no output record). Reports of --scope corpus verify the same way: a
    removal copied from an earlier document ("kept_doc") is still a span of
    this document's normalized text. Ids and records are compared as JSON
    text, field order included (so an id of NaN, which JSON in Python reads
    and writes, is equal to itself). Exit code 0 and "OK: N documents
    verified", or 1 naming the first document that differs.

    \b
    Examples:
      unrepeat clean page.txt -o clean.txt --report page.json
      unrepeat verify page.txt page.json clean.txt
      unrepeat verify crawl.jsonl.gz report.jsonl clean.jsonl.gz
    """
    args = [input_arg, report_arg, output_arg]
    if any(arg != STDIN and Path(arg).is_dir() for arg in args):
        raise click.UsageError("INPUT, REPORT and OUTPUT must be files, not directories")
    try:
        source, report, output = find_inputs(args, None if input_format == "auto" else Format(input_format))
        if source.format is Format.TEXT:
            count = _verify_text(source, report, output, max_doc_bytes)
        else:
            count = _verify_records(source, report, output, text_field, id_field, max_doc_bytes)
    except FileError as exc:
        raise DataError(str(exc)) from None
    click.echo(f"OK: {count} documents verified")


class _Mismatch(Exception):
    """What differs between a report and its document."""


def _verify_text(source: Source, report_source: Source, output: Source, max_bytes: int | None = None) -> int:
    text, _ = read_text(source, max_bytes)
    try:
        report = json.loads(read_text(report_source)[0])
    except ValueError as exc:
        raise DataError(f"{report_source.name}: invalid JSON: {exc}") from None
    if not isinstance(report, dict):
        raise DataError(f"{report_source.name}: expected a JSON object, got {type(report).__name__}")
    try:
        expected = _replay(text, report).encode("utf-8")
    except _Mismatch as exc:
        raise DataError(f"{source.name}: {exc}") from None
    actual = read_bytes(output)
    if actual != expected:
        at = _first_difference(actual, expected)
        raise DataError(f"{source.name}: {output.name} differs from the replayed report at byte {at}")
    return 1


def _verify_records(source: Source, report_source: Source, output: Source, text_field: str, id_field: str,
                    max_bytes: int | None = None) -> int:
    outputs = read_records(output)
    position = "row" if source.format is Format.PARQUET else "line"
    count = 0
    for line, report_line in zip_longest(read_records(source, max_bytes), read_jsonl(report_source)):
        if line is None:
            raise DataError(f"{report_source.name}:{report_line.number}: no input record is left for this report line")
        where = f"{source.name}:{line.number}"
        if report_line is None:
            raise DataError(f"{where}: {report_source.name} has no line for this record")
        report = report_line.record
        if report is None:
            raise DataError(f"{report_source.name}:{report_line.number}: {report_line.error}")
        if report.get(position, line.number) != line.number:
            raise DataError(f"{where}: the report line is for {position} {report[position]}")
        if "error" in report:
            continue  # left out by --on-error skip: no output record
        text, error = _record_text(line, text_field)
        if line.record is None or text is None:
            raise DataError(f"{where}: {error}")
        doc_id = line.record.get(id_field)
        if not _same_json(report.get("id"), doc_id):
            raise DataError(f"{where}: the report line is for id {report.get('id')!r}, the record has id {doc_id!r}")
        where += "" if doc_id is None else f" (id {doc_id!r})"
        try:
            expected = {**line.record, text_field: _replay(text, report)}
        except _Mismatch as exc:
            raise DataError(f"{where}: {exc}") from None
        count += 1
        if report.get("dropped") is True:
            continue  # a duplicate left out by --drop-duplicates: no output record
        out = next(outputs, None)
        if out is None:
            raise DataError(f"{where}: {output.name} has no record for it")
        if out.record is None:
            raise DataError(f"{output.name}:{out.number}: {out.error}")
        if not _same_json(out.record, expected):
            raise DataError(f"{where}: {output.name}:{out.number} {_record_difference(out.record, expected, text_field)}")
    extra = next(outputs, None)
    if extra is not None:
        raise DataError(f"{output.name}:{extra.number}: a record the report does not account for")
    return count


def _same_json(a: object, b: object) -> bool:
    """Equal as JSON text: keys in the same order, and NaN equal to NaN (``==`` says neither).

    >>> _same_json({"id": float("nan")}, {"id": float("nan")}), _same_json({"a": 1, "b": 2}, {"b": 2, "a": 1})
    (True, False)
    """
    # default=repr: a Parquet row may hold dates, decimals, bytes
    return a is b or json.dumps(a, default=repr) == json.dumps(b, default=repr)


def _replay(text: str, report: Mapping[str, object]) -> str:
    """The output the report promises for ``text``; `_Mismatch` says what differs."""
    try:
        return check_report(text, report)
    except VerifyError as exc:
        raise _Mismatch(str(exc)) from None


def _first_difference(a: Sequence[object], b: Sequence[object]) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


def _record_difference(actual: Mapping[str, object], expected: Mapping[str, object], text_field: str) -> str:
    got, want = actual.get(text_field), expected[text_field]
    if isinstance(got, str) and isinstance(want, str) and got != want:
        return f'"{text_field}" differs from the replayed report at character {_first_difference(got, want)}'
    if got != want:
        return f'has no string "{text_field}"'
    return "differs from the input record in its other fields or their order"


# ------------------------------------------------------------------ report


@main.command("report")
@click.argument("reports", nargs=-1, required=True, metavar="REPORT...")
@click.option("-o", "--output", required=True, metavar="FILE.html", help="The HTML page to write.")
@click.option("--texts", metavar="CLEANED",
              help="The cleaned output of the run (a file, or the -o directory): the full views then show the "
                   "whole text, removed spans struck through.")
@click.option("--text-field", default="text", show_default=True, help="JSONL field holding the cleaned text.")
@click.option("--views", type=click.IntRange(min=0), default=report_page.VIEWS, show_default=True,
              help="Documents shown in full: those with the largest share removed.")
@click.option("-q", "--quiet", is_flag=True, help="No summary on stderr.")
def report_command(reports: tuple[str, ...], output: str, texts: str | None, text_field: str, views: int,
                   quiet: bool) -> None:
    """Write one self-contained HTML page (no network needed) about a run's reports.

    REPORT is a .report.json file, a .report.jsonl file (also .gz, .zst) or
    a directory of them, as "unrepeat clean --report" writes. The page has a
    summary over every document, plots, a search box that finds any
    document by id, and a full view of the documents with the largest share
    removed (--views).

    \b
    Examples:
      unrepeat clean pages/ -o cleaned/ --report reports/
      unrepeat report reports/ --texts cleaned/ -o report.html
      unrepeat report report.jsonl --texts clean.jsonl.gz -o report.html
    """
    try:
        page = report_page.write_page(reports, output, texts=texts, text_field=text_field, views=views)
    except FileError as exc:
        raise DataError(str(exc)) from None
    if not quiet:
        for warning in page.warnings[:10]:
            click.echo(f"Warning: {warning}", err=True)
        click.echo(f"{output}: {page.documents} documents, {page.views} shown in full", err=True)

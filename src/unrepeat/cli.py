"""The ``unrepeat`` command: thin click commands over the library.

Data goes to standard output or the output files; progress, warnings and the
summary go to standard error. Exit codes: 0 success, 1 bad input data or a
failed verification ("Error: FILE[:LINE]: problem"), 2 a usage error.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import click

from . import __version__, report_page
from .config import Config, Keep, Scope
from .corpus import IndexFileError
from .io import STDIN, AtomicFile, FileError, Format, json_bytes
from .progress import PartsBar, ProgressBar
from .runner import RunError, Stats, UsageProblem, clean_files, input_size, plan
from .verify import VerifyError, verify_files

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
@click.option("--min-words", type=click.IntRange(min=0), default=0, metavar="N",
              help="Leave out documents with fewer than N words left after cleaning (their report records "
                   "stay, marked \"dropped\": \"short\") [default: 0, off].")
@click.option("--stats", "stats_path", metavar="PATH",
              help="Write the run's counts (as the summary line) and the seconds spent per stage as JSON to PATH.")
@click.option("-q", "--quiet", is_flag=True, help="No progress and no summary on stderr.")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar on stderr (after a second) [default: when stderr is a terminal].")
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
    min_words: int,
    stats_path: str | None,
    quiet: bool,
    progress: bool | None,
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
        changed = source is not click.core.ParameterSource.DEFAULT
        for used, name in [(changed, "--max-doc-bytes"), (min_words > 0, "--min-words"), (stats_path, "--stats")]:
            if used:
                raise click.UsageError(f"{name} is not used by --engine dask yet")
        _run_on_dask(inputs, output, report, text_field, id_field, config, index_path, drop_duplicates,
                     jobs, on_error, diff, scheduler, quiet, progress)
        return
    if scheduler is not None:
        raise click.UsageError("--scheduler needs --engine dask")
    quiet_bar = quiet or not (sys.stderr.isatty() if progress is None else progress)
    try:
        job = plan(inputs, output, report, format=None if input_format == "auto" else Format(input_format),
                   diff=diff, index_path=index_path, warn=_warn)
        bar = ProgressBar(enabled=not quiet_bar, total=input_size(job.sources))
        with _sigterm_unwinds(), contextlib.closing(bar):
            stats = clean_files(job, config, text_field=text_field, id_field=id_field, jobs=jobs,
                                skip_errors=on_error == "skip", max_doc_bytes=max_doc_bytes,
                                drop_duplicates=drop_duplicates, min_words=min_words,
                                color=color if color is not None else sys.stdout.isatty(),
                                progress=lambda counts: bar.update(counts, counts.read), warn=bar.warn)
        if stats_path is not None:
            _write_stats(stats, stats_path)
    except UsageProblem as exc:
        raise click.UsageError(str(exc)) from None
    except (FileError, RunError) as exc:
        raise DataError(str(exc)) from None
    except MemoryError:
        raise DataError("out of memory (a lower --max-doc-bytes, or fewer --jobs, needs less)") from None
    except BrokenPipeError:
        # whoever read stdout went away (`| head`): stop quietly, as other filters do
        with contextlib.suppress(Exception):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    if not quiet:
        click.echo(stats.line(), err=True)


def _write_stats(stats: Stats, path: str) -> None:
    """The run's counts and seconds per stage as JSON (the summary line says the same counts)."""
    with AtomicFile(Path(path)) as file:
        file.write(json_bytes(stats.as_dict(), indent=2))


def _warn(message: str) -> None:
    click.echo(f"Warning: {message}", err=True)


def _run_on_dask(inputs: tuple[str, ...], output: str | None, report: str | None, text_field: str, id_field: str,
                 config: Config, index_path: str | None, drop_duplicates: bool, jobs: int, on_error: str,
                 diff: bool, scheduler: str | None, quiet: bool, progress: bool | None) -> None:
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

    bar = PartsBar(enabled=not quiet and (sys.stderr.isatty() if progress is None else progress))
    if quiet:  # distributed says nothing either, here and in the worker processes of a cluster started here
        os.environ["DASK_LOGGING__DISTRIBUTED"] = "critical"
        dask_engine.silence_distributed()
    try:
        with contextlib.closing(bar):
            summary = dask_engine.run(
                list(inputs), output, config, scheduler=scheduler, workers=jobs if jobs > 1 else None,
                text_field=text_field, id_field=id_field, report_dir=report, skip_errors=on_error == "skip",
                drop_duplicates=drop_duplicates, index_path=index_path, progress=bar.update,
            )
    except (FileError, IndexFileError, ImportError, ValueError) as exc:
        raise DataError(str(exc)) from None
    except OSError as exc:  # a scheduler that cannot be reached
        raise DataError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - the cluster's own failures (e.g. workers that keep dying)
        raise DataError(f"the Dask job failed: {type(exc).__name__}: {exc}") from None
    if not quiet:
        for warning in summary.warnings:
            _warn(warning)
        if summary.more_warnings:
            _warn(f"{summary.more_warnings} more warnings not shown")
        click.echo(summary.line() + f"; {summary.parts} parts", err=True)


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
    of OUTPUT (a record the report marks skipped, or dropped as a duplicate
    or as short, has no output record). Reports of --scope corpus verify the same way: a
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
    if any(arg != STDIN and os.path.isdir(arg) for arg in args):
        raise click.UsageError("INPUT, REPORT and OUTPUT must be files, not directories")
    try:
        count = verify_files(input_arg, report_arg, output_arg, text_field, id_field,
                             None if input_format == "auto" else Format(input_format), max_doc_bytes)
    except (FileError, VerifyError) as exc:
        raise DataError(str(exc)) from None
    click.echo(f"OK: {count} documents verified")


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

"""The ``unrepeat`` command: thin click commands over the library.

Data goes to standard output or the output files; progress, warnings and the
summary go to standard error. Exit codes: 0 success, 1 bad input data or a
failed verification ("Error: FILE[:LINE]: problem"), 2 a usage error.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from itertools import zip_longest
from pathlib import Path, PurePath
from typing import NamedTuple, Protocol

import click

from . import __version__
from .collapse import clean
from .config import Config, Keep, Scope
from .engine import clean_documents
from .io import (
    STDIN,
    AtomicFile,
    FileError,
    Format,
    InputError,
    JsonLine,
    Output,
    Source,
    find_inputs,
    json_bytes,
    open_output,
    read_bytes,
    read_jsonl,
    read_text,
)
from .records import text_of
from .report import CleanResult, Removal, apply_removals, sha256

_DEFAULT = Config()
_FORMATS = ("auto", *(f.value for f in Format))


class DataError(click.ClickException):
    """Input data that cannot be cleaned or verified: exit code 1."""

    exit_code = 1


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="unrepeat")
def main() -> None:
    """Turn scraped, repetitive text into canonical clean text, and report
    exactly what was removed.

    \b
    Examples:
      unrepeat clean page.txt > clean.txt
      unrepeat clean crawl.jsonl.gz -o clean.jsonl.gz --report report.jsonl
      unrepeat verify crawl.jsonl.gz report.jsonl clean.jsonl.gz

    Run "unrepeat COMMAND --help" for the options of a command.
    """


@main.command("clean")
@click.argument("inputs", nargs=-1, metavar="[INPUT]...")
@click.option("-o", "--output", metavar="PATH", help="Output file, directory (for several inputs), or - for stdout [default: -].")
@click.option("--report", metavar="PATH", help="Write the report: JSON for a text input, one JSON line per record for JSONL.")
@click.option("--text-field", default="text", show_default=True, help="JSONL field holding the text.")
@click.option("--id-field", default="id", show_default=True, help="JSONL field holding the document id (for the report).")
@click.option("--format", "input_format", type=click.Choice(_FORMATS), default="auto", show_default=True,
              help="Input format; auto: by file name (.jsonl, .jsonl.gz, .jsonl.zst are JSONL), stdin is text.")
@click.option("--keep", type=click.Choice([k.value for k in Keep]), default=_DEFAULT.keep.value, show_default=True,
              help="Which copy of a repeated passage stays.")
@click.option("--threshold", type=int, default=_DEFAULT.threshold, show_default=True,
              help="Largest simhash Hamming distance (0-64) for near-duplicate sentences.")
@click.option("--collapse-short", is_flag=True, default=_DEFAULT.collapse_short,
              help="Also remove isolated short repeats (refrains, captions).")
@click.option("--scope", type=click.Choice([Scope.DOCUMENT.value]), default=Scope.DOCUMENT.value, show_default=True,
              help="What a passage is compared with.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes; the output is the same for any number.")
@click.option("--on-error", type=click.Choice(["fail", "skip"]), default="fail", show_default=True,
              help="A malformed JSONL record: stop, or leave it out (and say so in the report).")
@click.option("--diff", is_flag=True, help="Show what would be removed, write nothing.")
@click.option("--color/--no-color", default=None, help="Colour the --diff view [default: when stdout is a terminal].")
@click.option("-q", "--quiet", is_flag=True, help="No progress and no summary on stderr.")
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
    jobs: int,
    on_error: str,
    diff: bool,
    color: bool | None,
    quiet: bool,
) -> None:
    """Remove repeated passages from text and JSONL documents.

    INPUT is a .txt file, a .jsonl file (also .jsonl.gz, .jsonl.zst), a
    directory (walked recursively, in sorted order), or - for standard input
    (the default). The cleaned text goes to standard output unless -o says
    otherwise; several inputs or a directory need -o DIRECTORY, under which
    their relative paths are mirrored (reports likewise, as NAME.report.json
    or NAME.report.jsonl under --report DIRECTORY). JSONL records keep every
    other field and their order. Output files are written atomically and
    compressed as their names say (.gz, .zst).

    \b
    Examples:
      unrepeat clean page.txt                     # cleaned text to stdout
      unrepeat clean page.txt -o clean.txt --report page.report.json
      unrepeat clean crawl.jsonl.gz -o clean.jsonl.gz --jobs 8
      unrepeat clean pages/ -o cleaned/ --report reports/
      zcat crawl.jsonl.gz | unrepeat clean --format jsonl > clean.jsonl
      unrepeat clean page.txt --diff | less -R    # what would be removed
    """
    try:
        config = Config(keep=Keep(keep), threshold=threshold, collapse_short=collapse_short, scope=Scope(scope))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    args = inputs or (STDIN,)
    try:
        sources = find_inputs(args, None if input_format == "auto" else Format(input_format))
        outputs, reports = _targets(args, sources, output, report, diff)
        items = _items(sources, text_field, id_field, skip_errors=on_error == "skip")
        if diff:
            sink: _Sink = _DiffView(color if color is not None else sys.stdout.isatty())
        else:
            sink = _Files(outputs, reports, config, text_field)
        with _sigterm_unwinds():
            summary = _run(sources, items, config, jobs, sink, quiet)
    except FileError as exc:
        raise DataError(str(exc)) from None
    except BrokenPipeError:
        # whoever read stdout went away (`| head`): stop quietly, as other filters do
        with contextlib.suppress(Exception):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    if not quiet:
        click.echo(summary.line(), err=True)


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
    _check_distinct(sources, outputs + reports)
    return outputs, reports


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
    return relative.with_name(relative.name + (".report.jsonl" if format is Format.JSONL else ".report.json"))


def _check_distinct(sources: list[Source], targets: list[Path | None]) -> None:
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
    line: int | None = None  # JSONL line number
    invalid_utf8: int = 0
    error: str | None = None


def _items(sources: list[Source], text_field: str, id_field: str, skip_errors: bool) -> Iterator[_Item]:
    for index, source in enumerate(sources):
        yield _Item(_Kind.BEGIN, index)
        if source.format is Format.TEXT:
            whole, invalid = read_text(source)
            yield _Item(_Kind.DOC, index, whole, source.name, invalid_utf8=invalid)
        else:
            for line in read_jsonl(source):
                text, error = _record_text(line, text_field)
                doc_id = None if line.record is None else line.record.get(id_field)
                if error is None:
                    yield _Item(_Kind.DOC, index, text, doc_id, line.record, line.number, line.invalid_utf8)
                elif skip_errors:
                    yield _Item(_Kind.SKIP, index, None, doc_id, None, line.number, line.invalid_utf8, error)
                else:
                    raise InputError(source.name, error, line.number)
        yield _Item(_Kind.END, index)


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


# --------------------------------------------------------------------- run


@dataclass
class _Summary:
    documents: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    removals: Counter[str] = field(default_factory=Counter)
    skipped: int = 0
    invalid_utf8: int = 0

    def add(self, item: _Item, result: CleanResult) -> None:
        self.documents += 1
        self.bytes_in += _utf8_len(item.text or "")
        self.bytes_out += _utf8_len(result.text)
        self.removals.update(str(r.reason) for r in result.removals)

    def line(self) -> str:
        removed = ", ".join(f"{reason} {n}" for reason, n in sorted(self.removals.items())) or "none"
        parts = [f"{self.documents} documents, {self.bytes_in} bytes in, {self.bytes_out} bytes out; removals: {removed}"]
        if self.skipped:
            parts.append(f"skipped: {self.skipped} records with errors")
        if self.invalid_utf8:
            parts.append(f"invalid UTF-8 sequences replaced: {self.invalid_utf8}")
        return "; ".join(parts)


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


class _Sink(Protocol):
    """Where the results go: output files and reports, or the diff view."""

    def begin(self, source: int) -> None: ...

    def document(self, item: _Item, result: CleanResult, where: str) -> None: ...

    def skipped(self, item: _Item) -> None: ...

    def end(self) -> None: ...

    def abort(self) -> None: ...


def _run(sources: list[Source], items: Iterator[_Item], config: Config, jobs: int, sink: _Sink, quiet: bool) -> _Summary:
    """Clean the items into the sink, with warnings and progress on stderr."""
    summary = _Summary()
    progress = _Progress(enabled=not quiet and sys.stderr.isatty())
    try:
        with contextlib.closing(clean_documents(items, config, jobs)) as results:
            for item, result in results:
                where = sources[item.source].name + ("" if item.line is None else f":{item.line}")
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
                    summary.add(item, result)
                    progress.update(summary)
                    sink.document(item, result, where)
    except BaseException:
        sink.abort()
        raise
    finally:
        progress.clear()
    return summary


class _Files:
    """Each source's output and report; committed when the source ends, removed on failure."""

    def __init__(self, outputs: list[Path | None], reports: list[Path | None], config: Config, text_field: str) -> None:
        self._outputs = outputs
        self._reports = reports
        self._config = config.as_dict()
        self._text_field = text_field
        self._open: list[Output] = []

    def begin(self, source: int) -> None:
        report = self._reports[source]
        self._output = open_output(self._outputs[source])
        self._report = None if report is None else AtomicFile(report)
        self._open = [self._output] + ([self._report] if self._report else [])

    def document(self, item: _Item, result: CleanResult, where: str) -> None:
        report = result.report(item.id, self._config)  # type: ignore[arg-type]
        if item.line is not None:
            report["line"] = item.line
        if item.invalid_utf8:
            report["invalid_utf8"] = item.invalid_utf8
        if item.record is None:
            self._output.write(result.text.encode("utf-8"))
            if self._report is not None:
                self._report.write(json_bytes(report, indent=2))
        else:
            self._output.write(json_bytes({**item.record, self._text_field: result.text}))
            if self._report is not None:
                self._report.write(json_bytes(report))

    def skipped(self, item: _Item) -> None:
        if self._report is not None:
            self._report.write(json_bytes({"id": item.id, "error": item.error, "line": item.line}))

    def end(self) -> None:
        for file in self._open:
            file.commit()
        self._open = []

    def abort(self) -> None:
        for file in self._open:
            file.discard()
        self._open = []


class _DiffView:
    """The normalized text of each document with the removed spans marked:
    red and struck through in colour, ``[-like this-]`` without."""

    def __init__(self, color: bool) -> None:
        self._color = color
        self._stream = sys.stdout.buffer

    def document(self, item: _Item, result: CleanResult, where: str) -> None:
        header = f"==> {where}" + ("" if item.record is None or item.id is None else f" (id {item.id})") + " <=="
        parts = [click.style(header, bold=True) if self._color else header, "\n"]
        pos = 0
        for removal in sorted(result.removals, key=lambda r: r.start):
            parts += [result.normalized[pos : removal.start], self._removed(result.normalized[removal.start : removal.end])]
            pos = removal.end
        parts.append(result.normalized[pos:])
        text = "".join(parts)
        self._stream.write((text if text.endswith("\n") else text + "\n").encode("utf-8", "replace"))

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
    """A documents / MB counter on stderr, for runs longer than a second; warnings go around it."""

    def __init__(self, enabled: bool, clock: Callable[[], float] = time.monotonic) -> None:
        self._enabled = enabled
        self._clock = clock
        self._next = clock() + 1.0
        self._shown = False

    def update(self, summary: _Summary) -> None:
        if not self._enabled or self._clock() < self._next:
            return
        self._next = self._clock() + 0.2
        self._write(f"\r{summary.documents} documents, {summary.bytes_in / 1e6:.1f} MB")
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
def verify(input_arg: str, report_arg: str, output_arg: str, text_field: str, id_field: str, input_format: str) -> None:
    """Check that REPORT proves how INPUT became OUTPUT.

    For each document: the input normalized again with the report's config
    has the recorded sha256, every removal's text is what the normalized text
    holds at its span, and deleting the removals gives OUTPUT byte for byte.
    For JSONL, line n of REPORT goes with record n of INPUT and of OUTPUT
    (a record the report marks skipped has no output record). Exit code 0 and
    "OK: N documents verified", or 1 naming the first document that differs.

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
            count = _verify_text(source, report, output)
        else:
            count = _verify_jsonl(source, report, output, text_field, id_field)
    except FileError as exc:
        raise DataError(str(exc)) from None
    click.echo(f"OK: {count} documents verified")


class _Mismatch(Exception):
    """What differs between a report and its document."""


def _verify_text(source: Source, report_source: Source, output: Source) -> int:
    text, _ = read_text(source)
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


def _verify_jsonl(source: Source, report_source: Source, output: Source, text_field: str, id_field: str) -> int:
    outputs = read_jsonl(output)
    count = 0
    for line, report_line in zip_longest(read_jsonl(source), read_jsonl(report_source)):
        if line is None:
            raise DataError(f"{report_source.name}:{report_line.number}: no input record is left for this report line")
        where = f"{source.name}:{line.number}"
        if report_line is None:
            raise DataError(f"{where}: {report_source.name} has no line for this record")
        report = report_line.record
        if report is None:
            raise DataError(f"{report_source.name}:{report_line.number}: {report_line.error}")
        if report.get("line", line.number) != line.number:
            raise DataError(f"{where}: the report line is for line {report['line']}")
        if "error" in report:
            continue  # left out by --on-error skip: no output record
        text, error = _record_text(line, text_field)
        if line.record is None or text is None:
            raise DataError(f"{where}: {error}")
        doc_id = line.record.get(id_field)
        if report.get("id") != doc_id:
            raise DataError(f"{where}: the report line is for id {report.get('id')!r}, the record has id {doc_id!r}")
        where += "" if doc_id is None else f" (id {doc_id!r})"
        try:
            expected = {**line.record, text_field: _replay(text, report)}
        except _Mismatch as exc:
            raise DataError(f"{where}: {exc}") from None
        out = next(outputs, None)
        if out is None:
            raise DataError(f"{where}: {output.name} has no record for it")
        if out.record is None:
            raise DataError(f"{output.name}:{out.number}: {out.error}")
        if out.record != expected or list(out.record) != list(expected):
            raise DataError(f"{where}: {output.name}:{out.number} {_record_difference(out.record, expected, text_field)}")
        count += 1
    extra = next(outputs, None)
    if extra is not None:
        raise DataError(f"{output.name}:{extra.number}: a record the report does not account for")
    return count


def _replay(text: str, report: Mapping[str, object]) -> str:
    """The output the report promises for ``text``; `_Mismatch` says what differs."""
    if "config" not in report:
        raise _Mismatch("the report records no config")
    try:
        config = Config.from_dict(report["config"])  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise _Mismatch(f"the report's config is invalid: {exc}") from None
    normalized = clean(text, config).normalized
    digest = sha256(normalized)
    if digest != report.get("normalized_sha256"):
        raise _Mismatch(f"the normalized text has sha256 {digest}, the report records {report.get('normalized_sha256')}")
    try:
        removals = [Removal.from_dict(r) for r in report.get("removals", [])]  # type: ignore[attr-defined]
        return apply_removals(normalized, removals)  # checks each removal's text against its span
    except (KeyError, TypeError, ValueError) as exc:
        raise _Mismatch(f"the removals do not replay: {exc}") from None


def _first_difference(a: Sequence[object], b: Sequence[object]) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


def _record_difference(actual: Mapping[str, object], expected: Mapping[str, object], text_field: str) -> str:
    got, want = actual.get(text_field), expected[text_field]
    if isinstance(got, str) and isinstance(want, str) and got != want:
        return f'"{text_field}" differs from the replayed report at character {_first_difference(got, want)}'
    if got != want:
        return f'has no string "{text_field}"'
    return "differs from the input record in its other fields or their order"

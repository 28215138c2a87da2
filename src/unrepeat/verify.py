"""Check that a report proves how a document became its output.

`check_report` takes the raw input of one document and its report record and
returns the output the report promises, after checking everything a report
claims:

- the input, normalized again with the report's config, has the recorded
  ``normalized_sha256``;
- every removal holds the recorded text at its span, and the spans do not
  overlap; deleting them gives the output (the caller compares it);
- every removal's kept copy (in this document: ``kept_doc`` absent) lies
  inside the text, outside every removed span, so it is in the output; its
  letters are what the removal's recorded ``similarity`` says (recomputed
  with `unrepeat.collapse.similarity`), and that similarity is at least the
  config's ``similarity``: the removed text is a copy of text that stays;
- the ``counts`` agree with the removals and the texts.

A kept copy in another document (corpus scope) is checked for its shape only;
the other document's text is not at hand. The input is normalized again with
`unrepeat.normalize.normalize` only, never cleaned again: the report's
removals are replayed, not recomputed.

`verify_text` and `verify_records` check a whole output against its input
and report (in memory), `verify_files` the files of a run; each raises
`VerifyError` with the first mismatch.

>>> from unrepeat import Config, clean
>>> text = "Breaking news\\nBreaking news\\nThe story itself.\\n"
>>> report = clean(text).report("doc", Config().as_dict())
>>> check_report(text, report)
'Breaking news\\n\\nThe story itself.\\n'
>>> report["removals"][0]["kept_start"] += 1
>>> check_report(text, report)
Traceback (most recent call last):
    ...
unrepeat.verify.VerifyError: removal 15-30: its kept copy has similarity 0.5, the report records 1.0
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import zip_longest
from pathlib import Path

from .collapse import similarity
from .config import Config
from .documents import text_problem
from .io import STDIN, Format, JsonLine, find_inputs, read_bytes, read_jsonl, read_records, read_text
from .normalize import normalize
from .report import Removal, apply_removals, sha256

#: Similarities are recorded to this many decimals.
DECIMALS = 4


class VerifyError(ValueError):
    """A report that does not prove its output; the message says what differs."""


def check_report(text: str, report: Mapping[str, object]) -> str:
    """The output that ``report`` promises for the raw input ``text``.

    Raises `VerifyError` naming the first thing that does not hold.
    """
    if "config" not in report:
        raise VerifyError("the report records no config")
    try:
        config = Config.from_dict(dict(report["config"]))  # type: ignore[call-overload]
    except (TypeError, ValueError) as exc:
        raise VerifyError(f"the report's config is invalid: {exc}") from None
    normalized = normalize(text, config).text
    digest = sha256(normalized)
    if digest != report.get("normalized_sha256"):
        raise VerifyError(f"the normalized text has sha256 {digest}, the report records {report.get('normalized_sha256')}")
    try:
        removals = [Removal.from_dict(r) for r in report.get("removals", [])]  # type: ignore[attr-defined]
        output = apply_removals(normalized, removals)  # checks each removal's text against its span
    except (KeyError, TypeError, ValueError) as exc:
        raise VerifyError(f"the removals do not replay: {exc}") from None
    spans = sorted((r.start, r.end) for r in removals)
    for r in removals:
        _check_kept(normalized, r, spans, config)
    _check_counts(report, normalized, output, removals)
    return output


def _check_kept(normalized: str, r: Removal, spans: list[tuple[int, int]], config: Config) -> None:
    where = f"removal {r.start}-{r.end}"
    if not 0 <= r.kept_start <= r.kept_end:
        raise VerifyError(f"{where}: its kept span {r.kept_start}-{r.kept_end} is not a span")
    if r.kept_doc is not None:
        return
    if r.kept_end > len(normalized):
        raise VerifyError(f"{where}: its kept span {r.kept_start}-{r.kept_end} is outside the text")
    if any(s < r.kept_end and r.kept_start < e for s, e in spans):
        raise VerifyError(f"{where}: its kept span {r.kept_start}-{r.kept_end} lies in removed text")
    kept = normalized[r.kept_start : r.kept_end]
    actual = round(similarity(r.text, kept, repeats=True), DECIMALS)
    if actual != round(r.similarity, DECIMALS):
        raise VerifyError(f"{where}: its kept copy has similarity {actual}, the report records {r.similarity}")
    if actual < config.similarity:
        raise VerifyError(f"{where}: its kept copy is not a copy of it (similarity {actual})")


def _check_counts(report: Mapping[str, object], normalized: str, output: str, removals: list[Removal]) -> None:
    counts = report.get("counts")
    if not isinstance(counts, Mapping):
        raise VerifyError("the report records no counts")
    expected = {
        "normalized_chars": len(normalized),
        "output_chars": len(output),
        "removals": len(removals),
        "removed_chars": sum(r.end - r.start for r in removals),
        "by_reason": dict(sorted(Counter(str(r.reason) for r in removals).items())),
    }
    for name, value in expected.items():
        if counts.get(name) != value:
            raise VerifyError(f"the report counts {name} {counts.get(name)!r}, the texts give {value!r}")


def verify_text(text: str, report: Mapping[str, object], output: str | bytes, output_name: str = "the output") -> None:
    """Check that ``report`` proves how the document ``text`` became ``output`` (text, or its UTF-8 bytes).

    Raises `VerifyError` with the first mismatch.

    >>> from unrepeat import Config, clean
    >>> text = "Breaking news\\nBreaking news\\nThe story itself.\\n"
    >>> result = clean(text)
    >>> verify_text(text, result.report("doc", Config().as_dict()), result.text)
    >>> verify_text(text, result.report("doc", Config().as_dict()), "Breaking news\\n")
    Traceback (most recent call last):
        ...
    unrepeat.verify.VerifyError: the output differs from the replayed report at byte 14
    """
    expected = check_report(text, report).encode("utf-8")
    actual = output.encode("utf-8") if isinstance(output, str) else output
    if actual != expected:
        raise VerifyError(f"{output_name} differs from the replayed report at byte {_first_difference(actual, expected)}")


def verify_records(
    records: Iterable[Mapping[str, object] | JsonLine],
    reports: Iterable[Mapping[str, object] | JsonLine],
    outputs: Iterable[Mapping[str, object] | JsonLine],
    text_field: str = "text",
    id_field: str = "id",
    *,
    names: tuple[str, str, str] = ("input", "report", "output"),
    unit: str = "line",
) -> int:
    """Check that report n proves how record n became its output record; the number of documents verified.

    A report that records an ``error`` (a record skipped) or ``dropped`` (a
    duplicate or a short document left out) has no output record. Ids and
    records are compared as JSON text, field order included. ``names`` name
    the inputs, reports and outputs in messages (FILE:N), ``unit`` what N
    counts ("line", or "row" for Parquet). Raises `VerifyError` naming the
    first record that differs.

    >>> from unrepeat import Config, clean_records
    >>> rows = [{"id": 1, "text": "Same line.\\nSame line.\\n"}]
    >>> out = list(clean_records(rows, report_field="r"))
    >>> verify_records(rows, [o.pop("r") for o in out], out)
    1
    >>> verify_records(rows, [clean_records(rows, report_field="r").__next__()["r"]], [{"id": 1, "text": "x"}])
    Traceback (most recent call last):
        ...
    unrepeat.verify.VerifyError: input:1 (id 1): output:1 "text" differs from the replayed report at character 0
    """
    input_name, report_name, output_name = names
    outs = _numbered(outputs)
    count = 0
    for line, report_line in zip_longest(_numbered(records), _numbered(reports)):
        if line is None:
            raise VerifyError(f"{report_name}:{report_line.number}: no input record is left for this report line")
        where = f"{input_name}:{line.number}"
        if report_line is None:
            raise VerifyError(f"{where}: {report_name} has no line for this record")
        report = report_line.record
        if report is None:
            raise VerifyError(f"{report_name}:{report_line.number}: {report_line.error}")
        if report.get(unit, line.number) != line.number:
            raise VerifyError(f"{where}: the report line is for {unit} {report[unit]}")
        if "error" in report:
            continue  # left out by --on-error skip: no output record
        text, error = (None, line.error) if line.record is None else text_problem(line.record, text_field)
        if line.record is None or text is None:
            raise VerifyError(f"{where}: {error}")
        doc_id = line.record.get(id_field)
        if not _same_json(report.get("id"), doc_id):
            raise VerifyError(f"{where}: the report line is for id {report.get('id')!r}, the record has id {doc_id!r}")
        where += "" if doc_id is None else f" (id {doc_id!r})"
        try:
            expected = {**line.record, text_field: check_report(text, report)}
        except VerifyError as exc:
            raise VerifyError(f"{where}: {exc}") from None
        count += 1
        if report.get("dropped"):
            continue  # a duplicate (--drop-duplicates) or a short document (--min-words) left out: no output record
        out = next(outs, None)
        if out is None:
            raise VerifyError(f"{where}: {output_name} has no record for it")
        if out.record is None:
            raise VerifyError(f"{output_name}:{out.number}: {out.error}")
        if not _same_json(out.record, expected):
            raise VerifyError(f"{where}: {output_name}:{out.number} {_record_difference(out.record, expected, text_field)}")
    extra = next(outs, None)
    if extra is not None:
        raise VerifyError(f"{output_name}:{extra.number}: a record the report does not account for")
    return count


def verify_files(input: str, report: str, output: str, text_field: str = "text", id_field: str = "id",
                 format: Format | None = None, max_bytes: int | None = None) -> int:
    """Check the files of a run (``-`` for standard input): the number of documents verified.

    A text INPUT has a JSON report, a JSONL or Parquet one (``format``: by
    the file name, else given) a JSONL report with one line per record.
    Raises `VerifyError` with the first mismatch, `unrepeat.io.FileError`
    for a file that cannot be read; ``max_bytes`` limits a document as for
    cleaning.
    """
    args = [input, report, output]
    if any(arg != STDIN and Path(arg).is_dir() for arg in args):
        raise ValueError("INPUT, REPORT and OUTPUT must be files, not directories")
    source, report_source, output_source = find_inputs(args, format)
    if source.format is Format.TEXT:
        text, _ = read_text(source, max_bytes)
        try:
            record = json.loads(read_text(report_source)[0])
        except ValueError as exc:
            raise VerifyError(f"{report_source.name}: invalid JSON: {exc}") from None
        if not isinstance(record, dict):
            raise VerifyError(f"{report_source.name}: expected a JSON object, got {type(record).__name__}")
        try:
            verify_text(text, record, read_bytes(output_source), output_source.name)
        except VerifyError as exc:
            raise VerifyError(f"{source.name}: {exc}") from None
        return 1
    unit = "row" if source.format is Format.PARQUET else "line"
    return verify_records(read_records(source, max_bytes), read_jsonl(report_source), read_records(output_source),
                          text_field, id_field, names=(source.name, report_source.name, output_source.name), unit=unit)


def _numbered(items: Iterable[Mapping[str, object] | JsonLine]) -> Iterator[JsonLine]:
    """Records as `JsonLine` (a mapping is record n, from 1), lines as they are."""
    for n, item in enumerate(items, 1):
        yield item if isinstance(item, JsonLine) else JsonLine(n, dict(item), None, 0)


def _same_json(a: object, b: object) -> bool:
    """Equal as JSON text: keys in the same order, and NaN equal to NaN (``==`` says neither).

    >>> _same_json({"id": float("nan")}, {"id": float("nan")}), _same_json({"a": 1, "b": 2}, {"b": 2, "a": 1})
    (True, False)
    """
    # default=repr: a Parquet row may hold dates, decimals, bytes
    return a is b or json.dumps(a, default=repr) == json.dumps(b, default=repr)


def _first_difference(a: Sequence[object], b: Sequence[object]) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


def _record_difference(actual: Mapping[str, object], expected: Mapping[str, object], text_field: str) -> str:
    got, want = actual.get(text_field), expected[text_field]
    if isinstance(got, str) and isinstance(want, str) and got != want:
        return f'"{text_field}" differs from the replayed report at character {_first_difference(got, want)}'
    if got != want:
        return f'has no string "{text_field}"'
    return "differs from the input record in its other fields or their order"

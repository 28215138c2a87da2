"""One record path for every engine: raw input to documents, results to output and report records.

Every engine (the CLI's file runner, `unrepeat.clean_records`, the local
engine and the Dask engine) reads documents and writes their records the same
way, through the plain functions here:

- a raw input becomes a `Document`: `from_text` (a text file's bytes),
  `from_line` (a parsed JSONL line or Parquet row of a file),
  `from_record` (a record in memory, which must hold a text: errors raise,
  naming the record);
- a document is named for corpus scope's reports (`kept_doc`): its id, else
  ``FILE:LINE`` for a record of a file (`line_name`), ``record N`` for a
  record in memory (`record_name`, N from 0), the file name for a text file;
- a result becomes the output record (`output_record`), the report record
  with its extras (`report_record`: ``line`` or ``row``, ``invalid_utf8``,
  ``dropped``), or, for a record left out for an error, its report record
  (`skipped_report`); `dropped` says whether and why a document is left out
  of the output; `warnings` are the messages a document gives on stderr.

Everything here takes and returns plain values (no files, no state), so a
Dask task can call it as well as the local engine. Reading is in
`unrepeat.io`: `read_jsonl` for a whole file, `read_range` for the lines
that start in a byte range of one (a Dask block), both through
`open_stream` (decompression, the binary check, the byte order mark).

>>> from unrepeat import Config, clean
>>> from unrepeat.io import JsonLine
>>> doc = from_line(JsonLine(3, {"id": None, "text": "Hi.", "n": 1}, None, 0), "crawl.jsonl")
>>> doc.name, doc.where, doc.text
('crawl.jsonl:3', 'crawl.jsonl:3', 'Hi.')
>>> result = clean(doc.text)
>>> output_record(doc, result, "text")
{'id': None, 'text': 'Hi.\\n', 'n': 1}
>>> report = report_record(doc, result, Config().as_dict())
>>> report["line"], "dropped" in report
(3, False)
>>> bad = from_line(JsonLine(4, {"id": 9, "text": 5}, None, 0), "crawl.jsonl")
>>> bad.text, bad.error, skipped_report(bad)
(None, '"text" must be a string, got int', {'id': 9, 'error': '"text" must be a string, got int', 'line': 4})
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, NamedTuple

from .io import JsonLine, decode, too_large
from .report import CleanResult, utf8_len

Unit = Literal["line", "row"]
"""What a record's number counts: a JSONL line, or a Parquet row (both from 1)."""

Dropped = bool | str | None
"""Why a document is left out of the output: True for a duplicate
(``--drop-duplicates``, written ``"dropped": true`` as always), ``"short"`` for
fewer words than ``--min-words``, None (or False) when it stays."""

SHORT = "short"


class Document(NamedTuple):
    """One document of the input, or a record that is not one (``text`` None, ``error`` set).

    The first three fields are what the engine needs (`unrepeat.engine.clean_documents`
    cleans ``text``; None keeps the place without cleaning); the rest is
    for naming it and for its records.
    """

    id: object  #: the record's id field (None: none), a text file's name
    text: str | None  #: None: not cleaned (a record left out for ``error``, or a placeholder)
    record: Mapping[str, object] | None = None  #: the input record, for its output record
    name: str = ""  #: how corpus scope's reports name it (`kept_doc`); "" for str(id)
    where: str = ""  #: where it is, for messages: FILE:LINE, a text file's name, "record N"
    line: int | None = None  #: its line (JSONL) or row (Parquet) number, from 1; None for a text file
    unit: Unit = "line"  #: what ``line`` counts
    error: str | None = None  #: why it is not a document
    invalid_utf8: int = 0  #: invalid UTF-8 sequences replaced with U+FFFD
    size: int = 0  #: bytes of the input it took (a text file's bytes, a JSONL line with its end)


def line_name(file: str, line: int) -> str:
    """How a record of a file without an id is named: ``FILE:LINE``.

    >>> line_name("crawl.jsonl.gz", 12)
    'crawl.jsonl.gz:12'
    """
    return f"{file}:{line}"


def record_name(index: int) -> str:
    """How a record in memory without an id is named: ``record N``, N counted from 0.

    >>> record_name(0)
    'record 0'
    """
    return f"record {index}"


def name_of(doc_id: object, otherwise: str) -> str:
    """A document's name in a corpus: its id as text, or ``otherwise`` when it has none.

    >>> name_of(7, "a.jsonl:1"), name_of(None, "a.jsonl:1")
    ('7', 'a.jsonl:1')
    """
    return otherwise if doc_id is None else str(doc_id)


def document_name(doc: object) -> str:
    """The name the engine gives a document in corpus scope: its ``name``, else ``str(id)``."""
    return getattr(doc, "name", "") or str(getattr(doc, "id", None))


def text_of(record: Mapping[str, object], text_field: str = "text") -> str:
    """The text of one record, checked.

    >>> text_of({"text": "Hi."})
    'Hi.'
    >>> text_of({"text": None})
    Traceback (most recent call last):
        ...
    ValueError: "text" must be a string, got None
    >>> text_of({"body": "Hi."})
    Traceback (most recent call last):
        ...
    KeyError: 'no "text" field'
    """
    if text_field not in record:
        raise KeyError(f'no "{text_field}" field')
    return checked_text(record[text_field], text_field)


def checked_text(text: object, text_field: str = "text") -> str:
    """``text`` if it is a string; else ValueError saying what it is."""
    if not isinstance(text, str):
        kind = "None" if text is None else type(text).__name__
        raise ValueError(f'"{text_field}" must be a string, got {kind}')
    return text


def text_problem(record: Mapping[str, object], text_field: str) -> tuple[str | None, str | None]:
    """The text of a record, or what is wrong with it (as ``(None, problem)``).

    >>> text_problem({"text": "Hi."}, "text"), text_problem({}, "text")
    (('Hi.', None), (None, 'no "text" field'))
    """
    try:
        return text_of(record, text_field), None
    except KeyError as exc:
        return None, str(exc.args[0])
    except ValueError as exc:
        return None, str(exc)


def from_text(data: bytes, name: str) -> Document:
    """A text file (its bytes, named ``name``) as one document; its id and name are the file name.

    >>> from_text(b"caf\\xe9.", "page.txt")[:2], from_text(b"caf\\xe9.", "page.txt").invalid_utf8
    (('page.txt', 'caf\ufffd.'), 1)
    """
    text, invalid = decode(data)
    return Document(name, text, None, name, name, invalid_utf8=invalid, size=len(data))


def skipped_text(name: str, error: str) -> Document:
    """A text file left out for ``error`` (too large, with ``--on-error skip``)."""
    return Document(name, None, None, name, name, error=error)


def from_line(line: JsonLine, file: str, text_field: str = "text", id_field: str = "id",
              max_bytes: int | None = None, unit: Unit = "line") -> Document:
    """A parsed line of a JSONL file (or a row of a Parquet file, ``unit="row"``) as a document.

    What keeps it from being one (a line that is no JSON object, no text
    field, a text that is no string or, with ``max_bytes``, longer than that
    in UTF-8) is its ``error``, and its text is None: the caller stops or
    skips it. Named by its id, else ``FILE:LINE``.

    >>> from_line(JsonLine(2, None, "invalid JSON: oops", 0), "a.jsonl").error
    'invalid JSON: oops'
    >>> from_line(JsonLine(1, {"text": "abcdé"}, None, 0), "t.parquet", max_bytes=5, unit="row").error
    'document is larger than --max-doc-bytes (5 bytes)'
    """
    text, error = (None, line.error) if line.record is None else text_problem(line.record, text_field)
    if text is not None and max_bytes is not None and len(text) * 4 > max_bytes and utf8_len(text) > max_bytes:
        text, error = None, too_large(max_bytes)  # a Parquet text (a JSONL line is checked as it is read)
    doc_id = None if line.record is None else line.record.get(id_field)
    where = line_name(file, line.number)
    return Document(doc_id, text, line.record if error is None else None, name_of(doc_id, where), where,
                    line.number, unit, error, line.invalid_utf8, line.size)


def from_record(index: int, record: object, text_field: str = "text", id_field: str = "id") -> Document:
    """Record ``index`` (from 0) of records in memory as a document, named by its id, else ``record N``.

    Unlike a line of a file, a record that is not a document raises, naming
    it: TypeError (not a mapping), KeyError (no text field), ValueError (a
    text that is not a string).

    >>> from_record(0, {"text": "Hi.", "id": None}).name
    'record 0'
    >>> from_record(1, {"id": 1})
    Traceback (most recent call last):
        ...
    KeyError: 'record 1: no "text" field'
    """
    if not isinstance(record, Mapping):
        raise TypeError(f"{record_name(index)} is a {type(record).__name__}, not a mapping")
    try:
        text = text_of(record, text_field)
    except KeyError as exc:
        raise KeyError(f"{record_name(index)}: {exc.args[0]}") from None
    except ValueError as exc:
        raise ValueError(f"{record_name(index)}: {exc}") from None
    doc_id = record.get(id_field)
    return from_column(index, doc_id, text, record)


def from_column(index: int, doc_id: object, text: object, record: Mapping[str, object] | None = None,
                text_field: str = "text") -> Document:
    """Row ``index`` of a batch of columns (a dict of lists, a data frame) as a document: its id and its text.

    >>> from_column(3, None, 5)
    Traceback (most recent call last):
        ...
    ValueError: record 3: "text" must be a string, got int
    """
    try:
        checked = checked_text(text, text_field)
    except ValueError as exc:
        raise ValueError(f"{record_name(index)}: {exc}") from None
    return Document(doc_id, checked, record, name_of(doc_id, record_name(index)), record_name(index))


def dropped(result: CleanResult, *, drop_duplicates: bool = False, min_words: int = 0) -> Dropped:
    """Whether and why a cleaned document is left out of the output (see `Dropped`).

    ``min_words``: fewer words than this left after cleaning (0: off).

    >>> from unrepeat import clean
    >>> dropped(clean("Too short."), min_words=3), dropped(clean("Long enough here."), min_words=3)
    ('short', None)
    """
    if drop_duplicates and result.duplicate_of is not None:
        return True
    if min_words and word_count(result.text) < min_words:
        return SHORT
    return None


def word_count(text: str) -> int:
    """Words as whitespace-separated tokens, as datatrove's ``min_doc_words`` counts them.

    >>> word_count("One two\\n\\nthree.\\n"), word_count("")
    (3, 0)
    """
    return len(text.split())


def output_record(doc: Document, result: CleanResult, text_field: str = "text") -> dict[str, object]:
    """The output record of a record document: the input record with the cleaned text, every other field kept."""
    if doc.record is None:
        raise ValueError(f"{doc.where or doc.name}: not a record")
    return {**doc.record, text_field: result.text}


def report_record(doc: Document, result: CleanResult, config: Mapping[str, object] | None,
                  dropped: Dropped = None) -> dict[str, object]:
    """The report record of a document: `CleanResult.report` with the id and the config, then its
    ``line`` (or ``row``), ``invalid_utf8`` and ``dropped`` when there are any."""
    report = result.report(doc.id, config)
    if doc.line is not None:
        report[doc.unit] = doc.line
    if doc.invalid_utf8:
        report["invalid_utf8"] = doc.invalid_utf8
    if dropped:
        report["dropped"] = dropped
    return report


def skipped_report(doc: Document) -> dict[str, object]:
    """The report record of a record (or text file) left out for its error."""
    report: dict[str, object] = {"id": doc.id, "error": doc.error}
    if doc.line is not None:
        report[doc.unit] = doc.line
    return report


def warnings(doc: Document) -> list[str]:
    """What a document says on stderr (without ``Warning: ``): invalid UTF-8 replaced, a record skipped.

    >>> warnings(Document("a", None, where="a.jsonl:2", error="invalid JSON", invalid_utf8=1))
    ['a.jsonl:2: 1 invalid UTF-8 sequences replaced with U+FFFD', 'a.jsonl:2: skipped: invalid JSON']
    """
    out = []
    if doc.invalid_utf8:
        out.append(f"{doc.where}: {doc.invalid_utf8} invalid UTF-8 sequences replaced with U+FFFD")
    if doc.error is not None:
        out.append(f"{doc.where}: skipped: {doc.error}")
    return out

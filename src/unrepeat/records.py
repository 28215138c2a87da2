"""Cleaning the text field of records, for ML pipelines.

Records are dicts (any iterable of them, e.g. a JSONL reader) or the dict
of lists that ``datasets.Dataset.map(batched=True)`` passes; either way only
the text field changes, and the inputs are never modified.
"""

from __future__ import annotations

import itertools

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import overload

from .config import Config
from .engine import Document, clean_documents


@overload
def clean_records(
    records: Mapping[str, Sequence[object]],
    text_field: str = ...,
    config: Config | None = ...,
    *,
    id_field: str = ...,
    report_field: str | None = ...,
) -> dict[str, object]: ...


@overload
def clean_records(
    records: Iterable[Mapping[str, object]],
    text_field: str = ...,
    config: Config | None = ...,
    *,
    id_field: str = ...,
    report_field: str | None = ...,
) -> Iterator[dict[str, object]]: ...


def clean_records(
    records: Mapping[str, Sequence[object]] | Iterable[Mapping[str, object]],
    text_field: str = "text",
    config: Config | None = None,
    *,
    id_field: str = "id",
    report_field: str | None = None,
) -> dict[str, object] | Iterator[dict[str, object]]:
    """Clean the text field of each record; every other field stays as it is.

    ``records`` is an iterable of dicts (the result is an iterator of new
    dicts, in the same order) or a dict of lists, one list per field (the
    result is a new dict of lists). With ``report_field``, each record also
    gets its report under that name (`CleanResult.report`, with the id from
    ``id_field`` and the config). A missing text field raises KeyError, a
    text that is not a string ValueError, both naming the record.

    >>> rows = [{"id": 7, "text": "Hello world.", "lang": "en"}]
    >>> list(clean_records(rows))
    [{'id': 7, 'text': 'Hello world.\\n', 'lang': 'en'}]
    >>> batch = {"id": [1, 2], "text": ["Hello world.", ""]}
    >>> clean_records(batch)
    {'id': [1, 2], 'text': ['Hello world.\\n', '']}
    >>> out = clean_records(batch, report_field="unrepeat")
    >>> out["unrepeat"][1]["id"], out["unrepeat"][1]["counts"]["removals"]
    (2, 0)
    >>> list(clean_records([{"id": 1, "body": "Hello."}]))
    Traceback (most recent call last):
        ...
    KeyError: 'record 0: no "text" field'
    """
    config = Config() if config is None else config
    if report_field == text_field:
        raise ValueError(f"report_field must differ from text_field, both are {text_field!r}")
    if isinstance(records, Mapping):
        return _clean_columns(records, text_field, config, id_field, report_field)
    return _clean_rows(records, text_field, config, id_field, report_field)


def text_of(record: Mapping[str, object], text_field: str = "text") -> str:
    """The text of one record, checked.

    >>> text_of({"text": "Hi."})
    'Hi.'
    >>> text_of({"text": None})
    Traceback (most recent call last):
        ...
    ValueError: "text" must be a string, got None
    """
    if text_field not in record:
        raise KeyError(f'no "{text_field}" field')
    return _checked(record[text_field], text_field)


def _checked(text: object, text_field: str) -> str:
    if not isinstance(text, str):
        kind = "None" if text is None else type(text).__name__
        raise ValueError(f'"{text_field}" must be a string, got {kind}')
    return text


def _clean_rows(
    records: Iterable[Mapping[str, object]], text_field: str, config: Config, id_field: str, report_field: str | None
) -> Iterator[dict[str, object]]:
    config_dict = config.as_dict()
    documents = (_document(i, record, text_field, id_field) for i, record in enumerate(records))
    for doc, result in clean_documents(documents, config, doc_id=_namer()):
        assert doc.record is not None and result is not None  # every document has a record and a text
        out = {**doc.record, text_field: result.text}
        if report_field is not None:
            out[report_field] = result.report(doc.id, config_dict)  # type: ignore[arg-type]
        yield out


def _namer() -> Callable[[Document], str]:
    """Names documents for corpus scope's report: the id, or "record N" (from 0)
    for a record without one; called once per document, in order."""
    counter = itertools.count()

    def name(doc: Document) -> str:
        n = next(counter)
        return f"record {n}" if doc.id is None else str(doc.id)

    return name


def _document(index: int, record: Mapping[str, object], text_field: str, id_field: str) -> Document:
    if not isinstance(record, Mapping):
        raise TypeError(f"record {index} is a {type(record).__name__}, not a mapping")
    try:
        text = text_of(record, text_field)
    except KeyError as exc:
        raise KeyError(f"record {index}: {exc.args[0]}") from None
    except ValueError as exc:
        raise ValueError(f"record {index}: {exc}") from None
    return Document(record.get(id_field), text, record)


def _clean_columns(
    batch: Mapping[str, Sequence[object]], text_field: str, config: Config, id_field: str, report_field: str | None
) -> dict[str, object]:
    if text_field not in batch:
        raise KeyError(f'no "{text_field}" column; the columns are {", ".join(map(str, batch))}')
    texts = batch[text_field]
    ids = batch[id_field] if id_field in batch else [None] * len(texts)
    documents = []
    for index, (doc_id, text) in enumerate(zip(ids, texts, strict=True)):
        try:
            documents.append(Document(doc_id, _checked(text, text_field)))
        except ValueError as exc:
            raise ValueError(f"record {index}: {exc}") from None
    config_dict = config.as_dict()
    cleaned: list[str] = []
    reports: list[dict[str, object]] = []
    for doc, result in clean_documents(documents, config, doc_id=_namer()):
        assert result is not None  # every document has a text
        cleaned.append(result.text)
        if report_field is not None:
            reports.append(result.report(doc.id, config_dict))  # type: ignore[arg-type]
    out: dict[str, object] = dict(batch)
    out[text_field] = cleaned
    if report_field is not None:
        out[report_field] = reports
    return out

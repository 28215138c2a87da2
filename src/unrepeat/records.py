"""Cleaning the text field of records, for ML pipelines.

Records are dicts (any iterable of them, e.g. a JSONL reader) or the dict
of lists that ``datasets.Dataset.map(batched=True)`` passes; either way only
the text field changes, and the inputs are never modified.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import overload

from .config import Config
from .documents import from_column, from_record, output_record, report_record, text_of
from .engine import clean_documents

__all__ = ["clean_records", "text_of"]


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


def _clean_rows(
    records: Iterable[Mapping[str, object]], text_field: str, config: Config, id_field: str, report_field: str | None
) -> Iterator[dict[str, object]]:
    config_dict = config.as_dict()
    documents = (from_record(i, record, text_field, id_field) for i, record in enumerate(records))
    for doc, result in clean_documents(documents, config):
        assert result is not None  # every document has a text
        out = output_record(doc, result, text_field)
        if report_field is not None:
            out[report_field] = report_record(doc, result, config_dict)
        yield out


def _clean_columns(
    batch: Mapping[str, Sequence[object]], text_field: str, config: Config, id_field: str, report_field: str | None
) -> dict[str, object]:
    if text_field not in batch:
        raise KeyError(f'no "{text_field}" column; the columns are {", ".join(map(str, batch))}')
    texts = batch[text_field]
    ids = batch[id_field] if id_field in batch else [None] * len(texts)
    documents = [from_column(i, doc_id, text, text_field=text_field)
                 for i, (doc_id, text) in enumerate(zip(ids, texts, strict=True))]
    config_dict = config.as_dict()
    cleaned: list[str] = []
    reports: list[dict[str, object]] = []
    for doc, result in clean_documents(documents, config):
        assert result is not None  # every document has a text
        cleaned.append(result.text)
        if report_field is not None:
            reports.append(report_record(doc, result, config_dict))
    out: dict[str, object] = dict(batch)
    out[text_field] = cleaned
    if report_field is not None:
        out[report_field] = reports
    return out

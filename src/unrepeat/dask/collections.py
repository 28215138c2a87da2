"""`clean` on a bag of dicts or a DataFrame at hand, lazily; corpus scope by the fold of
`unrepeat.dask.run` (`unrepeat.dask.fold`), a chain of tasks through the partitions in order."""

from __future__ import annotations

import dataclasses
import functools
import json
from typing import TYPE_CHECKING, Any

from ..collapse import clean as clean_text
from ..config import Config, Scope
from ..corpus import Verdict
from ..documents import Document, from_column, from_record, name_of, output_record, record_name, report_record
from ..report import CleanResult
from .fold import FoldState, fold
from .tasks import applied, prepared

if TYPE_CHECKING:
    import dask.bag
    import dask.dataframe
    import pandas

_REPORT = "__unrepeat_report__"


def clean(
    collection: dask.bag.Bag | dask.dataframe.DataFrame,
    scope: Scope | str | None = None,
    text_field: str = "text",
    id_field: str = "id",
    config: Config | None = None,
) -> tuple[dask.bag.Bag, dask.bag.Bag] | tuple[dask.dataframe.DataFrame, dask.dataframe.DataFrame]:
    """Clean the text field of a Dask collection of records, lazily: ``(cleaned, reports)``.

    A bag of dicts gives a bag of new dicts and a bag of report dicts; a
    DataFrame gives one with the same columns, types, index and divisions,
    and one column ``"report"`` of JSON text. Both are what
    `unrepeat.clean_records` gives for the records in partition order (a
    record without an id is "record N" in corpus scope, N over all
    partitions). ``scope`` overrides ``config.scope``. Compute both together
    (``dask.compute(cleaned, reports)``) so the records are cleaned once.

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
    import dask.dataframe as dd

    if isinstance(collection, db.Bag):
        pairs = db.from_delayed(_cleaned(collection.to_delayed(), _bag_part, text_field, id_field, config))
        return pairs.pluck(0), pairs.pluck(1)
    if isinstance(collection, dd.DataFrame):
        if text_field not in collection.columns:
            raise KeyError(f'no "{text_field}" column; the columns are {", ".join(map(str, collection.columns))}')
        if _REPORT in collection.columns:
            raise ValueError(f"the column name {_REPORT} is taken")
        meta = collection._meta.assign(**{_REPORT: collection._meta[text_field].astype(object)})
        parts = _cleaned(collection.to_delayed(), _frame_part, text_field, id_field, config)
        combined = dd.from_delayed(parts, meta=meta, divisions=collection.divisions, verify_meta=False)
        return combined.drop(columns=[_REPORT]), combined[[_REPORT]].rename(columns={_REPORT: "report"})
    raise TypeError(f"expected a dask.bag.Bag or a dask.dataframe.DataFrame, got {type(collection).__name__}")


def _cleaned(partitions: list[Any], output: Any, text_field: str, id_field: str, config: Config) -> list[Any]:
    """Per partition, a delayed ``output(partition, results, ...)``: cleaned alone, or prepared and folded."""
    import dask

    delayed = functools.partial(dask.delayed, pure=False)
    outputs = []
    state: Any = FoldState()
    for partition in partitions:
        part = delayed(_listed)(partition)  # a bag's partition may be an iterator: read it once
        if config.scope is Scope.CORPUS:
            prepared = delayed(_prepare, nout=3)(part, text_field, id_field, config)
            ids, packed, sketches = prepared
            verdicts, state = delayed(_fold, nout=2)(state, ids, sketches, config)
            results = delayed(applied)(packed, verdicts)
        else:
            results = delayed(_clean)(part, text_field, id_field, config)
        outputs.append(delayed(output)(part, results, text_field, id_field, config))
    return outputs


def _listed(partition: Any) -> Any:
    return partition if hasattr(partition, "columns") else list(partition)


def _documents(part: Any, text_field: str, id_field: str) -> list[Document]:
    """A partition's records as documents, checked as `unrepeat.clean_records` checks them."""
    if hasattr(part, "columns"):  # a pandas partition
        ids = part[id_field].tolist() if id_field in part.columns else [None] * len(part)
        return [from_column(i, _missing_as_none(doc_id), text, text_field=text_field)
                for i, (doc_id, text) in enumerate(zip(ids, part[text_field].tolist(), strict=True))]
    return [from_record(i, record, text_field, id_field) for i, record in enumerate(part)]


def _missing_as_none(value: object) -> object:
    """None for pandas' missing values (NA, NaN, NaT), which a report writes as null."""
    import pandas as pd

    return None if pd.api.types.is_scalar(value) and pd.isna(value) else value


def _clean(part: Any, text_field: str, id_field: str, config: Config) -> list[CleanResult]:
    return [clean_text(doc.text or "", config) for doc in _documents(part, text_field, id_field)]


def _prepare(part: Any, text_field: str, id_field: str, config: Config) -> tuple[list[object], bytes, list[Any]]:
    docs = _documents(part, text_field, id_field)
    return [doc.id for doc in docs], *prepared(docs, config)


def _fold(state: FoldState, ids: list[object], sketches: list[Any],
          config: Config) -> tuple[list[Verdict | None], FoldState]:
    """The fold, each document named by its id, else "record N" counting over all partitions."""
    return fold(state, [name_of(doc_id, record_name(state.documents + i)) for i, doc_id in enumerate(ids)],
                sketches, config)


def _bag_part(part: list[dict[str, object]], results: list[CleanResult], text_field: str, id_field: str,
              config: Config) -> list[tuple[dict[str, object], dict[str, object]]]:
    settings = config.as_dict()
    return [(output_record(doc, result, text_field), report_record(doc, result, settings))
            for doc, result in zip(_documents(part, text_field, id_field), results, strict=True)]


def _frame_part(pdf: pandas.DataFrame, results: list[CleanResult], text_field: str, id_field: str,
                config: Config) -> pandas.DataFrame:
    import pandas as pd

    settings = config.as_dict()
    reports = [json.dumps(report_record(doc, result, settings), ensure_ascii=False)
               for doc, result in zip(_documents(pdf, text_field, id_field), results, strict=True)]
    out = pdf.copy()
    out[text_field] = pd.Series([r.text for r in results], index=pdf.index, dtype=pdf[text_field].dtype)
    out[_REPORT] = pd.Series(reports, index=pdf.index, dtype=object)
    return out

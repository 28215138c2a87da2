"""The document-scope driver: `clean` over a stream of documents, in input order.

With ``jobs`` above 1 the documents are cleaned by a pool of processes; the
results still come back in input order, and they are the same for any
``jobs`` because each document is cleaned on its own.

>>> docs = [Document("a", "One sentence."), Document("b", "")]
>>> [(doc.id, result.text) for doc, result in clean_documents(docs, Config())]
[('a', 'One sentence.\\n'), ('b', '')]
"""

from __future__ import annotations

import functools
import multiprocessing
import signal
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from typing import NamedTuple, Protocol, TypeVar

from .collapse import clean
from .config import Config, Scope
from .report import CleanResult

_BATCH_PER_JOB = 64  # documents per worker in one batch handed to the pool
_BATCH_CHARS = 1 << 26  # ... or fewer, once a batch holds this much text
_CHUNKS_PER_JOB = 4  # a batch goes out in this many chunks per worker


class Document(NamedTuple):
    """One document: its id, its text, and the record it came from, if any."""

    id: object
    text: str | None  #: None: a placeholder that keeps its place and is not cleaned
    record: Mapping[str, object] | None = None


class HasText(Protocol):
    @property
    def text(self) -> str | None: ...


D = TypeVar("D", bound=HasText)
Results = Generator[tuple[D, CleanResult | None], None, None]


def clean_documents(documents: Iterable[D], config: Config, jobs: int = 1, *, start_method: str | None = None) -> Results[D]:
    """Clean each document; yield ``(document, result)`` in input order.

    ``documents`` are `Document` or any items with a ``text`` attribute; each
    comes back as it went in. An item whose text is None is not cleaned
    (result None) but keeps its place: callers use such items to mark
    skipped records or file boundaries in the stream.

    ``jobs`` processes share the work (1: no pool, everything runs here),
    started with ``start_method`` (None: the platform's default). Documents
    are read ahead in bounded batches, never all at once. If reading the
    documents fails, the ones read before the failure still come out, then
    the error is raised, exactly as with ``jobs=1``.

    >>> list(clean_documents([], Config(), jobs=0))
    Traceback (most recent call last):
        ...
    ValueError: jobs must be at least 1, got 0
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    if config.scope is not Scope.DOCUMENT:
        # The seam for corpus scope. Its documents are decided one after the
        # other, in input order, against state shared across documents (the
        # passages kept so far). The stateless per-document part (normalize,
        # segment, fingerprint) can still go through `_serial`/`_parallel` as
        # `work`; the decisions are then a fold over those results, made here
        # in this process, so they do not depend on `jobs`.
        raise NotImplementedError(f"scope {str(config.scope)!r} is not implemented yet; use 'document'")
    work = functools.partial(clean, config=config)
    if jobs == 1:
        return _serial(work, documents)
    return _parallel(work, documents, jobs, start_method)


def _serial(work: Callable[[str], CleanResult], documents: Iterable[D]) -> Results[D]:
    for doc in documents:
        yield doc, None if doc.text is None else work(doc.text)


def _parallel(work: Callable[[str], CleanResult], documents: Iterable[D], jobs: int, start_method: str | None) -> Results[D]:
    items = iter(documents)
    failure: Exception | None = None
    context = multiprocessing.get_context(start_method)
    with context.Pool(jobs, initializer=_worker_signals) as pool:
        in_flight: deque[tuple[list[D], Iterator[CleanResult]]] = deque()
        while failure is None:
            batch, failure = _take(items, jobs * _BATCH_PER_JOB, _BATCH_CHARS)
            if not batch:
                break
            texts = [doc.text for doc in batch if doc.text is not None]
            chunksize = max(1, len(texts) // (jobs * _CHUNKS_PER_JOB))
            in_flight.append((batch, pool.imap(work, texts, chunksize)))
            if len(in_flight) > 1:  # one batch queued behind the one being yielded keeps the pool busy
                yield from _paired(*in_flight.popleft())
        while in_flight:
            yield from _paired(*in_flight.popleft())
    if failure is not None:
        raise failure


def _take(items: Iterator[D], max_items: int, max_chars: int) -> tuple[list[D], Exception | None]:
    """The next batch, and the error that stopped reading it, if any."""
    batch: list[D] = []
    chars = 0
    try:
        for item in items:
            batch.append(item)
            chars += len(item.text or "")
            if len(batch) >= max_items or chars >= max_chars:
                break
    except Exception as exc:
        return batch, exc
    return batch, None


def _paired(batch: list[D], results: Iterator[CleanResult]) -> Results[D]:
    for doc in batch:
        yield doc, None if doc.text is None else next(results)


def _worker_signals() -> None:
    """In workers: Ctrl-C is the parent's to handle (it stops the pool), and
    SIGTERM (from stopping the pool) ends a worker at once, whatever handler
    the parent had."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

"""The driver: `clean` over a stream of documents, in input order.

With ``jobs`` above 1 the documents are cleaned by a pool of processes; the
results still come back in input order, and they are the same for any
``jobs``. In document scope each document is cleaned on its own. In corpus
scope the workers only prepare documents (`unrepeat.corpus.prepare`:
normalize, collapse within the document, fingerprint); the decisions against
earlier documents are a fold over the prepared documents, made here in input
order by one `CorpusCleaner`, so they do not depend on ``jobs`` either.

>>> docs = [Document("a", "One sentence."), Document("b", "")]
>>> [(doc.id, result.text) for doc, result in clean_documents(docs, Config())]
[('a', 'One sentence.\\n'), ('b', '')]
>>> footer = "Sign up for our daily newsletter to get the best stories every single morning.\\n"
>>> docs = [Document("a", "A story about rivers.\\n\\n" + footer), Document("b", footer)]
>>> [(r.text, r.duplicate_of) for _, r in clean_documents(docs, Config(scope="corpus"))]
[('A story about rivers.\\n\\nSign up for our daily newsletter to get the best stories every single morning.\\n', None), ('', 'a')]
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import signal
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from typing import NamedTuple, Protocol, TypeVar

from .collapse import clean
from .config import Config, Scope
from .corpus import CorpusCleaner, CorpusIndex, Prepared, prepare
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
R = TypeVar("R")
Results = Generator[tuple[D, CleanResult | None], None, None]


def clean_documents(
    documents: Iterable[D],
    config: Config,
    jobs: int = 1,
    *,
    start_method: str | None = None,
    index: CorpusIndex | None = None,
    doc_id: Callable[[D], str] | None = None,
) -> Results[D]:
    """Clean each document; yield ``(document, result)`` in input order.

    ``documents`` are `Document` or any items with a ``text`` attribute; each
    comes back as it went in. An item whose text is None is not cleaned
    (result None) but keeps its place: callers use such items to mark
    skipped records or file boundaries in the stream.

    In corpus scope (``config.scope``) each document is cleaned against the
    passages kept by the documents before it and by those already in
    ``index`` (None: start empty); what it keeps is added to ``index``, which
    the caller may save once the results are consumed. ``doc_id`` names a
    document in the index and in the reports of later documents (default:
    ``str(doc.id)``).

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
    if config.scope is Scope.CORPUS:
        cleaner = CorpusCleaner(config, index)
        prepared = _map(functools.partial(prepare, config=config), documents, jobs, start_method)
        return _fold(cleaner, prepared, doc_id or _str_id)
    if index is not None:
        raise ValueError("an index is only used in corpus scope")
    return _map(functools.partial(clean, config=config), documents, jobs, start_method)


def _map(work: Callable[[str], R], documents: Iterable[D], jobs: int,
         start_method: str | None) -> Generator[tuple[D, R | None], None, None]:
    if jobs == 1:
        return _serial(work, documents)
    return _parallel(work, documents, jobs, start_method)


def _fold(cleaner: CorpusCleaner, prepared: Generator[tuple[D, Prepared | None], None, None],
          doc_id: Callable[[D], str]) -> Results[D]:
    """The corpus decisions, one document after the other, in input order.
    Closing the fold closes the pool behind it at once."""
    with contextlib.closing(prepared):
        for doc, ready in prepared:
            yield doc, None if ready is None else cleaner.process(ready, doc_id(doc))


def _str_id(doc: object) -> str:
    return str(getattr(doc, "id", None))


def _serial(work: Callable[[str], R], documents: Iterable[D]) -> Generator[tuple[D, R | None], None, None]:
    for doc in documents:
        yield doc, None if doc.text is None else work(doc.text)


def _parallel(work: Callable[[str], R], documents: Iterable[D], jobs: int,
              start_method: str | None) -> Generator[tuple[D, R | None], None, None]:
    items = iter(documents)
    failure: Exception | None = None
    context = multiprocessing.get_context(start_method)
    with context.Pool(jobs, initializer=_worker_signals) as pool:
        in_flight: deque[tuple[list[D], Iterator[R]]] = deque()
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


def _paired(batch: list[D], results: Iterator[R]) -> Generator[tuple[D, R | None], None, None]:
    for doc in batch:
        yield doc, None if doc.text is None else next(results)


def _worker_signals() -> None:
    """In workers: Ctrl-C is the parent's to handle (it stops the pool), and
    SIGTERM (from stopping the pool) ends a worker at once, whatever handler
    the parent had."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

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
>>> [(r.text[:21], r.duplicate_of) for _, r in clean_documents(docs, Config(scope="corpus"))]
[('A story about rivers.', None), ('', 'a')]
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import pickle
import queue
import signal
import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from .collapse import clean_many
from .config import Config, Scope
from .corpus import CorpusCleaner, CorpusIndex, Prepared, prepare_many
from .documents import Document, document_name
from .report import CleanResult

if TYPE_CHECKING:  # multiprocessing is imported only when a pool starts: a small run is done sooner
    from multiprocessing.connection import Connection

__all__ = ["Document", "WorkerDied", "clean_documents"]

_BATCH_PER_JOB = 64  # documents per worker in one batch handed to the pool
_SERIAL_BATCH = 64  # documents cleaned at once without a pool
_BATCH_CHARS = 1 << 26  # ... or fewer, once a batch holds this much text
_CHUNKS_PER_JOB = 4  # a batch goes out in this many chunks per worker
_AHEAD = 2  # chunks a worker holds: one it works on, one waiting in its inbox
_GRACE = 5.0  # seconds a stopped worker gets to exit before SIGKILL
_HELD = {signal.SIGINT, signal.SIGTERM}
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


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
    the error is raised, exactly as with ``jobs=1``. An exception in a
    worker is raised here; a worker that dies (a signal, the OOM killer)
    raises `WorkerDied` the moment the parent next waits for a result, and
    the other workers are stopped. Workers end with the parent, even one
    killed with SIGKILL.

    >>> list(clean_documents([], Config(), jobs=0))
    Traceback (most recent call last):
        ...
    ValueError: jobs must be at least 1, got 0
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    if config.scope is Scope.CORPUS:
        cleaner = CorpusCleaner(config, index)
        if jobs > 1:
            return _corpus_parallel(cleaner, documents, jobs, start_method, doc_id or document_name)
        prepared = _serial(functools.partial(prepare_many, config=config), documents)
        return _fold(cleaner, prepared, doc_id or document_name)
    if index is not None:
        raise ValueError("an index is only used in corpus scope")
    return _map(functools.partial(clean_many, config=config), documents, jobs, start_method)


def _map(work: Callable[[list[str]], list[R]], documents: Iterable[D], jobs: int,
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


def _serial(work: Callable[[list[str]], list[R]], documents: Iterable[D]) -> Generator[tuple[D, R | None], None, None]:
    """The documents in batches of `_SERIAL_BATCH` (the per-sentence work of a
    batch is done at once), with what one at a time would give: the
    documents read before a failure to read come out before the error is
    raised, and where cleaning a batch fails, its documents are cleaned again
    one by one, so that those before the failing one come out first."""
    items = iter(documents)
    while True:
        batch, failure = _take(items, _SERIAL_BATCH, _BATCH_CHARS, until_placeholder=True)
        texts = [doc.text for doc in batch if doc.text is not None]
        try:
            results = iter(work(texts) if texts else [])
        except Exception:  # noqa: BLE001 - whatever it is, cleaning one by one meets it again
            results = (work([doc.text])[0] for doc in batch if doc.text is not None)
        for doc in batch:
            yield doc, None if doc.text is None else next(results)
        if failure is not None:
            raise failure
        if not batch:
            return


def _parallel(work: Callable[[list[str]], list[R]], documents: Iterable[D], jobs: int,
              start_method: str | None) -> Generator[tuple[D, R | None], None, None]:
    items = iter(documents)
    failure: Exception | None = None
    with _Workers(work, jobs, start_method) as workers:
        in_flight: deque[tuple[list[D], list[int]]] = deque()
        while failure is None:
            batch, failure = _take(items, jobs * _BATCH_PER_JOB, _BATCH_CHARS)
            if not batch:
                break
            in_flight.append((batch, _submit(workers, [doc.text for doc in batch if doc.text is not None], jobs)))
            if len(in_flight) > 1:  # one batch queued behind the one being yielded keeps the workers busy
                yield from _paired(*in_flight.popleft(), workers)
        while in_flight:
            yield from _paired(*in_flight.popleft(), workers)
    if failure is not None:
        raise failure


def _corpus_parallel(cleaner: CorpusCleaner, documents: Iterable[D], jobs: int, start_method: str | None,
                     doc_id: Callable[[D], str]) -> Results[D]:
    """Corpus scope with a pool, in two rounds per batch, so that this
    process only decides: the workers prepare the documents and send back
    each one's `Sketch` (a few numpy arrays) with the prepared document as
    pickled bytes, which this process does not unpickle; the decisions are
    made here, in input order, from the sketches; then the verdicts go back
    to the workers with those bytes, and the workers finish the documents.
    A batch is decided while the next one is prepared, and finished while
    the one after it is decided."""
    items = iter(documents)
    failure: Exception | None = None
    work = functools.partial(_corpus_work, config=cleaner.config)
    with _Workers(work, jobs, start_method) as workers:
        preparing: deque[tuple[list[D], list[int]]] = deque()
        finishing: deque[tuple[list[D], list[int]]] = deque()

        def decide_oldest() -> None:
            batch, keys = preparing.popleft()
            sketches = itertools.chain.from_iterable(map(workers.result, keys))
            verdicts = [(cleaner.decide(sketch, doc_id(doc)), blob)
                        for doc, (sketch, blob) in zip((d for d in batch if d.text is not None), sketches)]
            finishing.append((batch, _submit(workers, verdicts, jobs)))

        while failure is None:
            batch, failure = _take(items, jobs * _BATCH_PER_JOB, _BATCH_CHARS)
            if not batch:
                break
            preparing.append((batch, _submit(workers, [doc.text for doc in batch if doc.text is not None], jobs)))
            if len(preparing) > 1:
                decide_oldest()
            if len(finishing) > 1:
                yield from _paired(*finishing.popleft(), workers)
        while preparing or finishing:
            if preparing:
                decide_oldest()
            yield from _paired(*finishing.popleft(), workers)
    if failure is not None:
        raise failure


def _submit(workers: _Workers[Any], tasks: list[Any], jobs: int) -> list[int]:
    """Hand a batch's tasks to the workers in chunks; the chunks' keys, in order."""
    size = max(1, len(tasks) // (jobs * _CHUNKS_PER_JOB))
    return [workers.submit(tasks[i : i + size]) for i in range(0, len(tasks), size)]


def _corpus_work(tasks: list[Any], config: Config) -> list[Any]:
    """A worker's part of corpus scope: texts to prepare, or a prepared
    document (pickled) and the corpus verdict on it to finish."""
    if tasks and isinstance(tasks[0], str):
        return [(ready.sketch(), pickle.dumps(ready, pickle.HIGHEST_PROTOCOL)) for ready in prepare_many(tasks, config)]
    return [pickle.loads(blob).apply(verdict) for verdict, blob in tasks]


def _take(items: Iterator[D], max_items: int, max_chars: int,
          until_placeholder: bool = False) -> tuple[list[D], Exception | None]:
    """The next batch, and the error that stopped reading it, if any;
    ``until_placeholder``: it ends with the first item whose text is None
    (callers mark the start and end of a file so: what they do there, such
    as opening an output, then waits for no more reading)."""
    batch: list[D] = []
    chars = 0
    try:
        for item in items:
            batch.append(item)
            chars += len(item.text or "")
            if len(batch) >= max_items or chars >= max_chars or (until_placeholder and item.text is None):
                break
    except Exception as exc:  # noqa: BLE001 - raised by the caller once the batch read before it is out
        return batch, exc
    return batch, None


def _paired(batch: list[D], keys: list[int], workers: _Workers[R]) -> Generator[tuple[D, R | None], None, None]:
    results = itertools.chain.from_iterable(map(workers.result, keys))
    for doc in batch:
        yield doc, None if doc.text is None else next(results)


# ----------------------------------------------------------------- workers


class WorkerDied(RuntimeError):
    """A worker process ended while the run needed it: killed by a signal
    (SIGKILL from the OOM killer, SIGTERM) or exited.

    >>> str(WorkerDied(-9)), str(WorkerDied(3))
    ('a worker process died (signal 9)', 'a worker process died (exit status 3)')
    """

    def __init__(self, exitcode: int | None) -> None:
        self.exitcode = exitcode  #: as `multiprocessing.Process.exitcode`: -N for signal N
        how = "" if exitcode is None else f" (signal {-exitcode})" if exitcode < 0 else f" (exit status {exitcode})"
        super().__init__(f"a worker process died{how}")


class _Worker:
    """One worker process and the parent's ends of its two pipes.

    ``others``: the parent's ends of the workers started before; a forked
    worker closes them, and its own, so that its pipe's end means the
    parent is gone (`_receive`)."""

    def __init__(self, context: Any, work: Callable[[list[str]], Any], parent: int | None,
                 others: list[Connection]) -> None:
        tasks_end, self.tasks = context.Pipe(duplex=False)
        self.results, results_end = context.Pipe(duplex=False)
        inherited = [*others, self.tasks, self.results] if context.get_start_method() == "fork" else []
        self.process = context.Process(target=_serve, args=(tasks_end, results_end, work, parent, inherited),
                                       daemon=True)
        self.process.start()
        # Only the worker holds its ends now: its death closes them, which the parent sees.
        tasks_end.close()
        results_end.close()
        self.keys: deque[int] = deque()  # the chunks it holds, in the order it answers them


class _Workers(Generic[R]):
    """``jobs`` processes applying ``work`` to chunks of texts; `result` gives a chunk's results.

    Not `multiprocessing.Pool`: when one of its workers dies (SIGKILL, the
    OOM killer) it starts another and waits for ever for the chunks the dead
    one held. Nor `concurrent.futures.ProcessPoolExecutor`: it says the pool
    broke, not which worker died of what signal, and its workers share one
    result pipe, which a worker killed halfway through a message leaves its
    reader waiting on. Here each worker has a pipe for its chunks and one for
    its results, and the parent waits on those and on the workers' sentinels
    together, so a death is seen the moment the parent next waits, and
    raised as `WorkerDied`. A worker holds at most `_AHEAD` chunks: one it
    works on, the rest in its inbox; chunks go to whichever worker has room,
    and results are taken back by key, so their order is the input's.
    """

    def __init__(self, work: Callable[[list[str]], list[R]], jobs: int, start_method: str | None) -> None:
        import multiprocessing

        context = multiprocessing.get_context(start_method)
        # A forkserver child's parent is the server, not this process.
        parent = None if context.get_start_method() == "forkserver" else os.getpid()
        self._workers: list[_Worker] = []
        self._waiting: deque[tuple[int, list[str]]] = deque()  # chunks no worker has yet
        self._done: dict[int, tuple[list[R] | None, BaseException | None]] = {}
        self._keys = itertools.count()
        try:
            with _signals_held():
                for _ in range(jobs):
                    ends = [end for w in self._workers for end in (w.tasks, w.results)]
                    self._workers.append(_Worker(context, work, parent, ends))
        except BaseException:
            self.close()
            raise

    def submit(self, texts: list[Any]) -> int:
        """Hand a chunk to the workers; its key, for `result`."""
        key = next(self._keys)
        self._waiting.append((key, texts))
        self._dispatch()
        return key

    def result(self, key: int) -> list[R]:
        """The results of chunk ``key``, once; an exception in the worker is raised here."""
        self._poll(timeout=0)  # take in what is ready and refill the workers, even if this chunk is back
        while key not in self._done:
            self._poll(timeout=None)
        results, error = self._done.pop(key)
        if error is not None:
            raise error
        assert results is not None
        return results

    def _dispatch(self) -> None:
        for ahead in range(_AHEAD):  # one chunk to every worker before a second to any
            for worker in self._workers:
                if self._waiting and len(worker.keys) <= ahead:
                    key, texts = self._waiting.popleft()
                    worker.keys.append(key)
                    try:
                        worker.tasks.send((key, texts))
                    except OSError:  # its end of the pipe is closed: it is gone
                        raise self._death(worker) from None

    def _poll(self, timeout: float | None) -> None:
        """Take in the results that are ready (waiting up to ``timeout`` for one), and refill the workers."""
        watched: list[Any] = [w.results for w in self._workers] + [w.process.sentinel for w in self._workers]
        ready = set(_wait(watched, timeout))
        for worker in self._workers:
            if worker.results in ready:
                try:
                    key, results, error = worker.results.recv()
                except (EOFError, OSError):  # it died, perhaps halfway through a message
                    raise self._death(worker) from None
                worker.keys.remove(key)
                if error is not None:
                    exc, trace = error
                    exc.add_note(f"(raised in a worker process)\n{trace}")
                    error = exc
                self._done[key] = (results, error)
            elif worker.process.sentinel in ready:
                raise self._death(worker)
        self._dispatch()

    def _death(self, worker: _Worker) -> WorkerDied:
        worker.process.join(_GRACE)  # it is gone or going: its exit code tells how
        return WorkerDied(worker.process.exitcode)

    def close(self) -> None:
        """Stop every worker (they hold no files) and wait for them, so none is left behind."""
        for worker in self._workers:
            worker.process.terminate()
        for worker in self._workers:
            worker.process.join(_GRACE)
            if worker.process.exitcode is None:
                worker.process.kill()
                worker.process.join()
            worker.tasks.close()
            worker.results.close()
        self._workers = []

    def __enter__(self) -> _Workers[R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _wait(objects: list[Any], timeout: float | None) -> list[Any]:
    from multiprocessing import connection

    return connection.wait(objects, timeout)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait while workers start: a new worker takes them
    only once it has set its own handlers (`_become_worker`)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _serve(tasks: Connection, results: Connection, work: Callable[[list[str]], Any], parent: int | None,
           inherited: list[Connection]) -> None:
    """A worker's life: chunks from ``tasks``, their results (or the exception) to ``results``.

    Chunks come in and results go out on threads of their own, so the
    worker goes on with its next chunk while the parent is busy elsewhere
    (a result larger than the pipe waits until the parent reads it)."""
    _become_worker(parent)
    for end in inherited:  # the parent's ends, copied by fork
        end.close()
    inbox: queue.SimpleQueue[tuple[int, list[str]]] = queue.SimpleQueue()
    outbox: queue.SimpleQueue[_Reply] = queue.SimpleQueue()
    threading.Thread(target=_receive, args=(tasks, inbox), daemon=True).start()
    threading.Thread(target=_send, args=(results, outbox), daemon=True).start()
    while True:
        key, texts = inbox.get()
        try:
            outbox.put((key, work(texts), None))
        except Exception as exc:  # noqa: BLE001 - whatever it is, the parent raises it
            outbox.put((key, None, (exc, traceback.format_exc())))


_Reply = tuple[int, list[Any] | None, tuple[BaseException, str] | None]  # key, results, (exception, traceback)


def _send(results: Connection, outbox: queue.SimpleQueue[_Reply]) -> None:
    """Worker side: results from the outbox to the pipe."""
    while True:
        key, done, failure = outbox.get()
        try:
            results.send((key, done, failure))
        except OSError:  # the parent is gone: nobody wants the results (and no traceback about it)
            os._exit(0)
        except Exception:  # noqa: BLE001 - an exception that does not pickle goes as its text
            assert failure is not None
            error, trace = failure
            results.send((key, None, (RuntimeError(f"{type(error).__name__}: {error}"), trace)))


def _receive(tasks: Connection, inbox: queue.SimpleQueue[tuple[int, list[str]]]) -> None:
    """Worker side: chunks go from the pipe to the inbox as they come, so
    the parent never waits to hand one over. The pipe's end means the parent
    is gone (where `_die_with_parent` cannot tell): the worker ends."""
    try:
        while True:
            inbox.put(tasks.recv())
    except (EOFError, OSError):
        os._exit(0)


def _become_worker(parent: int | None) -> None:
    """Ctrl-C is the parent's to handle (it stops the workers); SIGTERM ends
    a worker at once, whatever handler the parent had; and a worker ends
    with its parent, even one killed with SIGKILL."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent()
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)
    if parent is not None and os.getppid() != parent:
        os._exit(0)  # the parent died before `_die_with_parent` took effect


def _die_with_parent() -> None:
    """On Linux, have the kernel send SIGKILL when the parent dies
    (``prctl(PR_SET_PDEATHSIG)``); elsewhere `_receive` notices."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)

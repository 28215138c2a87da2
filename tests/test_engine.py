import multiprocessing
import os
import random
import signal

import pytest
from conftest import make_article

import unrepeat.engine
from unrepeat import CleanResult, Config, clean
from unrepeat.corpus import CorpusCleaner, CorpusIndex
from unrepeat.engine import Document, WorkerDied, clean_documents

DOUBLED = (
    "A long sentence with many words in it that repeats here. "
    "Another long sentence follows it right after that.\n\n"
)


def text(i: int) -> str:
    if i % 3 == 0:
        return f"Document {i} says something of its own.\n\nIt has a second paragraph too."
    return "" if i % 3 == 1 else DOUBLED * 2


def documents(n: int) -> list[Document]:
    return [Document(i, text(i), {"n": i}) for i in range(n)]


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_results_come_back_in_input_order_and_equal_for_any_jobs(jobs):
    docs = documents(300)  # more than one batch per worker
    results = list(clean_documents(docs, Config(), jobs=jobs))
    assert [doc for doc, _ in results] == docs
    assert [result for _, result in results] == [clean(doc.text) for doc in docs]


def test_the_config_reaches_the_workers():
    config = Config(keep="last", collapse_short=True)
    docs = documents(20)
    assert list(clean_documents(docs, config, jobs=2)) == [(doc, clean(doc.text, config)) for doc in docs]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_document_without_text_keeps_its_place_uncleaned(jobs):
    docs = [Document("a", "One sentence."), Document("gap", None), Document("b", "")]
    results = list(clean_documents(docs, Config(), jobs=jobs))
    assert [(doc.id, result is None) for doc, result in results] == [("a", False), ("gap", True), ("b", False)]


@pytest.mark.parametrize("scope", ["document", "corpus"])
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_reading_failure_comes_after_the_documents_read_before_it(jobs, scope):
    docs = documents(150)

    def failing():
        yield from docs
        raise RuntimeError("line 151 is broken")

    seen = []
    with pytest.raises(RuntimeError, match="line 151 is broken"):
        for doc, _ in clean_documents(failing(), Config(scope=scope), jobs=jobs):
            seen.append(doc)
    assert seen == docs


@pytest.mark.parametrize("scope", ["document", "corpus"])
def test_closing_early_stops_the_pool(scope):
    results = clean_documents(documents(1000), Config(scope=scope), jobs=2)
    next(results)
    children = multiprocessing.active_children()
    assert children
    results.close()
    for child in children:
        child.join(timeout=10)
    assert not any(child.is_alive() for child in children)


# ------------------------------------------------------------ process faults

needs_fork = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                                reason="the workers must inherit the patched clean")


@pytest.mark.parametrize("scope", ["document", "corpus"])
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM])
def test_a_worker_killed_while_the_run_reads_ends_it_and_stops_the_other(scope, signum):
    before = set(multiprocessing.active_children())
    killed = []

    def docs():
        yield from documents(10)
        workers = [p for p in multiprocessing.active_children() if p not in before]  # started, waiting for work
        assert len(workers) == 2
        os.kill(workers[0].pid, signum)
        workers[0].join()
        killed.append(workers[0])
        yield from documents(200)

    with pytest.raises(WorkerDied) as error:
        list(clean_documents(docs(), Config(scope=scope), jobs=2))
    assert str(error.value) == f"a worker process died (signal {signum})"
    assert error.value.exitcode == -signum and killed
    assert set(multiprocessing.active_children()) == before


@needs_fork
@pytest.mark.parametrize("scope", ["document", "corpus"])
def test_a_worker_that_dies_while_the_run_waits_for_it_ends_the_run(monkeypatch, scope):
    def dying(work):
        def killed_on_document_150(texts, config):
            if any(text.startswith("Document 150 ") for text in texts):
                os.kill(os.getpid(), signal.SIGKILL)  # as the OOM killer would
            return work(texts, config)

        return killed_on_document_150

    monkeypatch.setattr(unrepeat.engine, "clean_many", dying(unrepeat.engine.clean_many))
    monkeypatch.setattr(unrepeat.engine, "prepare_many", dying(unrepeat.engine.prepare_many))
    before = set(multiprocessing.active_children())
    seen = []
    with pytest.raises(WorkerDied, match=r"^a worker process died \(signal 9\)$"):
        for doc, _ in clean_documents(documents(600), Config(scope=scope), jobs=2, start_method="fork"):
            seen.append(doc.id)
    assert seen == list(range(len(seen))) and len(seen) < 150  # nothing after the lost document
    assert set(multiprocessing.active_children()) == before


@needs_fork
def test_an_exception_in_a_worker_is_raised_here_with_its_traceback(monkeypatch):
    def failing(texts, config=None):
        if any(text.startswith("Document 30 ") for text in texts):
            raise ValueError("cannot clean document 30")
        return [clean(text, config) for text in texts]

    monkeypatch.setattr(unrepeat.engine, "clean_many", failing)
    seen = []
    with pytest.raises(ValueError) as error:
        for doc, _ in clean_documents(documents(90), Config(), jobs=2, start_method="fork"):
            seen.append(doc.id)
    assert str(error.value) == "cannot clean document 30"
    assert seen == list(range(len(seen))) and len(seen) <= 30  # in order; its chunk fails as a whole
    (note,) = error.value.__notes__
    assert note.startswith("(raised in a worker process)\nTraceback (most recent call last):")


def test_workers_can_be_spawned():
    docs = documents(6)
    results = list(clean_documents(docs, Config(), jobs=2, start_method="spawn"))
    assert results == [(doc, clean(doc.text)) for doc in docs]


def test_jobs_must_be_at_least_one():
    with pytest.raises(ValueError, match="jobs must be at least 1, got 0"):
        clean_documents(documents(1), Config(), jobs=0)


# ---------------------------------------------------------------- corpus scope

CORPUS = Config(scope="corpus")
FOOTER = "Sign up for our daily newsletter to get the most important stories in your inbox every morning."


def crawl(n: int) -> list[Document]:
    """Documents that share a footer and, every third one, the body of the one before."""
    rng = random.Random(5)
    docs, body = [], []
    for i in range(n):
        if i % 3 != 2:
            body = make_article(rng, paragraphs=3, start=100 * i)
        docs.append(Document(f"d{i}", "\n\n".join([f"Title {i}", *body, FOOTER]) if i % 7 != 3 else None))
    return docs


def serial(docs: list[Document], index: CorpusIndex | None = None) -> list[CleanResult | None]:
    cleaner = CorpusCleaner(CORPUS, index)
    return [None if doc.text is None else cleaner.clean(doc.text, str(doc.id)) for doc in docs]


@pytest.mark.parametrize(("jobs", "start_method"), [(1, None), (2, None), (3, None), (2, "spawn")])
def test_corpus_decisions_are_made_in_input_order_whatever_the_jobs(jobs, start_method):
    docs = crawl(200 if start_method is None else 30)
    results = list(clean_documents(docs, CORPUS, jobs=jobs, start_method=start_method))
    assert [doc for doc, _ in results] == docs
    expected = serial(docs)
    assert [result for _, result in results] == expected
    assert sum(r is not None and r.duplicate_of is not None for r in expected) > 0
    assert sum(bool(r and r.removals) for r in expected) > len(docs) // 3


def test_corpus_scope_adds_to_the_index_it_is_given_under_the_names_doc_id_gives():
    docs = crawl(9)
    index = CorpusIndex()
    first = [r for _, r in clean_documents(docs[:6], CORPUS, index=index, doc_id=lambda doc: f"run1/{doc.id}")]
    assert index.doc_ids == [f"run1/{doc.id}" for doc in docs[:6] if doc.text is not None]
    later = [r for _, r in clean_documents(docs[6:], CORPUS, index=index)]
    assert {r.kept_doc for r in first[5].removals} == {"run1/d0", "run1/d4"}  # d5: d0's footer, d4's body
    assert {r.kept_doc for r in later[2].removals} == {"run1/d0", "d7"}  # d8: d0's footer, d7's body
    alone = [r for _, r in clean_documents(docs[6:], CORPUS)]
    assert {r.kept_doc for r in alone[2].removals} == {"d6", "d7"}


def test_an_index_needs_corpus_scope():
    with pytest.raises(ValueError, match="an index is only used in corpus scope"):
        clean_documents(documents(1), Config(), index=CorpusIndex())

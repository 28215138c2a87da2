import pytest

from unrepeat import Config, clean
from unrepeat.engine import Document, clean_documents

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


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_reading_failure_comes_after_the_documents_read_before_it(jobs):
    docs = documents(150)

    def failing():
        yield from docs
        raise RuntimeError("line 151 is broken")

    seen = []
    with pytest.raises(RuntimeError, match="line 151 is broken"):
        for doc, _ in clean_documents(failing(), Config(), jobs=jobs):
            seen.append(doc)
    assert seen == docs


def test_closing_early_stops_the_pool():
    results = clean_documents(documents(1000), Config(), jobs=2)
    next(results)
    results.close()


def test_workers_can_be_spawned():
    docs = documents(6)
    results = list(clean_documents(docs, Config(), jobs=2, start_method="spawn"))
    assert results == [(doc, clean(doc.text)) for doc in docs]


def test_jobs_must_be_at_least_one():
    with pytest.raises(ValueError, match="jobs must be at least 1, got 0"):
        clean_documents(documents(1), Config(), jobs=0)


def test_corpus_scope_is_not_there_yet():
    with pytest.raises(NotImplementedError, match="scope 'corpus' is not implemented yet"):
        clean_documents(documents(1), Config(scope="corpus"))

"""The fold over values decides what the local engine's `CorpusCleaner` decides, in any split."""

from __future__ import annotations

import itertools
import random

import pytest
from conftest import WORDS, make_sentence
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unrepeat.config import Config
from unrepeat.corpus import CorpusCleaner, CorpusIndex, prepare
from unrepeat.dask.fold import FoldState, fold

CONFIG = Config(scope="corpus")
POOL = [make_sentence(random.Random(i), i) for i in range(40)]


def edited(sentence: str, rng: random.Random) -> str:
    """The sentence with one word changed (a near-duplicate)."""
    words = sentence.split()
    at = rng.randrange(len(words) - 2)
    words[at] = rng.choice(WORDS)
    return " ".join(words)


def crawl(seed: int, n: int) -> list[str]:
    """Documents that copy runs of a small pool of sentences, edited now and then,
    with their own sentences between: a web of documents sharing passages."""
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        paragraphs = []
        for p in range(rng.randint(1, 4)):
            if rng.random() < 0.6:
                start = rng.randrange(len(POOL) - 4)
                run = POOL[start:start + rng.randint(1, 4)]
                run = [edited(s, rng) if rng.random() < 0.15 else s for s in run]
            else:
                run = [make_sentence(rng, 1000 * (i + 1) + p)]
            paragraphs.append(" ".join(run))
        if i and rng.random() < 0.1:
            paragraphs = docs[rng.randrange(i)].split("\n\n")  # a copy of an earlier document
        docs.append("\n\n".join(paragraphs))
    return docs


def sketches(texts: list[str]) -> list[tuple[str, object]]:
    return [(f"doc{i}", prepare(t, CONFIG).sketch()) for i, t in enumerate(texts)]


def split(items: list, cuts: list[int]) -> list[list]:
    bounds = [0, *sorted(c % (len(items) + 1) for c in cuts), len(items)]
    return [items[a:b] for a, b in itertools.pairwise(bounds)]


def index_state(index: CorpusIndex) -> tuple:
    keys, items = index.lookup.arrays()
    return (index.fingerprints.tolist(), index.docs.tolist(), index.starts.tolist(), index.ends.tolist(),
            list(index.doc_ids), keys.tolist(), items.tolist())


DOCS = sketches(crawl(7, 60))


def folded(blocks: list[list], state: FoldState | None = None) -> tuple[list, FoldState]:
    """The verdicts of the blocks folded in order, and the last state."""
    state = state or FoldState()
    verdicts = []
    for block in blocks:
        names = [None if item is None else item[0] for item in block]
        got, state = fold(state, names, [None if item is None else item[1] for item in block], CONFIG)
        verdicts += got
    return verdicts, state


def test_the_crawl_has_what_the_fold_must_get_right():
    cleaner = CorpusCleaner(CONFIG)
    verdicts = [cleaner.decide(s, name) for name, s in DOCS]
    similarities = [sim for v in verdicts for *_, sim, _rule in v.removed.values()]
    assert sum(1 for v in verdicts if v.removed) >= 20  # passages removed
    assert any(sim < 1 for sim in similarities)  # edited copies among them
    assert any(v.duplicate_of for v in verdicts)  # whole duplicates


@pytest.mark.parametrize("cuts", [[], [10, 30, 31], [1, 2, 3, 50], [5, 9, 40], list(range(60))])
def test_same_verdicts_and_index_as_the_local_fold(cuts):
    cleaner = CorpusCleaner(CONFIG)
    expected = [cleaner.decide(s, name) for name, s in DOCS]
    verdicts, state = folded(split(DOCS, cuts))
    assert verdicts == expected
    assert index_state(state.whole()) == index_state(cleaner.index)
    assert len(state.segments) <= 2 + len(cuts).bit_length()  # segments of similar size are merged


def test_states_are_values():
    """A step run again on the state it was given (after a lost worker) gives the same
    verdicts and state; the state it was given is left as it was."""
    _, state = folded(split(DOCS, [30]))
    before = index_state(state.whole())
    block = DOCS[30:45]
    once = fold(state, [n for n, _ in block], [s for _, s in block], CONFIG)
    twice = fold(state, [n for n, _ in block], [s for _, s in block], CONFIG)
    assert once[0] == twice[0] and index_state(once[1].whole()) == index_state(twice[1].whole())
    assert index_state(state.whole()) == before


def test_a_saved_index_in_front():
    earlier, later = DOCS[:25], DOCS[25:]
    whole = CorpusCleaner(CONFIG)
    for name, s in earlier:
        whole.decide(s, name)
    expected = [whole.decide(s, name) for name, s in later]
    base = CorpusCleaner(CONFIG)
    for name, s in earlier:
        base.decide(s, name)
    before = index_state(base.index)
    verdicts, state = folded(split(later, [7, 20, 30]), FoldState.of(base.index))
    assert verdicts == expected
    assert sum(1 for v in expected if v.removed) > 5
    assert index_state(base.index) == before  # read, never changed
    assert index_state(state.whole()) == index_state(whole.index)


def test_lines_that_are_no_documents_are_passed_over():
    cleaner = CorpusCleaner(CONFIG)
    expected = [cleaner.decide(s, name) for name, s in DOCS[:20]]
    got, _ = folded([[None, *DOCS[:5]], [], [None], DOCS[5:20] + [None]])
    assert [v for v in got if v is not None] == expected
    assert [i for i, v in enumerate(got) if v is None] == [0, 6, 22]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 30), cuts=st.lists(st.integers(0, 40), max_size=8))
def test_any_crawl_any_split(seed, n, cuts):
    docs = sketches(crawl(seed, n))
    cleaner = CorpusCleaner(CONFIG)
    expected = [cleaner.decide(s, name) for name, s in docs]
    verdicts, state = folded(split(docs, cuts))
    assert verdicts == expected
    assert index_state(state.whole()) == index_state(cleaner.index)

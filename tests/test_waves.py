"""The waves decide what the local engine's fold decides, in any split."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import WORDS, make_sentence
from unrepeat.config import Config
from unrepeat.corpus import CorpusCleaner, CorpusIndex, prepare
from unrepeat.waves import KeyPartition, KeyTable, Updates, decide_all, gid, replay_index

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
    return [items[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def index_state(index: CorpusIndex) -> tuple:
    keys, items = index.lookup.arrays()
    return (index.fingerprints.tolist(), index.docs.tolist(), index.starts.tolist(), index.ends.tolist(),
            list(index.doc_ids), keys.tolist(), items.tolist())


DOCS = sketches(crawl(7, 60))


def test_the_crawl_has_what_the_waves_must_get_right():
    cleaner = CorpusCleaner(CONFIG)
    verdicts = [cleaner.decide(s, name) for name, s in DOCS]
    similarities = [sim for v in verdicts for *_, sim, _rule in v.removed.values()]
    assert sum(1 for v in verdicts if v.removed) >= 20  # passages removed
    assert any(sim < 1 for sim in similarities)  # edited copies among them
    assert any(v.duplicate_of for v in verdicts)  # whole duplicates
    assert decide_all([DOCS], CONFIG).waves >= 3  # and documents that must wait for others


@pytest.mark.parametrize(("cuts", "partitions", "shards", "fold_below"),
                         [([], 1, None, 0), ([10, 30, 31], 3, None, 0), ([1, 2, 3, 50], 8, 2, 0),
                          ([5, 9, 40], 2, 3, 0), ([5, 9, 40], 2, 3, 10), ([20], 3, 2, 1000)])
def test_same_verdicts_as_the_fold(cuts, partitions, shards, fold_below):
    cleaner = CorpusCleaner(CONFIG)
    expected = [cleaner.decide(s, name) for name, s in DOCS]
    outcome = decide_all(split(DOCS, cuts), CONFIG, partitions=partitions, shards=shards, fold_below=fold_below)
    if fold_below:
        assert outcome.waves < decide_all([DOCS], CONFIG).waves  # the rest went in one pass
    assert [v for block in outcome.verdicts for v in block] == expected
    # What each document keeps, replayed in order, is the fold's index.
    replayed = replay_index(None, [e for block in outcome.entries for e in block])
    assert index_state(replayed) == index_state(cleaner.index)


@pytest.mark.parametrize("fold_below", [0, 1000])
def test_a_saved_index_in_front(fold_below):
    earlier, later = DOCS[:25], DOCS[25:]
    whole = CorpusCleaner(CONFIG)
    for name, s in earlier:
        whole.decide(s, name)
    expected = [whole.decide(s, name) for name, s in later]
    base = CorpusCleaner(CONFIG)
    for name, s in earlier:
        base.decide(s, name)
    before = index_state(base.index)
    outcome = decide_all(split(later, [7, 20, 30]), CONFIG, base=base.index, partitions=3, shards=2,
                         fold_below=fold_below)
    assert [v for block in outcome.verdicts for v in block] == expected
    assert sum(1 for v in expected if v.removed) > 5
    assert index_state(base.index) == before  # used in place and left as it was
    replayed = replay_index(base.index, [e for block in outcome.entries for e in block])
    assert index_state(replayed) == index_state(whole.index)


def test_lines_that_are_no_documents_are_passed_over():
    cleaner = CorpusCleaner(CONFIG)
    expected = [cleaner.decide(s, name) for name, s in DOCS[:20]]
    blocks = [[None, *DOCS[:5]], [], [None], DOCS[5:20] + [None]]
    outcome = decide_all(blocks, CONFIG, partitions=2, shards=3)
    got = [v for block in outcome.verdicts for v in block]
    assert [v for v in got if v is not None] == expected
    assert [i for i, v in enumerate(got) if v is None] == [0, 6, 22]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 30), cuts=st.lists(st.integers(0, 40), max_size=5),
       partitions=st.integers(1, 6), shards=st.integers(1, 4), fold_below=st.sampled_from([0, 3, 1000]))
def test_any_crawl_any_split(seed, n, cuts, partitions, shards, fold_below):
    docs = sketches(crawl(seed, n))
    cleaner = CorpusCleaner(CONFIG)
    expected = [cleaner.decide(s, name) for name, s in docs]
    outcome = decide_all(split(docs, cuts), CONFIG, partitions=partitions, shards=shards, fold_below=fold_below)
    assert [v for block in outcome.verdicts for v in block] == expected


def test_updates_that_do_not_match_are_refused():
    table = KeyTable(np.array([5, 9], dtype=np.uint64), np.array([gid(0, 0), gid(0, 0)], dtype=np.int64))
    part = KeyPartition(0, 1, [table])
    resolved = part.wave([])
    assert resolved.gids.tolist() == [gid(0, 0)] * 2 and resolved.holders.tolist() == [-1, -1]
    wrong = Updates(np.array([gid(0, 0)], dtype=np.int64), np.array([5], dtype=np.uint64), np.array([True]))
    with pytest.raises(RuntimeError, match="do not match"):
        part.wave([wrong])

"""Shared test helpers: a generator of documents made of distinct sentences."""

from __future__ import annotations

import random

import pytest

WORDS = (
    "river harbour lantern winter copper meadow signal archive granite orchard ferry valley "
    "engine thunder quarry beacon market garden bridge tunnel canvas marble silver harvest "
    "station compass ledger mirror candle forest island bottle timber window velvet planet"
).split()


def make_sentence(rng: random.Random, index: int, words: int | None = None) -> str:
    """A sentence no other index produces: the index is spelled into it."""
    n = words or rng.randint(10, 16)
    body = [rng.choice(WORDS) for _ in range(n - 2)]
    body.insert(rng.randrange(1, len(body)), f"number{index}")
    return " ".join(body).capitalize() + " ends here."


def make_article(rng: random.Random, paragraphs: int = 4, start: int = 0) -> list[str]:
    """Paragraphs of 1-4 distinct sentences each."""
    out, k = [], start
    for _ in range(paragraphs):
        n = rng.randint(1, 4)
        out.append(" ".join(make_sentence(rng, k + i) for i in range(n)))
        k += n
    return out


@pytest.fixture
def rng() -> random.Random:
    return random.Random(1234)

"""The frozen configuration shared by the library and the CLI.

Every field is documented here once; the CLI options and the report use the
same names.

>>> Config().keep
<Keep.BEST: 'best'>
>>> Config(threshold=65)
Traceback (most recent call last):
    ...
ValueError: threshold must be between 0 and 64, got 65
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar


class Keep(StrEnum):
    """Which copy of a repeated passage stays."""

    BEST = "best"  #: the most complete, best-formed copy, then the earliest
    FIRST = "first"  #: the earliest copy
    LAST = "last"  #: the latest copy


class Scope(StrEnum):
    """What a passage is compared with."""

    DOCUMENT = "document"  #: only passages of the same document
    CORPUS = "corpus"  #: also passages kept in earlier documents


@dataclass(frozen=True)
class Config:
    """How `unrepeat.clean` normalizes text and collapses repeated passages.

    Normalization steps (faithful: they change the output text, each change is
    recorded under the step's name in ``CleanResult.fixes``):

    - ``fix_text``: ftfy repairs (mojibake, HTML entities, control characters);
      curly quotes and character widths are left as they are.
    - ``whitespace``: NBSP and other space variants become spaces, runs of
      spaces collapse, lines are stripped, blank-line runs collapse.
    - ``glued_sentences``: "reported.A large" becomes "reported. A large".
    - ``reflow``: hard-wrapped lines of one paragraph are joined.

    Unicode NFC and line endings (``\\r\\n``, ``\\r`` to ``\\n``) are always
    normalized.

    Collapsing:

    - ``keep``: which copy of a repeated passage stays (`Keep`).
    - ``threshold``: the largest Hamming distance (0-64) between two 64-bit
      simhash fingerprints for the sentences to be near-duplicate candidates.
    - ``similarity``: the least similarity (0-1, token sequence ratio of the
      matching keys) that confirms a near-duplicate candidate.
    - ``min_run_sentences``: a run of at least this many sentences repeated
      as a block is a passage ...
    - ``min_passage_words``: ... when it holds at least this many words.
    - ``min_sentence_words``: a single sentence of at least this many words is
      a passage on its own ...
    - ``min_sentence_chars``: ... or, in scripts written without spaces
      (Chinese, Japanese, Thai), of at least this many characters.
    - ``max_gap``: how many sentences one copy of a passage may add or drop
      between two matching sentences and still be the same passage.
    - ``collapse_short``: also remove isolated repeats below passage size
      (refrains, captions, dialogue lines); off by default.
    - ``scope``: compare within each document, or across the corpus.
    """

    fix_text: bool = True
    whitespace: bool = True
    glued_sentences: bool = True
    reflow: bool = True
    keep: Keep = Keep.BEST
    threshold: int = 3
    similarity: float = 0.8
    min_run_sentences: int = 2
    min_passage_words: int = 10
    min_sentence_words: int = 10
    min_sentence_chars: int = 25
    max_gap: int = 3
    collapse_short: bool = False
    scope: Scope = Scope.DOCUMENT

    def __post_init__(self) -> None:
        object.__setattr__(self, "keep", _enum(Keep, self.keep, "keep"))
        object.__setattr__(self, "scope", _enum(Scope, self.scope, "scope"))
        _check_range("threshold", self.threshold, 0, 64)
        _check_range("similarity", self.similarity, 0.0, 1.0)
        _check_range("min_run_sentences", self.min_run_sentences, 1, 1000)
        _check_range("min_passage_words", self.min_passage_words, 0, 100_000)
        _check_range("min_sentence_words", self.min_sentence_words, 1, 100_000)
        _check_range("min_sentence_chars", self.min_sentence_chars, 1, 1_000_000)
        _check_range("max_gap", self.max_gap, 0, 100)

    def replace(self, **changes: object) -> Config:
        """A copy with some fields changed (`dataclasses.replace`)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, object]:
        """The fields as plain JSON values, as the report records them."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Config:
        """The inverse of `as_dict`; unknown keys are an error."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown config field(s): {', '.join(unknown)}")
        return cls(**data)  # type: ignore[arg-type]


E = TypeVar("E", bound=StrEnum)


def _plain(value: object) -> object:
    return str(value) if isinstance(value, StrEnum) else value


def _enum(kind: type[E], value: object, name: str) -> E:
    if isinstance(value, str) and value in kind._value2member_map_:
        return kind(value)
    allowed = ", ".join(m.value for m in kind)
    raise ValueError(f"{name} must be one of {allowed}, got {value!r}")


def _check_range(name: str, value: object, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if isinstance(low, int) and isinstance(high, int) and not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")

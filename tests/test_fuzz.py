"""Issue 10's fuzz suite: nothing lost, valid provenance, a fixed point, on any input.

`docgen.fuzz_document` builds small documents from our sentence pool with
repeated passages in random layouts (hard-wrapped fragments, glued, CRLF,
teasers cut short, refrains, edited copies), Unicode noise and odd whitespace,
and a random `Config(keep, collapse_short, threshold)`; `invariants.check`
says which invariants fail. These are the first 2,000 documents of
`benchmarks/fuzz.py --seed 0` (which also checks other PYTHONHASHSEEDs and
runs the long version); `benchmarks/fuzz.py --one SEED` shows one in full.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace

import pytest
from docgen import NOISE, fuzz_document, letters
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from invariants import check, provenance_problems, uncovered_problems

from unrepeat import Config, clean

DOCS = 2000
BATCH = 100


@pytest.mark.parametrize("first", range(0, DOCS, BATCH), ids=lambda s: f"seeds{s}")
def test_fuzzed_documents_keep_every_invariant(first):
    counts: Counter[str] = Counter()
    shown: list[str] = []
    for seed in range(first, first + BATCH):
        doc, fields = fuzz_document(random.Random(seed))
        failed = check(doc, Config(**fields))
        counts.update(failed.keys())
        for name, message in failed.items():
            if len(shown) < 6:
                shown.append(f"  {name}: benchmarks/fuzz.py --one {seed}  # {message[:160]}")
    assert not counts, (f"invariants failing in seeds {first}-{first + BATCH - 1}: {dict(counts.most_common())}\n"
                        + "\n".join(shown))


_NOISE_CHARS = sorted({c for token in NOISE for c in token})


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6),
       noise=st.lists(st.tuples(st.floats(0, 1), st.text(st.sampled_from(_NOISE_CHARS), min_size=1, max_size=4)),
                      max_size=8),
       keep=st.sampled_from(["best", "first", "last"]), collapse_short=st.booleans(), threshold=st.integers(0, 12))
def test_noise_anywhere_keeps_every_invariant(seed, noise, keep, collapse_short, threshold):
    """Hypothesis places the noise (and shrinks it to the least that breaks something)."""
    doc, _ = fuzz_document(random.Random(seed))
    text = doc.text
    for where, chars in noise:
        i = int(where * len(text))
        text = text[:i] + chars + text[i:]
    failed = check(replace(doc, text=text), Config(keep=keep, collapse_short=collapse_short, threshold=threshold))
    assert not failed, failed


# ------------------------------------------------------------------ whitespace that means a break

@pytest.mark.parametrize("sep", ["\u2028", "\u2029", "\x85", "\v", "\f", "\r", "\u2028\u2028", "\n\u2029\n"],
                         ids=["LS", "PS", "NEL", "VT", "FF", "CR", "LSx2", "PS-between-newlines"])
def test_separators_separate_and_the_output_is_a_fixed_point(sep):
    once = clean(f"one{sep}two").text
    assert once.split() == ["one", "two"], once
    assert clean(once).text == once


def test_a_hard_wrapped_pair_that_reflows_stays_reflowed():
    """A reflowed paragraph must not reflow differently on a second pass."""
    para = ("The northern rivers freeze from the edges inward, and by the middle of\n"
            "winter the ice is thick enough to carry a loaded truck, so villages are\n"
            "reached in a single day.")
    once = clean(para + "\n\nAnother paragraph.\n").text
    assert clean(once).text == once


# ------------------------------------------------------------------ the repro cases of issue 10
# Written from ../shared/repro/README.md's descriptions with our own text.

def _assert_nothing_lost(text: str, must_stay: list[str], keep: str) -> None:
    r = clean(text, Config(keep=keep))
    gone = [s for s in must_stay if letters(s) not in letters(r.text)]
    assert not gone, f"keep={keep}: lost {gone}; removals {[(x.text, x.kept_start, x.kept_end) for x in r.removals]}"
    assert not uncovered_problems(r), uncovered_problems(r)
    assert not provenance_problems(r), provenance_problems(r)


@pytest.mark.parametrize("keep", ["best", "first", "last"])
def test_a_hard_wrapped_fragment_does_not_stand_in_for_the_whole_sentence(keep):
    """lost_best: the whole sentence went as a copy of a fragment of a hard-wrapped copy
    that lacks its first words ("In March the"), and the words were gone."""
    whole = "In March the river rose over the lower road and cut the village off for nine days."
    fragment = "river rose over the lower road and cut the village off for nine days."
    other = "Marguerite lifted the lantern and went down to the cellar alone?"
    text = f"{fragment} {other}\r\nNobody answered. {whole} {other}\r"
    _assert_nothing_lost(text, [whole, other, "Nobody answered."], keep)


@pytest.mark.parametrize("keep", ["best", "first", "last"])
def test_the_last_word_of_a_sentence_is_not_lost_to_a_wrapped_fragment(keep):
    """lost_system: with --keep first, the last word of a sentence ("again!") that a
    hard-wrapped copy put on a line of its own was missing from the output."""
    first = "Dr. Smith and the ferryman crossed the flooded valley road at dawn."
    text = (f"{first}\r\nDr. Hale lit the lamp\nthat Smith and the ferryman crossed the valley road at dawn.\r\n"
            f"Was it 1904? {first}\r\nDr. Hale lit the lamp again! Was it 1904? {first}\r")
    _assert_nothing_lost(text, [first, "Dr. Hale lit the lamp again!", "Was it 1904?"], keep)


@pytest.mark.parametrize("keep", ["best", "first", "last"])
def test_a_kept_span_never_lies_inside_removed_text(keep):
    """kept_in_removed: with --keep last, a removal named as its kept copy a span that
    another removal deleted (here every copy of the first sentence went)."""
    text = ("Dr. Smith and the harvest meadow Ålesund valley harbour tunnel planet.\r\n"
            "Dr. candle window meadow\norchard Smith and the Ålesund valley harbour tunnel planet.\r\n"
            "Many 81410? Dr. Smith and the harvest meadow Ålesund valley harbour tunnel planet.\r\n"
            "Dr. candle window meadow quarry! 81410? Dr. Smith and the harvest meadow Ålesund valley harbour "
            "tunnel planet.\r")
    _assert_nothing_lost(text, ["Dr. Smith and the harvest meadow Ålesund valley harbour tunnel planet.",
                                "Dr. candle window meadow quarry!"], keep)


@pytest.mark.parametrize("keep", ["best", "first", "last"])
def test_a_line_that_only_resembles_the_next_is_not_a_stutter(keep):
    """Found by the fuzzer: a line followed by a shorter variant of itself is not "the same line
    twice"; with --keep last the longer one went as a stuttered line, its extra words with it."""
    longer = "In 2023, Zürich harvest archive candle copper market station velvet valley harvest mirror 59179?"
    shorter = "In 2023, Zürich harvest archive copper station harvest mirror 59179?"
    _assert_nothing_lost(f"{longer}\n{shorter}", [longer], keep)  # the shorter one may go: the longer holds it


def test_the_checks_catch_a_false_kept_copy():
    """The invariants themselves: a kept copy that is another sentence, or that lies in removed text."""
    from unrepeat import Reason, Removal
    from unrepeat.report import CleanResult

    def removal(start: int, end: int, kept_start: int, kept_end: int) -> Removal:
        return Removal(Reason.REPEATED_PASSAGE, start, end, start, end, normalized[start:end], kept_start, kept_end)

    normalized = "Unique words vanish here.\n\nThe river rose in March.\n\nThe river rose in March.\n"
    other = removal(0, 27, 27, 51)  # "Unique words vanish here." named a copy of "The river rose in March."
    r = CleanResult(normalized[27:], normalized, (other,), {})
    assert provenance_problems(r) and uncovered_problems(r)
    good = removal(53, 78, 27, 51)
    r = CleanResult(normalized[:53], normalized, (good,), {})
    assert not provenance_problems(r) and not uncovered_problems(r)
    inside = removal(27, 53, 53, 77)
    r = CleanResult(normalized[:27], normalized, (good, inside), {})
    assert any("lies in removed text" in p for p in provenance_problems(r))


def test_generated_documents_list_what_they_hold():
    """The sentences a fuzz document says must survive are in its input (maybe wrapped or glued)."""
    for seed in range(200):
        doc, _ = fuzz_document(random.Random(seed))
        key = letters(doc.text)
        assert doc.lines
        assert all(letters(s) in key or s in doc.variants.values() for s in doc.lines), seed

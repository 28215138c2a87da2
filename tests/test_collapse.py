"""clean(): what goes, what stays, and the report that proves it."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from conftest import make_article, make_sentence
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unrepeat import Config, Reason, apply_removals, clean
from unrepeat.normalize import matching_key
from unrepeat.report import Rule
from unrepeat.segment import sentences

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = sorted((ROOT / "tests" / "golden").glob("*.txt"))


def keys(text: str) -> list[str]:
    from unrepeat.normalize import normalize

    n = normalize(text)
    return [matching_key(n.text[s.start : s.end]) for s in sentences(n.text, n.paragraphs)]


def assert_report_proves_output(text: str, config: Config | None = None):
    """Every removal holds the text it removes, its kept copy stays, the replay gives the output."""
    r = clean(text, config)
    assert apply_removals(r.normalized, r.removals) == r.text
    spans = [(x.start, x.end) for x in r.removals]
    for x in r.removals:
        assert r.normalized[x.start : x.end] == x.text
        assert 0 <= x.input_start <= x.input_end <= len(text)
        # The kept copy is not inside any removed span.
        assert not any(s <= x.kept_start and x.kept_end <= e for s, e in spans), x
    return r


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.name)
def test_golden_documents(path):
    """The corpus documents against outputs that were read and judged right."""
    text = (ROOT / "corpus" / path.name).read_text(encoding="utf-8")
    r = assert_report_proves_output(text)
    assert r.text == path.read_text(encoding="utf-8")


def test_seed_document_removals():
    text = (ROOT / "corpus" / "000_d54f8a71f777eda1.txt").read_text(encoding="utf-8")
    r = clean(text)
    out = r.text.split("\n\n")
    assert out[0] == "date 2025-05-23 International"
    assert out[2] == "13:30 GMT 23.05.2025"
    assert len(out) == 9
    # The glued copy is what went, and the kept copy of its text is the paragraphed one.
    start = r.normalized.index("The Russian Federation")
    end = r.normalized.index("\n", start)
    assert "reported. A large-scale" in r.normalized[start:end]
    glued = [x for x in r.removals if x.end > start and x.start < end]
    assert sum(min(x.end, end) - max(x.start, start) for x in glued) == end - start
    assert all(x.kept_start > r.normalized.index("13:30") for x in glued)
    # The first title line goes with the glued copy it heads; the second, the
    # same line again, as a long sentence of its own; both name the title kept
    # above "13:30". The glued body goes in two records: the kept copy has a
    # paragraph of its own in between.
    assert [(x.reason, x.rule) for x in r.removals] == [
        (Reason.REPEATED_PASSAGE, Rule.RUN), (Reason.REPEATED_SENTENCE, Rule.LONG_SENTENCE),
        (Reason.REPEATED_PASSAGE, Rule.RUN), (Reason.REPEATED_PASSAGE, Rule.RUN)]
    title = r.text.split("\n\n")[1]
    assert [r.normalized[x.kept_start : x.kept_end] for x in r.removals[:2]] == [title, title]


def test_doubled_article_keeps_one_copy(rng):
    article = make_article(rng, 5)
    text = "\n\n".join(article + article)
    r = assert_report_proves_output(text)
    assert r.text == "\n\n".join(article) + "\n"


@pytest.mark.parametrize("keep", ["first", "last", "best"])
def test_keep_policies(rng, keep):
    article = make_article(rng, 3)
    glued = " ".join(article).replace(". ", ".")
    text = glued + "\n\nMiddle line that is unique.\n\n" + "\n\n".join(article)
    r = assert_report_proves_output(text, Config(keep=keep))
    paragraphs = r.text.strip().split("\n\n")
    assert "Middle line that is unique." in paragraphs
    if keep == "first":
        assert paragraphs[0].startswith(article[0].split(".")[0]) and len(paragraphs) == 2
    else:  # last and best keep the paragraphed copy
        assert paragraphs == ["Middle line that is unique."] + article


def test_three_copies_and_partial_copies(rng):
    article = make_article(rng, 6)
    teaser = article[:2]
    second_half = article[3:]
    text = "\n\n".join(teaser + ["Read more"] + article + article + second_half)
    r = assert_report_proves_output(text)
    assert r.text == "\n\n".join(["Read more"] + article) + "\n"


def test_edited_copy_is_a_copy(rng):
    article = make_article(rng, 4)
    edited = [p.replace("ends here", "ends right here", 1) if i == 1 else p for i, p in enumerate(article)]
    text = "\n\n".join(edited + article)
    r = assert_report_proves_output(text)
    assert r.text == "\n\n".join(article) + "\n" or r.text == "\n\n".join(edited) + "\n"
    assert any(x.similarity < 1.0 for x in r.removals)


def test_unique_content_of_a_removed_copy_stays_in_place(rng):
    article = make_article(rng, 4)
    extra = make_sentence(rng, 999)
    glued = " ".join(article[:2] + [extra] + article[2:])
    text = glued + "\n\n" + "\n\n".join(article)
    r = assert_report_proves_output(text)
    assert extra in r.text
    for p in article:
        assert r.text.count(p) == 1


def test_stuttered_lines_collapse_at_any_size():
    r = assert_report_proves_output("Headline\nHeadline\nBody text follows here.\n")
    assert r.text == "Headline\n\nBody text follows here.\n"
    assert [x.reason for x in r.removals] == [Reason.STUTTERED_LINE]


def test_stutter_inside_code_stays():
    code = "x = 1\n    y = 2\n    y = 2\n    z = 3"
    assert clean(code).text == code + "\n"


def test_short_isolated_repeats_stay_unless_asked():
    text = "Photo\n\nA caption that is unique.\n\nPhoto\n\nAnother one here.\n"
    assert clean(text).text == text
    r = clean(text, Config(collapse_short=True))
    assert r.text.count("Photo") == 1
    assert [x.reason for x in r.removals] == [Reason.SHORT_REPEAT]


def test_long_repeated_sentence_goes():
    quote = "The river was the only road the village had for six months of every single year."
    text = f"Intro line.\n\n{quote}\n\nMiddle part of the story.\n\n{quote}\n"
    r = assert_report_proves_output(text)
    assert r.text.count(quote) == 1
    assert [x.reason for x in r.removals] == [Reason.REPEATED_SENTENCE]


def test_list_lines_that_differ_in_a_number_or_name_are_distinct():
    lines = [
        "Round 1: Harbour United play Northern Rovers at the city stadium on Saturday at 19:00.",
        "Round 2: Harbour United play Eastern Rovers at the city stadium on Saturday at 19:00.",
        "Round 3: Harbour United play Northern Rovers at the city stadium on Saturday at 21:00.",
        "Round 4: Harbour United play Western Rovers at the city stadium on Sunday at 19:00.",
    ]
    text = "\n".join(lines) + "\n"
    assert clean(text).text == "\n\n".join(lines) + "\n"


def test_repeated_block_inside_a_list_still_collapses():
    block = ["Tickets are on sale now at the box office and online.", "Doors open one hour before the start."]
    text = "\n".join(["Concert A on Friday."] + block + ["Concert B on Saturday."] + block)
    r = assert_report_proves_output(text)
    assert r.text.count(block[0]) == 1


def test_one_sentence_repeated_100000_times_is_linear():
    sentence = "This sentence is repeated a very large number of times in one document."
    text = " ".join([sentence] * 100_000)
    r = clean(text)
    assert r.text == sentence + "\n"
    assert len(r.removals) == 1  # one merged span, not 99,999 records


def test_one_line_repeated_many_times():
    r = clean("Same line again\n" * 20_000)
    assert r.text == "Same line again\n"


def test_empty_document():
    r = clean("")
    assert (r.text, r.removals) == ("", ())


# ------------------------------------------------------------------ properties

@st.composite
def documents(draw):
    """Articles with the duplication patterns scrapers make: doubled, glued,
    teaser, wrapped, stuttered headline."""
    seed = draw(st.integers(0, 10_000))
    rng = random.Random(seed)
    article = make_article(rng, draw(st.integers(1, 6)))
    title = "Headline number " + str(seed)
    parts = [title]
    pattern = draw(st.sampled_from(["clean", "doubled", "glued", "teaser", "stutter", "wrapped"]))
    if pattern == "doubled":
        parts += article + [title] + article
    elif pattern == "glued":
        parts += [" ".join(article).replace(". ", "."), title] + article
    elif pattern == "teaser":
        parts += article[:1] + ["Read more", title] + article
    elif pattern == "stutter":
        parts += [title] + article
    elif pattern == "wrapped":
        import textwrap

        parts += [textwrap.fill(p, 60) for p in article] + article
    else:
        parts += article
    return "\n\n".join(parts), article, title


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_nothing_unique_is_lost(doc):
    text, article, _title = doc
    r = assert_report_proves_output(text)
    assert set(keys(text)) == set(keys(r.text))
    for p in article:
        assert r.text.count(p) == 1


@settings(max_examples=40, deadline=None)
@given(documents())
def test_idempotent_and_deterministic(doc):
    text = doc[0]
    once = clean(text).text
    assert clean(once).text == once
    assert clean(text).text == once


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_handled_and_replayable(text):
    r = clean(text)
    assert apply_removals(r.normalized, r.removals) == r.text
    assert r.text == "" or r.text.endswith("\n")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from([97, 98, 99]), max_size=120), max_size=8))
def test_chains_of_many_streams_at_once_are_the_chains_of_each(streams):
    import numpy as np

    from unrepeat.collapse.pieces import chains, chains_many

    arrays = [np.array(s, dtype=np.uint32) for s in streams]
    assert chains_many(arrays) == [chains(a) for a in arrays]

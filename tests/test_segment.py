import pytest

from unrepeat.normalize import normalize
from unrepeat.segment import sentence_spans, sentences


def split(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One here. Two there! Three?", ["One here.", "Two there!", "Three?"]),
        ('He said "Stop." Then he left.', ['He said "Stop."', "Then he left."]),
        ("Dr. Smith met Mr. Jones in the U.S. last year.", ["Dr. Smith met Mr. Jones in the U.S. last year."]),
        ("It costs 3.14 dollars. Fine.", ["It costs 3.14 dollars.", "Fine."]),
        ("J. R. R. Tolkien wrote it. Yes.", ["J. R. R. Tolkien wrote it.", "Yes."]),
        ("e.g. this one. And etc. more", ["e.g. this one.", "And etc. more"]),
        ("Это первое. Это второе.", ["Это первое.", "Это второе."]),
        ("第一句。第二句！第三句？", ["第一句。", "第二句！", "第三句？"]),
        ("「引用です。」次の文。", ["「引用です。」", "次の文。"]),
        ("It needs numbers.Real. Then more.", ["It needs numbers.Real.", "Then more."]),
        ("Visit example.com. Or Node.js. Done.", ["Visit example.com.", "Or Node.js.", "Done."]),
        ("The input.L.E.A.N. Ads program. Next.", ["The input.L.E.A.N. Ads program.", "Next."]),
        ("At 10 a.m. Smith left. Ph.D. Jones stayed.", ["At 10 a.m. Smith left.", "Ph.D. Jones stayed."]),
        ("Wait... What? Fine!!! OK.", ["Wait...", "What?", "Fine!!!", "OK."]),
        ("no end", ["no end"]),
        ("", []),
    ],
)
def test_sentence_spans(text, expected):
    assert split(text) == expected


def test_sentences_carry_paragraph_and_offsets():
    n = normalize("First one. Second one.\n\nThird.")
    out = sentences(n.text, n.paragraphs)
    assert [(n.text[s.start : s.end], s.para) for s in out] == [("First one.", 0), ("Second one.", 0), ("Third.", 1)]


@pytest.mark.parametrize(
    "text",
    ["." * 100_000, ". A" * 30_000, "U.S. " * 20_000, "Dr. " * 25_000, "?!" * 50_000 + " A", ".\u201d" * 50_000 + " A"],
    ids=["dots", "stop-capital", "US", "Dr", "marks", "quotes"],
)
def test_runs_of_stops_and_abbreviations_finish(text):
    # Quadratic before: 40,000 dots took 409 s. Finishing is the test.
    spans = list(sentence_spans(text))
    assert spans and spans[0][0] == 0

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

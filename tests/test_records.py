import copy

import pytest

from unrepeat import Config, clean
from unrepeat.records import clean_records, text_of

DOUBLED = (
    "A long sentence with many words in it that repeats here. "
    "Another long sentence follows it right after that.\n\n"
)

ROWS = [
    {"id": "a", "text": "First  document.\n\nWith two paragraphs.", "meta": {"n": 1}, "lang": "en"},
    {"lang": "fr", "text": "", "id": "b"},
    {"text": DOUBLED * 2, "meta": [1, 2]},
]


def test_rows_keep_every_other_field_and_their_order():
    rows = copy.deepcopy(ROWS)
    out = list(clean_records(rows))
    assert rows == ROWS  # inputs untouched
    assert [list(r) for r in out] == [list(r) for r in ROWS]
    for before, after in zip(ROWS, out, strict=True):
        assert after == {**before, "text": clean(before["text"]).text}
        assert after is not before


def test_rows_are_cleaned_lazily():
    def rows():
        yield {"text": "Fine."}
        raise AssertionError("read too far")

    out = clean_records(rows())
    assert next(out) == {"text": "Fine.\n"}


def test_a_batch_becomes_a_new_dict_of_lists():
    batch = {"id": [1, 2, 3], "text": [r["text"] for r in ROWS], "lang": ["en", "fr", "de"]}
    before = copy.deepcopy(batch)
    out = clean_records(batch)
    assert batch == before
    assert list(out) == ["id", "text", "lang"]
    assert out["id"] == [1, 2, 3] and out["lang"] == ["en", "fr", "de"]
    assert out["text"] == [clean(t).text for t in before["text"]]


def test_reports_carry_the_id_and_the_config():
    config = Config(keep="first")
    (row,) = clean_records([{"doc": 7, "body": "Some text."}], "body", config, id_field="doc", report_field="why")
    assert row["body"] == "Some text.\n"
    assert row["why"] == clean("Some text.", config).report(7, config.as_dict())
    batch = clean_records({"body": ["Some text."]}, "body", config, report_field="why")
    assert batch["why"] == [clean("Some text.", config).report(None, config.as_dict())]


def test_the_report_field_cannot_be_the_text_field():
    with pytest.raises(ValueError, match="report_field must differ from text_field, both are 'text'"):
        clean_records([], report_field="text")


def test_a_missing_text_field_names_the_record():
    with pytest.raises(KeyError, match='record 1: no "text" field'):
        list(clean_records([{"text": "ok"}, {"body": "x"}]))
    with pytest.raises(KeyError, match="""no "text" column; the columns are id, body"""):
        clean_records({"id": [1], "body": ["x"]})


@pytest.mark.parametrize("value", [None, 3, ["a"], b"bytes"])
def test_a_text_that_is_not_a_string_names_the_record(value):
    kind = "None" if value is None else type(value).__name__
    with pytest.raises(ValueError, match=f'record 1: "text" must be a string, got {kind}'):
        list(clean_records([{"text": "ok"}, {"text": value}]))
    with pytest.raises(ValueError, match=f'record 0: "text" must be a string, got {kind}'):
        clean_records({"text": [value]})


def test_a_record_must_be_a_mapping():
    with pytest.raises(TypeError, match="record 0 is a str, not a mapping"):
        list(clean_records(["just text"]))


def test_text_of_checks_one_record():
    assert text_of({"body": "x"}, "body") == "x"
    with pytest.raises(KeyError):
        text_of({"text": "x"}, "body")


# Depends on the real `clean` (not the placeholder): the second copy of an
# obviously doubled document goes. Find these with `pytest -k real_clean`.
def test_real_clean_removes_the_second_copy_of_a_doubled_document():
    (row,) = clean_records([{"id": 1, "text": DOUBLED * 2}], report_field="report")
    assert row["text"] == DOUBLED.rstrip("\n") + "\n"
    assert row["report"]["counts"]["removals"] >= 1

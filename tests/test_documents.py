"""documents.py: one record path, so every engine writes the same records."""

import json

import pytest
from click.testing import CliRunner

from unrepeat import Config, clean, clean_records
from unrepeat.cli import main
from unrepeat.documents import (
    Document,
    dropped,
    from_line,
    from_record,
    from_text,
    output_record,
    report_record,
    skipped_report,
    warnings,
)
from unrepeat.io import JsonLine

FOOTER = "Sign up for our daily newsletter to get the best stories every single morning.\n"
ROWS = [
    {"id": "a", "text": "A story about rivers.\n\n" + FOOTER, "lang": "en"},
    {"id": None, "text": "Another story, about lanterns.\n\n" + FOOTER},
    {"id": "c", "text": FOOTER, "n": 3},
]


def test_the_cli_and_clean_records_write_the_same_records(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open("in.jsonl", "w") as file:
        file.writelines(json.dumps(row) + "\n" for row in ROWS)
    result = CliRunner().invoke(main, ["clean", "--scope", "corpus", "in.jsonl", "-o", "out.jsonl", "--report",
                                       "r.jsonl", "-q"])
    assert result.exit_code == 0, result.output
    config = Config(scope="corpus")
    cleaned = list(clean_records(ROWS, config=config, report_field="report"))
    reports = [row.pop("report") for row in cleaned]
    assert read("out.jsonl") == cleaned
    # the same records, with the line numbers a file adds
    assert read("r.jsonl") == [{**r, "line": n} for n, r in enumerate(reports, 1)]
    assert reports[2]["duplicate_of"] == "a"


def read(path: str) -> list[dict]:
    with open(path) as file:
        return [json.loads(line) for line in file]


def test_a_line_that_is_not_a_document_says_why_and_is_reported_with_its_line():
    doc = from_line(JsonLine(5, {"id": 3, "body": "x"}, None, 2, 30), "crawl.jsonl")
    assert (doc.text, doc.error, doc.where, doc.name, doc.size) == (None, 'no "text" field', "crawl.jsonl:5", "3", 30)
    assert skipped_report(doc) == {"id": 3, "error": 'no "text" field', "line": 5}
    assert warnings(doc) == ["crawl.jsonl:5: 2 invalid UTF-8 sequences replaced with U+FFFD",
                             'crawl.jsonl:5: skipped: no "text" field']


def test_a_parquet_row_reports_its_row():
    doc = from_line(JsonLine(2, {"text": "Hello there."}, None, 0), "t.parquet", unit="row")
    report = report_record(doc, clean(doc.text), None)
    assert (report["row"], "line" in report) == (2, False)


def test_a_text_file_is_one_document_named_by_its_file():
    doc = from_text(b"Hello\xff there.", "page.txt")
    assert (doc.id, doc.name, doc.line, doc.invalid_utf8, doc.size) == ("page.txt", "page.txt", None, 1, 13)
    report = report_record(doc, clean(doc.text), None, dropped=True)
    assert (report["invalid_utf8"], report["dropped"], "line" in report) == (1, True, False)
    with pytest.raises(ValueError, match=r"page\.txt: not a record"):
        output_record(doc, clean(doc.text))


def test_records_in_memory_are_checked_and_named_by_their_place():
    assert from_record(4, {"text": "Hi."}).name == "record 4"
    assert from_record(4, {"text": "Hi.", "id": 0}).name == "0"
    with pytest.raises(TypeError, match="record 2 is a list, not a mapping"):
        from_record(2, ["text"])


def test_why_a_document_is_left_out():
    duplicate = clean("Hello there, this is long enough.")
    duplicate = type(duplicate)(duplicate.text, duplicate.normalized, (), {}, duplicate_of="a")
    assert dropped(duplicate) is None
    assert dropped(duplicate, drop_duplicates=True) is True
    assert dropped(duplicate, min_words=100) == "short"
    assert dropped(duplicate, drop_duplicates=True, min_words=100) is True  # a duplicate first
    assert Document("x", "t").name == ""  # the engine then names it str(id)

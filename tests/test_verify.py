"""verify.py: a report proves its output, checked with normalize() only."""

import copy
import json
import re

import pytest

import unrepeat.collapse
from unrepeat import Config, clean, clean_records
from unrepeat.collapse import similarity
from unrepeat.verify import VerifyError, check_report, verify_files, verify_records, verify_text

TEXT = ("A long sentence with many words in it that repeats here. Another long sentence follows it right after that.\n\n"
        "Something else in between.\n\n"
        "A long sentence with many words in it that repeats here. Another long sentence follows it right after that.\n")


def report_of(text: str) -> dict:
    return clean(text).report("doc", Config().as_dict())


def test_a_true_report_verifies_and_gives_the_output():
    report = report_of(TEXT)
    assert report["removals"]  # something to check
    assert check_report(TEXT, report) == clean(TEXT).text
    verify_text(TEXT, report, clean(TEXT).text)
    verify_text(TEXT, report, clean(TEXT).text.encode())


def test_verify_never_cleans_again(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("verify ran the collapse")

    report, output = report_of(TEXT), clean(TEXT).text
    monkeypatch.setattr(unrepeat.collapse, "clean", refuse)
    monkeypatch.setattr(unrepeat.collapse, "analyze", refuse)
    verify_text(TEXT, report, output)


def test_a_kept_copy_must_have_the_recorded_similarity():
    report = report_of(TEXT)
    forged = copy.deepcopy(report)
    forged["removals"][0]["similarity"] = 0.97
    with pytest.raises(VerifyError, match=r"its kept copy has similarity 1.0, the report records 0.97"):
        check_report(TEXT, forged)


def test_a_kept_copy_must_stay_in_the_output():
    report = report_of(TEXT)
    removal = report["removals"][0]
    forged = copy.deepcopy(report)
    forged["removals"][0]["kept_start"], forged["removals"][0]["kept_end"] = removal["start"], removal["end"]
    with pytest.raises(VerifyError, match="lies in removed text"):
        check_report(TEXT, forged)


def test_a_kept_copy_must_be_a_copy():
    report = report_of(TEXT)
    normalized = clean(TEXT).normalized
    start = normalized.index("Something else in between.")
    kept = normalized[start : start + 26]
    actual = round(similarity(report["removals"][0]["text"], kept, repeats=True), 4)
    assert actual < Config().similarity
    forged = copy.deepcopy(report)
    forged["removals"][0].update(kept_start=start, kept_end=start + 26, similarity=actual)  # recorded truly
    with pytest.raises(VerifyError, match=re.escape(f"its kept copy is not a copy of it (similarity {actual})")):
        check_report(TEXT, forged)


def test_another_output_is_named_with_its_first_differing_byte():
    with pytest.raises(VerifyError, match=r"^out\.txt differs from the replayed report at byte 3$"):
        verify_text(TEXT, report_of(TEXT), "A l!", "out.txt")


def test_records_verify_with_documents_left_out():
    rows = [{"id": i, "text": text} for i, text in enumerate([TEXT, "Too short.", TEXT])]
    config = Config()
    out = list(clean_records(rows, config=config, report_field="r"))
    reports = [o.pop("r") for o in out]
    reports[1]["dropped"] = "short"
    assert verify_records(rows, reports, [out[0], out[2]]) == 3
    with pytest.raises(VerifyError, match=r"^input:2 \(id 1\): output:2 \"text\" differs"):
        verify_records(rows, reports[:1] + [{**reports[1], "dropped": None}] + reports[2:], out[:1] + [out[2]])
    with pytest.raises(VerifyError, match=r"^output:3: a record the report does not account for$"):
        verify_records(rows, reports, [out[0], out[2], out[2]])


def test_files_verify_by_their_names(tmp_path):
    (tmp_path / "in.jsonl").write_text(json.dumps({"id": 7, "text": TEXT}) + "\n")
    result = clean(TEXT)
    (tmp_path / "r.jsonl").write_text(json.dumps({**result.report(7, Config().as_dict()), "line": 1}) + "\n")
    (tmp_path / "out.jsonl").write_text(json.dumps({"id": 7, "text": result.text}) + "\n")
    names = [str(tmp_path / n) for n in ("in.jsonl", "r.jsonl", "out.jsonl")]
    assert verify_files(*names) == 1
    (tmp_path / "out.jsonl").write_text(json.dumps({"id": 7, "text": "x"}) + "\n")
    with pytest.raises(VerifyError, match=re.escape(f'{names[0]}:1 (id 7): {names[2]}:1 "text" differs')):
        verify_files(*names)

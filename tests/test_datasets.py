"""clean_records inside Hugging Face ``datasets``: ``Dataset.map(batched=True)``, as the README shows."""

import ast
from pathlib import Path

import pytest

from unrepeat import Config, clean, clean_records

datasets = pytest.importorskip("datasets")

ROWS = [
    {"id": 1, "text": "Line one.\nLine one.\nLine two.", "lang": "en"},
    {"id": 2, "text": "It  has   spaces and a mojibake caf\u00c3\u00a9 here.\n", "lang": "fr"},
    {"id": 3, "text": "Plain text here.", "lang": "de"},
]


def test_a_batched_map_cleans_the_texts_and_keeps_every_other_column():
    dataset = datasets.Dataset.from_list(ROWS)
    cleaned = dataset.map(lambda batch: clean_records(batch), batched=True, batch_size=2)
    assert cleaned.column_names == ["id", "text", "lang"]
    assert cleaned["text"] == ["Line one.\n\nLine two.\n", "It has spaces and a mojibake caf\u00e9 here.\n",
                               "Plain text here.\n"]
    assert cleaned["id"] == [1, 2, 3] and cleaned["lang"] == ["en", "fr", "de"]


def test_a_batched_map_can_add_each_report_as_a_column():
    config = Config(keep="first")
    dataset = datasets.Dataset.from_list(ROWS)
    cleaned = dataset.map(lambda batch: clean_records(batch, config=config, report_field="unrepeat"),
                          batched=True, batch_size=2)
    assert cleaned.column_names == ["id", "text", "lang", "unrepeat"]
    reports = cleaned["unrepeat"]
    assert [r["id"] for r in reports] == [1, 2, 3]
    assert reports[0]["counts"]["by_reason"] == {"stuttered_line": 1}
    assert reports[0]["removals"][0]["text"] == "Line one.\n\n"  # each line is a paragraph once normalized
    assert reports[1]["fixes"]["fix_text.fix_encoding"] == 1
    for row, report in zip(ROWS, reports, strict=True):
        assert report["normalized_sha256"] == clean(row["text"], config).report()["normalized_sha256"]
        assert report["config"] == config.as_dict()


def test_a_bad_text_stops_the_map_naming_the_record():
    dataset = datasets.Dataset.from_list([{"text": "Fine."}, {"text": None}])
    with pytest.raises(ValueError, match='record 1: "text" must be a string, got None'):
        dataset.map(lambda batch: clean_records(batch), batched=True)


def test_the_readme_example_runs_and_gives_what_it_says():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    block = next(b for b in readme.split("```python\n")[1:] if "Dataset.from_list" in b).split("```")[0]
    *code, last = block.strip().splitlines()
    expression, _, said = last.partition("#")
    scope: dict[str, object] = {}
    exec("\n".join(code), scope)
    assert eval(expression, scope) == ast.literal_eval(said.strip())

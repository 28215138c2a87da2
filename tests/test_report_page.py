"""The report page: its numbers, its views, its escaping, the `report` command, and the page in a real browser."""

from __future__ import annotations

import base64
import gzip
import json
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import make_article

from unrepeat import clean
from unrepeat.cli import main
from unrepeat.report_page import RecordError, build_page, page_from_files, rebuild_normalized

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO.parent / "shared" / "bench"
CHROMIUM = Path("/usr/bin/chromium")


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def removal(start: int, text: str, reason: str = "repeated_passage", **extra: object) -> dict:
    return {"reason": reason, "start": start, "end": start + len(text), "input_start": start,
            "input_end": start + len(text), "text": text, "kept_start": 0, "kept_end": len(text),
            "similarity": 1.0, **extra}


def record(doc_id: object, normalized: int, removals: list[dict], **extra: object) -> dict:
    removed = sum(r["end"] - r["start"] for r in removals)
    return {"schema": "unrepeat.report/1", "id": doc_id,
            "counts": {"input_chars": normalized, "normalized_chars": normalized,
                       "output_chars": normalized - removed, "removals": len(removals), "removed_chars": removed},
            "fixes": {}, "removals": removals, **extra}


def search_index(html: str) -> dict:
    blob = re.search(r'<script type="application/octet-stream" id="doc-index"[^>]*>([^<]*)</script>', html)
    assert blob is not None
    return json.loads(gzip.decompress(base64.b64decode(blob.group(1))))


def doubled(rng: random.Random, paragraphs: int, start: int) -> str:
    """An article whose first paragraphs come again as a teaser above it."""
    article = make_article(rng, paragraphs, start)
    return "\n\n".join(article[:2] + article) + "\n"


# ------------------------------------------------------------------ rebuild


def test_the_cleaned_text_and_the_removals_rebuild_the_normalized_text(rng):
    for n in range(20):
        result = clean(doubled(rng, 2 + n % 4, 100 * n) + "Line one.\nLine one.\n")
        report = result.report("x")
        assert report["removals"], "every document here has a repeat"
        rebuilt = rebuild_normalized(result.text, report["removals"], report["normalized_sha256"])
        assert rebuilt == result.normalized


def test_a_cleaned_text_that_does_not_fit_is_refused(rng):
    result = clean(doubled(rng, 3, 0))
    report = result.report("x")
    with pytest.raises(ValueError, match="another sha256"):
        rebuild_normalized(result.text.replace("e", "E", 1), report["removals"], report["normalized_sha256"])
    with pytest.raises(ValueError, match="starts past the end of the output"):
        rebuild_normalized("", [removal(5, "abc")])


# ------------------------------------------------------------------ numbers


def test_the_summary_counts_every_record():
    records = [
        record("a", 100, [removal(0, "x" * 10, rule="same_run"),
                          removal(50, "y" * 30, "stuttered_line", rule="stutter")],
               fixes={"whitespace": 3, "glued_sentences": 1}),
        record("b", 200, [], fixes={"whitespace": 2}),
        record("c", 50, [removal(0, "z" * 50, "corpus_passage", kept_doc="a")], duplicate_of="a", dropped=True),
        record("d", 40, [removal(0, "w" * 4)], dropped="short", invalid_utf8=2),
        {"id": "e", "error": "invalid JSON: Expecting value (column 1)", "line": 5},
    ]
    page = build_page(records)
    totals = page.totals
    assert (page.documents, totals.documents, totals.skipped) == (5, 4, 1)
    assert (totals.normalized_chars, totals.removed_chars, totals.removals) == (390, 94, 4)
    assert totals.output_chars == 60 + 200  # the dropped c and d are not written
    assert totals.by_reason == {"repeated_passage": 2, "stuttered_line": 1, "corpus_passage": 1}
    assert totals.chars_by_reason == {"repeated_passage": 14, "stuttered_line": 30, "corpus_passage": 50}
    assert totals.by_rule == {"same_run": 1, "stutter": 1}  # removals without a rule are not counted by rule
    assert totals.fixes == {"whitespace": 5, "glued_sentences": 1}
    assert totals.documents_fixed == {"whitespace": 2, "glued_sentences": 1}
    assert (totals.duplicates, totals.dropped, totals.invalid_utf8) == (1, {"duplicate": 1, "short": 1}, 1)
    assert totals.errors == ["e: invalid JSON: Expecting value (column 1)"]
    # shares 0.4, 0, 1.0, 0.1: bins 7 (35-40 %), 19 (95-100 %) and 1 (5-10 %)
    assert [i for i, n in enumerate(totals.histogram) if n] == [1, 7, 19]
    assert page.views == 3  # b has nothing removed
    assert "<h3>Removals by rule</h3>" in page.html and "same_run" in page.html


def test_the_views_are_the_documents_with_the_largest_share_removed():
    records = [record(f"doc{i}", 100, [removal(0, "x" * share)]) for i, share in enumerate([10, 50, 30, 50, 90])]
    page = build_page(records, views=3)
    assert page.views == 3
    shown = re.findall(r'<article class="view" id="doc-(\d+)" data-name="([^"]*)"', page.html)
    assert shown == [("0", "doc4"), ("1", "doc1"), ("2", "doc3")]  # ties: the earlier first
    assert "the 3 with the largest share removed, of 5 with removals" in page.html
    index = search_index(page.html)
    assert [d[0] for d in index["docs"]] == [f"doc{i}" for i in range(5)]  # every document can be found
    assert [d[-1] for d in index["docs"]] == [-1, 1, -1, 2, 0]  # ... and those with a view lead to it
    with pytest.raises(ValueError, match="views must be 0 or more, got -1"):
        build_page(records, views=-1)


def test_the_search_index_keeps_the_first_removals_of_each_document():
    removals = [removal(10 * i, f"removed {i}", kept_doc="first" if i else None) for i in range(5)]
    page = build_page([record("first", 10, []), record("second", 60, removals)], views=0)
    index = search_index(page.html)
    columns, strings = index["removals"], index["strings"]
    assert len(columns["start"]) == index["preview"] == 3
    assert [strings[t] for t in columns["text"]] == ["removed 0", "removed 1", "removed 2"]
    assert columns["kept_doc"] == [-1, 0, 0]  # this document, then the document "first" by its index


def test_a_view_links_each_removal_to_its_kept_copy():
    text_a = "Kept line here.\nKept line here.\n"
    records = [
        record("a", len(text_a), [removal(16, "Kept line here.\n", "stuttered_line", rule="stutter", similarity=0.93)]),
        record("b", 40, [removal(0, "Kept line here.\n", "corpus_passage", kept_doc="a"),
                         removal(20, "from elsewhere\n", "corpus_passage", kept_doc="x/old")]),
    ]
    cleaned = {0: "Kept line here.\n", 1: "." * 4 + "\n" * 5}
    page = build_page(records, texts=lambda positions: {p: cleaned[p] for p in positions})
    assert page.warnings == ()
    assert ('<del class="rm" title="stuttered_line · rule stutter · similarity 0.93 · kept at 0-16 in this document">'
            '<a href="#v1k0-16">') in page.html  # b (share 31/40) is view 0, a (16/32) view 1
    assert 'title="corpus_passage · similarity 1.00 · kept at 0-16 in a"><a href="#v1k0-16">' in page.html
    assert 'kept at 0-15 in x/old"><a href="#find:x%2Fold">' in page.html  # not in this run: a search
    assert page.html.count('<span class="anchor" id="v1k0-16"></span>') == 1


def test_document_text_and_ids_cannot_inject_markup():
    evil = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    records = [record(evil, 200, [removal(0, evil + "\n")], duplicate_of=evil)]
    page = build_page(records, texts=lambda positions: {0: "</script>" + evil}, title=evil)
    assert "<script>alert" not in page.html and "<img" not in page.html
    assert page.html.count("<script") == 2  # the index and the page's own script
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.html
    assert search_index(page.html)["docs"][0][0] == evil


def test_a_record_that_is_not_a_report_is_refused():
    with pytest.raises(RecordError, match='record 2: removal 1: "end" is not an integer'):
        build_page([record("a", 10, []), {"counts": {}, "removals": [{"start": 0, "reason": "x", "text": ""}]}])


# ------------------------------------------------------------------ command


@pytest.fixture
def corpus_run(tmp_path, monkeypatch):
    """The bundled corpus cleaned into tmp_path: cleaned/ and reports/."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(REPO / "corpus", "corpus")
    result = run("clean", "corpus", "-o", "cleaned", "--report", "reports", "-q")
    assert result.exit_code == 0, result.output
    return tmp_path


def test_report_on_the_bundled_corpus(corpus_run):
    result = run("report", "reports", "--texts", "cleaned", "-o", "report.html")
    assert (result.exit_code, result.output) == (0, "report.html: 4 documents, 2 shown in full\n")
    html = Path("report.html").read_text()
    assert html.count('<article class="view"') == 2 and "Text not shown" not in html
    assert html.count('<div class="text">') == 2 and '<del class="rm" title="repeated_passage' in html
    assert 'href="#v0k' in html and 'id="v0k' in html  # each removal links to its kept copy's anchor


def test_without_texts_a_view_lists_the_removals(corpus_run):
    result = run("report", "reports/wrapped_copy.txt.report.json", "-o", "report.html")
    assert (result.exit_code, result.output) == (0, "report.html: 1 documents, 1 shown in full\n")
    html = Path("report.html").read_text()
    assert "Text not shown: no cleaned texts given (--texts)" in html
    assert '<details class="removals" open>' in html


def test_jsonl_reports_with_skipped_and_dropped_records_pair_with_their_outputs(tmp_path, monkeypatch, rng):
    monkeypatch.chdir(tmp_path)
    articles = [doubled(rng, 3, 100 * i) for i in range(6)]
    lines = [json.dumps({"id": f"d{i}", "text": t}) for i, t in enumerate(articles)]
    lines.insert(2, "{not json")
    lines.append(json.dumps({"id": "copy", "text": articles[0]}))  # a duplicate of d0, left out
    Path("crawl.jsonl").write_text("\n".join(lines) + "\n")
    result = run("clean", "--scope", "corpus", "crawl.jsonl", "-o", "clean.jsonl.zst", "--report", "report.jsonl.gz",
                 "--on-error", "skip", "--drop-duplicates", "-q")
    assert result.exit_code == 0, result.output
    page = page_from_files(["report.jsonl.gz"], texts="clean.jsonl.zst")
    assert (page.documents, page.totals.skipped, page.views, page.warnings) == (8, 1, 7, ())
    assert page.html.count("Text not shown: left out of the output (dropped)") == 1  # the copy has no output
    assert page.html.count('<div class="text">') == 6
    assert "<li>line 3: invalid JSON" in page.html  # the skipped record, by its line


def test_parquet_outputs_give_the_texts(tmp_path, monkeypatch, rng):
    pq = pytest.importorskip("pyarrow.parquet")
    pa = pytest.importorskip("pyarrow")
    monkeypatch.chdir(tmp_path)
    pq.write_table(pa.table({"id": ["p0", "p1"], "text": [doubled(rng, 3, 0), doubled(rng, 3, 100)]}), "in.parquet")
    assert run("clean", "in.parquet", "-o", "out.parquet", "--report", "report.jsonl", "-q").exit_code == 0
    page = page_from_files(["report.jsonl"], texts="out.parquet")
    assert (page.documents, page.views, page.warnings) == (2, 2, ())
    assert page.html.count('<div class="text">') == 2


def test_a_wrong_text_is_a_warning_not_a_failure(corpus_run):
    Path("cleaned/wrapped_copy.txt").write_text("something else\n")
    result = run("report", "reports", "--texts", "cleaned", "-o", "report.html")
    assert result.exit_code == 0
    assert result.output == (
        "Warning: corpus/wrapped_copy.txt: the cleaned text does not fit this report: "
        "the rebuilt normalized text has another sha256 than the report records\n"
        "report.html: 4 documents, 2 shown in full\n"
    )


@pytest.mark.parametrize(("files", "args", "message"), [
    ({}, ["missing.json"], "Error: missing.json: no such file\n"),
    ({"r.jsonl": '{"counts": {}}\n{oops\n'}, ["r.jsonl"],
     "Error: r.jsonl:2: invalid JSON: Expecting property name enclosed in double quotes (column 2)\n"),
    ({"r.json": '{"id": "a"}'}, ["r.json"],
     'Error: r.json: not an unrepeat report record (no "counts" and no "error")\n'),
    ({"r.jsonl": '{"counts": {}}\n\n{"id": 1, "removals": []}\n'}, ["r.jsonl"],
     'Error: r.jsonl:3: not an unrepeat report record (no "counts" and no "error")\n'),
    ({"r.json": "[]"}, ["r.json"], "Error: r.json: expected a JSON object, got list\n"),
    ({"r.json": '{"counts": {}}', "s.json": '{"counts": {}}', "t.txt": ""}, ["r.json", "s.json", "--texts", "t.txt"],
     "Error: t.txt: several reports need a directory of cleaned texts, not a file\n"),
])
def test_bad_reports_are_one_line_errors_and_write_nothing(tmp_path, monkeypatch, files, args, message):
    monkeypatch.chdir(tmp_path)
    for name, content in files.items():
        Path(name).write_text(content)
    result = run("report", *args, "-o", "page.html")
    assert (result.exit_code, result.output) == (1, message)
    assert not Path("page.html").exists() and not list(tmp_path.glob(".page.html*"))


def test_report_needs_an_output():
    result = run("report", "r.json")
    assert result.exit_code == 2
    assert "Error: Missing option '-o' / '--output'." in result.output


# ------------------------------------------------------------------ browser

# as root, with the network closed: no sandbox, no GPU, nothing fetched in the background
_CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium (Debian's) driven by Playwright, with a fresh profile."""
    if not CHROMIUM.exists():
        message = f"no {CHROMIUM}: apt-get install chromium (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    sync_api = pytest.importorskip("playwright.sync_api", reason='needs playwright: pip install -e ".[test]"')
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tmp_path_factory.mktemp("profile"), executable_path=str(CHROMIUM), headless=True, args=_CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        yield context
        context.close()


def check_in_browser(browser, page_path: Path, find: str, screenshot: Path) -> None:
    """Open the page and check that it renders, its plots and a view are there, and the search finds ``find``."""
    tab = browser.new_page()
    problems: list[str] = []

    def on_console(message) -> None:
        if message.type in ("error", "warning"):
            problems.append(f"console {message.type}: {message.text}")

    def on_request(request) -> None:
        if not request.url.startswith(("file:", "data:", "blob:")):
            problems.append(f"request: {request.url}")  # the page must need no network

    tab.on("console", on_console)
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.on("request", on_request)
    try:
        tab.goto(page_path.as_uri())
        bars = tab.locator("#share-removed svg rect.bar")
        assert bars.count() == 20
        assert tab.locator("#share-removed svg").bounding_box()["height"] > 100
        assert tab.locator("#by-reason svg rect.bar").count() >= 1
        top = tab.locator("#top-documents svg a")
        assert top.count() >= 1
        top.first.click()  # the top document's view
        assert tab.evaluate("location.hash") == "#doc-0"
        view = tab.locator("#doc-0")
        assert view.is_visible() and view.locator(".text del.rm").count() >= 1
        assert len(view.locator(".text").inner_text()) > 100
        view.locator(".text del.rm a").first.click()  # to the kept copy, highlighted
        assert tab.locator("#doc-0 .kept.hl").count() >= 1
        tab.screenshot(path=screenshot.with_name(screenshot.stem + "-view.png"))
        tab.locator("#q").fill(find)
        tab.locator("#hits li", has_text=find).first.wait_for()
        tab.keyboard.press("Enter")  # to its view, or to its card when it has none
        tab.wait_for_function("location.hash.startsWith('#doc-') || !document.getElementById('found').hidden")
        if tab.evaluate("location.hash").startswith("#doc-"):
            shown = tab.locator(f"article.view{tab.evaluate('location.hash')}")
            assert shown.is_visible() and shown.get_attribute("data-name") == find
        else:
            assert tab.locator("#found h3").inner_text() == find
        tab.goto(page_path.as_uri())
        tab.screenshot(path=screenshot)
        assert problems == []
    finally:
        tab.close()


def test_the_page_of_the_bundled_corpus_in_a_browser(browser, corpus_run):
    assert run("report", "reports", "--texts", "cleaned", "-o", "report.html", "-q").exit_code == 0
    # dialogue.txt has nothing removed: no view, so the search shows its card
    check_in_browser(browser, corpus_run / "report.html", "corpus/dialogue.txt", corpus_run / "corpus.png")
    assert (corpus_run / "corpus.png").stat().st_size > 10_000


def test_the_page_of_the_benchmark_set_in_a_browser(browser, tmp_path, monkeypatch):
    if not (BENCH / "dedupbench.py").exists():
        pytest.skip(f"the benchmark is not here ({BENCH}): it lives beside the repository in shared/bench")
    monkeypatch.chdir(tmp_path)
    subprocess.run([sys.executable, str(BENCH / "dedupbench.py"), "gen", "--articles", str(BENCH / "articles.jsonl"),
                    "--out", "gen"], check=True, capture_output=True)
    result = run("clean", "gen/input.jsonl", "-o", "clean.jsonl", "--report", "report.jsonl", "-q")
    assert result.exit_code == 0, result.output
    assert run("report", "report.jsonl", "--texts", "clean.jsonl", "-o", "report.html", "-q").exit_code == 0
    ids = [json.loads(line)["id"] for line in Path("gen/input.jsonl").read_text().split("\n") if line]
    page = page_from_files(["report.jsonl"], texts="clean.jsonl")
    assert (page.documents, page.warnings) == (len(ids), ())
    check_in_browser(browser, tmp_path / "report.html", ids[len(ids) // 2], tmp_path / "gen.png")

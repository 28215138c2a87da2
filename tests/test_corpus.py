"""Corpus scope: the index file, incremental runs, determinism and the report's
references to earlier documents, through the library and the CLI."""

import io
import json
import os
import random
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import make_article

from unrepeat import Config, Reason
from unrepeat.cli import main
from unrepeat.corpus import INDEX_VERSION, CorpusCleaner, CorpusIndex, IndexFileError
from unrepeat.normalize import matching_key

CORPUS = Config(scope="corpus")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
FOOTERS = [
    "Sign up for our daily newsletter to get the most important stories in your inbox every morning.",
    "We use cookies to improve your experience on our site and to show you relevant advertising.",
]


def edit(paragraph: str) -> str:
    """A syndicated copy's small edit: one word of the first sentence changed."""
    first, _, rest = paragraph.partition(" ends here. ")
    words = first.split()
    words[len(words) // 2] = "changed"
    return " ".join(words) + " ends here." + (" " + rest if rest else "")


def crawl(n: int = 40, seed: int = 3) -> list[dict]:
    """Records of a small crawl: new articles, syndicated copies (some edited,
    some trimmed), a footer per site, and every fifth record without an id."""
    rng = random.Random(seed)
    rows, published = [], []
    for i in range(n):
        site = i % 2
        if published and rng.random() < 0.4:
            body = list(rng.choice(published))
            if rng.random() < 0.5:
                body[0] = edit(body[0])
            if len(body) > 2 and rng.random() < 0.5:
                body = body[:-1]
        else:
            body = make_article(rng, paragraphs=rng.randint(2, 5), start=1000 * i)
            published.append(body)
        row = {"id": f"doc{i}", "text": "\n\n".join([f"Story {i} on site {site}", *body, FOOTERS[site]]), "n": i}
        if i % 5 == 4:
            del row["id"]
        rows.append(row)
    return rows


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def write_jsonl(path: str, rows: list[dict]) -> None:
    Path(path).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def read_jsonl(path: str) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


def files(directory: str = ".") -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in Path(directory).rglob("*") if p.is_file())


def results(rows: list[dict], index: CorpusIndex | None = None) -> list:
    cleaner = CorpusCleaner(CORPUS, index)
    return [cleaner.clean(r["text"], r.get("id", f"x:{i}")) for i, r in enumerate(rows)]


# ------------------------------------------------------------- the index file


def test_an_index_saved_and_loaded_decides_as_one_continuous_run(tmp_path):
    rows = crawl()
    whole = results(rows)
    first = CorpusCleaner(CORPUS)
    part = [first.clean(r["text"], r.get("id", f"x:{i}")) for i, r in enumerate(rows[:20])]
    first.index.save(tmp_path / "seen.index")
    loaded = CorpusIndex.load(tmp_path / "seen.index")
    assert loaded.doc_ids == first.index.doc_ids
    assert list(loaded.fingerprints) == list(first.index.fingerprints)
    assert loaded.lookup.arrays()[0].tolist() == first.index.lookup.arrays()[0].tolist()
    second = CorpusCleaner(CORPUS, loaded)
    rest = [second.clean(r["text"], r.get("id", f"x:{i}")) for i, r in enumerate(rows[20:], start=20)]
    assert part + rest == whole
    assert any(r.kept_doc in first.index.doc_ids for result in rest for r in result.removals)


def test_an_empty_index_round_trips(tmp_path):
    CorpusIndex().save(tmp_path / "empty.index")
    loaded = CorpusIndex.load(tmp_path / "empty.index")
    assert (len(loaded), loaded.doc_ids) == (0, [])


def damaged_indexes(path: Path) -> dict[str, bytes]:
    """Index files that must be refused, by what is wrong with them."""
    cleaner = CorpusCleaner(CORPUS)
    for i, row in enumerate(crawl(6)):
        cleaner.clean(row["text"], str(i))
    cleaner.index.save(path)
    good = path.read_bytes()

    def rezip(change) -> bytes:
        with zipfile.ZipFile(path) as z:
            parts = {name: z.read(name) for name in z.namelist()}
        change(parts)
        out = path.with_suffix(".tmp")
        with zipfile.ZipFile(out, "w") as z:
            for name, data in parts.items():
                z.writestr(name, data)
        return out.read_bytes()

    def version(parts):
        parts["header.json"] = json.dumps({**json.loads(parts["header.json"]), "version": INDEX_VERSION + 1}).encode()

    def foreign(parts):
        parts["header.json"] = json.dumps({"format": "something.else", "version": 1}).encode()

    def disagreeing(parts):
        parts["doc_ids.json"] = b"[]"

    return {
        "truncated": good[: len(good) // 2],
        "random bytes": random.Random(0).randbytes(4096),
        "a zip without our header": rezip(lambda parts: parts.pop("header.json")),
        "another format": rezip(foreign),
        "a newer version": rezip(version),
        "parts that disagree": rezip(disagreeing),
        "empty": b"",
    }


@pytest.mark.parametrize("kind", ["truncated", "random bytes", "a zip without our header", "another format",
                                  "a newer version", "parts that disagree", "empty"])
def test_a_damaged_or_foreign_index_file_is_refused(tmp_path, kind):
    path = tmp_path / "bad.index"
    path.write_bytes(damaged_indexes(tmp_path / "good.index")[kind])
    with pytest.raises(IndexFileError, match=f"^{path}: "):
        CorpusIndex.load(path)


def with_parts(path: Path, change) -> bytes:
    """The index file at ``path`` with its parts changed: ``change`` gets the header,
    the doc ids and the arrays, and changes them in place."""
    with zipfile.ZipFile(path) as z:
        header = json.loads(z.read("header.json"))
        doc_ids = json.loads(z.read("doc_ids.json"))
        arrays = {n[:-4]: np.load(io.BytesIO(z.read(n))) for n in z.namelist() if n.endswith(".npy")}
    parts = {"header.json": header, "doc_ids.json": doc_ids, **arrays}
    change(parts)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, value in parts.items():
            if isinstance(value, np.ndarray):
                buffer = io.BytesIO()
                np.save(buffer, value)
                z.writestr(f"{name}.npy", buffer.getvalue())
            else:
                z.writestr(name, value if isinstance(value, bytes) else json.dumps(value))
    return out.getvalue()


def setter(part: str, value):
    def change(parts):
        parts[part] = value(parts[part]) if callable(value) else value
    return change


def set_item(part: str, at: int, value) -> object:
    def change(parts):
        array = parts[part].copy()
        array[at] = value(parts) if callable(value) else value
        parts[part] = array
    return change


def first_pair_in_one_document(parts) -> int:
    docs = parts["docs"]
    return int(np.flatnonzero(docs[1:] == docs[:-1])[0])


def overlap(parts):
    i = first_pair_in_one_document(parts)
    parts["starts"] = parts["starts"].copy()
    parts["starts"][i + 1] = parts["starts"][i]


def deflated_header(parts):
    parts["header.json"] = json.dumps(parts["header.json"]).encode() + b" " * 10_000_000  # deflated: a few kB


FIELD_DAMAGE = {
    # kind: (change, message, with N sentences and D documents)
    "a header that is a list": (setter("header.json", [1, 2]),
                                "not an unrepeat index file (header.json holds a list, not an object)"),
    "a header that is a string": (setter("header.json", "unrepeat.index"),
                                  "not an unrepeat index file (header.json holds a str, not an object)"),
    "negative sentences": (setter("header.json", lambda h: {**h, "sentences": -1}),
                           "the index file is damaged (header.json: 'sentences' is -1, not a count)"),
    "negative documents": (setter("header.json", lambda h: {**h, "documents": -3}),
                           "the index file is damaged (header.json: 'documents' is -3, not a count)"),
    "documents as text": (setter("header.json", lambda h: {**h, "documents": "6"}),
                          "the index file is damaged (header.json: 'documents' is '6', not a count)"),
    "doc ids that are not a list": (setter("doc_ids.json", {"a": 1}),
                                    "the index file is damaged (doc_ids.json holds a dict, not a list)"),
    "a doc id that is not a string": (setter("doc_ids.json", lambda ids: [*ids[:2], 7, *ids[3:]]),
                                      "the index file is damaged (doc_ids.json: id 2 is an int, not a string)"),
    "string fingerprints": (setter("fingerprints", lambda a: np.array(["x"] * len(a))),
                            "the index file is damaged (fingerprints.npy holds <U1 values, not uint64)"),
    "float fingerprints": (setter("fingerprints", lambda a: a.astype(np.float64)),
                           "the index file is damaged (fingerprints.npy holds float64 values, not uint64)"),
    "2-D starts": (setter("starts", lambda a: np.stack([a, a])),
                   "the index file is damaged (starts.npy has shape (2, {N}), not one dimension)"),
    "short docs": (setter("docs", lambda a: a[:-1]),
                   "the index file is damaged (docs.npy has {N-1} entries, for {N} sentences)"),
    "a negative document": (set_item("docs", 0, -1),
                            "the index file is damaged (docs.npy names document -1, of {D})"),
    "a document out of range": (set_item("docs", -1, lambda parts: len(parts["doc_ids.json"])),
                                "the index file is damaged (docs.npy names document {D}, of {D})"),
    "documents out of order": (set_item("docs", 0, lambda parts: parts["docs"][-1]),
                               "the index file is damaged (docs.npy is not in document order)"),
    "a negative offset": (set_item("starts", 0, -5),
                          "the index file is damaged (starts.npy holds a negative offset)"),
    "an end before its start": (set_item("ends", 0, lambda parts: parts["starts"][0] - 1),
                                "the index file is damaged (a sentence ends before it starts (ends.npy, starts.npy))"),
    "a huge offset": (set_item("ends", -1, 1 << 62),
                      "the index file is damaged (ends.npy holds offset 4611686018427387904, beyond any document)"),
    "overlapping sentences": (overlap, ("the index file is damaged (the sentences of a document overlap or are "
                                       "out of order (starts.npy, ends.npy))")),
    "an item out of range": (set_item("items", 0, lambda parts: len(parts["fingerprints"])),
                             "the index file is damaged (items.npy names sentence {N}, of {N})"),
    "unsorted keys": (setter("keys", lambda a: a[::-1].copy()),
                      "the index file is damaged (keys.npy is not sorted)"),
    "a zip bomb": (deflated_header, "the index file is damaged (header.json claims {H} bytes, more than the file holds)"),
}


@pytest.mark.parametrize("kind", list(FIELD_DAMAGE))
def test_each_field_of_the_index_file_is_checked(tmp_path, kind):
    good = tmp_path / "good.index"
    damaged_indexes(good)
    loaded = CorpusIndex.load(good)
    change, message = FIELD_DAMAGE[kind]
    with zipfile.ZipFile(good) as z:
        header_size = len(z.read("header.json"))
    message = (message.replace("{N-1}", str(len(loaded) - 1)).replace("{N}", str(len(loaded)))
               .replace("{D}", str(len(loaded.doc_ids))).replace("{H}", str(header_size + 10_000_000)))
    bad = tmp_path / "bad.index"
    bad.write_bytes(with_parts(good, change))
    with pytest.raises(IndexFileError) as error:
        CorpusIndex.load(bad)
    assert str(error.value) == f"{bad}: {message}"


def test_an_index_rewritten_unchanged_loads(tmp_path):  # what the test's rewriting changes is the damage
    path = tmp_path / "good.index"
    damaged_indexes(path)
    path.write_bytes(with_parts(path, lambda parts: None))
    assert len(CorpusIndex.load(path)) > 0


@pytest.mark.parametrize(("kind", "message"), [
    ("truncated", "not a readable unrepeat index file"),
    ("random bytes", "not a readable unrepeat index file"),
    ("a zip without our header", "not a readable unrepeat index file"),
    ("another format", "not an unrepeat index file"),
    ("a newer version", f"index version {INDEX_VERSION + 1} is not supported"),
    ("parts that disagree", "the index file is damaged"),
    ("a header that is a list", "not an unrepeat index file (header.json holds a list, not an object)"),
    ("string fingerprints", "the index file is damaged (fingerprints.npy holds <U1 values, not uint64)"),
    ("a huge offset", "the index file is damaged (ends.npy holds offset 4611686018427387904, beyond any document)"),
])
def test_the_cli_refuses_a_bad_index_before_writing_anything(in_tmp, kind, message):
    damaged = damaged_indexes(in_tmp / "good.index")
    bad = damaged[kind] if kind in damaged else with_parts(in_tmp / "good.index", FIELD_DAMAGE[kind][0])
    os.remove("good.index")
    Path("bad.index").write_bytes(bad)
    write_jsonl("in.jsonl", crawl(5))
    result = run("clean", "--scope", "corpus", "in.jsonl", "-o", "out.jsonl", "--report", "r.jsonl",
                 "--index", "bad.index")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: bad.index: {message}")
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""
    assert files() == ["bad.index", "good.tmp", "in.jsonl"]  # no output, no report, no temporary file
    assert Path("bad.index").read_bytes() == bad


# --------------------------------------------------------------- the CLI runs


def test_two_runs_with_one_index_equal_one_run_on_everything(in_tmp):
    rows = crawl()
    write_jsonl("a.jsonl", rows[:25])
    write_jsonl("b.jsonl", rows[25:])
    write_jsonl("all.jsonl", rows)
    assert run("clean", "--scope", "corpus", "all.jsonl", "-o", "all.out.jsonl", "--report", "all.r.jsonl").exit_code == 0
    for part in "ab":
        result = run("clean", "--scope", "corpus", f"{part}.jsonl", "-o", f"{part}.out.jsonl",
                     "--report", f"{part}.r.jsonl", "--index", "seen.index")
        assert result.exit_code == 0, result.output
    assert read_jsonl("a.out.jsonl") + read_jsonl("b.out.jsonl") == read_jsonl("all.out.jsonl")
    whole = read_jsonl("all.r.jsonl")
    parts = read_jsonl("a.r.jsonl") + [{**r, "line": r["line"] + 25} for r in read_jsonl("b.r.jsonl")]
    # records without an id are named FILE:LINE, so the names differ where the files do
    rename = {f"a.jsonl:{i}": f"all.jsonl:{i}" for i in range(1, 26)}
    rename.update({f"b.jsonl:{i}": f"all.jsonl:{i + 25}" for i in range(1, 26)})
    for report in parts:
        for record, key in [(report, "duplicate_of")] + [(removal, "kept_doc") for removal in report["removals"]]:
            if key in record:
                record[key] = rename.get(record[key], record[key])
    assert parts == whole
    assert any(r.get("kept_doc", "").startswith("doc") and int(r["kept_doc"][3:]) < 25
               for report in read_jsonl("b.r.jsonl") for r in report["removals"])
    index = CorpusIndex.load("seen.index")
    assert len(index.doc_ids) == len(rows)


def test_the_output_is_the_same_for_any_jobs(in_tmp):
    write_jsonl("in.jsonl", crawl(150))
    outputs = []
    for jobs in ("1", "2"):
        result = run("clean", "--scope", "corpus", "in.jsonl", "-o", f"out{jobs}.jsonl", "--report", f"r{jobs}.jsonl",
                     "--index", f"i{jobs}.index", "--jobs", jobs)
        assert result.exit_code == 0, result.output
        outputs.append([Path(f"{name}{jobs}.{ext}").read_bytes() for name, ext in [("out", "jsonl"), ("r", "jsonl")]])
        outputs[-1].append(result.stderr)
    assert outputs[0] == outputs[1]
    assert CorpusIndex.load("i1.index").doc_ids == CorpusIndex.load("i2.index").doc_ids


def test_the_report_points_at_the_kept_copy_in_the_earlier_document(in_tmp):
    rows = crawl()
    write_jsonl("in.jsonl", rows)
    assert run("clean", "--scope", "corpus", "in.jsonl", "-o", "out.jsonl", "--report", "r.jsonl").exit_code == 0
    reports = read_jsonl("r.jsonl")
    by_name = {r["id"] if r["id"] is not None else f"in.jsonl:{r['line']}": (k, r) for k, r in enumerate(reports)}
    normalized = {name: CorpusCleaner(CORPUS).clean(rows[k]["text"], name).normalized for name, (k, _) in by_name.items()}
    outputs = [r["text"] for r in read_jsonl("out.jsonl")]
    checked = edited = 0
    for k, report in enumerate(reports):
        for removal in report["removals"]:
            if removal["reason"] != Reason.CORPUS_PASSAGE:
                assert "kept_doc" not in removal
                continue
            earlier, _ = by_name[removal["kept_doc"]]
            assert earlier < k
            kept = normalized[removal["kept_doc"]][removal["kept_start"] : removal["kept_end"]]
            # One removal may stand for several sentences whose kept copies are in
            # order in the earlier document, with sentences between them there
            # that this copy left out: the kept span holds each removed sentence.
            kept_keys = f" {matching_key(kept)} "
            removed = [matching_key(x) for x in SENTENCE_END.split(removal["text"]) if matching_key(x)]
            assert removed
            missing = [key for key in removed if f" {key} " not in kept_keys]
            if removal["similarity"] == 1.0:
                assert not missing
            else:  # an edited copy: what the kept span lacks is the edited sentence
                edited += 1
                assert missing and all("changed" in key for key in missing)
            assert kept in outputs[earlier]  # the kept copy is in the earlier document's output
            checked += 1
    assert checked > 20 and edited > 0


def test_a_document_with_nothing_of_its_own_is_a_duplicate_and_can_be_dropped(in_tmp):
    rows = crawl()
    write_jsonl("in.jsonl", rows)
    kept = run("clean", "--scope", "corpus", "in.jsonl", "-o", "kept.jsonl", "--report", "kept.r.jsonl")
    dropped = run("clean", "--scope", "corpus", "in.jsonl", "-o", "dropped.jsonl", "--report", "dropped.r.jsonl",
                  "--drop-duplicates")
    assert kept.exit_code == dropped.exit_code == 0
    reports = read_jsonl("kept.r.jsonl")
    duplicates = [r for r in reports if "duplicate_of" in r]
    assert len(duplicates) >= 3
    for report in duplicates:
        assert {r["kept_doc"] for r in report["removals"] if r["reason"] == "corpus_passage"} >= {report["duplicate_of"]}
    assert len(read_jsonl("kept.jsonl")) == len(rows)
    out = read_jsonl("dropped.jsonl")
    assert [r["n"] for r in out] == [rows[k]["n"] for k, r in enumerate(reports) if "duplicate_of" not in r]
    assert read_jsonl("dropped.r.jsonl") == [{**r, "dropped": True} if "duplicate_of" in r else r for r in reports]
    assert dropped.stderr.endswith(f"; duplicates: {len(duplicates)} ({len(duplicates)} left out)\n")
    assert kept.stderr.endswith(f"; duplicates: {len(duplicates)}\n")
    for name in ("kept", "dropped"):
        verified = run("verify", "in.jsonl", f"{name}.r.jsonl", f"{name}.jsonl")
        assert (verified.exit_code, verified.output) == (0, f"OK: {len(rows)} documents verified\n"), verified.output


def test_verify_still_catches_a_changed_corpus_output(in_tmp):
    rows = crawl(12)
    write_jsonl("in.jsonl", rows)
    assert run("clean", "--scope", "corpus", "in.jsonl", "-o", "out.jsonl", "--report", "r.jsonl").exit_code == 0
    out = read_jsonl("out.jsonl")
    k = next(i for i, r in enumerate(read_jsonl("r.jsonl")) if r["counts"]["by_reason"].get("corpus_passage"))
    out[k]["text"] += "Something else.\n"
    write_jsonl("out.jsonl", out)
    result = run("verify", "in.jsonl", "r.jsonl", "out.jsonl")
    assert result.exit_code == 1
    assert f"out.jsonl:{k + 1} \"text\" differs from the replayed report" in result.stderr


def test_several_inputs_are_one_corpus_in_sorted_order(in_tmp):
    rows = crawl()
    os.mkdir("crawl")
    write_jsonl("crawl/1.jsonl", rows[:20])
    Path("crawl/2-story.txt").write_text(rows[20]["text"], encoding="utf-8")
    write_jsonl("crawl/3.jsonl", rows[21:])
    result = run("clean", "--scope", "corpus", "crawl", "-o", "out", "--report", "reports")
    assert result.exit_code == 0, result.output
    single = results(rows[:20] + [{**rows[20], "id": "crawl/2-story.txt"}] + rows[21:])
    texts = [r["text"] for r in read_jsonl("out/1.jsonl")] + [Path("out/2-story.txt").read_text(encoding="utf-8")]
    texts += [r["text"] for r in read_jsonl("out/3.jsonl")]
    assert texts == [r.text for r in single]
    story = json.loads(Path("reports/2-story.txt.report.json").read_text())
    assert story["id"] == "crawl/2-story.txt"
    assert {r["kept_doc"] for r in story["removals"]} == {"doc0", "doc8"}  # the footer, a syndicated body
    later = {r["kept_doc"] for report in read_jsonl("reports/3.jsonl.report.jsonl") for r in report["removals"]}
    assert {"doc0", "crawl/1.jsonl:15", "doc23"} <= later  # a record without an id is named FILE:LINE


def test_a_failed_run_leaves_the_index_as_it_was(in_tmp):
    rows = crawl(10)
    write_jsonl("a.jsonl", rows[:5])
    assert run("clean", "--scope", "corpus", "a.jsonl", "-o", "a.out.jsonl", "--index", "seen.index").exit_code == 0
    before = Path("seen.index").read_bytes()
    write_jsonl("b.jsonl", rows[5:])
    with open("b.jsonl", "a") as fh:
        fh.write("{not json\n")
    result = run("clean", "--scope", "corpus", "b.jsonl", "-o", "b.out.jsonl", "--index", "seen.index")
    assert (result.exit_code, result.stderr) == (1, "Error: b.jsonl:6: invalid JSON: Expecting property name "
                                                    "enclosed in double quotes (column 2)\n")
    assert Path("seen.index").read_bytes() == before
    assert files() == ["a.jsonl", "a.out.jsonl", "b.jsonl", "seen.index"]


def test_a_unique_line_beside_one_matched_line_stays():
    """One matched boilerplate line vouches for no neighbour: a line that only
    looks like the earlier document's first line (another number, another
    name) is content of its own."""
    newsletter = "Sign up for our daily newsletter to get the best stories every single morning."
    cleaner = CorpusCleaner()
    cleaner.clean("Story 0 is about something of its own.\n\n" + newsletter, "a")
    result = cleaner.clean("Report 7 is about something of its own.\n\n" + newsletter, "b")
    assert result.text == "Report 7 is about something of its own.\n"
    assert [r.kept_doc for r in result.removals] == ["a"]


def test_corpus_removals_merge_only_where_the_kept_copies_are_adjacent():
    sentences = [f"Sentence number {n} of the syndicated story carries enough words to count." for n in range(6)]
    cleaner = CorpusCleaner()
    first = cleaner.clean(" ".join(sentences), "a")
    trimmed = sentences[:2] + sentences[3:]  # the copy drops sentence 2
    result = cleaner.clean(" ".join(trimmed), "b")
    assert result.text == ""
    for r in result.removals:
        kept = first.normalized[r.kept_start : r.kept_end]
        assert "number 2 " not in kept or "number 2 " in r.text

"""The report page: one self-contained HTML file that shows what a run removed.

`build_page` turns the report records of a run (`CleanResult.report`, one
per document) into a page that opens from disk with no network: a summary
over every document, three plots, a search box that finds any document by
id, and a full view of the documents with the largest share removed: their
normalized text with each removed span struck through and linked to the
kept copy it duplicates. `write_page` does the same from report files (what
``unrepeat clean --report`` writes) and writes the page atomically; it is
what ``unrepeat report`` calls.

How it is built, and why:

- **The plots are inline SVG written here.** They are three bar charts;
  as SVG each costs a few kilobytes, draws without JavaScript, stays sharp
  at any zoom, and carries its hover titles and links as plain SVG
  elements. A plotting library that inlines itself would add its runtime
  for the same three charts (Plotly's is about 3.5 MB, Vega with Vega-Lite
  about 1 MB) or give images without links (matplotlib), and one more
  dependency.
- **Bounded for large runs.** The summary and plots cover every document,
  in one pass over the records. The `views` documents with the largest
  share removed (200 by default; the page says how many) get a full view.
  Every document is in the search index with its counts and at most
  `PREVIEW_REMOVALS` removals, shortened to `PREVIEW_CHARS` characters;
  the index is gzip-compressed JSON in the page, decompressed by the
  browser (``DecompressionStream``) at the first search.
- **The text of a view.** A report holds the removed spans (offsets into
  the normalized text, and their text) but not the whole text. The cleaned
  output is the normalized text without those spans, so putting them back
  rebuilds it exactly (`rebuild_normalized`), and the record's
  ``normalized_sha256`` proves it. Given the cleaned texts (``texts``; on
  the command line ``--texts``), a view shows the whole text; without
  them, or when they do not match, it lists the removals with their text.
- **Untrusted text.** Document text and ids are escaped everywhere: HTML
  escaping for the markup, ``<`` escaped in the JSON, and the page's script
  builds search results with ``textContent`` only.

>>> record = {"id": "a", "counts": {"normalized_chars": 8, "output_chars": 4, "removed_chars": 4},
...     "removals": [{"reason": "stuttered_line", "start": 4, "end": 8, "text": "abc\\n",
...                   "kept_start": 0, "kept_end": 4, "similarity": 1.0}]}
>>> page = build_page([record], texts=lambda positions: {0: "abc\\n"})
>>> page.documents, page.views
(1, 1)
>>> '<del class="rm" title="stuttered_line · similarity 1.00 · kept at 0-4 in this document">' in page.html
True
>>> build_page([{"id": "a"}])
Traceback (most recent call last):
...
unrepeat.report_page.RecordError: record 1: not an unrepeat report record (no "counts" and no "error")
"""

from __future__ import annotations

import base64
import gzip
import heapq
import html
import json
import math
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path, PurePath
from typing import Any, NamedTuple
from urllib.parse import quote

from .io import AtomicFile, Format, InputError, Source, compression, format_of, read_jsonl, read_records, read_text
from .report import sha256 as text_sha256

VIEWS = 200
"""How many documents get a full view by default: those with the largest share removed."""
PREVIEW_REMOVALS = 3
"""Removals the search index keeps per document (the first ones)."""
PREVIEW_CHARS = 80
"""Characters of a removed text the search index keeps."""
VIEW_CHARS = 100_000
"""Characters of normalized text a view shows; the rest is cut (the removals list stays whole, up to `VIEW_ROWS`)."""
VIEW_ROWS = 1000
"""Rows of a view's removals list."""
SHOWN_ERRORS = 20
"""Skipped records listed by their error in the summary."""

JsonObject = Mapping[str, Any]
"""A report record or one of its removals, as JSON gives it (`check_record` checks the keys the page reads)."""

TextLookup = Callable[[Sequence[int]], Mapping[int, str]]
"""Given the positions (0-based, in record order) of the documents shown in full, their cleaned texts."""

_REPORT_SUFFIXES = (".report.jsonl", ".report.json")
_UNSAFE = re.compile("[\x00\ud800-\udfff]")  # NUL and lone surrogates: not in a UTF-8 HTML page
_REASON_COLORS = {
    "repeated_passage": "#d1495b",
    "repeated_sentence": "#e08e0b",
    "stuttered_line": "#00798c",
    "short_repeat": "#30638e",
    "corpus_passage": "#6a4c93",
}
_OTHER_COLOR = "#8c959f"
_BAR_COLOR = "#3a7bd5"
_HISTOGRAM_BINS = 20  # of 5 % each


@dataclass(frozen=True)
class Page:
    """A rendered report page: the HTML and what it holds."""

    html: str
    totals: Totals  #: the counts over every record
    views: int  #: documents with a full view
    warnings: tuple[str, ...] = ()  #: cleaned texts that could not be used, one line each

    @property
    def documents(self) -> int:
        """Report records read, skipped records included."""
        return self.totals.documents + self.totals.skipped


# ------------------------------------------------------------------ reading


class RecordError(ValueError):
    """A record that is not a report record: ``str()`` is "record N: problem" (N counted from 1)."""

    def __init__(self, position: int, problem: str) -> None:
        super().__init__(f"record {position + 1}: {problem}")
        self.position = position
        self.problem = problem


class Doc(NamedTuple):
    """What the page keeps of every record: its name, counts and flags (not its removals)."""

    position: int
    name: str
    normalized_chars: int
    output_chars: int
    removed_chars: int
    removals: int
    duplicate_of: str
    dropped: str  #: "" or why the document was left out of the output ("duplicate", "short", ...)
    error: str  #: "" or why the record was skipped

    @property
    def share(self) -> float:
        """The share of the normalized text removed."""
        return self.removed_chars / self.normalized_chars if self.normalized_chars else 0.0


def check_record(record: object) -> str | None:
    """What makes ``record`` unusable as a report record, or None.

    >>> check_record({"id": 3, "error": "invalid JSON", "line": 3}) is None
    True
    >>> check_record({"counts": {}, "removals": [{"start": 1}]})
    'removal 1: "end" is not an integer'
    """
    if not isinstance(record, dict):
        return f"expected a JSON object, got {type(record).__name__}"
    schema = record.get("schema")
    if schema is not None and not (isinstance(schema, str) and schema.startswith("unrepeat.report/")):
        return f"not an unrepeat report record (schema {schema!r})"
    if "error" in record and "counts" not in record:
        return None
    if not isinstance(record.get("counts"), dict):
        return 'not an unrepeat report record (no "counts" and no "error")'
    removals = record.get("removals", [])
    if not isinstance(removals, list):
        return '"removals" is not a list'
    for i, removal in enumerate(removals, 1):
        if not isinstance(removal, dict):
            return f"removal {i} is not an object"
        for key, kind in (("start", int), ("end", int), ("text", str), ("reason", str)):
            if not isinstance(removal.get(key), kind) or isinstance(removal.get(key), bool):
                return f'removal {i}: "{key}" is not {"an integer" if kind is int else "a string"}'
    return None


def doc_name(record: JsonObject, position: int) -> str:
    """How the page names a document: its id, else its line, else its position.

    >>> doc_name({"id": "doc-1"}, 0), doc_name({"id": 7}, 0), doc_name({"id": None, "line": 3}, 2)
    ('doc-1', '7', 'line 3')
    """
    doc_id = record.get("id")
    if isinstance(doc_id, str):
        return doc_id
    if doc_id is not None:
        return json.dumps(doc_id, ensure_ascii=False)
    if isinstance(record.get("line"), int):
        return f"line {record['line']}"
    return f"record {position + 1}"


def _int(counts: JsonObject, key: str) -> int:
    value = counts.get(key, 0)
    return value if isinstance(value, int) else 0


def _dropped(record: JsonObject) -> str:
    """Why the document was left out of the output: ``"dropped": true`` (a duplicate) or a reason."""
    value = record.get("dropped")
    if value is True:
        return "duplicate"
    return value if isinstance(value, str) else ""


def _doc(record: JsonObject, position: int, name: str) -> Doc:
    if "counts" not in record:
        return Doc(position, name, 0, 0, 0, 0, "", "", str(record.get("error")))
    counts: JsonObject = record["counts"]
    removals: list[JsonObject] = record.get("removals", [])
    removed = _int(counts, "removed_chars") or sum(r["end"] - r["start"] for r in removals)
    duplicate_of = record.get("duplicate_of")
    return Doc(position, name, _int(counts, "normalized_chars"), _int(counts, "output_chars"), removed,
               len(removals), "" if duplicate_of is None else str(duplicate_of), _dropped(record), "")


# --------------------------------------------------------------- the totals


@dataclass
class Totals:
    """Counts over every record of a run."""

    documents: int = 0
    skipped: int = 0
    input_chars: int = 0
    normalized_chars: int = 0
    output_chars: int = 0  #: of the documents written (dropped ones left out)
    removed_chars: int = 0
    removals: int = 0
    with_removals: int = 0
    duplicates: int = 0
    invalid_utf8: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    by_reason: Counter[str] = field(default_factory=Counter)
    chars_by_reason: Counter[str] = field(default_factory=Counter)
    by_rule: Counter[str] = field(default_factory=Counter)
    chars_by_rule: Counter[str] = field(default_factory=Counter)
    fixes: Counter[str] = field(default_factory=Counter)
    documents_fixed: Counter[str] = field(default_factory=Counter)
    histogram: list[int] = field(default_factory=lambda: [0] * _HISTOGRAM_BINS)
    configs: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)  #: the first skipped records, as "NAME: error"
    _config: object = field(default=None, init=False, repr=False, compare=False)  # the last config seen ...
    _config_key: str = field(default="", init=False, repr=False, compare=False)  # ... and its key in `configs`

    def add(self, record: JsonObject, doc: Doc) -> None:
        if doc.error:
            self.skipped += 1
            if len(self.errors) < SHOWN_ERRORS:
                self.errors.append(f"{doc.name}: {doc.error}")
            return
        counts: JsonObject = record["counts"]
        self.documents += 1
        self.input_chars += _int(counts, "input_chars")
        self.normalized_chars += doc.normalized_chars
        self.output_chars += 0 if doc.dropped else doc.output_chars
        self.removed_chars += doc.removed_chars
        self.removals += doc.removals
        self.duplicates += bool(doc.duplicate_of)
        self.invalid_utf8 += bool(record.get("invalid_utf8"))
        if doc.dropped:
            self.dropped[doc.dropped] += 1
        if doc.removed_chars:
            self.with_removals += 1
            self.histogram[min(_HISTOGRAM_BINS - 1, max(0, math.ceil(doc.share * _HISTOGRAM_BINS) - 1))] += 1
        for removal in record.get("removals", ()):
            size = removal["end"] - removal["start"]
            self.by_reason[removal["reason"]] += 1
            self.chars_by_reason[removal["reason"]] += size
            rule = removal.get("rule")
            if isinstance(rule, str):
                self.by_rule[rule] += 1
                self.chars_by_rule[rule] += size
        fixes = record.get("fixes")
        if isinstance(fixes, dict):
            for kind, n in fixes.items():
                if isinstance(n, int) and n:
                    self.fixes[kind] += n
                    self.documents_fixed[kind] += 1
        config = record.get("config")
        if config is not None:
            if config != self._config:  # most runs have one config: dump it only when it changes
                self._config, self._config_key = config, json.dumps(config, sort_keys=True)
            self.configs[self._config_key] += 1

    @property
    def share(self) -> float:
        return self.removed_chars / self.normalized_chars if self.normalized_chars else 0.0


# ----------------------------------------------------------------- the page


class _View(NamedTuple):
    """A document shown in full."""

    number: int  #: its place among the views (its anchor is ``doc-NUMBER``)
    doc: Doc
    record: JsonObject
    text: str | None  #: the normalized text, when it could be rebuilt
    note: str  #: why there is no text, or ""


def build_page(
    records: Iterable[JsonObject],
    *,
    texts: TextLookup | None = None,
    views: int = VIEWS,
    title: str = "unrepeat report",
    sources: Sequence[str] = (),
    name_of: Callable[[JsonObject, int], str] = doc_name,
) -> Page:
    """The report page of ``records``, the report records of one run.

    ``texts`` gives the cleaned output of the documents shown in full (see
    `TextLookup`); their normalized text is rebuilt from it and checked
    against the record's sha256. ``views`` is how many documents get a full
    view, ``sources`` what the page says it was made from, ``name_of`` how
    a record (at a 0-based position) is named. Raises `RecordError` for a
    record that is not a report record.
    """
    if views < 0:
        raise ValueError(f"views must be 0 or more, got {views}")
    totals = Totals()
    index = SearchIndex()
    top: list[tuple[tuple[float, int, int], Doc, JsonObject]] = []  # a min-heap of the views
    for position, record in enumerate(records):
        problem = check_record(record)
        if problem is not None:
            raise RecordError(position, problem)
        doc = _doc(record, position, name_of(record, position))
        totals.add(record, doc)
        index.add(doc, record)
        if doc.removals and views:
            entry = ((doc.share, doc.removed_chars, -position), doc, record)
            if len(top) < views:
                heapq.heappush(top, entry)
            elif entry[0] > top[0][0]:
                heapq.heapreplace(top, entry)
    chosen = sorted(top, reverse=True)
    positions = [doc.position for _, doc, _ in chosen]
    cleaned = texts(positions) if texts is not None and positions else {}
    warnings: list[str] = []
    shown: list[_View] = []
    for number, (_, doc, record) in enumerate(chosen):
        text, note = None, "" if texts is not None else "no cleaned texts given (--texts)"
        if doc.position in cleaned:
            try:
                text = rebuild_normalized(cleaned[doc.position], record.get("removals", ()),
                                          record.get("normalized_sha256"))
            except ValueError as exc:
                note = f"the cleaned text does not fit this report: {exc}"
                warnings.append(f"{doc.name}: {note}")
        elif texts is not None:
            note = "left out of the output (dropped)" if doc.dropped else "no cleaned text found for it"
        shown.append(_View(number, doc, record, text, note))
    for number, view in enumerate(shown):
        index.set_view(view.doc.position, number)
    html_text = _render(totals, shown, index, title, sources, views)
    return Page(html_text, totals, len(shown), tuple(warnings))


def rebuild_normalized(output: str, removals: Sequence[JsonObject], sha256: object = None) -> str:
    """The normalized text of a document from its cleaned output and its removals.

    The output is the normalized text with the removal spans deleted, so
    putting each removed text back at its offset gives the normalized text;
    with ``sha256`` (the record's ``normalized_sha256``) the result is
    checked against it. ValueError says what does not fit.

    >>> rebuild_normalized("abc\\n", [{"start": 4, "end": 8, "text": "abc\\n"}])
    'abc\\nabc\\n'
    >>> rebuild_normalized("ab", [{"start": 5, "end": 6, "text": "x"}])
    Traceback (most recent call last):
    ...
    ValueError: removal 5-6 starts past the end of the output
    """
    parts: list[str] = []
    normalized_at = output_at = 0
    for removal in sorted(removals, key=lambda r: r["start"]):
        start, end, text = removal["start"], removal["end"], removal["text"]
        if start < normalized_at or end - start != len(text):
            raise ValueError(f"removal {start}-{end} overlaps another or does not hold its text")
        output_to = output_at + start - normalized_at
        if output_to > len(output):
            raise ValueError(f"removal {start}-{end} starts past the end of the output")
        parts += [output[output_at:output_to], text]
        output_at, normalized_at = output_to, end
    parts.append(output[output_at:])
    normalized = "".join(parts)
    if sha256 is not None and text_sha256(normalized) != sha256:
        raise ValueError("the rebuilt normalized text has another sha256 than the report records")
    return normalized


class SearchIndex:
    """Every document for the page's search box: its counts, flags and first removals.

    The removals are stored by column, strings once each in a table, kept
    documents by their index: for a crawl's report that is about a third of
    the size of one list per removal once compressed (boilerplate repeats).
    `blob` gives it as base64 of gzip-compressed JSON, which holds no ``<``
    and so cannot end the script element it sits in.
    """

    COLUMNS = ("reason", "rule", "start", "length", "kept_doc", "kept_start", "kept_length", "similarity", "text")

    def __init__(self) -> None:
        self.docs: list[list[object]] = []
        self.columns: dict[str, list[object]] = {name: [] for name in self.COLUMNS}
        self._strings: dict[str, int] = {}
        self._kept_docs: list[str | None] = []
        self._names: list[str] = []

    def add(self, doc: Doc, record: JsonObject) -> None:
        self._names.append(doc.name)
        self.docs.append([doc.name, doc.normalized_chars, doc.output_chars, doc.removed_chars, doc.removals,
                          doc.duplicate_of, doc.dropped, doc.error, -1])
        removals: list[JsonObject] = record.get("removals", [])
        for removal in removals[:PREVIEW_REMOVALS]:
            start, end = _span(removal)
            kept = (removal["kept_start"], removal["kept_end"]) if _has_kept(removal) else (None, None)
            similarity = removal.get("similarity")
            rule = removal.get("rule")
            values = (self._string(str(removal["reason"])), self._string(rule if isinstance(rule, str) else ""),
                      start, end - start, None, kept[0], None if kept[0] is None else kept[1] - kept[0],
                      round(similarity, 3) if isinstance(similarity, int | float) else None,
                      self._string(_shorten(str(removal["text"]), PREVIEW_CHARS)))
            for name, value in zip(self.COLUMNS, values, strict=True):
                self.columns[name].append(value)
            self._kept_docs.append(None if removal.get("kept_doc") is None else str(removal["kept_doc"]))

    def set_view(self, position: int, view: int) -> None:
        self.docs[position][-1] = view

    def _string(self, text: str) -> int:
        return self._strings.setdefault(text, len(self._strings))

    def blob(self) -> str:
        names: dict[str, int] = {}
        for i, name in enumerate(self._names):
            names.setdefault(name, i)
        # a kept document by its index (-1: this document), or by name when the run holds no such document
        kept_docs = [-1 if name is None else _or(resolve(names, name), name) for name in self._kept_docs]
        index = {"docs": self.docs, "removals": {**self.columns, "kept_doc": kept_docs}, "strings": list(self._strings),
                 "preview": PREVIEW_REMOVALS}
        data = _UNSAFE.sub("\ufffd", json.dumps(index, ensure_ascii=False, separators=(",", ":")))
        return base64.b64encode(gzip.compress(data.encode("utf-8"), compresslevel=9, mtime=0)).decode("ascii")


def _or(value: int | None, default: str) -> int | str:
    return default if value is None else value


def _middle(text: str, limit: int) -> str:
    """``text`` cut in the middle to ``limit`` characters (ids differ at both ends).

    >>> _middle("corpus/000_d54f8a71f777eda1.txt", 20)
    'corpus/00…77eda1.txt'
    """
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2
    return text[:head] + "…" + text[len(text) - (limit - 1 - head) :]


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------- rendering


def _e(value: object) -> str:
    """``value`` as escaped HTML text (quotes too, so it may stand in an attribute)."""
    return html.escape(str(value), quote=True)


def _n(value: int) -> str:
    return f"{value:,}"


def _compact(value: int) -> str:
    """A count in a few characters, for chart labels.

    >>> _compact(9_999), _compact(12_345), _compact(94_145_239)
    ('9,999', '12.3k', '94.1M')
    """
    if value < 10_000:
        return f"{value:,}"
    if value < 1_000_000:
        return f"{value / 1e3:.1f}k"
    return f"{value / 1e6:.1f}M"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def _nice_step(peak: int, ticks: int = 4) -> int:
    """A round step (1, 2 or 5 times a power of ten) for about ``ticks`` grid lines up to ``peak``.

    >>> _nice_step(23_782), _nice_step(3), _nice_step(0)
    (10000, 1, 1)
    """
    rough = max(peak / ticks, 1)
    power = 10 ** math.floor(math.log10(rough))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= rough)


def _pct(share: float) -> str:
    return f"{share:.1%}" if share < 0.9995 or share == 1 else "99.9%"


def _render(totals: Totals, views: list[_View], index: SearchIndex, title: str,
            sources: Sequence[str], max_views: int) -> str:
    names = _view_names(views)
    kept_elsewhere = _kept_elsewhere(views, names)
    body = [
        _summary(totals, sources),
        _plots(totals, views),
        '<section id="found" class="panel" hidden aria-live="polite"></section>',
        _views_section(views, totals, max_views, names, kept_elsewhere),
    ]
    page = _PAGE.format(
        title=_e(title),
        style=_STYLE,
        subtitle=_e(f"{totals.documents:,} documents" + (f" · {', '.join(sources)}" if sources else "")),
        body="\n".join(body),
        index=index.blob(),
        script=_SCRIPT,
    )
    return _UNSAFE.sub("\ufffd", page)


def _summary(totals: Totals, sources: Sequence[str]) -> str:
    cards = [
        ("Documents", _n(totals.documents), f"{_n(totals.with_removals)} with removals"),
        ("Characters in", _n(totals.normalized_chars), f"normalized; {_n(totals.input_chars)} raw"),
        ("Characters out", _n(totals.output_chars), "of the documents written"),
        ("Removed", _pct(totals.share), f"{_n(totals.removed_chars)} characters"),
        ("Removals", _n(totals.removals), _plural(len(totals.by_reason), "reason")),
        ("Duplicates", _n(totals.duplicates), "documents with nothing of their own"),
        ("Dropped", _n(sum(totals.dropped.values())),
         ", ".join(f"{n:,} {why}" for why, n in sorted(totals.dropped.items())) or "none left out"),
        ("Skipped", _n(totals.skipped), "records with errors"),
    ]
    parts = ['<section id="summary" class="panel"><h2>Summary</h2><div class="cards">']
    parts += [f'<div class="card"><span>{_e(label)}</span><b>{_e(value)}</b><small>{_e(note)}</small></div>'
              for label, value, note in cards]
    parts.append('</div><div class="tables">')
    parts.append(_count_table("Removals by reason", "reason", totals.by_reason, totals.chars_by_reason,
                              colors=True))
    if totals.by_rule:
        parts.append(_count_table("Removals by rule", "rule", totals.by_rule, totals.chars_by_rule))
    else:
        parts.append('<div><h3>Removals by rule</h3><p class="muted">These reports name no rule.</p></div>')
    parts.append(_count_table("Normalization fixes", "fix", totals.fixes, totals.documents_fixed, "documents"))
    parts.append("</div>")
    extra = []
    if totals.invalid_utf8:
        extra.append(f"{totals.invalid_utf8:,} documents had invalid UTF-8 replaced.")
    if len(totals.configs) == 1:
        (config,) = totals.configs
        settings = ", ".join(f"{k}={v}" for k, v in json.loads(config).items())
        extra.append(f"Config: {settings}.")
    elif totals.configs:
        extra.append(f"{len(totals.configs)} different configs in these reports.")
    parts += [f'<p class="muted">{_e(line)}</p>' for line in extra]
    if totals.errors:
        more = totals.skipped - len(totals.errors)
        items = "".join(f"<li>{_e(error)}</li>" for error in totals.errors)
        parts.append(f'<details><summary>Skipped records ({totals.skipped:,})</summary><ul class="errors">{items}</ul>'
                     + (f'<p class="muted">and {more:,} more</p>' if more else "") + "</details>")
    parts.append("</section>")
    return "".join(parts)


def _count_table(title: str, what: str, counts: Counter[str], second: Counter[str], label: str = "characters",
                 *, colors: bool = False) -> str:
    """A table of counts by key, most frequent first, with a second count (``label``) per key."""
    if not counts:
        return f'<div><h3>{_e(title)}</h3><p class="muted">None.</p></div>'
    rows = []
    for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        swatch = f'<i class="sw" style="background:{_reason_color(key)}"></i>' if colors else ""
        rows.append(f'<tr><td>{swatch}{_e(key)}</td><td class="n">{_n(n)}</td>'
                    f'<td class="n">{_n(second[key])}</td></tr>')
    return (f'<div><h3>{_e(title)}</h3><table><thead><tr><th>{_e(what)}</th><th class="n">count</th>'
            f'<th class="n">{_e(label)}</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>')


def _reason_color(reason: str) -> str:
    return _REASON_COLORS.get(reason, _OTHER_COLOR)


# -------------------------------------------------------------------- plots


def _plots(totals: Totals, views: list[_View]) -> str:
    return ('<section id="plots" class="panel"><h2>Plots</h2><div class="plots">'
            + _figure("share-removed", "Share removed per document", _histogram_svg(totals),
                      f"{_n(totals.with_removals)} documents with removals; "
                      f"{_n(totals.documents - totals.with_removals)} with none are not drawn.")
            + _figure("by-reason", "Removed characters by reason", _reasons_svg(totals),
                      "Bar length: characters; the label also gives the number of removals.")
            + _figure("top-documents", f"The {min(len(views), _TOP_BARS)} documents with the most removed",
                      _top_svg(views),
                      "By share of the normalized text removed; click a bar for the document.")
            + "</div></section>")


def _figure(ident: str, caption: str, svg: str, note: str) -> str:
    return (f'<figure id="{ident}"><figcaption>{_e(caption)}</figcaption>{svg}'
            f'<p class="muted small">{_e(note)}</p></figure>')


def _svg(width: int, height: int, label: str, content: list[str]) -> str:
    return (f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
            f'aria-label="{_e(label)}">{"".join(content)}</svg>')


def _histogram_svg(totals: Totals) -> str:
    width, height, left, bottom, top = 520, 220, 48, 28, 10
    plot_w, plot_h = width - left - 18, height - bottom - top
    tick = _nice_step(max(totals.histogram))
    peak = tick * math.ceil(max(max(totals.histogram), 1) / tick)
    step = plot_w / _HISTOGRAM_BINS
    out = []
    for value in range(0, peak + 1, tick):
        y = top + plot_h - plot_h * value / peak
        out.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}"/>'
                   f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_compact(value)}</text>')
    out.append(f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}"/>')
    for i, count in enumerate(totals.histogram):
        h = plot_h * count / peak
        x = left + i * step
        low, high = i * 100 // _HISTOGRAM_BINS, (i + 1) * 100 // _HISTOGRAM_BINS
        out.append(f'<rect class="bar" x="{x + 1:.1f}" y="{top + plot_h - h:.1f}" width="{step - 2:.1f}" '
                   f'height="{max(h, 0):.1f}" fill="{_BAR_COLOR}"><title>{low}–{high} % removed: '
                   f'{_n(count)} documents</title></rect>')
    for pct in (0, 25, 50, 75, 100):
        x = left + plot_w * pct / 100
        out.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle">{pct}%</text>')
    return _svg(width, height, "histogram of the share removed per document", out)


def _hbars(rows: list[tuple[str, float, str, str, str]], label_width: int, width: int = 520) -> list[str]:
    """Horizontal bars: (label, fraction of the longest, value text, colour, link or "") per row."""
    out = []
    bar_w = width - label_width - 190
    for i, (label, fraction, value, color, link) in enumerate(rows):
        y = 8 + i * 24
        text = f'<text x="{label_width - 8}" y="{y + 13}" text-anchor="end">{_e(label)}</text>'
        length = max(bar_w * fraction, 1.5)
        bar = (f'<rect class="bar" x="{label_width}" y="{y}" width="{length:.1f}" height="18" '
               f'rx="2" fill="{color}"><title>{_e(label)}: {_e(value)}</title></rect>'
               f'<text class="value" x="{label_width + length + 6:.1f}" y="{y + 13}">{_e(value)}</text>')
        out.append(f'<a href="{_e(link)}">{text}{bar}</a>' if link else text + bar)
    return out


def _reasons_svg(totals: Totals) -> str:
    if not totals.chars_by_reason:
        return '<p class="muted">Nothing was removed.</p>'
    items = sorted(totals.chars_by_reason.items(), key=lambda kv: (-kv[1], kv[0]))
    peak = items[0][1] or 1
    rows = [(reason, chars / peak, f"{_compact(chars)} chars · {_compact(totals.by_reason[reason])} removals",
             _reason_color(reason), "")
            for reason, chars in items]
    return _svg(520, 16 + 24 * len(rows), "removed characters by reason", _hbars(rows, 150))


_TOP_BARS = 15


def _top_svg(views: list[_View]) -> str:
    if not views:
        return '<p class="muted">Nothing was removed.</p>'
    rows = [(_middle(v.doc.name, 40), v.doc.share, f"{_pct(v.doc.share)} · {_compact(v.doc.removed_chars)} chars",
             _BAR_COLOR, f"#doc-{v.number}") for v in views[:_TOP_BARS]]
    label_width = min(300, 16 + 7 * max(len(row[0]) for row in rows))  # about 7 px a character at 12 px
    return _svg(1080, 16 + 24 * len(rows), "the documents with the most removed", _hbars(rows, label_width, 1080))


# -------------------------------------------------------------------- views


def _view_names(views: list[_View]) -> dict[str, int]:
    """The view number of each shown document, by its name."""
    names: dict[str, int] = {}
    for view in views:
        names.setdefault(view.doc.name, view.number)
    return names


def resolve(names: Mapping[str, int], name: str) -> int | None:
    """``names[name]``, else the entry of the longest path suffix of ``name``.

    A ``kept_doc`` names a record without an id as ``INPUT:LINE`` with the
    input path as given to ``unrepeat clean`` (``crawl/a.jsonl:3``); the page
    knows it by its report's name (``a.jsonl:3``).

    >>> resolve({"a.jsonl:3": 0}, "crawl/a.jsonl:3"), resolve({"x": 0}, "y")
    (0, None)
    """
    while True:
        if name in names:
            return names[name]
        if "/" not in name:
            return None
        name = name.split("/", 1)[1]


def _kept_elsewhere(views: list[_View], names: Mapping[str, int]) -> dict[int, set[tuple[int, int]]]:
    """For each view, the spans of its text that removals in other views name as their kept copy."""
    kept: dict[int, set[tuple[int, int]]] = {}
    for view in views:
        for removal in view.record.get("removals", ()):
            target = None if removal.get("kept_doc") is None else resolve(names, str(removal["kept_doc"]))
            if target is not None and _has_kept(removal):
                kept.setdefault(target, set()).add((removal["kept_start"], removal["kept_end"]))
    return kept


def _has_kept(removal: JsonObject) -> bool:
    return isinstance(removal.get("kept_start"), int) and isinstance(removal.get("kept_end"), int)


def _views_section(views: list[_View], totals: Totals, max_views: int, names: Mapping[str, int],
                   kept_elsewhere: Mapping[int, set[tuple[int, int]]]) -> str:
    if not views:
        return ('<section id="views" class="panel"><h2>Documents</h2><p class="muted">No document has a removal; '
                "the search box finds any document.</p></section>")
    limit = (f"the {_n(max_views)} with the largest share removed, of {_n(totals.with_removals)} with removals"
             if totals.with_removals > len(views) else f"all {_n(len(views))} documents with removals")
    rows = "".join(
        f'<tr><td class="n">{v.number + 1}</td><td><a href="#doc-{v.number}">{_e(v.doc.name)}</a></td>'
        f'<td class="n">{_pct(v.doc.share)}</td><td class="n">{_n(v.doc.removed_chars)}</td>'
        f'<td class="n">{_n(v.doc.removals)}</td></tr>'
        for v in views
    )
    articles = "\n".join(_view(v, names, kept_elsewhere.get(v.number, set())) for v in views)
    return (f'<section id="views" class="panel"><h2>Documents shown in full</h2>'
            f'<p>{_n(len(views))} documents have a full view: {_e(limit)}. The search box finds any other document '
            f"by its id, with its counts and its first {PREVIEW_REMOVALS} removals.</p>"
            f'<details class="list"><summary>List of the {_n(len(views))} documents</summary>'
            '<div class="scroll"><table>'
            f'<thead><tr><th class="n">#</th><th>document</th><th class="n">removed</th><th class="n">characters</th>'
            f'<th class="n">removals</th></tr></thead><tbody>{rows}</tbody></table></div></details>'
            f'<div class="views">{articles}</div></section>')


def _kept_link(removal: JsonObject, this_view: int, names: Mapping[str, int]) -> tuple[str, str]:
    """Where a removal's kept copy is: a link (view anchor, or a search) and how to say it."""
    if not _has_kept(removal):
        return "", "no kept copy recorded"
    span = f"{removal['kept_start']}-{removal['kept_end']}"
    kept_doc = removal.get("kept_doc")
    if kept_doc is None:
        return f"#v{this_view}k{span}", f"kept at {span} in this document"
    target = resolve(names, str(kept_doc))
    if target is not None:
        return f"#v{target}k{span}", f"kept at {span} in {kept_doc}"
    return f"#find:{quote(str(kept_doc), safe='')}", f"kept at {span} in {kept_doc}"


def _describe(removal: JsonObject, kept: str) -> str:
    parts = [str(removal["reason"])]
    if isinstance(removal.get("rule"), str):
        parts.append(f"rule {removal['rule']}")
    if isinstance(removal.get("similarity"), int | float):
        parts.append(f"similarity {removal['similarity']:.2f}")
    parts.append(kept)
    return " · ".join(parts)


def _view(view: _View, names: Mapping[str, int], kept_elsewhere: set[tuple[int, int]]) -> str:
    doc, record = view.doc, view.record
    removals: list[JsonObject] = sorted(record.get("removals", ()), key=lambda r: r["start"])
    meta = [f"{_n(doc.normalized_chars)} characters normalized → {_n(doc.output_chars)} out",
            f"{_plural(doc.removals, 'removal')}, {_pct(doc.share)} removed"]
    flags = []
    if doc.duplicate_of:
        target = resolve(names, doc.duplicate_of)
        href = f"#doc-{target}" if target is not None else f"#find:{quote(doc.duplicate_of, safe='')}"
        flags.append(f'duplicate of <a href="{_e(href)}">{_e(doc.duplicate_of)}</a>')
    if doc.dropped:
        flags.append(f"left out of the output ({_e(doc.dropped)})")
    fixes = record.get("fixes")
    if isinstance(fixes, dict) and fixes:
        flags.append("fixes: " + _e(", ".join(f"{k} {v}" for k, v in sorted(fixes.items()))))
    parts = [f'<article class="view" id="doc-{view.number}" data-name="{_e(doc.name)}">',
             f'<h3><span class="rank">#{view.number + 1}</span> {_e(doc.name)}</h3>',
             f'<p class="meta">{_e(" · ".join(meta))}</p>']
    if flags:
        parts.append(f'<p class="meta">{" · ".join(flags)}</p>')
    if view.text is not None:
        parts.append('<p class="legend"><del class="rm">struck through</del>: removed (hover for why; click for the '
                     'kept copy) · <span class="kept">underlined</span>: kept copies</p>')
        parts.append(_marked_text(view, removals, names, kept_elsewhere))
    else:
        parts.append(f'<p class="note">Text not shown: {_e(view.note)}. The removals:</p>')
    parts.append(_removal_table(view, removals, names, open_=view.text is None))
    parts.append("</article>")
    return "".join(parts)


def _marked_text(view: _View, removals: list[JsonObject], names: Mapping[str, int],
                 kept_elsewhere: set[tuple[int, int]]) -> str:
    """The normalized text, removed spans struck through and linked, kept copies underlined and anchored."""
    assert view.text is not None
    text = view.text[:VIEW_CHARS]
    end = len(text)
    kept = set(kept_elsewhere)
    kept.update((r["kept_start"], r["kept_end"]) for r in removals if r.get("kept_doc") is None and _has_kept(r))
    kept = {(max(0, a), min(b, end)) for a, b in kept if a < end and a < b}
    cuts = sorted({0, end, *(a for a, _ in kept), *(b for _, b in kept),
                   *(min(_span(r)[0], end) for r in removals), *(min(_span(r)[1], end) for r in removals)})
    starts: dict[int, list[tuple[int, int]]] = {}
    for span in kept:
        starts.setdefault(span[0], []).append(span)
    out = ['<div class="text">']
    active: set[tuple[int, int]] = set()
    r = 0
    for a, b in pairwise(cuts):
        active = {s for s in active if s[1] > a}
        for span in sorted(starts.get(a, ())):
            active.add(span)
            out.append(f'<span class="anchor" id="v{view.number}k{span[0]}-{span[1]}"></span>')
        while r < len(removals) and _span(removals[r])[1] <= a:
            r += 1
        piece = _e(text[a:b])
        removal = removals[r] if r < len(removals) and _span(removals[r])[0] <= a else None
        if removal is not None:
            href, kept_text = _kept_link(removal, view.number, names)
            title = _describe(removal, kept_text)
            inner = f'<a href="{_e(href)}">{piece}</a>' if href else piece
            out.append(f'<del class="rm" title="{_e(title)}">{inner}</del>')
        elif active:
            keys = " ".join(f"{s}-{e}" for s, e in sorted(active))
            out.append(f'<span class="kept" data-k="{keys}">{piece}</span>')
        else:
            out.append(piece)
    out.append("</div>")
    if len(view.text) > VIEW_CHARS:
        out.append(f'<p class="note">The text is cut after {VIEW_CHARS:,} of its {len(view.text):,} characters.</p>')
    return "".join(out)


def _span(removal: JsonObject) -> tuple[int, int]:
    return removal["start"], removal["end"]  # check_record saw to it


def _removal_table(view: _View, removals: list[JsonObject], names: Mapping[str, int], open_: bool) -> str:
    rows = []
    for removal in removals[:VIEW_ROWS]:
        href, kept_text = _kept_link(removal, view.number, names)
        kept_cell = f'<a href="{_e(href)}">{_e(kept_text)}</a>' if href else _e(kept_text)
        similarity = removal.get("similarity")
        rows.append(
            f'<tr><td>{_e(removal["reason"])}</td><td>{_e(removal.get("rule") or "")}</td>'
            f'<td class="n">{removal["start"]}-{removal["end"]}</td><td>{kept_cell}</td>'
            f'<td class="n">{f"{similarity:.2f}" if isinstance(similarity, int | float) else ""}</td>'
            f'<td><del class="rm snippet">{_e(_shorten(str(removal["text"]), 600))}</del></td></tr>'
        )
    more = len(removals) - VIEW_ROWS
    return (f'<details class="removals"{" open" if open_ else ""}><summary>Removals ({_n(len(removals))})</summary>'
            '<div class="scroll"><table><thead><tr><th>reason</th><th>rule</th><th class="n">span</th>'
            '<th>kept copy</th><th class="n">similarity</th><th>removed text</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>'
            + (f'<p class="muted">and {more:,} more not listed</p>' if more > 0 else "") + "</details>")


# -------------------------------------------------------------------- files


class ReportFile(NamedTuple):
    """A report file and its name under the REPORT argument it was found in."""

    source: Source
    relative: PurePath


def find_reports(args: Sequence[str | Path]) -> list[ReportFile]:
    """The report files the arguments name: files, and directories walked in sorted order.

    A directory gives its ``.json`` and ``.jsonl`` files (also ``.gz`` and
    ``.zst``), hidden ones skipped.
    """
    found: list[ReportFile] = []
    for arg in args:
        path = Path(arg)
        if path.is_dir():
            for relative in _walk(path):
                found.append(ReportFile(_source(path / relative, str(path / relative)), relative))
        elif path.exists():
            found.append(ReportFile(_source(path, str(arg)), PurePath(path.name)))
        else:
            raise InputError(str(arg), "no such file")
    return found


def _source(path: Path, name: str) -> Source:
    return Source(path, name, PurePath(path.name), format_of(name))


def _walk(root: Path) -> list[PurePath]:
    def fail(exc: OSError) -> None:
        raise InputError(exc.filename or str(root), "cannot read the directory")

    found: list[PurePath] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=fail):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        base = PurePath(dirpath).relative_to(root)
        found += [base / f for f in filenames if not f.startswith(".") and _json_name(f)]
    return sorted(found, key=lambda p: p.parts)


def _json_name(name: str) -> bool:
    inner = name[: -len(PurePath(name).suffix)] if compression(name) else name
    return inner.endswith((".json", ".jsonl"))


def read_reports(files: Sequence[ReportFile]) -> Iterator[tuple[ReportFile, int | None, dict[str, object]]]:
    """Each JSON object of the report files, with its file and line (None for a whole-file ``.json`` report).

    What is not a JSON object raises `InputError` naming the file and line;
    whether an object is a report record is `check_record`'s to say.
    """
    for file in files:
        if file.source.format is Format.JSONL:
            for line in read_jsonl(file.source):
                if line.record is None:
                    raise InputError(file.source.name, str(line.error), line.number)
                yield file, line.number, line.record
        else:
            text, _ = read_text(file.source)
            try:
                record = json.loads(text)
            except ValueError as exc:
                raise InputError(file.source.name, f"invalid JSON: {exc}") from None
            if not isinstance(record, dict):
                raise InputError(file.source.name, f"expected a JSON object, got {type(record).__name__}")
            yield file, None, record


def _input_name(relative: PurePath) -> PurePath | None:
    """The input a report was written for, by the report's name: ``a/x.jsonl.report.jsonl`` -> ``a/x.jsonl``.

    None when the name does not say (a report named by hand).
    """
    name = relative.name
    for suffix in _REPORT_SUFFIXES:
        for compressed in ("", ".gz", ".zst"):
            if name.endswith(suffix + compressed):
                return relative.with_name(name[: -len(suffix + compressed)])
    return None


def cleaned_path(texts: Path, file: ReportFile, single: bool) -> Path:
    """The cleaned output that goes with a report file.

    ``texts`` itself when it is a file and the report is the only one
    (``single``); else the report's relative name under ``texts`` without
    ``.report.json`` / ``.report.jsonl`` (how ``unrepeat clean --report
    DIRECTORY`` names reports), or the same name (the parts of the Dask
    engine).

    >>> f = ReportFile(_source(Path("r/a/x.txt.report.json"), "r/a/x.txt.report.json"), PurePath("a/x.txt.report.json"))
    >>> cleaned_path(Path("cleaned"), f, single=False).as_posix()
    'cleaned/a/x.txt'
    >>> name = "part-00000.jsonl.gz"  # a part of the Dask engine
    >>> part = ReportFile(_source(Path("r") / name, f"r/{name}"), PurePath(name))
    >>> cleaned_path(Path("cleaned"), part, single=False).as_posix()
    'cleaned/part-00000.jsonl.gz'
    """
    if single and not texts.is_dir():
        return texts
    return texts / (_input_name(file.relative) or file.relative)


class _Located(NamedTuple):
    """Where a record is (its report file and line), and its place among the output records of that file."""

    file: int
    line: int | None
    ordinal: int | None  #: None: the document has no output (skipped or dropped)


def page_from_files(
    reports: Sequence[str | Path],
    *,
    texts: str | Path | None = None,
    text_field: str = "text",
    views: int = VIEWS,
    title: str = "unrepeat report",
) -> Page:
    """The report page of report files or directories (`find_reports`), with the cleaned texts of ``texts``.

    ``texts`` is the ``-o`` output of ``unrepeat clean``: a text file, a
    JSONL or Parquet file (the text in ``text_field``) or a directory paired
    with the reports by name (`cleaned_path`). File problems raise `InputError`
    ("FILE[:LINE]: problem").
    """
    files = find_reports(reports)
    texts_path = None if texts is None else Path(texts)
    if texts_path is not None and not texts_path.exists():
        raise InputError(str(texts), "no such file or directory")
    if texts_path is not None and len(files) > 1 and not texts_path.is_dir():
        raise InputError(str(texts), "several reports need a directory of cleaned texts, not a file")
    located: list[_Located] = []
    file_numbers = {file.source.name: i for i, file in enumerate(files)}

    def records() -> Iterator[dict[str, object]]:
        outputs = [0] * len(files)
        for file, line, record in read_reports(files):
            number = file_numbers[file.source.name]
            written = "error" not in record and not _dropped(record)
            located.append(_Located(number, line, outputs[number] if written else None))
            outputs[number] += written
            if line is not None and "line" not in record and "row" not in record:
                record = {**record, "line": line}
            yield record

    def lookup(positions: Sequence[int]) -> dict[int, str]:
        assert texts_path is not None
        wanted: dict[int, dict[int, int]] = {}  # report file -> output ordinal -> position
        for position in positions:
            where = located[position]
            if where.ordinal is not None:
                wanted.setdefault(where.file, {})[where.ordinal] = position
        found: dict[int, str] = {}
        for number, ordinals in sorted(wanted.items()):
            path = cleaned_path(texts_path, files[number], single=len(files) == 1)
            if path.is_file():
                found.update(_read_cleaned(path, ordinals, text_field))
        return found

    def name_of(record: JsonObject, position: int) -> str:
        line = record.get("line", record.get("row"))
        input_name = _input_name(files[located[position].file].relative)
        if record.get("id") is None and isinstance(line, int) and input_name is not None:
            return f"{input_name}:{line}"  # as `unrepeat clean` names it in "kept_doc"
        return doc_name(record, position)

    names = [str(r) for r in reports]
    try:
        return build_page(records(), texts=None if texts_path is None else lookup, views=views, title=title,
                          sources=names, name_of=name_of)
    except RecordError as exc:
        where = located[exc.position]
        raise InputError(files[where.file].source.name, exc.problem, where.line) from None


def _read_cleaned(path: Path, ordinals: Mapping[int, int], text_field: str) -> dict[int, str]:
    """The texts at the given output ordinals of a cleaned file, by position."""
    source = _source(path, str(path))
    if not source.format.has_records:
        whole, _ = read_text(source)
        return {ordinals[0]: whole} if 0 in ordinals else {}
    found: dict[int, str] = {}
    last = max(ordinals)
    for ordinal, line in enumerate(read_records(source)):
        text = None if line.record is None else line.record.get(text_field)
        if ordinal in ordinals and isinstance(text, str):
            found[ordinals[ordinal]] = text
        if ordinal >= last:
            break
    return found


def write_page(reports: Sequence[str | Path], output: str | Path, **options: Any) -> Page:
    """`page_from_files` written to ``output`` atomically (nothing is left behind on failure)."""
    page = page_from_files(reports, **options)
    with AtomicFile(Path(output)) as file:
        file.write(page.html.encode("utf-8"))
    return page


# ------------------------------------------------------------ page assets

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="unrepeat">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<header class="top">
<div class="brand"><h1>{title}</h1><span class="muted">{subtitle}</span></div>
<div class="search" role="search">
<input id="q" type="search" placeholder="Find a document by id…" autocomplete="off" aria-label="Find a document by id">
<ol id="hits" hidden></ol>
</div>
<nav><a href="#summary">Summary</a><a href="#plots">Plots</a><a href="#views">Documents</a></nav>
</header>
<main>
{body}
</main>
<script type="application/octet-stream" id="doc-index" data-encoding="gzip+base64+json">{index}</script>
<script>{script}</script>
</body>
</html>
"""

_STYLE = """
:root{--fg:#1f2328;--muted:#59636e;--line:#d8dee4;--soft:#f6f8fa;--link:#0b62c4;--rm:#a40e26;--rmbg:#ffe3e6;
--kept:#116329;--keptbg:#e6f6ea;--hl:#b7ebc4}
*{box-sizing:border-box}
html{scroll-padding-top:4.5rem}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--fg);
background:#fff}
a{color:var(--link)}
header.top{position:sticky;top:0;z-index:5;display:flex;align-items:center;gap:1.5rem;padding:.55rem 1.5rem;
background:#fff;border-bottom:1px solid var(--line);box-shadow:0 1px 4px rgba(0,0,0,.04)}
.brand{display:flex;flex-direction:column;min-width:0}
.brand .muted{white-space:nowrap;overflow:hidden;text-overflow:ellipsis;max-width:32rem;font-size:12px}
h1{font-size:1.1rem;margin:0}
h2{font-size:1.15rem;margin:0 0 .8rem}
h3{font-size:.95rem;margin:.2rem 0 .5rem}
nav{display:flex;gap:1rem;margin-left:auto}
nav a{text-decoration:none;font-weight:500}
.search{position:relative;flex:1;max-width:28rem}
#q{width:100%;padding:.45rem .7rem;border:1px solid #b8c0c8;border-radius:6px;font:inherit}
#q:focus{outline:2px solid var(--link);outline-offset:-1px}
#hits{position:absolute;left:0;right:0;top:calc(100% + 4px);margin:0;padding:.25rem 0;list-style:none;background:#fff;
border:1px solid var(--line);border-radius:6px;box-shadow:0 8px 24px rgba(0,0,0,.12);max-height:22rem;overflow:auto}
#hits li{padding:.3rem .7rem;cursor:pointer;display:flex;justify-content:space-between;gap:1rem}
#hits li:hover,#hits li.on{background:var(--soft)}
#hits li small{color:var(--muted);white-space:nowrap}
#hits li.none{cursor:default;color:var(--muted)}
main{max-width:1180px;margin:0 auto;padding:1.2rem 1.5rem 5rem}
.panel{margin-bottom:1.6rem}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:.7rem;margin-bottom:1.2rem}
.card{border:1px solid var(--line);border-radius:8px;padding:.55rem .75rem;background:var(--soft)}
.card span{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.03em}
.card b{display:block;font-size:1.35rem;font-variant-numeric:tabular-nums}
.card small{color:var(--muted)}
.tables{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:1rem}
table{border-collapse:collapse;width:100%}
th,td{padding:.22rem .55rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-weight:600;font-size:12px;color:var(--muted)}
.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.sw{display:inline-block;width:.7em;height:.7em;border-radius:2px;margin-right:.4em}
.muted{color:var(--muted)}
.small{font-size:12px;margin:.3rem 0 0}
.plots{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:1rem;align-items:start}
figure{margin:0;border:1px solid var(--line);border-radius:8px;padding:.7rem .9rem}
#top-documents{grid-column:1/-1}
figcaption{font-weight:600;margin-bottom:.3rem}
figure svg{max-width:100%;height:auto;display:block}
svg text{font:12px system-ui,sans-serif;fill:var(--fg)}
svg text.value{fill:var(--muted)}
svg .axis{stroke:#8c959f}
svg .grid{stroke:#eaeef2}
svg a:hover rect{opacity:.8}
svg a:hover text{text-decoration:underline}
details{margin:.5rem 0}
summary{cursor:pointer;font-weight:500}
.scroll{max-height:26rem;overflow:auto;border:1px solid var(--line);border-radius:6px;margin-top:.4rem}
.scroll table th{position:sticky;top:0;background:#fff}
.view{display:none;border:1px solid var(--line);border-radius:8px;padding:.9rem 1.1rem;margin-top:1rem}
.view:target,.view:has(:target){display:block}
.views:not(:has(.view:target,.view :target)) .view:first-child{display:block}
.rank{color:var(--muted);font-weight:400}
.meta{margin:.1rem 0;color:var(--muted)}
.legend{font-size:12px;color:var(--muted)}
.note{background:#fff8c5;border:1px solid #eed888;border-radius:6px;padding:.4rem .7rem}
.text{white-space:pre-wrap;overflow-wrap:anywhere;font:15px/1.65 Georgia,"Noto Serif",serif;max-width:52rem;
margin:.6rem 0;padding:.8rem 1rem;background:#fcfcfd;border:1px solid var(--line);border-radius:6px}
del.rm{background:var(--rmbg);color:var(--rm);text-decoration:line-through;text-decoration-color:rgba(164,14,38,.55)}
del.rm a{color:inherit;text-decoration:inherit}
del.rm:hover{background:#ffc9d0}
del.snippet{white-space:pre-wrap;font-size:13px}
.kept{background:var(--keptbg);box-shadow:inset 0 -2px 0 #8fd4a1}
.kept.hl{background:var(--hl)}
#found{border:2px solid var(--link);border-radius:8px;padding:.9rem 1.1rem}
@media (max-width:760px){header.top{flex-wrap:wrap}nav{display:none}.plots,.cards{grid-template-columns:1fr 1fr}}
"""

_SCRIPT = """
(() => {
"use strict";
const DOC = {name: 0, normalized: 1, output: 2, removed: 3, removals: 4, duplicateOf: 5, dropped: 6, error: 7, view: 8};
const q = document.getElementById("q"), hits = document.getElementById("hits");
const found = document.getElementById("found");
let loading = null, docs = null, removals = null, strings = null, first = null, lower = null, byName = null;

function load() {
  if (!loading) {
    loading = (async () => {
      const binary = atob(document.getElementById("doc-index").textContent.trim());
      const bytes = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
      const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
      const index = JSON.parse(await new Response(stream).text());
      docs = index.docs; removals = index.removals; strings = index.strings;
      first = new Int32Array(docs.length + 1);  // where each document's first removals start in the columns
      docs.forEach((d, i) => { first[i + 1] = first[i] + Math.min(d[DOC.removals], index.preview); });
      lower = docs.map((d) => d[DOC.name].toLowerCase());
      byName = new Map();
      docs.forEach((d, i) => { if (!byName.has(d[DOC.name])) byName.set(d[DOC.name], i); });
    })();
  }
  return loading;
}

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}
const fmt = (n) => Number(n).toLocaleString("en-US");
const pct = (d) => d[DOC.normalized] ? (100 * d[DOC.removed] / d[DOC.normalized]).toFixed(1) + "%" : "0.0%";

function search(text) {
  const needle = text.trim().toLowerCase();
  if (!needle) return [];
  const exact = [], prefix = [], inside = [];
  for (let i = 0; i < lower.length && exact.length + prefix.length < 20; i++) {
    const name = lower[i];
    if (name === needle) exact.push(i);
    else if (name.startsWith(needle)) prefix.push(i);
    else if (inside.length < 20 && name.includes(needle)) inside.push(i);
  }
  return exact.concat(prefix, inside).slice(0, 20);
}

async function showHits() {
  await load();
  const list = search(q.value);
  hits.replaceChildren();
  if (!q.value.trim()) { hits.hidden = true; return; }
  if (!list.length) hits.append(el("li", "No document with that id", "none"));
  for (const i of list) {
    const d = docs[i], li = el("li");
    li.append(el("span", d[DOC.name]),
      el("small", d[DOC.error] ? "skipped" : pct(d) + " removed" + (d[DOC.view] >= 0 ? " · full view" : "")));
    li.dataset.i = i;
    li.addEventListener("mousedown", (event) => { event.preventDefault(); open(i); });
    hits.append(li);
  }
  hits.firstChild.classList.add("on");
  hits.hidden = false;
}

function open(i) {
  const d = docs[i];
  hits.hidden = true;
  location.hash = d[DOC.view] >= 0 ? "doc-" + d[DOC.view] : "find:" + encodeURIComponent(d[DOC.name]);
}

function find(name) {  // as resolve() in Python: the name, else its longest path suffix
  for (;;) {
    if (byName.has(name)) return byName.get(name);
    const slash = name.indexOf("/");
    if (slash < 0) return undefined;
    name = name.slice(slash + 1);
  }
}

function link(name) {
  const i = find(name);
  const a = el("a", name);
  const view = i === undefined ? -1 : docs[i][DOC.view];
  a.href = view >= 0 ? "#doc-" + view : "#find:" + encodeURIComponent(name);
  return a;
}

function card(i) {
  const d = docs[i];
  found.replaceChildren();
  found.append(el("h3", d[DOC.name]));
  if (d[DOC.error]) {
    found.append(el("p", "Skipped: " + d[DOC.error], "meta"));
  } else {
    found.append(el("p", fmt(d[DOC.normalized]) + " characters normalized → " + fmt(d[DOC.output]) + " out · " +
      fmt(d[DOC.removals]) + " removals, " + pct(d) + " removed", "meta"));
    if (d[DOC.duplicateOf]) {
      const p = el("p", "duplicate of ", "meta");
      p.append(link(d[DOC.duplicateOf]));
      found.append(p);
    }
    if (d[DOC.dropped]) found.append(el("p", "left out of the output (" + d[DOC.dropped] + ")", "meta"));
    const shown = first[i + 1] - first[i];
    if (shown) {
      const table = el("table"), head = el("tr"), r = removals;
      for (const h of ["reason", "rule", "span", "kept copy", "similarity", "removed text"]) head.append(el("th", h));
      table.append(head);
      for (let k = first[i]; k < first[i + 1]; k++) {
        const row = el("tr"), kept = el("td"), keptDoc = r.kept_doc[k];
        const keptStart = r.kept_start[k];
        if (keptStart !== null) kept.append(keptStart + "-" + (keptStart + r.kept_length[k]) + " in ");
        if (keptDoc === -1) kept.append("this document");
        else kept.append(link(typeof keptDoc === "number" ? docs[keptDoc][DOC.name] : keptDoc));
        const snippet = el("td"); snippet.append(el("del", strings[r.text[k]], "rm snippet"));
        row.append(el("td", strings[r.reason[k]]), el("td", strings[r.rule[k]]),
          el("td", r.start[k] + "-" + (r.start[k] + r.length[k]), "n"), kept,
          el("td", r.similarity[k] === null ? "" : r.similarity[k].toFixed(2), "n"), snippet);
        table.append(row);
      }
      found.append(table);
      if (d[DOC.removals] > shown) {
        found.append(el("p", "The first " + shown + " of " + fmt(d[DOC.removals]) +
          " removals; this document has no full view in this page (its report record holds them all).", "muted"));
      }
    }
  }
  found.hidden = false;
  found.scrollIntoView();
}

function highlight(id) {
  document.querySelectorAll(".kept.hl").forEach((n) => n.classList.remove("hl"));
  const m = /^v(\\d+)k(\\d+-\\d+)$/.exec(id);
  if (m) document.querySelectorAll("#doc-" + m[1] + " [data-k~='" + m[2] + "']").forEach((n) => n.classList.add("hl"));
}

async function route() {
  let hash = location.hash.slice(1);
  try { hash = decodeURIComponent(hash); } catch (error) { /* not percent-encoded: take it as it is */ }
  found.hidden = true;
  if (hash.startsWith("find:")) {
    await load();
    const i = find(hash.slice(5));
    if (i !== undefined) card(i);
    else {
      found.replaceChildren(el("p", "No document named " + hash.slice(5) + " in these reports."));
      found.hidden = false;
    }
  } else {
    highlight(hash);
  }
}

q.addEventListener("input", showHits);
q.addEventListener("focus", () => { load(); if (q.value.trim()) showHits(); });
q.addEventListener("blur", () => { hits.hidden = true; });
q.addEventListener("keydown", (event) => {
  const on = hits.querySelector("li.on");
  if (event.key === "Enter" && on && on.dataset.i !== undefined) { open(Number(on.dataset.i)); q.blur(); }
  else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && on) {
    const next = event.key === "ArrowDown" ? on.nextElementSibling : on.previousElementSibling;
    if (next) { on.classList.remove("on"); next.classList.add("on"); next.scrollIntoView({block: "nearest"}); }
    event.preventDefault();
  } else if (event.key === "Escape") { hits.hidden = true; }
});
window.addEventListener("hashchange", route);
window.addEventListener("load", () => setTimeout(load, 200));  // the index, ready before the first search
route();
})();
"""

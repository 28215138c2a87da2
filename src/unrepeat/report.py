"""Removal records, the per-document report, and its replay.

A report is the proof that nothing unique was lost: every removal names the
span of the normalized text it deletes, the matching span of the raw input,
the removed text, and the kept copy it duplicates. Deleting the removal spans
from the normalized text gives the output, byte for byte (`apply_removals`).

>>> r = Removal(Reason.STUTTERED_LINE, 4, 8, 4, 8, "abc\\n", 0, 3)
>>> apply_removals("abc\\nabc\\n", [r])
'abc\\n'
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

SCHEMA = "unrepeat.report/1"


class Reason(StrEnum):
    """Why a span was removed; the value is what reports, stats and tests use."""

    REPEATED_PASSAGE = "repeated_passage"  #: part of a run of sentences repeated as a block
    REPEATED_SENTENCE = "repeated_sentence"  #: one long sentence repeated
    STUTTERED_LINE = "stuttered_line"  #: the same line twice in a row
    SHORT_REPEAT = "short_repeat"  #: an isolated short repeat (only with collapse_short)
    CORPUS_PASSAGE = "corpus_passage"  #: a passage kept in an earlier document


class Rule(StrEnum):
    """Which rule removed a span (finer than `Reason`); reports and stats count by it."""

    RUN = "run"  #: a run of pieces repeated as a block (a passage)
    LONG_SENTENCE = "long_sentence"  #: one long sentence repeated word for word
    STUTTER = "stutter"  #: the same line twice in a row
    NEW_STUTTER = "new_stutter"  #: the same line twice in a row once the copies between went
    SHORT = "short"  #: a short repeat, with ``collapse_short``
    CORPUS_RUN = "corpus_run"  #: a run of sentences kept in an earlier document
    CORPUS_SENTENCE = "corpus_sentence"  #: one long sentence kept in an earlier document


@dataclass(frozen=True)
class Removal:
    """One deleted span of the normalized text and the copy that stays.

    ``start``/``end`` are code point offsets into the normalized text,
    ``input_start``/``input_end`` into the raw input. ``kept_start``/``kept_end``
    locate the kept copy in the normalized text of ``kept_doc`` (None: this
    document). ``similarity`` is 1.0 for exact copies (matching keys equal).
    """

    reason: Reason
    start: int
    end: int
    input_start: int
    input_end: int
    text: str
    kept_start: int
    kept_end: int
    similarity: float = 1.0
    kept_doc: str | None = None
    rule: Rule | None = None

    def as_dict(self) -> dict[str, object]:
        d: dict[str, object] = {
            "reason": str(self.reason),
            "rule": None if self.rule is None else str(self.rule),
            "start": self.start,
            "end": self.end,
            "input_start": self.input_start,
            "input_end": self.input_end,
            "text": self.text,
            "kept_start": self.kept_start,
            "kept_end": self.kept_end,
            "similarity": round(self.similarity, 4),
        }
        if self.kept_doc is not None:
            d["kept_doc"] = self.kept_doc
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> Removal:
        return cls(
            reason=Reason(str(d["reason"])),
            start=int(d["start"]),  # type: ignore[call-overload]
            end=int(d["end"]),  # type: ignore[call-overload]
            input_start=int(d["input_start"]),  # type: ignore[call-overload]
            input_end=int(d["input_end"]),  # type: ignore[call-overload]
            text=str(d["text"]),
            kept_start=int(d["kept_start"]),  # type: ignore[call-overload]
            kept_end=int(d["kept_end"]),  # type: ignore[call-overload]
            similarity=float(d.get("similarity", 1.0)),  # type: ignore[arg-type]
            kept_doc=d.get("kept_doc"),  # type: ignore[arg-type]
            rule=None if d.get("rule") is None else Rule(str(d["rule"])),
        )


@dataclass(frozen=True)
class CleanResult:
    """What `unrepeat.clean` returns.

    ``text`` is the canonical output, ``normalized`` the normalized input the
    removals point into, ``fixes`` counts the normalization changes by step
    name, ``stats`` holds counts for summaries.
    """

    text: str
    normalized: str
    removals: tuple[Removal, ...]
    fixes: dict[str, int]
    stats: dict[str, int] = field(default_factory=dict)
    duplicate_of: str | None = None

    def report(self, doc_id: object = None, config: Mapping[str, object] | None = None) -> dict[str, object]:
        """The JSON report record of this document (``doc_id``: any JSON value, e.g. a record's id)."""
        by_reason = Counter(str(r.reason) for r in self.removals)
        record: dict[str, object] = {
            "schema": SCHEMA,
            "id": doc_id,
            "counts": {
                "input_chars": self.stats.get("input_chars", 0),
                "normalized_chars": len(self.normalized),
                "output_chars": len(self.text),
                "paragraphs": self.stats.get("paragraphs", 0),
                "sentences": self.stats.get("sentences", 0),
                "removals": len(self.removals),
                "removed_chars": sum(r.end - r.start for r in self.removals),
                "by_reason": dict(sorted(by_reason.items())),
            },
            "normalized_sha256": sha256(self.normalized),
            "fixes": dict(sorted(self.fixes.items())),
            "removals": [r.as_dict() for r in self.removals],
        }
        if self.duplicate_of is not None:
            record["duplicate_of"] = self.duplicate_of
        if config is not None:
            record["config"] = dict(config)
        return record


@dataclass
class Summary:
    """Counts over a run, and the one-line summary the CLI prints.

    Bytes in are the input's bytes that held the documents (a text file's
    bytes as read; a record's text field in UTF-8), bytes out the UTF-8
    bytes of the output texts. `as_dict` gives the same counts as JSON
    values (the CLI's ``--stats``).

    >>> s = Summary()
    >>> s.add("Same.\\nSame.\\n", CleanResult("Same.\\n", "Same.\\n\\nSame.\\n", (), {}))
    >>> s.add("caf\\ufffd.", CleanResult("caf\\ufffd.\\n", "caf\\ufffd.\\n", (), {}), input_bytes=5)
    >>> s.line()
    '2 documents, 17 bytes in, 14 bytes out; removals: none'
    >>> s.add("Hi.", CleanResult("Hi.\\n", "Hi.\\n", (), {"fix_text": 1}), dropped="short")
    >>> s.line()
    '3 documents, 20 bytes in, 14 bytes out; removals: none; short documents left out: 1'
    >>> s.as_dict()["dropped"], s.as_dict()["fixes"]
    ({'duplicate': 0, 'short': 1}, {'fix_text': 1})
    """

    documents: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    removals: Counter[str] = field(default_factory=Counter)
    skipped: int = 0
    invalid_utf8: int = 0
    duplicates: int = 0
    dropped: int = 0  #: duplicates left out of the output
    short: int = 0  #: documents left out for having too few words
    by_rule: Counter[str] = field(default_factory=Counter)
    fixes: Counter[str] = field(default_factory=Counter)

    def add(self, text: str, result: CleanResult, dropped: bool | str | None = False,
            input_bytes: int | None = None) -> None:
        """Count one document: its input text and its result.

        ``dropped``: left out of the output, True as a duplicate, "short"
        for too few words. ``input_bytes``: the bytes the text was read
        from, where they are not its UTF-8 (invalid UTF-8 replaced with
        U+FFFD); None: its UTF-8.
        """
        self.documents += 1
        self.bytes_in += utf8_len(text) if input_bytes is None else input_bytes
        self.bytes_out += 0 if dropped else utf8_len(result.text)
        self.removals.update(str(r.reason) for r in result.removals)
        self.by_rule.update(str(r.rule) for r in result.removals if r.rule is not None)
        self.fixes.update(result.fixes)
        self.duplicates += result.duplicate_of is not None
        self.dropped += dropped is True
        self.short += dropped == "short"

    def line(self) -> str:
        removed = ", ".join(f"{reason} {n}" for reason, n in sorted(self.removals.items())) or "none"
        parts = [f"{self.documents} documents, {self.bytes_in} bytes in, {self.bytes_out} bytes out; removals: {removed}"]
        if self.duplicates:
            parts.append(f"duplicates: {self.duplicates}" + (f" ({self.dropped} left out)" if self.dropped else ""))
        if self.short:
            parts.append(f"short documents left out: {self.short}")
        if self.skipped:
            parts.append(f"skipped: {self.skipped} records with errors")
        if self.invalid_utf8:
            parts.append(f"invalid UTF-8 sequences replaced: {self.invalid_utf8}")
        return "; ".join(parts)

    def as_dict(self) -> dict[str, object]:
        """The counts as JSON values, keys in a fixed order."""
        return {
            "documents": self.documents,
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "removals": {
                "total": sum(self.removals.values()),
                "by_reason": dict(sorted(self.removals.items())),
                "by_rule": dict(sorted(self.by_rule.items())),
            },
            "fixes": dict(sorted(self.fixes.items())),
            "skipped": self.skipped,
            "invalid_utf8": self.invalid_utf8,
            "duplicates": self.duplicates,
            "dropped": {"duplicate": self.dropped, "short": self.short},
        }


def utf8_len(text: str) -> int:
    """The length of ``text`` in UTF-8 bytes."""
    return len(text.encode("utf-8", "surrogatepass"))


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def apply_removals(normalized: str, removals: Iterable[Removal]) -> str:
    """Delete the removal spans from the normalized text.

    Raises ValueError when a span is out of range, overlaps another, or its
    recorded text differs from the normalized text at that place.
    """
    out: list[str] = []
    pos = 0
    for r in sorted(removals, key=lambda r: r.start):
        if not 0 <= r.start <= r.end <= len(normalized):
            raise ValueError(f"removal span {r.start}-{r.end} is outside the text (length {len(normalized)})")
        if r.start < pos:
            raise ValueError(f"removal span {r.start}-{r.end} overlaps the previous one")
        if normalized[r.start : r.end] != r.text:
            raise ValueError(f"removal span {r.start}-{r.end} does not hold the recorded text")
        out.append(normalized[pos : r.start])
        pos = r.end
    out.append(normalized[pos:])
    return "".join(out)


def summarize(results: Sequence[Mapping[str, object]]) -> dict[str, int]:
    """Removal counts by reason over many report records."""
    total: Counter[str] = Counter()
    for rec in results:
        counts = rec.get("counts", {})
        total.update(counts.get("by_reason", {}))  # type: ignore[attr-defined]
    return dict(sorted(total.items()))

"""What every cleaned document must satisfy, checked from the outside.

Shared by the property and fuzz tests and `benchmarks/fuzz.py`. Each check
returns a list of problems (strings); an empty list means it holds.
Comparisons use `docgen.letters` (letters and digits only, accents dropped,
case folded), so they hold whatever the layout or normalization of the text.

>>> holds(letters("The cat sat on the mat."), letters("the cat sat"))
True
>>> holds(letters("The cat sat on the mat."), letters("a different sentence entirely"))
False
"""

from __future__ import annotations

import traceback
from bisect import bisect_right
from collections import Counter
from difflib import SequenceMatcher

import regex
from docgen import Doc, letters

from unrepeat import CleanResult, Config, apply_removals, clean

#: A removed text whose letters are not a substring of its kept copy must share
#: this share of its 5-grams with it (an edited copy: one word or number changed).
CONTAINMENT = 0.7
_SHINGLE = 5
#: A sentence end: a stop (and closing quotes) before a space, or glued to the next
#: sentence's capital or opening quote; CJK stops whatever follows.
_PIECE_END = regex.compile(r"(?<=[.!?…])[\"'”’»)\]]*(?:\s+|(?=[\"“‘«(]?\p{Lu}\p{Ll}))|(?<=[。！？])[」』”’)）]*\s*")


def shingles(key: str, k: int = _SHINGLE) -> set[str]:
    return {key[i : i + k] for i in range(max(1, len(key) - k + 1))}


def holds(kept_key: str, removed_key: str) -> bool:
    """Does the kept text hold the removed text (letters as a substring, or most of its 5-grams)?
    A removal may also be the kept text said several times back to back ("Yes, sir. Yes, sir.")."""
    if removed_key in kept_key:
        return True
    if kept_key and len(removed_key) % len(kept_key) == 0 and removed_key == kept_key * (len(removed_key) // len(kept_key)):
        return True
    if len(removed_key) < 3 * _SHINGLE:
        return False
    grams = shingles(removed_key)
    return len(grams & shingles(kept_key)) >= CONTAINMENT * len(grams)


def pieces(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences of a text, lines split at sentence stops (independent of unrepeat.segment)."""
    out = []
    pos = 0
    for line in text.split("\n"):
        start, end = pos, pos + len(line)
        cut = start
        for m in _PIECE_END.finditer(text, start, end):
            if m.start() > cut:
                out.append((cut, m.start()))
            cut = m.end()
        if cut < end:
            out.append((cut, end))
        pos = end + 1
    return out


def replay_problems(r: CleanResult) -> list[str]:
    try:
        replayed = apply_removals(r.normalized, r.removals)
    except ValueError as e:
        return [f"replay fails: {e}"]
    return [] if replayed == r.text else ["replaying the removals does not give the output"]


def _removed_ranges(r: CleanResult) -> tuple[list[int], list[int]]:
    spans = sorted((x.start, x.end) for x in r.removals)
    return [s for s, _ in spans], [e for _, e in spans]


def _removed_inside(r: CleanResult, starts: list[int], ends: list[int], lo: int, hi: int) -> str:
    """The non-blank text of ``normalized[lo:hi]`` that removals delete."""
    out = []
    k = max(0, bisect_right(starts, lo) - 1)
    while k < len(starts) and starts[k] < hi:
        a, b = max(lo, starts[k]), min(hi, ends[k])
        if a < b:
            out.append(r.normalized[a:b])
        k += 1
    return "".join(out).strip()


def provenance_problems(r: CleanResult, doc: Doc | None = None) -> list[str]:
    """Each removal names a kept span in range, outside every removal, that holds the removed text
    (up to the words the document's edited copies changed)."""
    problems = []
    starts, ends = _removed_ranges(r)
    n = len(r.normalized)
    for x in r.removals:
        where = f"removal {x.start}-{x.end} {x.text[:60]!r} kept {x.kept_start}-{x.kept_end}"
        if x.kept_doc is not None:
            problems.append(f"{where}: names another document in document scope")
            continue
        if not 0 <= x.kept_start < x.kept_end <= n:
            problems.append(f"{where}: kept span out of range or empty (length {n})")
            continue
        if not 0.0 <= x.similarity <= 1.0:
            problems.append(f"{where}: similarity {x.similarity}")
        inside = _removed_inside(r, starts, ends, x.kept_start, x.kept_end)
        if inside:
            problems.append(f"{where}: kept span lies in removed text {inside[:60]!r}")
            continue
        kept = r.normalized[x.kept_start : x.kept_end]
        if not holds(letters(kept), letters(x.text)) and (
                doc is None or unheld(letters(kept), letters(x.text), edited_words(doc))):
            problems.append(f"{where}: kept text {kept[:60]!r} is not a copy of the removed text")
    return problems


def edited_words(doc: Doc | None) -> list[str]:
    """Letters of the words the document's edited copies put in place of the original's."""
    out = []
    for new, old in (doc.variants.items() if doc else ()):
        a, b = old.split(), new.split()
        for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if op != "equal":
                out += [letters(" ".join(a[i1:i2])), letters(" ".join(b[j1:j2]))]
    return [w for w in out if w]


def unheld(kept_key: str, part_key: str, allowed: list[str] = ()) -> str:  # type: ignore[assignment]
    """Letters of ``part_key`` that ``kept_key`` does not hold in order (runs of 4 or more
    letters count as held), apart from the ``allowed`` words of edited copies."""
    if part_key in kept_key:
        return ""
    sm = SequenceMatcher(None, part_key, kept_key, autojunk=False)
    gaps, pos = [], 0
    for a, _, size in sm.get_matching_blocks():
        if size >= 4 or (size and a + size == len(part_key) and a == pos):
            if a > pos:
                gaps.append(part_key[pos:a])
            pos = a + size
    if pos < len(part_key):
        gaps.append(part_key[pos:])
    return "".join(g for g in gaps if not _edited_gap(g, allowed))


def _edited_gap(gap: str, allowed: list[str]) -> bool:
    """Is a gap (letters the kept copy lacks) the work of an edit: inside a changed word,
    or a changed word with at most three stray letters the alignment left around it?"""
    if any(gap in w for w in allowed):
        return True
    rest = gap
    for w in sorted(allowed, key=len, reverse=True):
        rest = rest.replace(w, "")
    return rest != gap and len(rest) <= 3


def uncovered_problems(r: CleanResult, doc: Doc | None = None) -> list[str]:
    """Every sentence of the normalized input is in the output, or each removed part
    of it is held, in order, by the kept copy its removal names (up to the words
    the document's edited copies changed)."""
    problems = []
    out_key = letters(r.text)
    allowed = edited_words(doc)
    starts, _ = _removed_ranges(r)
    by_start = sorted(r.removals, key=lambda x: x.start)
    for s, e in pieces(r.normalized):
        key = letters(r.normalized[s:e])
        if not key or key in out_key:
            continue
        k = max(0, bisect_right(starts, s) - 1)
        while k < len(by_start) and by_start[k].start < e:
            x = by_start[k]
            a, b = max(s, x.start), min(e, x.end)
            part = letters(r.normalized[a:b]) if a < b else ""
            missing = unheld(letters(r.normalized[x.kept_start : x.kept_end]), part, allowed) if part else ""
            if missing and part not in out_key:
                problems.append(f"sentence {r.normalized[s:e][:70]!r}: removed ({x.start}-{x.end}) but its kept "
                                f"copy {r.normalized[x.kept_start:x.kept_end][:50]!r} lacks {missing[:30]!r}")
                break
            k += 1
    return problems


def lost_lines(doc: Doc, text: str) -> list[str]:
    """Pool sentences and headings of the document missing from ``text`` (an edited
    sentence and its original stand in for each other)."""
    out_key = letters(text)
    originals = {}
    for new, old in doc.variants.items():
        originals.setdefault(old, []).append(new)
    missing = []
    for line in doc.lines:
        keys = [letters(line)] + [letters(v) for v in originals.get(line, ())]
        if line in doc.variants:
            keys.append(letters(doc.variants[line]))
        if not any(k in out_key for k in keys):
            missing.append(line)
    return missing


def same_result(a: CleanResult, b: CleanResult) -> bool:
    return (a.text, a.normalized, a.removals) == (b.text, b.normalized, b.removals)


#: The invariants `check` reports, in order.
INVARIANTS = ("raises", "replay", "lost", "uncovered", "provenance", "idempotent", "deterministic")


def check(doc: Doc, config: Config | None = None) -> dict[str, str]:
    """Every invariant that fails on this document, with its first problem."""
    failed: dict[str, str] = {}
    try:
        r = clean(doc.text, config)
    except Exception:  # noqa: BLE001 - any exception is the finding
        return {"raises": traceback.format_exc(limit=-3).strip().splitlines()[-1]}
    for name, problems in (("replay", replay_problems(r)),
                           ("lost", [f"missing from the output: {x!r}" for x in lost_lines(doc, r.text)]),
                           ("uncovered", uncovered_problems(r, doc)),
                           ("provenance", provenance_problems(r, doc))):
        if problems:
            failed[name] = f"{problems[0]} (+{len(problems) - 1} more)" if len(problems) > 1 else problems[0]
    try:
        again = clean(r.text, config)
        if again.text != r.text:
            failed["idempotent"] = f"second pass changes {_first_difference(r.text, again.text)}"
        if not same_result(clean(doc.text, config), r):
            failed["deterministic"] = "a second run gives another result"
    except Exception:  # noqa: BLE001
        failed["raises"] = traceback.format_exc(limit=-3).strip().splitlines()[-1]
    return failed


def _first_difference(a: str, b: str) -> str:
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return f"at {i}: {a[max(0, i - 20) : i + 20]!r} -> {b[max(0, i - 20) : i + 20]!r}"


def paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if p.strip()]


def expected_problems(doc: Doc, r: CleanResult, expected: str) -> dict[str, str]:
    """How an output differs from the expected one, by kind: ``lost`` (a sentence
    gone entirely), ``removed`` (less text than expected, nothing gone entirely:
    a repeat that is content was removed), ``residual`` (more text than
    expected), ``order`` (the right paragraphs in another order), ``wrong_copy``
    (the right words, not the well-formed copy's paragraphs), ``changed``
    (anything else); plus ``replay`` and ``provenance``."""
    found: dict[str, str] = {}
    if r.text != expected:
        got, want = paragraphs(r.text), paragraphs(expected)
        out_key, want_key = letters(r.text), letters(expected)
        lost = lost_lines(doc, r.text) if doc.lines else [p for p in want if letters(p) not in out_key]
        extra = list((Counter(got) - Counter(want)).elements())
        missing = list((Counter(want) - Counter(got)).elements())
        if lost:
            found["lost"] = f"missing: {lost[0][:90]!r}" + (f" (+{len(lost) - 1} more)" if len(lost) > 1 else "")
        if len(out_key) > len(want_key):
            found["residual"] = (f"{len(out_key) - len(want_key)} letters too many; "
                                 f"first paragraph not expected: {(extra or ['?'])[0][:90]!r}")
        elif sorted(got) == sorted(want):
            found["order"] = "the expected paragraphs in another order"
        elif Counter(out_key) == Counter(want_key):
            found["wrong_copy"] = f"the right words, not the well-formed copy: {(extra or ['?'])[0][:90]!r}"
        elif not lost and len(out_key) < len(want_key):
            found["removed"] = (f"{len(want_key) - len(out_key)} letters fewer; first paragraph missing: "
                                f"{(missing or ['?'])[0][:90]!r}")
        elif not lost:
            found["changed"] = _first_difference(expected, r.text)
    for name, problems in (("replay", replay_problems(r)), ("provenance", provenance_problems(r))):
        if problems:
            found[name] = problems[0]
    return found

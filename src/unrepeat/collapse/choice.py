"""Choice: one copy per family of copies, the best one, kept whole.

Every piece that a passage matches belongs to an **atom**: the pieces that are
copies of one another (the union of the matches of every passage, so two,
three or fifty copies are one family). Every occurrence of a passage belongs
to a **region**: the occurrences that overlap, merged; in practice one copy
of the repeated text, whatever its layout.

Each atom keeps one piece: the one in the best region (`Ranking`). Every atom
of a region is decided by the same ranking, so the best copy is kept whole
and in its own order, never a patchwork; the other copies lose every piece the
best copy holds and keep, in place, what only they hold. Within one region
(a sentence its copy holds twice, a pull quote) the piece set in a paragraph
wins, then the earliest. Stutters (a line twice in a row) make no region:
they collapse like ``uniq``, to the first line, unless a copy of it stands in
a region.

A piece goes only as a copy of its atom's kept piece by `similarity` (at
least ``Config.similarity``); where it is not (an atom chained through
edited copies), it stays.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter, defaultdict
from typing import NamedTuple

from ..config import Keep
from ..report import Reason, Rule
from .clusters import _CLOSERS, _STOPS, Document, is_long
from .passages import Passage, code_paragraphs

#: A paragraph holding more sentences than this, or what another copy holds in
#: more paragraphs than this, reads as several glued together.
BLOB_SENTENCES = 8
BLOB_PARAGRAPHS = 5
#: The share of a span's atoms that makes it a new copy of what came before.
REPEATS = 0.8
#: Occurrences that overlap by this many pieces (or all of the smaller) are one region.
_OVERLAP = 3
#: The share of a sentence's letters that passages must match for pieces of it to go.
COVERED = 2 / 3
#: What one flaw of form (a paragraph break another copy does not make, a
#: repaired paragraph counts half) weighs against content, in letters: a copy
#: with a few more words of its own ("(Photo: AP)") is more complete, one
#: with an ad glued into a one-line copy of the article is not better.
FLAW_CHARS = 50
#: A near copy with this many words more than the kept piece holds words of its own.
MORE_WORDS = 2
#: Unrepeated pieces counted on either side of a copy (more tell nothing more).
CONTEXT = 50
_NO_REGION = (-math.inf,)


class Decision(NamedTuple):
    """A removed piece, the kept piece it copies, why, and how alike they are."""

    piece: int
    kept: int
    reason: Reason
    rule: Rule
    similarity: float


def atoms(passages: list[Passage], n: int) -> list[int]:
    """The atom of every piece (-1: matched by no passage)."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    touched = [False] * n
    for passage in passages:
        for a, b, _ in passage.matches:
            touched[a] = touched[b] = True
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    return [find(i) if touched[i] else -1 for i in range(n)]


def regions(passages: list[Passage], atom: list[int], unit: list[int]) -> list[tuple[int, int]]:
    """The copies of repeated text in the document, in order, as piece spans.

    First the occurrences of passages (stutters aside) that overlap are
    merged; occurrences that only touch at their ends (a run that goes on for
    a piece or two into the next copy: the title of copy 2 right after copy 1)
    are not, the later one keeps the shared pieces. Then consecutive spans
    are one copy, with the unrepeated pieces between them, unless the later
    one repeats what the copy holds already (`REPEATS` of its atoms, or of
    the copy's: a teaser then the article it opens), or
    repeats what earlier copies hold while the copy being built was new: a
    title, a lede and a glued body are one copy, and so are the two halves of
    an article that another copy lacks a paragraph of, or whose code repeats
    itself; the next copy of the title starts another. Last, a sentence split
    between two copies (a copy that starts in mid-sentence puts the others'
    boundaries there too) goes whole to the later one.
    """
    spans = sorted(span for p in passages if p.rule is not Rule.STUTTER for span in (p.a_span, p.b_span))
    merged: list[tuple[int, int]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1]:
            last_lo, last_hi = merged[-1]
            overlap = min(hi, last_hi) - lo + 1
            if overlap >= min(_OVERLAP, hi - lo + 1, last_hi - last_lo + 1):
                merged[-1] = (last_lo, max(last_hi, hi))
                continue
            if lo > last_lo:
                merged[-1] = (last_lo, lo - 1)
            else:
                continue
        merged.append((lo, hi))
    copies: list[tuple[int, int]] = []
    held: set[int] = set()  # atoms of the copy being built
    before: set[int] = set()  # atoms of the copies before it
    for lo, hi in merged:
        mine = {atom[k] for k in range(lo, hi + 1) if atom[k] >= 0}
        # It repeats the copy being built, or that copy was a part of it (a teaser).
        repeats = len(mine & held) >= REPEATS * min(len(mine), len(held))
        # A span that copies earlier copies starts a new copy only after one that was new.
        new = copies and not len(held & before) * 2 >= len(held)
        if copies and not repeats and not (new and len(mine & before) >= REPEATS * len(mine)):
            copies[-1] = (copies[-1][0], hi)
            held |= mine
        else:
            copies.append((lo, hi))
            before |= held
            held = mine
    for r in range(1, len(copies)):
        lo, (prev_lo, prev_hi) = copies[r][0], copies[r - 1]
        if prev_hi + 1 == lo and unit[lo] == unit[prev_hi]:
            start = lo
            while start > prev_lo and unit[start - 1] == unit[lo]:
                start -= 1
            if start > prev_lo:
                copies[r - 1], copies[r] = (prev_lo, start - 1), (start, copies[r][1])
    # A copy starts and ends with repeated pieces (a run's last match may lie
    # past a gap, in the next copy: what it skipped is not this copy's).
    trimmed = []
    for lo, hi in copies:
        while lo < hi and atom[lo] < 0:
            lo += 1
        while hi > lo and atom[hi] < 0:
            hi -= 1
        trimmed.append((lo, hi))
    return trimmed


class Ranking:
    """Scores regions: higher is better.

    With ``keep=best``: first the more complete and better formed: the
    content it holds (the letters of every atom in it once, and of the pieces
    only it holds), less `FLAW_CHARS` for each flaw of form (paragraphs that
    glue together what another copy holds as many paragraphs, paragraph
    breaks where another copy runs the same two pieces on in one paragraph,
    line breaks inside a sentence another copy holds whole, sentences or a
    heading run on without a stop, a break or a run-on where most copies of
    the text do the other; half a flaw for a repaired paragraph, five
    for a teaser cut short, a fifth for untidy spacing or line ends); then
    the fewer flaws; then the
    one embedded in a paragraph (for a copy inside one paragraph), then the
    one set in more unrepeated text, then the earliest.
    ``keep=first`` and ``keep=last`` rank by position only.
    """

    def __init__(self, doc: Document, atom: list[int], spans: list[tuple[int, int]], region_of: list[int]) -> None:
        self.doc, self.atom, self.spans = doc, atom, spans
        pieces = doc.pieces
        self.atom_len: dict[int, int] = defaultdict(int)
        members: dict[int, list[int]] = defaultdict(list)
        for i, a in enumerate(atom):
            if a >= 0:
                self.atom_len[a] = max(self.atom_len[a], pieces[i].s1 - pieces[i].s0)
                members[a].append(i)
        self._tidied: dict[int, bool] = {}
        self.single = [not members_ or pieces[members_[0]].unit == pieces[members_[-1]].unit
                       for members_ in doc.para_pieces]
        self.blob = [self._blob(p, members, region_of) for p in range(len(doc.para_pieces))]
        # Evidence, from every copy, about how two atoms follow each other:
        # run on in a paragraph as sentences do (a stop and a space), inside one
        # sentence, or with a real boundary between them (a stop, or a heading).
        self.joined: set[tuple[int, int]] = set()
        self.one_sentence: set[tuple[int, int]] = set()
        self.bounded: set[tuple[int, int]] = set()
        # Code and tables are laid out by lines, not as sentences: they give no evidence.
        if doc.code is None:
            doc.code = code_paragraphs(doc)
        self.code = [doc.code[p.para] for p in pieces]
        for i in range(len(pieces) - 1):
            pair = atom[i], atom[i + 1]
            if pair[0] < 0 or pair[1] < 0 or self.code[i] or self.code[i + 1]:
                continue
            if doc.natural_join(i) and not self.blob[pieces[i].para]:
                self.joined.add(pair)
            if (pieces[i].unit == pieces[i + 1].unit and doc.spaced_join(i) and not _ends_with_stop(doc.text(i))
                    and _continues(doc.text(i + 1))):
                self.one_sentence.add(pair)
            if doc.natural_join(i) or (pieces[i].para != pieces[i + 1].para and self._heading_or_stop(i)):
                self.bounded.add(pair)
        # How many copies break between two atoms (after a stop or a heading),
        # and how many run them on in a paragraph as sentences do.
        # (A copy with a sentence per line breaks everywhere: its breaks tell nothing.)
        # (A copy in one paragraph runs on everywhere: its run-ons tell nothing either.)
        lines, one_paragraph = self._layouts(spans, region_of)
        self.lines, self.region_of = lines, region_of
        self.votes: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
        # Where some copy breaks between paragraphs after a stop (scrapers
        # glue paragraphs; they do not invent such breaks, unless they break
        # after every sentence).
        self.paragraph_break: set[tuple[int, int]] = set()
        for i in range(len(pieces) - 1):
            if (atom[i] < 0 or atom[i + 1] < 0 or region_of[i] < 0 or region_of[i] != region_of[i + 1]
                    or self.code[i] or self.code[i + 1]):
                continue
            if pieces[i].para != pieces[i + 1].para and self._heading_or_stop(i):
                self.votes[atom[i], atom[i + 1]][0] += not lines[region_of[i]]
                if _ends_with_stop(doc.text(i)) and not lines[region_of[i]]:
                    self.paragraph_break.add((atom[i], atom[i + 1]))
            elif doc.natural_join(i) and not self.blob[pieces[i].para]:
                self.votes[atom[i], atom[i + 1]][1] += not one_paragraph[region_of[i]]
        self.keyed = [0]  # pieces with letters before each piece
        for p in pieces:
            self.keyed.append(self.keyed[-1] + bool(p.key))
        self.repeated = [False] * len(pieces)
        for lo, hi in spans:
            self.repeated[lo : hi + 1] = [True] * (hi - lo + 1)
        self.scores = [self._score(lo, hi) for lo, hi in spans]

    def _layouts(self, spans: list[tuple[int, int]], region_of: list[int]) -> tuple[list[bool], list[bool]]:
        """Is each copy laid out a sentence per line (three lines or more of
        prose, all of them but a heading a single sentence), and is it one
        paragraph of three sentences or more?"""
        pieces = self.doc.pieces
        paras: list[set[int]] = [set() for _ in spans]
        units: list[set[int]] = [set() for _ in spans]
        for k, p in enumerate(pieces):
            if region_of[k] >= 0 and not self.code[k]:
                paras[region_of[k]].add(p.para)
                units[region_of[k]].add(p.unit)
        lines = [len(ps) >= 3 and sum(self.single[p] for p in ps) >= max(3, 0.8 * len(ps)) for ps in paras]
        one = [len(ps) == 1 and len(us) >= 3 for ps, us in zip(paras, units)]
        return lines, one

    def _blob(self, p: int, members: dict[int, list[int]], region_of: list[int]) -> int:
        """How much paragraph p glues together what another copy holds as
        separate paragraphs: the paragraphs of several sentences beyond
        `BLOB_PARAGRAPHS` that its pieces take up in the copy that spreads them
        most (a copy with a sentence per line spreads any paragraph), and its
        sentences beyond `BLOB_SENTENCES`."""
        pieces, atom = self.doc.pieces, self.atom
        if self.doc.norm.paragraphs[p].pre:  # a code block or a table is one paragraph by nature
            return 0
        own = self.doc.para_pieces[p]
        if not own:
            return 0
        units = len({pieces[k].unit for k in own})
        spread: dict[int, set[int]] = defaultdict(set)
        mine = region_of[own[0]]
        for a in {atom[k] for k in own if atom[k] >= 0}:
            for m in members[a]:
                if region_of[m] != mine and not self.single[pieces[m].para]:
                    spread[region_of[m]].add(pieces[m].para)
        most = max((len(paras) for paras in spread.values()), default=0)
        return max(0, most - BLOB_PARAGRAPHS) + max(0, units - BLOB_SENTENCES)

    def _score(self, lo: int, hi: int) -> tuple[float, ...]:
        keep = self.doc.config.keep
        if keep is Keep.FIRST:
            return (-lo,)
        if keep is Keep.LAST:
            return (lo,)
        penalty = self._penalty(lo, hi)
        return (self._completeness(lo, hi) - FLAW_CHARS * penalty, -penalty, self._embedded(lo, hi),
                self._context(lo, hi), -lo)

    def _completeness(self, lo: int, hi: int) -> int:
        doc, atom = self.doc, self.atom
        seen: set[int] = set()
        total = 0
        for k in range(lo, hi + 1):
            a = atom[k]
            if a >= 0:
                if a not in seen:
                    seen.add(a)
                    total += self.atom_len[a]
            else:
                total += doc.pieces[k].s1 - doc.pieces[k].s0
        return total

    def _heading_or_stop(self, k: int) -> bool:
        """Does piece k end a sentence, or a heading (a paragraph of one sentence
        shorter than a long one, without a stop, followed by one that starts as a
        sentence)?"""
        doc = self.doc
        if _ends_with_stop(doc.text(k)):
            return True
        members = doc.para_pieces[doc.pieces[k].para]
        # (A heading is a paragraph of its own, not the end of a line of sentences.)
        if members[-1] != k or k + 1 >= len(doc.pieces) or doc.pieces[members[0]].unit != doc.pieces[k].unit:
            return False
        key = " ".join(doc.pieces[m].key for m in members)
        return not is_long(key, doc.config) and _starts_sentence(doc.text(k + 1))

    def _single(self, k: int) -> bool:
        """Is piece k's paragraph one sentence?"""
        return self.single[self.doc.pieces[k].para]

    def _penalty(self, lo: int, hi: int) -> float:
        """The flaws of form of the copy ``lo..hi`` (see the class docstring)."""
        pieces, paragraphs, atom = self.doc.pieces, self.doc.norm.paragraphs, self.atom
        paras = sorted({pieces[k].para for k in range(lo, hi + 1)})
        blobs = sum(self.blob[p] for p in paras)
        splits = glued = broken = 0
        outvoted = 0
        for k in range(lo, hi):
            pair = atom[k], atom[k + 1]
            if self.code[k] or self.code[k + 1]:
                continue  # (line breaks of code and tables are not paragraph breaks)
            votes = self.votes.get(pair)
            if votes is not None:
                # Most copies of the text break where this one runs on, or the other way round.
                # (Scrapers glue paragraphs, they do not invent breaks between
                # paragraphs of several sentences: such a break is never outvoted.)
                mine = int(pieces[k].para == pieces[k + 1].para)
                outvoted += votes[1 - mine] > votes[mine] and (mine or self._single(k) or self._single(k + 1))
                # Two paragraphs run on in one, where another copy breaks them.
                glued += (mine and votes[0] <= votes[1] and pair in self.paragraph_break
                          and self.doc.natural_join(k))
            if pieces[k].para == pieces[k + 1].para:
                # Two pieces run together without a stop where another copy
                # has a boundary: "ConsiderationsThe client", "Seedlings Before".
                glued += pair in self.bounded and not self.doc.natural_join(k)
            else:
                if self._heading_or_stop(k):
                    # A sentence per line where another copy runs them on in a
                    # paragraph (a break between paragraphs of several sentences
                    # is a paragraph break, whatever another copy glued).
                    # (Not where most copies break too.)
                    # (A single break between two one-sentence paragraphs is a layout, not a flaw.)
                    splits += (pair in self.joined and self._single(k) and self._single(k + 1)
                               and not (votes is not None and votes[0] > votes[1])
                               and self.lines[self.region_of[lo]])
                else:
                    # A line break inside a sentence that another copy holds whole.
                    broken += pair in self.one_sentence
        repaired = sum(1 for p in paras if paragraphs[p].repairs and not paragraphs[p].truncated)
        truncated = sum(1 for p in paras if paragraphs[p].truncated)
        untidy = sum(1 for p in paras if not self._tidy(p))
        return blobs + splits + glued + broken + outvoted + 0.5 * repaired + 5 * truncated + 0.2 * untidy

    def _tidy(self, p: int) -> bool:
        if p not in self._tidied:
            self._tidied[p] = self._is_tidy(p)
        return self._tidied[p]

    def _is_tidy(self, p: int) -> bool:
        """Was paragraph p written in the input as it is in the output, and
        the break after it in plain newlines? (Not: doubled or non-breaking
        spaces, trailing blanks, CRLF line ends.)"""
        doc = self.doc
        paragraphs, to_input, text = doc.norm.paragraphs, doc.norm.offsets.to_input, doc.norm.text
        if not doc.raw:
            return True
        start, end = paragraphs[p].start, paragraphs[p].end
        after = to_input(paragraphs[p + 1].start) if p + 1 < len(paragraphs) else len(doc.raw)
        return (doc.raw[to_input(start) : to_input(end)] == text[start:end]
                and not doc.raw[to_input(end) : after].strip("\n"))

    def _embedded(self, lo: int, hi: int) -> int:
        """Pieces with letters beside ``lo..hi`` in its paragraph (0 when it spans paragraphs)."""
        pieces = self.doc.pieces
        para = pieces[lo].para
        if pieces[hi].para != para:
            return 0
        members = self.doc.para_pieces[para]
        keyed = self.keyed
        return keyed[members[-1] + 1] - keyed[members[0]] - (keyed[hi + 1] - keyed[lo])

    def _context(self, lo: int, hi: int) -> int:
        """Unrepeated pieces right before and after ``lo..hi`` (counted up to `CONTEXT`)."""
        n, k = 0, lo - 1
        while k >= 0 and not self.repeated[k] and n < CONTEXT:
            n, k = n + 1, k - 1
        k = hi + 1
        while k < len(self.repeated) and not self.repeated[k] and n < 2 * CONTEXT:
            n, k = n + 1, k + 1
        return n

    def local(self, i: int) -> tuple[int, ...]:
        """Ties within one region: the piece set in a paragraph, then the earliest."""
        keep = self.doc.config.keep
        if keep is Keep.LAST:
            return (i,)
        if keep is Keep.FIRST:
            return (-i,)
        return (self._embedded(i, i), -i)


def _continues(text: str) -> bool:
    """Does this text go on with a sentence begun before it (a small letter first)?
    (A capital after no stop may be a caption or a heading glued on: "Getty Images 22 Dec".)"""
    first = next((c for c in text if c.isalnum()), "")
    return first.islower()


def _more_words(key: str, other: str) -> int:
    """How many more words ``key`` has than ``other`` (words changed in place count for neither).

    >>> _more_words("in 2023 harvest candle copper market station", "in 2023 harvest copper station")
    2
    """
    mine, theirs = Counter(key.split()), Counter(other.split())
    return sum((mine - theirs).values()) - sum((theirs - mine).values())


def _ends_with_stop(text: str) -> bool:
    return text.rstrip(_CLOSERS).endswith(_STOPS)


def _starts_sentence(text: str) -> bool:
    """Does this text start as a sentence or a heading does (a capital, a digit, a letter without case)?"""
    first = next((c for c in text if c.isalnum()), "")
    return bool(first) and (first.isupper() or first.isdigit() or not first.islower())


def choose(doc: Document, passages: list[Passage]) -> dict[int, Decision]:
    """Which pieces go, and which kept piece each one copies."""
    n = len(doc.pieces)
    atom = atoms(passages, n)
    spans = regions(passages, atom, [p.unit for p in doc.pieces])
    starts = [lo for lo, _ in spans]
    region_of = [-1] * n
    for i in range(n):
        r = bisect_right(starts, i) - 1
        if r >= 0 and i <= spans[r][1]:
            region_of[i] = r
    ranking = Ranking(doc, atom, spans, region_of)
    # Each piece goes for the reason of the largest passage that matches it
    # to the kept piece, else of the largest passage it is in.
    why: dict[int, tuple[int, Reason, Rule]] = {}
    partner: dict[tuple[int, int], tuple[int, Reason, Rule]] = {}
    for passage in passages:
        size = len(passage.matches)
        for a, b, _ in passage.matches:
            for i in (a, b):
                if i not in why or size > why[i][0]:
                    why[i] = (size, passage.reason, passage.rule)
            if (a, b) not in partner or size > partner[(a, b)][0]:
                partner[(a, b)] = (size, passage.reason, passage.rule)
    members: dict[int, list[int]] = defaultdict(list)
    for i, a in enumerate(atom):
        if a >= 0:
            members[a].append(i)

    pieces = doc.pieces
    # Atoms that some copy runs on inside one sentence: a piece that stands
    # there without its neighbour (a teaser cut short, "… acts of…"; a
    # hard-wrapped fragment, "the fan never stops") is a broken sentence.
    after: dict[int, set[int]] = defaultdict(set)
    before: dict[int, set[int]] = defaultdict(set)
    for a, b in ranking.one_sentence:
        after[a].add(b)
        before[b].add(a)

    def broken(i: int) -> bool:
        a = atom[i]
        nxt = atom[i + 1] if i + 1 < n and pieces[i + 1].unit == pieces[i].unit else None
        prev = atom[i - 1] if i > 0 and pieces[i - 1].unit == pieces[i].unit else None
        return bool(after[a] - {nxt}) or bool(before[a] - {prev})

    broken_units = {pieces[i].unit for i in range(n) if atom[i] >= 0 and broken(i)}

    def rank(i: int) -> tuple[bool, tuple[float, ...], tuple[int, ...]]:
        # No piece of a broken sentence is the copy that stays, whatever ``keep`` says.
        r = region_of[i]
        return pieces[i].unit not in broken_units, (ranking.scores[r] if r >= 0 else _NO_REGION), ranking.local(i)

    # The share of each sentence's letters that passages match.
    covered: dict[int, int] = defaultdict(int)
    total: dict[int, int] = defaultdict(int)
    for i, p in enumerate(doc.pieces):
        total[p.unit] += p.s1 - p.s0
        if atom[i] >= 0:
            covered[p.unit] += p.s1 - p.s0
    decisions: dict[int, Decision] = {}
    for group in members.values():
        winner = max(group, key=rank)
        for i in group:
            unit = doc.pieces[i].unit
            # A piece of a sentence that is mostly text of its own is a quote
            # inside that sentence ("Project: Better Student Journalism" and
            # the heading "Better Student Journalism"), not a copy.
            if i == winner or covered[unit] < COVERED * total[unit]:
                continue
            # Code that repeats code within one copy of the text is code.
            if ranking.code[i] and ranking.code[winner] and region_of[i] == region_of[winner]:
                continue
            sim = doc.similarity(i, winner)
            # A near copy with words the kept one lacks stays (whatever ``keep`` says).
            if sim < 1.0 and _more_words(pieces[i].key, pieces[winner].key) >= MORE_WORDS:
                continue
            if sim >= doc.config.similarity:
                _, reason, rule = partner.get((min(i, winner), max(i, winner)), why[i])
                decisions[i] = Decision(i, winner, reason, rule, sim)
    return decisions

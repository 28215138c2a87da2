"""Corpus scope: remove passages already kept in an earlier document.

Documents are taken in input order. Each is first collapsed on its own
(`unrepeat.collapse.analyze`); then every sentence it kept is looked up, by
the exact hash of its matching key, among the sentences *kept* by earlier
documents. Matches that line up with sentences kept one after another in one
earlier document form a run, as within a document; a sentence edited in
place between or beside matched ones is a copy when its simhash is within
`GAP_DISTANCE` bits of the kept sentence in the same place. A run of two or
more sentences (10 words or more), or one long sentence, is a passage and
goes; shorter lines stay. What the document keeps is then added to the index.

The index stores no text: per kept sentence its 64-bit simhash, the
document it is in and its offsets there, plus a table from key hashes to
sentences. `CorpusIndex.save` / `CorpusIndex.load` keep it between runs.

>>> cleaner = CorpusCleaner()
>>> a = "Sign up for our daily newsletter to get the best stories every single morning.\\n"
>>> cleaner.clean("A first story about rivers.\\n\\n" + a, "doc1").text
'A first story about rivers.\\n\\nSign up for our daily newsletter to get the best stories every single morning.\\n'
>>> r = cleaner.clean("Another story about trains.\\n\\n" + a, "doc2")
>>> r.text, r.removals[0].kept_doc
('Another story about trains.\\n', 'doc1')
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .collapse import Analysis, CorpusCopy, analyze_many, finish, is_long, passage_rule
from .config import Config, Scope
from .fingerprint import simhash_many
from .io import create_temp
from .report import CleanResult, Rule

#: The largest simhash distance at which a sentence standing where a kept
#: sentence stands, beside matched ones, is an edited copy of it. One changed
#: word or number in a 20-word sentence moves about 4 bits (99 % within 12);
#: in a 10-word sentence up to 17. Unrelated sentences differ by 19 bits or
#: more (measured on the benchmark articles), so between two matches, where
#: the place itself is evidence, the bound is `FLANKED_DISTANCE`.
GAP_DISTANCE = 12
FLANKED_DISTANCE = 18
INDEX_FORMAT = "unrepeat.index"
INDEX_VERSION = 1


class IndexFileError(ValueError):
    """An index file that is not one, is damaged, or is of another version."""


def key_hash(key: str) -> int:
    """A stable 64-bit hash of a matching key (the same in every process)."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


class Sketch(NamedTuple):
    """What the decision against earlier documents needs of a document: per
    sentence it kept, in order, a few numbers and no text (numpy arrays: a
    sketch is about 40 bytes a sentence, and no work for the garbage collector)."""

    hashes: np.ndarray  # uint64 `key_hash` of the matching key
    fingerprints: np.ndarray  # uint64 simhash of the matching key
    spans: np.ndarray  # int64 (n, 2): offsets in the normalized text
    words: np.ndarray  # int32
    paras: np.ndarray  # int32
    long: np.ndarray  # bool

    def lists(self) -> Sketch:
        """The same sketch in Python lists (spans as pairs), which loops read faster."""
        return Sketch(self.hashes.tolist(), self.fingerprints, self.spans.tolist(),
                      self.words.tolist(), self.paras.tolist(), self.long.tolist())


class Verdict(NamedTuple):
    """What the corpus step decided about a document: the kept positions that
    go (position -> the document and span of the kept copy, and similarity)
    and the document it duplicates, if it has nothing of its own."""

    removed: dict[int, tuple[str, int, int, float, Rule]]
    duplicate_of: str | None = None


#: The verdict on a document that shares nothing with earlier ones.
NOTHING = Verdict({})


@dataclass
class Prepared:
    """An analysed document with the hashes the corpus step looks up (computed
    where the document was analysed, so worker processes share the work)."""

    analysis: Analysis
    kept: list[int]  # indexes of the units the document kept, in order
    hashes: list[int]
    fingerprints: np.ndarray

    def sketch(self) -> Sketch:
        units = [self.analysis.pieces[i] for i in self.kept]
        return Sketch(np.array(self.hashes, dtype=np.uint64), self.fingerprints,
                      np.array([(u.start, u.end) for u in units], dtype=np.int64).reshape(-1, 2),
                      np.array([u.words for u in units], dtype=np.int32),
                      np.array([u.para for u in units], dtype=np.int32),
                      np.array([is_long(u.key, self.analysis.config) for u in units], dtype=bool))

    def apply(self, verdict: Verdict) -> CleanResult:
        """The document's result once the corpus step decided ``verdict``."""
        corpus = {self.kept[p]: CorpusCopy(doc, start, end, sim, rule)
                  for p, (doc, start, end, sim, rule) in verdict.removed.items()}
        return finish(self.analysis, corpus, verdict.duplicate_of)


def prepare(text: str, config: Config | None = None) -> Prepared:
    """Analyse a document and hash the sentences it keeps."""
    return prepare_many([text], config)[0]


def prepare_many(texts: Sequence[str], config: Config | None = None) -> list[Prepared]:
    """`prepare` of each text, the per-sentence work done for all at once (`analyze_many`)."""
    return [_prepared(analysis) for analysis in analyze_many(texts, config)]


def _prepared(analysis: Analysis) -> Prepared:
    kept = [i for i, u in enumerate(analysis.pieces) if u.key and i not in analysis.decisions]
    keys = [analysis.pieces[i].key for i in kept]
    if analysis.fingerprints is not None:
        fps = analysis.fingerprints[kept] if kept else np.zeros(0, dtype=np.uint64)
    else:
        fps = simhash_many(keys) if keys else np.zeros(0, dtype=np.uint64)
    return Prepared(analysis, kept, [key_hash(k) for k in keys], fps)


class _Lookup:
    """Key hash -> first item id: a dict in front of sorted numpy runs that are
    merged as they grow (a log-structured table, about 16 bytes an entry)."""

    def __init__(self) -> None:
        self.pending: dict[int, int] = {}
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []
        self.frozen = False  # additions stay pending (see `CorpusIndex.mark`)

    def __len__(self) -> int:
        return len(self.pending) + sum(len(k) for k, _ in self.runs)

    def find(self, keys: list[int]) -> list[int]:
        """The item of each key, -1 where the key is unknown."""
        out = np.full(len(keys), -1, dtype=np.int64)
        if not keys:
            return []
        probe = np.array(keys, dtype=np.uint64)
        for run_keys, run_vals in self.runs:
            at = np.searchsorted(run_keys, probe)
            at[at >= len(run_keys)] = 0
            hit = (run_keys[at] == probe) & (out < 0)
            out[hit] = run_vals[at[hit]]
        result = out.tolist()
        pending = self.pending
        if pending:
            for k, key in enumerate(keys):
                if result[k] < 0:
                    result[k] = pending.get(key, -1)
        return result

    def add_new(self, key: int, item: int) -> None:
        """Remember ``item`` for a key that `find` did not know."""
        self.pending.setdefault(key, item)
        if len(self.pending) >= 1 << 17 and not self.frozen:
            self._flush()

    def _flush(self) -> None:
        if not self.pending:
            return
        keys = np.fromiter(self.pending.keys(), dtype=np.uint64, count=len(self.pending))
        vals = np.fromiter(self.pending.values(), dtype=np.int64, count=len(self.pending))
        self.pending = {}
        order = np.argsort(keys)
        self.runs.append((keys[order], vals[order]))
        # Merge runs of similar size, so a lookup touches few of them.
        while len(self.runs) > 1 and len(self.runs[-2][0]) <= 2 * len(self.runs[-1][0]):
            (k1, v1), (k2, v2) = self.runs.pop(), self.runs.pop()
            keys, vals = np.concatenate([k2, k1]), np.concatenate([v2, v1])
            order = np.argsort(keys, kind="stable")
            self.runs.append((keys[order], vals[order]))

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """All entries as two arrays sorted by key."""
        self._flush()
        if not self.runs:
            return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
        keys = np.concatenate([k for k, _ in self.runs])
        vals = np.concatenate([v for _, v in self.runs])
        order = np.argsort(keys, kind="stable")
        self.runs = [(keys[order], vals[order])]
        return self.runs[0]


@dataclass
class CorpusIndex:
    """The sentences kept so far: simhash, document and offsets of each."""

    fingerprints: array = field(default_factory=lambda: array("Q"))
    docs: array = field(default_factory=lambda: array("l"))
    starts: array = field(default_factory=lambda: array("q"))
    ends: array = field(default_factory=lambda: array("q"))
    doc_ids: list[str] = field(default_factory=list)
    lookup: _Lookup = field(default_factory=_Lookup)

    def __len__(self) -> int:
        return len(self.fingerprints)

    def add_document(self, doc_id: str, spans: list[tuple[int, int]], hashes: list[int], fps: np.ndarray,
                     known: list[int]) -> None:
        """Index the kept sentences of one document; ``known`` is what `find`
        returned for their hashes (only unknown keys enter the lookup)."""
        doc = len(self.doc_ids)
        self.doc_ids.append(doc_id)
        first = len(self.fingerprints)
        self.fingerprints.extend(fps.tolist())
        self.docs.extend([doc] * len(spans))
        self.starts.extend(s for s, _ in spans)
        self.ends.extend(e for _, e in spans)
        for k, (h, item) in enumerate(zip(hashes, known)):
            if item < 0:
                self.lookup.add_new(h, first + k)

    def mark(self) -> tuple[int, int, dict[int, int]]:
        """A point to go back to with `rollback`: what is added from now on can be taken out."""
        self.lookup.frozen = True
        return len(self), len(self.doc_ids), dict(self.lookup.pending)

    def rollback(self, mark: tuple[int, int, dict[int, int]]) -> None:
        """Take out everything added since `mark`."""
        sentences, documents, pending = mark
        for a in (self.fingerprints, self.docs, self.starts, self.ends):
            del a[sentences:]
        del self.doc_ids[documents:]
        self.lookup.pending, self.lookup.frozen = pending, False

    # ------------------------------------------------------------ persistence

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the index atomically (a zip of numpy arrays and a JSON header)."""
        keys, items = self.lookup.arrays()
        arrays = {
            "fingerprints": np.frombuffer(self.fingerprints, dtype=np.uint64) if len(self) else np.zeros(0, np.uint64),
            "docs": np.asarray(self.docs, dtype=np.int64),
            "starts": np.asarray(self.starts, dtype=np.int64),
            "ends": np.asarray(self.ends, dtype=np.int64),
            "keys": keys,
            "items": items,
        }
        header = {"format": INDEX_FORMAT, "version": INDEX_VERSION, "sentences": len(self),
                  "documents": len(self.doc_ids)}
        tmp, fd = create_temp(Path(path))  # named as the outputs' are: a later run removes one a killed run left
        try:
            with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as z:
                z.writestr("header.json", json.dumps(header))
                z.writestr("doc_ids.json", json.dumps(self.doc_ids, ensure_ascii=False))
                for name, arr in arrays.items():
                    buf = io.BytesIO()
                    np.save(buf, arr, allow_pickle=False)
                    z.writestr(f"{name}.npy", buf.getvalue())
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> CorpusIndex:
        """Read an index written by `save`; a damaged or foreign file raises `IndexFileError`.

        Every part is checked before it is used (a damaged index would give
        wrong documents and offsets in reports, and be saved again): the
        header's fields, the doc ids, each array's type, shape and length,
        documents and offsets in range and in order, the key table sorted.
        """
        try:
            with zipfile.ZipFile(path) as z:
                size = os.path.getsize(path)
                for info in z.infolist():  # a stored part is never larger than the file: no zip bomb
                    if info.file_size > size:
                        raise IndexFileError(f"{path}: the index file is damaged ({info.filename} claims "
                                             f"{info.file_size} bytes, more than the file holds)")
                header = json.loads(z.read("header.json"))
                if not isinstance(header, dict):
                    raise IndexFileError(f"{path}: not an unrepeat index file (header.json holds "
                                         f"{cls._kind(header)}, not an object)")
                if header.get("format") != INDEX_FORMAT:
                    raise IndexFileError(f"{path}: not an unrepeat index file")
                if header.get("version") != INDEX_VERSION:
                    raise IndexFileError(f"{path}: index version {header.get('version')} is not supported "
                                         f"(this unrepeat reads version {INDEX_VERSION})")
                doc_ids = json.loads(z.read("doc_ids.json"))
                arrays = {name: np.load(io.BytesIO(z.read(f"{name}.npy")), allow_pickle=False)
                          for name in ("fingerprints", "docs", "starts", "ends", "keys", "items")}
        except IndexFileError:
            raise
        except (OSError, KeyError, ValueError, zipfile.BadZipFile, json.JSONDecodeError) as err:
            raise IndexFileError(f"{path}: not a readable unrepeat index file ({err})") from None
        problem = cls._damage(header, doc_ids, arrays)
        if problem is not None:
            raise IndexFileError(f"{path}: the index file is damaged ({problem})")
        index = cls(doc_ids=list(doc_ids))
        index.fingerprints.frombytes(arrays["fingerprints"].astype(np.uint64).tobytes())
        index.docs.extend(arrays["docs"].tolist())
        index.starts.extend(arrays["starts"].tolist())
        index.ends.extend(arrays["ends"].tolist())
        if len(arrays["keys"]):
            index.lookup.runs = [(arrays["keys"].astype(np.uint64), arrays["items"].astype(np.int64))]
        return index

    #: The largest offset an index may hold: 1 TiB of text, far beyond any document.
    MAX_OFFSET = 1 << 40

    @classmethod
    def _damage(cls, header: dict[str, object], doc_ids: object, arrays: dict[str, np.ndarray]) -> str | None:
        """What is wrong with the parts of an index file, field by field (None: nothing)."""
        counts: dict[str, int] = {}
        for field_name in ("sentences", "documents"):
            value = header.get(field_name)
            if type(value) is not int or value < 0:
                return f"header.json: {field_name!r} is {value!r}, not a count"
            counts[field_name] = value
        sentences, documents = counts["sentences"], counts["documents"]
        if not isinstance(doc_ids, list):
            return f"doc_ids.json holds {cls._kind(doc_ids)}, not a list"
        bad = next((i for i, d in enumerate(doc_ids) if not isinstance(d, str)), None)
        if bad is not None:
            return f"doc_ids.json: id {bad} is {cls._kind(doc_ids[bad])}, not a string"
        if len(doc_ids) != documents:
            return f"doc_ids.json has {len(doc_ids)} ids, header.json counts {documents} documents"
        for name, kind, length, what in [
            ("fingerprints", "u", sentences, "sentences"), ("docs", "i", sentences, "sentences"),
            ("starts", "i", sentences, "sentences"), ("ends", "i", sentences, "sentences"),
            ("keys", "u", len(arrays["items"]), "items in items.npy"), ("items", "i", None, ""),
        ]:
            array = arrays[name]
            if array.dtype.kind != kind or array.dtype.itemsize != 8:
                return f"{name}.npy holds {array.dtype} values, not {'u' if kind == 'u' else ''}int64"
            if array.ndim != 1:
                return f"{name}.npy has shape {array.shape}, not one dimension"
            if length is not None and len(array) != length:
                return f"{name}.npy has {len(array)} entries, for {length} {what}"
        docs, starts, ends = arrays["docs"], arrays["starts"], arrays["ends"]
        keys, items = arrays["keys"], arrays["items"]
        if sentences:
            if docs.min() < 0 or docs.max() >= documents:
                return f"docs.npy names document {docs.min() if docs.min() < 0 else docs.max()}, of {documents}"
            if (docs[1:] < docs[:-1]).any():
                return "docs.npy is not in document order"
            if starts.min() < 0:
                return "starts.npy holds a negative offset"
            if (ends < starts).any():
                return "a sentence ends before it starts (ends.npy, starts.npy)"
            if ends.max() > cls.MAX_OFFSET:
                return f"ends.npy holds offset {ends.max()}, beyond any document"
            same = docs[1:] == docs[:-1]
            if (starts[1:][same] < ends[:-1][same]).any():
                return "the sentences of a document overlap or are out of order (starts.npy, ends.npy)"
        if len(items) and (items.min() < 0 or items.max() >= sentences):
            return f"items.npy names sentence {items.min() if items.min() < 0 else items.max()}, of {sentences}"
        if (keys[1:] <= keys[:-1]).any():
            return "keys.npy is not sorted"
        return None

    @staticmethod
    def _kind(value: object) -> str:
        """What ``value`` is, for a message: "a list", "an int"."""
        noun = type(value).__name__
        return ("an " if noun[:1] in "aeiou" else "a ") + noun


class CorpusCleaner:
    """Cleans documents one after another against everything kept before.

    Feed it documents in input order (`clean`, or `prepare` in worker
    processes and `process` here): the result does not depend on how the
    preparation was spread over processes.
    """

    def __init__(self, config: Config | None = None, index: CorpusIndex | None = None) -> None:
        self.config = config or Config(scope=Scope.CORPUS)
        self.index = index if index is not None else CorpusIndex()

    def clean(self, text: str, doc_id: str) -> CleanResult:
        return self.process(prepare(text, self.config), doc_id)

    def process(self, prepared: Prepared, doc_id: str) -> CleanResult:
        """Remove what earlier documents kept, then index what this one keeps."""
        return prepared.apply(self.decide(prepared.sketch(), doc_id))

    def decide(self, sketch: Sketch, doc_id: str) -> Verdict:
        """What of a document goes as a copy of sentences kept earlier; then
        index what it keeps. (`process` without the text: this is all the
        Dask engine moves between workers.)"""
        index = self.index
        sketch = sketch.lists()
        items = index.lookup.find(sketch.hashes)  # type: ignore[arg-type]  # lists now (`Sketch.lists`)
        gone = self._find_runs(sketch, items)
        removed = {p: (index.doc_ids[index.docs[item]], index.starts[item], index.ends[item], sim, rule)
                   for p, (item, sim, rule) in gone.items()}
        remaining = [p for p in range(len(sketch.hashes)) if p not in gone]
        duplicate_of = None
        if gone and not any(sketch.long[p] for p in remaining) and not self._has_run(sketch, remaining):
            votes = Counter(index.docs[item] for item, _, _ in gone.values())
            duplicate_of = index.doc_ids[min(votes, key=lambda d: (-votes[d], d))]
        fps = sketch.fingerprints
        index.add_document(doc_id, [sketch.spans[p] for p in remaining], [sketch.hashes[p] for p in remaining],
                           fps[remaining] if len(fps) else fps, [items[p] for p in remaining])
        return Verdict(removed, duplicate_of)

    def _has_run(self, sketch: Sketch, remaining: list[int]) -> bool:
        """Do the remaining sentences still hold a passage-size run (2+ sentences, enough words)?"""
        words, paras, config = sketch.words, sketch.paras, self.config
        run_words, run_len, prev = 0, 0, None
        for p in remaining:
            if prev is not None and p == prev + 1 and paras[prev] == paras[p]:
                run_words, run_len = run_words + words[p], run_len + 1
            else:
                run_words, run_len = words[p], 1
            if passage_rule(run_len, run_len, run_words, False, config) is Rule.RUN:
                return True
            prev = p
        return False

    def _find_runs(self, sketch: Sketch, items: list[int]) -> dict[int, tuple[int, float, Rule]]:
        """Kept positions that copy sentences kept earlier: position -> (item, similarity, rule)."""
        words, long, config = sketch.words, sketch.long, self.config
        index, fps = self.index, sketch.fingerprints
        n, g = len(items), config.max_gap
        gone: dict[int, tuple[int, float, Rule]] = {}

        def close(p: int, item: int, bound: int = GAP_DISTANCE) -> float | None:
            """Is position p an edited copy of indexed sentence ``item``?"""
            if not 0 <= item < len(index) or not 0 <= p < n:
                return None
            d = (int(fps[p]) ^ index.fingerprints[item]).bit_count()
            return 1 - d / 64 if d <= bound else None

        p = 0
        while p < n:
            if items[p] < 0:
                p += 1
                continue
            run = [(p, items[p], 1.0)]
            doc = index.docs[items[p]]
            q = p + 1
            while q < n and q - run[-1][0] <= g + 1:
                last_p, last_item, _ = run[-1]
                item = items[q]
                if item >= 0 and index.docs[item] == doc and 0 < item - last_item <= g + 1:
                    if q - last_p == item - last_item:
                        # Sentences edited in place between two matches.
                        for t in range(1, q - last_p):
                            sim = close(last_p + t, last_item + t, FLANKED_DISTANCE)
                            if sim is not None:
                                run.append((last_p + t, last_item + t, sim))
                    run.append((q, item, 1.0))
                q += 1
            run.sort()
            # Sentences edited in place right before and after a run of two or
            # more matches; a single matched line vouches for no neighbour.
            near = GAP_DISTANCE if sum(1 for x in run if x[2] == 1.0) >= 2 else -1
            pp, it = run[0][0] - 1, run[0][1] - 1
            while pp >= 0 and it >= 0 and pp not in gone and index.docs[it] == doc:
                # A line kept right before the run there (a title, a byline) goes with it.
                sim = 1.0 if items[pp] == it else close(pp, it, near) if items[pp] < 0 else None
                if sim is None:
                    break
                run.insert(0, (pp, it, sim))
                pp, it = pp - 1, it - 1
            pp, it = run[-1][0] + 1, run[-1][1] + 1
            while pp < n and it < len(index) and index.docs[it] == doc:
                sim = 1.0 if items[pp] == it else close(pp, it, near) if items[pp] < 0 else None
                if sim is None:
                    break
                run.append((pp, it, sim))
                pp, it = pp + 1, it + 1
            exact = [x for x in run if x[2] == 1.0]
            run_words = sum(words[x[0]] for x in run)
            rule = passage_rule(len(run), len(exact), run_words, any(long[x[0]] for x in exact), config)
            if rule is not None:
                corpus_rule = Rule.CORPUS_RUN if rule is Rule.RUN else Rule.CORPUS_SENTENCE
                for pos, item, sim in run:
                    if len(run) > 1 or long[pos]:
                        gone.setdefault(pos, (item, sim, corpus_rule))
                p = run[-1][0] + 1
            else:
                p += 1
        return gone

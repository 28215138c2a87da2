"""Features, the feature hash and 64-bit simhash fingerprints: the hot kernel.

**Features.** The features of a text are the character 4-grams (sliding
window, step 1, every occurrence counted) of its matching key
(`unrepeat.normalize.matching_key`: NFKC, case folded, punctuation, symbols
and format characters dropped, whitespace folded to one space), spaces
included. A key shorter than four characters is a single feature, the whole
key (possibly ""), as in the simhash package. Character 4-grams rather than
words: they work the same for scripts written without spaces (Chinese,
Japanese, Thai), a one-word edit changes only the few grams that overlap it,
and keys too short for one gram still get a fingerprint.

**Feature hash.** A feature is hashed by its code points ``c0 .. c(n-1)``:
``h = fmix64(SEED ^ n)``, then for each chunk of three code points
``h = fmix64(h ^ (c0 | c1 << 21 | c2 << 42))`` (missing code points are 0),
where ``fmix64`` is MurmurHash3's 64-bit finalizer. A 4-gram costs two
``fmix64``. `feature_hash` takes the UTF-8 bytes, as the simhash package
passes them, and decodes them.

**Fingerprint.** Bit b of `simhash(text)` is set when more than half of the
features have bit b set in their hash: exactly
``simhash.Simhash(features(text), hashfunc=feature_hash).value``.

>>> features("Hello, World!")
['hell', 'ello', 'llo ', 'lo w', 'o wo', ' wor', 'worl', 'orld']
>>> features("...")
['']
>>> simhash("Hello, World!") == simhash("HELLO world")
True
>>> hamming(0b1011, 0b0001)
2

**Kernels.** `simhash_many` never builds per-text Python objects. The batch
is joined once into one array of code points with offsets. Each distinct
character is looked up once in Python, to find what the matching key turns
it into (a memo table over code points, shared by all calls). A character
is "fast" when its NFKC form cannot merge with its neighbours; the kernel
then builds the key by table lookups, folds runs of separators, strips the
ends, hashes the 4-grams and counts the 64 bits in 4-bit then 8-bit lanes
(SWAR). Texts holding a character that can merge with its neighbours under
NFKC (a lone combining mark, a Hangul jamo) get their key from
`matching_key`, and only the hashing is batched. Two kernels compute the
same bits: numba (``KERNEL == "numba"``), compiled on first use and cached
on disk, and a numpy fallback (``KERNEL == "numpy"``), used when numba
cannot be imported or ``UNREPEAT_KERNEL=numpy`` is set.
"""

from __future__ import annotations

import functools
import os
import threading
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .normalize import matching_key

__all__ = [
    "KERNEL",
    "WIDTH",
    "feature_hash",
    "features",
    "hamming",
    "kernel",
    "simhash",
    "simhash_many",
]

#: Characters per feature.
WIDTH = 4

_MASK64 = (1 << 64) - 1
_SEED = 0x243F6A8885A308D3
_M1 = 0xFF51AFD7ED558CCD
_M2 = 0xC4CEB9FE1A85EC53


def features(text: str) -> list[str]:
    """The character 4-grams of the matching key, or the whole key when it is shorter.

    >>> features("Ab, cd")
    ['ab c', 'b cd']
    >>> features("Ok")
    ['ok']
    """
    key = matching_key(text)
    if len(key) < WIDTH:
        return [key]
    return [key[i : i + WIDTH] for i in range(len(key) - WIDTH + 1)]


def _fmix64(x: int) -> int:
    x ^= x >> 33
    x = (x * _M1) & _MASK64
    x ^= x >> 33
    x = (x * _M2) & _MASK64
    return x ^ (x >> 33)


def _hash_code_points(cps: Sequence[int]) -> int:
    h = _fmix64(_SEED ^ len(cps))
    for i in range(0, len(cps), 3):
        c = [*cps[i : i + 3], 0, 0]
        h = _fmix64(h ^ c[0] ^ (c[1] << 21) ^ (c[2] << 42))
    return h


def feature_hash(data: bytes) -> int:
    """The 64-bit hash of one UTF-8 encoded feature (see the module docstring).

    Encoded lone surrogates are read as code points; other invalid bytes as
    U+DC80-U+DCFF, so every byte string has a hash.

    >>> feature_hash("ab c".encode()) == feature_hash(b"ab c")
    True
    >>> feature_hash(b"") != feature_hash(b" ")
    True
    """
    try:
        text = data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        text = data.decode("utf-8", "surrogateescape")
    return _hash_code_points([ord(c) for c in text])


def hamming(a: int, b: int) -> int:
    """The number of bits in which two fingerprints differ."""
    return (a ^ b).bit_count()


def simhash(text: str) -> int:
    """The 64-bit simhash fingerprint of one text.

    >>> simhash("") == feature_hash(b"")
    True
    """
    return int(simhash_many([text])[0])


def simhash_many(texts: Sequence[str]) -> np.ndarray:
    """The simhash fingerprints of many texts, as a uint64 array (the batch kernel).

    >>> fps = simhash_many(["one text", "One text!", "another one"])
    >>> fps.dtype, int(fps[0]) == int(fps[1]) == simhash("one text")
    (dtype('uint64'), True)
    """
    n = len(texts)
    out = np.zeros(n, dtype=np.uint64)
    if n == 0:
        return out
    cps, offsets = _pack(texts)
    with _LOCK:
        _CHARS.learn(_unknown_chars(cps))
        slow = _simhash_texts(cps, offsets, out)
    if slow.size:
        keys = [matching_key(texts[i]) for i in slow.tolist()]
        out[slow] = _simhash_keys(*_pack(keys))
    return out


def _pack(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """All code points of the texts in one array, and the n + 1 offsets of the texts."""
    cps = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)), out=offsets[1:])
    return cps, offsets


# --- what the matching key makes of each character --------------------------------

_CODE_POINTS = 0x110000
#: Table values: a code point (< _MULTI), _MULTI | offset << 5 | length into the
#: multi table, or one of the special values, all >= _SPECIAL.
_MULTI = 0x8000_0000
_MULTI_CAPACITY = 1 << 20  # code points; allocated lazily by the OS, never moved
_MAX_MULTI = 31
_SPECIAL = 0xFFFF_FFF0
_SLOW = 0xFFFF_FFFD  # the key of a text holding it comes from matching_key
_PENDING = 0xFFFF_FFFE
_UNKNOWN = 0xFFFF_FFFF
_GAP = 0x20  # a run of dropped characters becomes one space
_PROBE_SEP, _PROBE_FENCE = "\ufdd0", "\ufdd1"  # noncharacters: kept, never merged


class _CharTable:
    """The memo of what the matching key makes of each character seen so far.

    ``table[c]`` is the key's text for the character ``c`` on its own, with
    dropped characters as a space, or ``_SLOW`` when NFKC could merge ``c``
    with a neighbour, so that the key of a text is not the concatenation of
    the keys of its characters. ``space[c]`` marks the characters that
    ``str.strip`` removes from the ends of the key.
    """

    def __init__(self) -> None:
        self.table = np.full(_CODE_POINTS, _UNKNOWN, dtype=np.uint32)
        self.multi = np.zeros(_MULTI_CAPACITY, dtype=np.uint32)
        self.multi_used = 0
        self.space = np.zeros(_CODE_POINTS, dtype=np.uint8)
        self.max_len = 1

    def learn(self, code_points: np.ndarray) -> None:
        if not code_points.size:
            return
        fast: list[str] = []
        for c in code_points.tolist():
            if _fast_char(c):
                fast.append(chr(c))
            else:
                self.table[c] = _SLOW
        probe = _PROBE_SEP.join(_PROBE_FENCE + ch + _PROBE_FENCE for ch in fast)
        pieces = matching_key(probe).split(_PROBE_SEP) if fast else []
        if len(pieces) != len(fast):  # the key is not per character: trust only matching_key
            pieces = [""] * len(fast)
        for ch, piece in zip(fast, pieces, strict=True):
            self._set(ord(ch), piece)

    def _set(self, c: int, piece: str) -> None:
        fenced = len(piece) >= 2 and piece[0] == piece[-1] == _PROBE_FENCE
        key = piece[1:-1]
        if not fenced or not key or _PROBE_FENCE in key or len(key) > _MAX_MULTI:
            self.table[c] = _SLOW
            return
        for k in key:
            self.space[ord(k)] = k.isspace()
        if len(key) == 1:
            self.table[c] = ord(key)
        elif self.multi_used + len(key) <= _MULTI_CAPACITY:
            start = self.multi_used
            self.multi[start : start + len(key)] = [ord(k) for k in key]
            self.multi_used += len(key)
            self.max_len = max(self.max_len, len(key))
            self.table[c] = _MULTI | start << 5 | len(key)
        else:
            self.table[c] = _SLOW


def _fast_char(c: int) -> bool:
    """Whether NFKC leaves ``c`` apart from its neighbours in any text of such characters.

    True when the full compatibility decomposition of ``c`` starts with a
    starter (canonical combining class 0) that never composes with a
    preceding character. Then no reordering or composition crosses the
    boundary before ``c`` or after it, and NFKC of the text is the
    concatenation of NFKC of its characters.
    """
    if c < 0x80:
        return True  # ASCII starters never compose with what precedes them
    if 0xD800 <= c < 0xE000 or chr(c) in (_PROBE_SEP, _PROBE_FENCE):
        return False
    first = unicodedata.normalize("NFKD", chr(c))[0]
    return unicodedata.combining(first) == 0 and ord(first) not in _composing_followers()


@functools.cache
def _composing_followers() -> frozenset[int]:
    """Code points that are not first in the canonical decomposition of some character.

    A superset of the characters that compose with a preceding one (including
    the Hangul medial vowels and final consonants), read from the running
    Python's Unicode database.
    """
    cps = np.arange(_CODE_POINTS, dtype=np.uint32)
    cps = cps[(cps < 0xD800) | (cps >= 0xE000)]
    spaced = np.empty(2 * cps.size, dtype=np.uint32)
    spaced[0::2] = cps
    spaced[1::2] = ord(_PROBE_SEP)
    text = unicodedata.normalize("NFD", spaced.tobytes().decode("utf-32-le"))
    nfd = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    ends = np.flatnonzero(nfd == ord(_PROBE_SEP))
    later = np.ones(nfd.size, dtype=bool)
    later[ends] = False
    later[0] = False
    later[ends[:-1] + 1] = False
    return frozenset(np.unique(nfd[later]).tolist())


_CHARS = _CharTable()
_LOCK = threading.Lock()


# --- kernel selection ---------------------------------------------------------------

_kernel_name: str | None = None
_numba_kernels: dict[str, Any] = {}


def kernel() -> str:
    """The active kernel, ``"numba"`` or ``"numpy"`` (imports numba on first use)."""
    global _kernel_name
    if _kernel_name is None:
        _kernel_name = "numpy"
        if os.environ.get("UNREPEAT_KERNEL", "").strip().lower() != "numpy":
            try:
                _load_numba()
                _kernel_name = "numba"
            except ImportError:
                pass
    return _kernel_name


def __getattr__(name: str) -> str:
    if name == "KERNEL":
        return kernel()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "unrepeat" / "numba"


def _load_numba() -> None:
    """Import numba and wrap the kernels; compiling waits for their first call."""
    here = Path(__file__).parent
    pycache = here / "__pycache__"
    writable = os.access(pycache if pycache.is_dir() else here, os.W_OK)
    if not writable and "NUMBA_CACHE_DIR" not in os.environ:
        os.environ["NUMBA_CACHE_DIR"] = str(_cache_dir())
        import numba.core.config

        numba.core.config.reload_config()
    import numba

    jit = numba.njit(cache=True, nogil=True)
    for name in ("_fmix", "_hash_key", "_nb_unknown", "_nb_texts", "_nb_keys"):
        globals()[name] = _numba_kernels[name] = jit(globals()[name])


def _unknown_chars(cps: np.ndarray) -> np.ndarray:
    if kernel() == "numba":
        return _numba_kernels["_nb_unknown"](cps, _CHARS.table)
    return np.unique(cps[_CHARS.table[cps] == _UNKNOWN])


def _simhash_texts(cps: np.ndarray, offsets: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Fill ``out`` for the texts whose key the table gives; return the indices of the others."""
    if kernel() == "numba":
        slow = np.zeros(out.size, dtype=np.uint8)
        _numba_kernels["_nb_texts"](
            cps, offsets, _CHARS.table, _CHARS.multi, _CHARS.space, _CHARS.max_len, out, slow
        )
        return np.flatnonzero(slow)
    return _np_texts(cps, offsets, out)


def _simhash_keys(cps: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The fingerprints of texts given by their matching keys."""
    out = np.zeros(offsets.size - 1, dtype=np.uint64)
    if kernel() == "numba":
        _numba_kernels["_nb_keys"](cps, offsets, out)
    else:
        _np_keys(cps, offsets, np.arange(out.size), out)
    return out


# --- numba kernel (plain Python until _load_numba compiles it) ---------------------

_U = np.uint64
_NB_SEED, _NB_M1, _NB_M2 = _U(_SEED), _U(_M1), _U(_M2)
_S21, _S42, _S33 = _U(21), _U(42), _U(33)
_LANES4 = _U(0x1111_1111_1111_1111)
_LANES8 = _U(0x0F0F_0F0F_0F0F_0F0F)
_H4 = _U(_fmix64(_SEED ^ WIDTH))


def _fmix(x):  # type: ignore[no-untyped-def]
    x ^= x >> _S33
    x *= _NB_M1
    x ^= x >> _S33
    x *= _NB_M2
    x ^= x >> _S33
    return x


def _hash_key(key, lo, hi, counts, hashes):  # type: ignore[no-untyped-def]
    """The simhash of the key ``key[lo:hi]``; ``counts`` (64) and ``hashes`` are scratch space."""
    n = hi - lo
    if n < 4:
        h = _fmix(_NB_SEED ^ _U(n))
        if n > 0:
            w = _U(key[lo])
            if n > 1:
                w |= _U(key[lo + 1]) << _S21
            if n > 2:
                w |= _U(key[lo + 2]) << _S42
            h = _fmix(h ^ w)
        return h
    n_features = n - 3
    for i in range(n_features):
        p = lo + i
        w = _U(key[p]) | (_U(key[p + 1]) << _S21) | (_U(key[p + 2]) << _S42)
        hashes[i] = _fmix(_fmix(_H4 ^ w) ^ _U(key[p + 3]))
    for b in range(64):
        counts[b] = 0
    i = 0
    while i < n_features:
        # 8-bit lanes count up to 255 features, 4-bit lanes up to 15
        b0 = b1 = b2 = b3 = b4 = b5 = b6 = b7 = _U(0)
        end8 = min(i + 255, n_features)
        while i < end8:
            end4 = min(i + 15, end8)
            a0 = a1 = a2 = a3 = _U(0)
            for q in range(i, end4):
                h = hashes[q]
                a0 += h & _LANES4
                a1 += (h >> _U(1)) & _LANES4
                a2 += (h >> _U(2)) & _LANES4
                a3 += (h >> _U(3)) & _LANES4
            b0 += a0 & _LANES8
            b4 += (a0 >> _U(4)) & _LANES8
            b1 += a1 & _LANES8
            b5 += (a1 >> _U(4)) & _LANES8
            b2 += a2 & _LANES8
            b6 += (a2 >> _U(4)) & _LANES8
            b3 += a3 & _LANES8
            b7 += (a3 >> _U(4)) & _LANES8
            i = end4
        for m in range(8):
            s = _U(8 * m)
            counts[8 * m] += (b0 >> s) & _U(0xFF)
            counts[8 * m + 1] += (b1 >> s) & _U(0xFF)
            counts[8 * m + 2] += (b2 >> s) & _U(0xFF)
            counts[8 * m + 3] += (b3 >> s) & _U(0xFF)
            counts[8 * m + 4] += (b4 >> s) & _U(0xFF)
            counts[8 * m + 5] += (b5 >> s) & _U(0xFF)
            counts[8 * m + 6] += (b6 >> s) & _U(0xFF)
            counts[8 * m + 7] += (b7 >> s) & _U(0xFF)
    value = _U(0)
    for b in range(64):
        if 2 * counts[b] > n_features:
            value |= _U(1) << _U(b)
    return value


def _nb_unknown(cps, table):  # type: ignore[no-untyped-def]
    found = np.empty(cps.size, dtype=np.uint32)
    k = 0
    for p in range(cps.size):
        c = cps[p]
        if table[c] == _UNKNOWN:
            table[c] = _PENDING
            found[k] = c
            k += 1
    return found[:k].copy()


def _nb_texts(cps, offsets, table, multi, space, max_len, out, slow):  # type: ignore[no-untyped-def]
    n = offsets.size - 1
    longest = 0
    for t in range(n):
        longest = max(longest, offsets[t + 1] - offsets[t])
    key = np.empty(longest * max_len + 4, dtype=np.uint32)
    hashes = np.empty(key.size, dtype=np.uint64)
    counts = np.zeros(64, dtype=np.int64)
    for t in range(n):
        k = 0
        for p in range(offsets[t], offsets[t + 1]):
            v = table[cps[p]]
            if v < _MULTI:
                if v != _GAP or k == 0 or key[k - 1] != _GAP:
                    key[k] = v
                    k += 1
            elif v >= _SPECIAL:
                slow[t] = 1
                break
            else:
                start = (v & 0x7FFF_FFFF) >> 5
                for q in range(start, start + (v & 31)):
                    x = multi[q]
                    if x != _GAP or k == 0 or key[k - 1] != _GAP:
                        key[k] = x
                        k += 1
        if slow[t]:
            continue
        lo = 0
        while lo < k and space[key[lo]]:
            lo += 1
        while k > lo and space[key[k - 1]]:
            k -= 1
        out[t] = _hash_key(key, lo, k, counts, hashes)


def _nb_keys(cps, offsets, out):  # type: ignore[no-untyped-def]
    longest = 0
    for t in range(offsets.size - 1):
        longest = max(longest, offsets[t + 1] - offsets[t])
    hashes = np.empty(longest, dtype=np.uint64)
    counts = np.zeros(64, dtype=np.int64)
    for t in range(offsets.size - 1):
        out[t] = _hash_key(cps, offsets[t], offsets[t + 1], counts, hashes)


# --- numpy kernel --------------------------------------------------------------------


def _np_fmix(x: np.ndarray) -> np.ndarray:
    """MurmurHash3's finalizer, in place on a uint64 array."""
    x ^= x >> _S33
    x *= _NB_M1
    x ^= x >> _S33
    x *= _NB_M2
    x ^= x >> _S33
    return x


def _ragged_arange(lengths: np.ndarray) -> np.ndarray:
    """0, 1, .., l0 - 1, 0, 1, .., l1 - 1, ... for the given lengths."""
    ends = np.cumsum(lengths)
    return np.arange(ends[-1] if ends.size else 0) - np.repeat(ends - lengths, lengths)


def _np_texts(cps: np.ndarray, offsets: np.ndarray, out: np.ndarray) -> np.ndarray:
    n = offsets.size - 1
    lengths = np.diff(offsets)
    text_of = np.repeat(np.arange(n), lengths)
    v = _CHARS.table[cps]
    special = v >= _SPECIAL
    slow_mask = np.zeros(n, dtype=bool)
    slow_mask[text_of[special]] = True
    keep = ~slow_mask[text_of]
    v, text_of = v[keep], text_of[keep]
    # expand the characters with a key of several code points
    multi = v >= _MULTI
    sizes = np.where(multi, v & 31, 1).astype(np.int64)
    key = np.repeat(v, sizes)
    text_of = np.repeat(text_of, sizes)
    if multi.any():
        starts = (np.cumsum(sizes) - sizes)[multi]
        msizes = sizes[multi]
        within = _ragged_arange(msizes)
        src = np.repeat(((v[multi] & 0x7FFF_FFFF) >> 5).astype(np.int64), msizes) + within
        key[np.repeat(starts, msizes) + within] = _CHARS.multi[src]
    # one space per run of dropped characters
    gap = key == _GAP
    drop = np.zeros(key.size, dtype=bool)
    drop[1:] = gap[1:] & gap[:-1] & (text_of[1:] == text_of[:-1])
    key, text_of = key[~drop], text_of[~drop]
    # strip the ends of each key
    solid = np.flatnonzero(~_CHARS.space[key].astype(bool))
    ids = np.arange(n)
    first = np.searchsorted(text_of[solid], ids, "left")
    last = np.searchsorted(text_of[solid], ids, "right")
    has = last > first
    lo = np.zeros(n, dtype=np.int64)
    hi = np.zeros(n, dtype=np.int64)
    lo[has] = solid[first[has]]
    hi[has] = solid[last[has] - 1] + 1
    fast = np.flatnonzero(~slow_mask)
    key_offsets = np.empty(2 * fast.size, dtype=np.int64)
    key_offsets[0::2], key_offsets[1::2] = lo[fast], hi[fast]
    _np_keys(key, key_offsets, fast, out, paired=True)
    return np.flatnonzero(slow_mask)


def _np_keys(
    key: np.ndarray, offsets: np.ndarray, targets: np.ndarray, out: np.ndarray, paired: bool = False
) -> None:
    """Write the simhash of each key into ``out[targets]``.

    Keys are ``key[offsets[i]:offsets[i + 1]]``, or with ``paired``
    ``key[offsets[2i]:offsets[2i + 1]]`` (non-overlapping, in order).
    """
    lo = offsets[0::2] if paired else offsets[:-1]
    hi = offsets[1::2] if paired else offsets[1:]
    size = hi - lo
    short = size < WIDTH
    if short.any():
        out[targets[short]] = _np_short(key, lo[short], size[short])
    long_ = ~short
    if not long_.any():
        return
    lo, hi, targets = lo[long_], hi[long_], targets[long_]
    n_features = hi - lo - (WIDTH - 1)
    k = key.astype(np.uint64)
    w = k[:-3] | (k[1:-2] << _S21) | (k[2:-1] << _S42)
    w ^= _H4
    h = _np_fmix(w)
    h ^= k[3:]
    h = _np_fmix(h)
    valid = np.zeros(h.size + 1, dtype=np.int8)
    np.add.at(valid, lo, 1)
    np.add.at(valid, lo + n_features, -1)
    h[np.cumsum(valid[:-1]) == 0] = 0
    # segments of at most 255 features, so that 8-bit lanes cannot overflow
    n_segments = (n_features + 254) // 255
    seg_start = np.repeat(lo, n_segments) + 255 * _ragged_arange(n_segments)
    counts = np.empty((seg_start.size, 8, 8), dtype=np.uint8)
    lane = np.empty_like(h)
    for s in range(8):
        np.right_shift(h, _U(s), out=lane)
        lane &= _U(0x0101_0101_0101_0101)
        counts[:, :, s] = np.add.reduceat(lane, seg_start).view(np.uint8).reshape(-1, 8)
    first_segment = np.cumsum(n_segments) - n_segments
    totals = np.add.reduceat(counts.reshape(-1, 64).astype(np.int64), first_segment, axis=0)
    bits = 2 * totals > n_features[:, None]
    out[targets] = np.packbits(bits, axis=1, bitorder="little").view("<u8").ravel()


def _np_short(key: np.ndarray, lo: np.ndarray, size: np.ndarray) -> np.ndarray:
    """The hash of each key shorter than 4 code points (its only feature)."""
    h = _np_fmix(size.astype(np.uint64) ^ _NB_SEED)
    w = np.zeros(lo.size, dtype=np.uint64)
    for i, shift in enumerate((_U(0), _S21, _S42)):
        has = size > i
        w[has] |= key[lo[has] + i].astype(np.uint64) << shift
    nonempty = size > 0
    h[nonempty] = _np_fmix(h[nonempty] ^ w[nonempty])
    return h

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

**Kernels.** `simhash_many` never builds per-text Python objects. The texts
are joined (in slices of 256k code points) into one array of code points with
offsets. Each distinct character is looked up once in Python, to find what
the matching key turns it into (a memo table over code points, shared by all
calls, filled by asking `matching_key` itself). NFKC of a text is the
concatenation of NFKC of its characters when no composition or canonical
reordering crosses a boundary between them: when each character decomposes
to a starter that never composes with what precedes it, or is a combining
mark that never composes and follows marks of no higher class. For such
texts the kernel builds the key by table lookups, folds runs of separators,
strips the ends, hashes the 4-grams and counts the 64 bits in 8-bit lanes
(SWAR: eight words, word j holding in byte m the count of bit 8m + j). Other
texts (a combining mark that composes, a Hangul jamo, marks out of order)
get their key from `matching_key`, and only their hashing is batched. Two
kernels compute the same bits: numba (``KERNEL == "numba"``), compiled on
first use and cached on disk, and a numpy fallback (``KERNEL == "numpy"``),
used when numba cannot be imported or ``UNREPEAT_KERNEL=numpy`` is set.
"""

from __future__ import annotations

import functools
import itertools
import os
import threading
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .normalize import matching_key

__all__ = [
    "KERNEL",  # noqa: F822 - the module's __getattr__ resolves it on first use
    "WIDTH",
    "feature_hash",
    "features",
    "hamming",
    "kernel",
    "matching_keys",
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
    out = np.zeros(len(texts), dtype=np.uint64)
    if not len(texts):
        return out
    # slices of about _SLICE code points bound the memory of the joined copies
    ends = np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)))
    cuts = np.unique(np.searchsorted(ends, np.arange(_SLICE, ends[-1], _SLICE), "left") + 1)
    bounds = [0, *cuts[cuts < len(texts)].tolist(), len(texts)]
    for first, stop in itertools.pairwise(bounds):
        part = texts[first:stop] if isinstance(texts, (list, tuple)) else list(texts[first:stop])
        out[first:stop] = _simhash_slice(part)
    return out


def _simhash_slice(texts: Sequence[str]) -> np.ndarray:
    out = np.zeros(len(texts), dtype=np.uint64)
    flags = _run(*_pack(texts), out)
    retry = np.flatnonzero(flags == _NEW_CHAR)
    if retry.size:  # learn the new characters, then run those texts again
        cps, offsets = _pack([texts[i] for i in retry.tolist()])
        with _LOCK:
            _CHARS.learn(np.unique(cps[_CHARS.table[cps] == _UNKNOWN]))
        part = np.zeros(retry.size, dtype=np.uint64)
        flags[retry] = _run(cps, offsets, part)
        out[retry] = part
    slow = np.flatnonzero(flags)
    if slow.size:  # NFKC may merge characters of these texts: ask matching_key
        part = np.zeros(slow.size, dtype=np.uint64)
        _run(*_pack([matching_key(texts[i]) for i in slow.tolist()]), part, raw=True)
        out[slow] = part
    return out


def matching_keys(texts: Sequence[str]) -> list[str]:
    """`unrepeat.normalize.matching_key` of each text, made with the table of
    what the key makes of each character (`_CharTable`) rather than a regular
    expression: several times faster, for the same strings.

    >>> matching_keys(["“Hello,” she   said — twice.", "...", "Straße"])
    ['hello she said twice', '', 'strasse']
    """
    if not texts:
        return []
    cps, offsets = _pack(texts)
    flags = np.zeros(len(texts), dtype=np.uint8)
    table = _CHARS
    key, lo, hi = _np_build_keys(cps, offsets, table.table, table.multi, table.space, flags)
    if np.any(flags == _NEW_CHAR):  # learn the new characters, then make all keys again
        with _LOCK:
            table.learn(np.unique(cps[table.table[cps] == _UNKNOWN]))
        flags[:] = 0
        key, lo, hi = _np_build_keys(cps, offsets, table.table, table.multi, table.space, flags)
    joined = key.astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    keys = [joined[a:b] for a, b in zip(lo.tolist(), hi.tolist())]
    for i in np.flatnonzero(flags).tolist():  # NFKC may merge characters of these texts
        keys[i] = matching_key(texts[i])
    return keys


def _pack(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """All code points of the texts in one array, and the n + 1 offsets of the texts."""
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)), out=offsets[1:])
    joined = "".join(texts)
    # numpy stores str as UCS-4 (a copy faster than encoding) but drops trailing NULs
    cps = np.array(joined).reshape(1).view(np.uint32)
    if cps.size != offsets[-1]:
        cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return cps, offsets


# --- what the matching key makes of each character --------------------------------

_CODE_POINTS = 0x110000
#: Table values: a code point (< _MULTI), _MULTI | offset << 5 | length into the
#: multi table, or one of the special values, all >= _SPECIAL.
_MULTI = 0x8000_0000
_MULTI_CAPACITY = 1 << 20  # code points; allocated lazily by the OS, never moved
_MAX_MULTI = 31
_SPECIAL = 0xFFFF_FFF0
_SLOW = 0xFFFF_FFFE  # the key of a text holding it comes from matching_key
_UNKNOWN = 0xFFFF_FFFF
_CODE = 0x1F_FFFF  # the code point bits of a single-code-point entry
_TAIL_SHIFT = 21  # bits 21-28: the combining class of the last code point of NFKD
_MARK = 1 << 29  # a combining mark: its class must not be below the tail before it
_GAP = 0x20  # a run of dropped characters becomes one space
_SLOW_TEXT, _NEW_CHAR = 1, 2  # flags of texts the kernel leaves to the caller
_PROBE_SEP, _PROBE_FENCE = "\ufdd0", "\ufdd1"  # noncharacters: kept, never merged


class _CharTable:
    """The memo of what the matching key makes of each character seen so far.

    ``table[c]`` is the key's text for the character ``c`` on its own, with
    dropped characters as a space: one code point (bits 0-20) with the
    canonical combining class of the last code point of its NFKD form (bits
    21-28, the *tail*) and `_MARK` for a combining mark; or several code
    points in ``multi``; or ``_SLOW`` when NFKC could merge ``c`` with a
    neighbour, so that the key of a text is not the concatenation of the keys
    of its characters. ``space[c]`` marks the characters that ``str.strip``
    removes from the ends of the key.
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
        fast: list[tuple[int, int]] = []
        for c in code_points.tolist():
            bits = _char_bits(c)
            if bits is None:
                self.table[c] = _SLOW
            else:
                fast.append((c, bits))
        probe = _PROBE_SEP.join(_PROBE_FENCE + chr(c) + _PROBE_FENCE for c, _ in fast)
        pieces = matching_key(probe).split(_PROBE_SEP) if fast else []
        if len(pieces) != len(fast):  # the key is not per character: trust only matching_key
            pieces = [""] * len(fast)
        for (c, bits), piece in zip(fast, pieces, strict=True):
            self._set(c, bits, piece)

    def _set(self, c: int, bits: int, piece: str) -> None:
        fenced = len(piece) >= 2 and piece[0] == piece[-1] == _PROBE_FENCE
        key = piece[1:-1]
        if not fenced or not key or _PROBE_FENCE in key or len(key) > _MAX_MULTI:
            self.table[c] = _SLOW
            return
        for k in key:
            self.space[ord(k)] = k.isspace()
        if len(key) == 1:
            self.table[c] = ord(key) | bits
        elif bits == 0 and self.multi_used + len(key) <= _MULTI_CAPACITY:
            start = self.multi_used
            self.multi[start : start + len(key)] = [ord(k) for k in key]
            self.multi_used += len(key)
            self.max_len = max(self.max_len, len(key))
            self.table[c] = _MULTI | start << 5 | len(key)
        else:
            self.table[c] = _SLOW


def _char_bits(c: int) -> int | None:
    """The table bits of ``c`` (`_MARK`, tail class), or None when NFKC may merge it with a neighbour.

    NFKC of a text is the concatenation of NFKC of its characters when no
    composition and no canonical reordering crosses a boundary between them.
    Compositions cannot, when every character decomposes (NFKD) to a starter
    that never composes with what precedes it, or is a combining mark that
    has no decomposition and never composes. Reordering cannot, when each
    mark's combining class is at least the tail class of the character
    before it, which the kernels check. Characters beyond `_SCANNED_PLANES`
    are left to `matching_key`.
    """
    if c < 0x80:
        return 0  # ASCII starters never compose with what precedes them
    if c >= _SCANNED_PLANES or 0xD800 <= c < 0xE000 or chr(c) in (_PROBE_SEP, _PROBE_FENCE):
        return None
    nfkd = unicodedata.normalize("NFKD", chr(c))
    head, tail = unicodedata.combining(nfkd[0]), unicodedata.combining(nfkd[-1])
    if ord(nfkd[0]) in _composing_followers():
        return None
    if head == 0:
        return tail << _TAIL_SHIFT
    return _MARK | head << _TAIL_SHIFT if nfkd == chr(c) else None


#: Canonical decompositions live in planes 0-2 (Unicode 16); `_char_bits`
#: sends the rare characters above to `matching_key` rather than trust that.
_SCANNED_PLANES = 0x30000


@functools.cache
def _composing_followers() -> frozenset[int]:
    """A superset of the code points that NFC composes with a preceding one.

    The code points after the first in the canonical decomposition (NFD) of
    each character that NFC leaves as it is (composition exclusions, such as
    the Hebrew presentation forms, do not count): the second halves of the
    primary composites, including the Hangul medial vowels and final
    consonants. Read from the running Python's Unicode database with one NFD
    and one NFC of all code points below `_SCANNED_PLANES`, each followed by
    a separator.
    """
    cps = np.arange(_SCANNED_PLANES, dtype=np.uint32)
    cps = cps[((cps < 0xD800) | (cps >= 0xE000)) & (cps != ord(_PROBE_SEP))]

    def segments(form: Literal["NFC", "NFD", "NFKC", "NFKD"], chars: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        spaced = np.empty(2 * chars.size, dtype=np.uint32)
        spaced[0::2] = chars
        spaced[1::2] = ord(_PROBE_SEP)
        text = unicodedata.normalize(form, spaced.tobytes().decode("utf-32-le"))
        out = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        ends = np.flatnonzero(out == ord(_PROBE_SEP))
        return out, np.concatenate(([0], ends[:-1] + 1)), ends

    nfd, starts, ends = segments("NFD", cps)
    decomposed = ends - starts > 1
    nfc, nfc_starts, nfc_ends = segments("NFC", cps[decomposed])
    stable = np.zeros(cps.size, dtype=bool)
    stable[decomposed] = (nfc_ends - nfc_starts == 1) & (nfc[nfc_starts] == cps[decomposed])
    later = np.zeros(nfd.size + 1, dtype=np.int8)  # inside a stable segment, after its first
    later[(starts + 1)[stable]] += 1
    later[ends[stable]] -= 1
    return frozenset(np.unique(nfd[np.cumsum(later[:-1]) > 0]).tolist())


_CHARS = _CharTable()
_LOCK = threading.RLock()


# --- kernel selection ---------------------------------------------------------------

_kernel_name: str | None = None
_numba_kernels: dict[str, Any] = {}
#: Why numba is not used, when it was wanted but failed to import.
numba_error: str | None = None


def kernel() -> str:
    """The active kernel, ``"numba"`` or ``"numpy"`` (imports numba on first use)."""
    global _kernel_name, numba_error
    with _LOCK:
        if _kernel_name is None:
            name = "numpy"
            if os.environ.get("UNREPEAT_KERNEL", "").strip().lower() != "numpy":
                try:
                    _load_numba()
                    name = "numba"
                except Exception as error:  # noqa: BLE001 - numba missing, or broken for this Python/numpy
                    numba_error = f"{type(error).__name__}: {error}"
            _kernel_name = name
    return _kernel_name


#: Code points fingerprinted with the numpy kernel before numba is loaded:
#: importing numba and loading its cached kernels takes about 0.5 s, more
#: than the numpy kernel needs for a few megabytes (a small file is done
#: before numba would be ready).
NUMPY_FIRST = 1 << 21
_numpy_budget = NUMPY_FIRST


def _numpy_first(size: int) -> str:
    """The kernel for ``size`` more code points: numpy while the work done
    is small and no kernel was chosen yet, else `kernel` (the bits are the same)."""
    global _numpy_budget
    if _kernel_name is None and size <= _numpy_budget:
        _numpy_budget -= size
        return "numpy"
    return kernel()


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
    for name in ("_fmix", "_short_hash", "_accumulate", "_nb_simhash"):
        globals()[name] = _numba_kernels[name] = jit(globals()[name])


def _run(cps: np.ndarray, offsets: np.ndarray, out: np.ndarray, raw: bool = False) -> np.ndarray:
    """Fill ``out`` with the fingerprints of the texts ``cps[offsets[i]:offsets[i + 1]]``.

    With ``raw`` the texts are matching keys already. Returns a flag per text:
    0 done, `_SLOW_TEXT` when NFKC may merge some of its characters,
    `_NEW_CHAR` when it holds a character the table does not know yet.
    """
    flags = np.zeros(out.size, dtype=np.uint8)
    table = _CHARS
    if _numpy_first(cps.size) == "numba":
        _numba_kernels["_nb_simhash"](
            cps, offsets, table.table, table.multi, table.space, table.max_len, raw, out, flags
        )
    else:
        _np_simhash(cps, offsets, table.table, table.multi, table.space, raw, out, flags)
    return flags


# --- numba kernel (plain Python until _load_numba compiles it) ---------------------

_U = np.uint64
_NB_SEED, _NB_M1, _NB_M2 = _U(_SEED), _U(_M1), _U(_M2)
_S21, _S42, _S33 = _U(21), _U(42), _U(33)
_LANES = _U(0x0101_0101_0101_0101)
_BYTE = _U(0xFF)
_BLOCK = 224  # features per round of 8-bit lanes: a multiple of 32, at most 255
_GROUP = 1 << 15  # code points of keys per group in the numba kernel: buffers that stay in L2
_NP_GROUP = 1 << 16  # code points per chunk in the numpy kernel
_SLICE = 1 << 18  # code points per call of a kernel
_H4 = _U(_fmix64(_SEED ^ WIDTH))


def _fmix(x):  # type: ignore[no-untyped-def]
    x ^= x >> _S33
    x *= _NB_M1
    x ^= x >> _S33
    x *= _NB_M2
    x ^= x >> _S33
    return x


def _short_hash(key, lo, n):  # type: ignore[no-untyped-def]
    """The simhash of a key of fewer than 4 code points: the hash of its only feature."""
    h = _fmix(_NB_SEED ^ _U(n))
    if n > 0:
        w = _U(key[lo])
        if n > 1:
            w |= _U(key[lo + 1]) << _S21
        if n > 2:
            w |= _U(key[lo + 2]) << _S42
        h = _fmix(h ^ w)
    return h


def _accumulate(hashes, start, end, n_features, counts):  # type: ignore[no-untyped-def]
    """The simhash of the feature hashes ``hashes[start:end]`` (zeros count for nothing).

    ``end - start`` is a multiple of 32. The 64 bit counts go in 8-bit lanes
    (bit 8m + j in byte m of lane word j) for up to 224 features at a time,
    a loop the compiler vectorizes, then into ``counts``.
    """
    for b in range(64):
        counts[b] = 0
    for block in range(start, end, _BLOCK):
        stop = min(block + _BLOCK, end)
        c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = _U(0)
        for q in range(_U(block), _U(stop)):  # unsigned: no negative-index check
            x = hashes[q]
            c0 += x & _LANES
            c1 += (x >> _U(1)) & _LANES
            c2 += (x >> _U(2)) & _LANES
            c3 += (x >> _U(3)) & _LANES
            c4 += (x >> _U(4)) & _LANES
            c5 += (x >> _U(5)) & _LANES
            c6 += (x >> _U(6)) & _LANES
            c7 += (x >> _U(7)) & _LANES
        for m in range(8):
            s = _U(8 * m)
            counts[8 * m] += (c0 >> s) & _BYTE
            counts[8 * m + 1] += (c1 >> s) & _BYTE
            counts[8 * m + 2] += (c2 >> s) & _BYTE
            counts[8 * m + 3] += (c3 >> s) & _BYTE
            counts[8 * m + 4] += (c4 >> s) & _BYTE
            counts[8 * m + 5] += (c5 >> s) & _BYTE
            counts[8 * m + 6] += (c6 >> s) & _BYTE
            counts[8 * m + 7] += (c7 >> s) & _BYTE
    value = _U(0)
    for b in range(64):
        if 2 * counts[b] > n_features:
            value |= _U(1) << _U(b)
    return value


def _nb_simhash(cps, offsets, table, multi, space, max_len, raw, out, flags):  # type: ignore[no-untyped-def]
    """The numba kernel; see `_run`. Texts go in groups of about `_GROUP` code points.

    Per group: (1) build the keys, each in a region of the key buffer that
    starts at a multiple of 32; (2) hash every position of the buffer, a
    loop without branches; (3) per text, zero the hashes that are not
    4-grams of its key and count the bits of its region. Hot loops index
    with unsigned integers, which spares numba's negative-index handling.
    """
    n = offsets.size - 1
    capacity = min(_GROUP, cps.size * max_len + 32 * n + 64)
    key = np.zeros(capacity, dtype=np.uint32)
    hashes = np.zeros(capacity, dtype=np.uint64)
    counts = np.zeros(64, dtype=np.int64)
    region = np.zeros(n + 1, dtype=np.int64)
    lo = np.zeros(n, dtype=np.int64)
    hi = np.zeros(n, dtype=np.int64)
    one = _U(1)
    first = 0
    while first < n:
        # (1) keys
        end = 0
        t = first
        while t < n:
            need = end + (offsets[t + 1] - offsets[t]) * max_len + 64
            if need > capacity:
                if t > first:
                    break
                capacity = need
                key = np.zeros(capacity, dtype=np.uint32)
                hashes = np.zeros(capacity, dtype=np.uint64)
            region[t] = end
            start = _U(end)
            k = start
            if raw:
                for p in range(_U(offsets[t]), _U(offsets[t + 1])):
                    key[k] = cps[p]
                    k += one
            else:
                prev = _U(0)  # the last code point written, to fold runs of gaps
                tail = 0  # the tail class of the previous character
                for p in range(_U(offsets[t]), _U(offsets[t + 1])):
                    v = table[cps[p]]
                    if v < _MULTI:
                        ccc = (v >> _TAIL_SHIFT) & 0xFF
                        if v >= _MARK and tail > ccc:  # NFKC would reorder the marks
                            flags[t] = _SLOW_TEXT
                            break
                        tail = ccc
                        x = _U(v & _CODE)
                        key[k] = x
                        k += one if (x != _GAP or prev != _GAP) else _U(0)
                        prev = x
                    elif v < _SPECIAL:
                        tail = 0
                        size = v & 31
                        if size > max_len:  # learnt after this call began
                            flags[t] = _NEW_CHAR
                            break
                        at = _U((v & 0x7FFF_FFFF) >> 5)
                        for q in range(at, at + _U(size)):
                            x = multi[q]
                            key[k] = x
                            k += one if (x != _GAP or prev != _GAP) else _U(0)
                            prev = x
                    else:
                        flags[t] = _SLOW_TEXT if v == _SLOW else _NEW_CHAR
                        break
            if flags[t]:
                k = start
            a = start
            if not raw:
                while a < k and space[key[a]]:
                    a += one
                while k > a and space[key[k - one]]:
                    k -= one
            lo[t] = a
            hi[t] = k
            end = (int(k) + 31) & ~31
            t += 1
        stop = t
        region[stop] = end
        # (2) hashes of every 4-gram position of the buffer
        for p in range(_U(max(end - 3, 0))):
            w = _U(key[p]) | (_U(key[p + one]) << _S21) | (_U(key[p + _U(2)]) << _S42)
            hashes[p] = _fmix(_fmix(_H4 ^ w) ^ _U(key[p + _U(3)]))
        # (3) counts per text
        for t in range(first, stop):
            if flags[t]:
                continue
            size = hi[t] - lo[t]
            if size < 4:
                out[t] = _short_hash(key, lo[t], size)
                continue
            for p in range(region[t], lo[t]):
                hashes[p] = 0
            for p in range(hi[t] - 3, region[t + 1]):
                hashes[p] = 0
            out[t] = _accumulate(hashes, region[t], region[t + 1], size - 3, counts)
        first = stop


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


def _np_simhash(
    cps: np.ndarray,
    offsets: np.ndarray,
    table: np.ndarray,
    multi: np.ndarray,
    space: np.ndarray,
    raw: bool,
    out: np.ndarray,
    flags: np.ndarray,
) -> None:
    """The numpy kernel, same contract as `_nb_simhash`.

    Texts go in chunks of about `_NP_GROUP` code points, so that the temporary
    arrays stay in the cache.
    """
    n = offsets.size - 1
    cuts = np.unique(np.searchsorted(offsets, np.arange(0, offsets[-1], _NP_GROUP), "right") - 1)
    cuts = np.append(cuts[cuts < n], n)
    if cuts[0] != 0:
        cuts = np.insert(cuts, 0, 0)
    for first, last in zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True):
        chunk = cps[offsets[first] : offsets[last]]
        local = offsets[first : last + 1] - offsets[first]
        if raw:
            _np_keys(chunk, local[:-1], local[1:], np.arange(first, last), out)
        else:
            _np_chunk(chunk, local, table, multi, space, out[first:last], flags[first:last])


def _np_chunk(
    cps: np.ndarray,
    offsets: np.ndarray,
    table: np.ndarray,
    multi: np.ndarray,
    space: np.ndarray,
    out: np.ndarray,
    flags: np.ndarray,
) -> None:
    """Build the keys of a chunk of texts at once (`_np_build_keys`), then hash them."""
    key, lo, hi = _np_build_keys(cps, offsets, table, multi, space, flags)
    done = np.flatnonzero(flags == 0)
    _np_keys(key, lo[done], hi[done], done, out)


def _np_build_keys(
    cps: np.ndarray,
    offsets: np.ndarray,
    table: np.ndarray,
    multi: np.ndarray,
    space: np.ndarray,
    flags: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The matching keys of texts at once: ``key[lo[i]:hi[i]]`` is the key of
    text i, unless ``flags[i]`` says the table cannot make it.

    Positions that move (characters with a key of several code points,
    runs of gaps folded into one) shift the text offsets, found by binary
    search.
    """
    n = offsets.size - 1
    key = np.take(table, cps)
    single = key < _MULTI
    marks = np.flatnonzero(single & (key >= _MARK))
    if marks.size:  # a mark after a character of a higher tail class: NFKC would reorder
        owner = np.searchsorted(offsets, marks, "right") - 1
        before = np.where(marks > offsets[owner], key[marks - 1], 0)
        tail = np.where(before < _MULTI, (before >> _TAIL_SHIFT) & 0xFF, 0)
        flags[owner[tail > (key[marks] >> _TAIL_SHIFT) & 0xFF]] = _SLOW_TEXT
    key = np.where(single, key & _CODE, key)
    special = np.flatnonzero(key >= _SPECIAL)
    if special.size:
        owner = np.searchsorted(offsets, special, "right") - 1
        slow = key[special] == _SLOW
        flags[owner[slow]] = _SLOW_TEXT
        flags[owner[~slow]] = _NEW_CHAR
        key[special] = _GAP  # the flagged texts are computed but not kept
    # expand the characters whose key has several code points
    at = np.flatnonzero(key >= _MULTI)
    if at.size:
        v = key[at]
        sizes = (v & 31).astype(np.int64)
        src = np.repeat(((v & 0x7FFF_FFFF) >> 5).astype(np.int64), sizes) + _ragged_arange(sizes)
        chars = multi[src]
        is_first = np.zeros(chars.size, dtype=bool)
        is_first[np.cumsum(sizes) - sizes] = True
        key[at] = chars[is_first]
        before = np.repeat(at + 1, sizes - 1)
        key = np.insert(key, before, chars[~is_first])
        offsets = offsets + np.searchsorted(before, offsets, "right")
    # one space per run of dropped characters (a run that crosses into the
    # next text only loses that text's leading space, which strip removes)
    gap = key == _GAP
    drop = np.flatnonzero(gap[1:] & gap[:-1]) + 1
    if drop.size:
        key = np.delete(key, drop)
        offsets = offsets - np.searchsorted(drop, offsets, "left")
    # strip the ends of each key
    solid = np.flatnonzero(np.take(space, key) == 0)
    first = np.searchsorted(solid, offsets[:-1], "left")
    stop = np.searchsorted(solid, offsets[1:], "left")
    has = stop > first
    lo = np.zeros(n, dtype=np.int64)
    hi = np.zeros(n, dtype=np.int64)
    lo[has] = solid[first[has]]
    hi[has] = solid[stop[has] - 1] + 1
    return key, lo, hi


def _np_keys(key: np.ndarray, lo: np.ndarray, hi: np.ndarray, targets: np.ndarray, out: np.ndarray) -> None:
    """Write the simhash of each key ``key[lo[i]:hi[i]]`` (in order, disjoint) to ``out[targets[i]]``.

    Every position of ``key`` is hashed as the start of a 4-gram; the
    positions that are not (the last three of a key, what lies between keys)
    get hash 0, which counts for nothing. The bits are counted in 8-bit
    lanes: pass j sums ``(h >> j) & 0x0101..`` over segments of at most 255
    features with one ``add.reduceat``, and byte m of the sums is the count
    of bit 8m + j.
    """
    size = hi - lo
    short = size < WIDTH
    if short.any():
        out[targets[short]] = _np_short(key, lo[short], size[short])
        lo, hi, targets = lo[~short], hi[~short], targets[~short]
    if not lo.size:
        return
    n_features = hi - lo - (WIDTH - 1)
    k = key.astype(np.uint64)
    h = k[1:-2] << _S21
    h |= k[:-3]
    h |= k[2:-1] << _S42
    h ^= _H4
    _np_fmix(h)
    h ^= k[3:]
    _np_fmix(h)
    del k
    # zero what lies before, between and after the runs of 4-gram starts
    gap_start = np.concatenate(([0], lo + n_features))
    gap_size = np.concatenate((lo, [h.size])) - gap_start
    h[np.repeat(gap_start, gap_size) + _ragged_arange(gap_size)] = 0
    # segments of at most 255 features, so that 8-bit lanes cannot overflow
    n_segments = (n_features + 254) // 255
    seg_start = np.repeat(lo, n_segments) + 255 * _ragged_arange(n_segments)
    counts = np.empty((seg_start.size, 8, 8), dtype=np.uint8)
    lane = np.empty_like(h)
    for j in range(8):
        np.right_shift(h, _U(j), out=lane)
        lane &= _LANES
        counts[:, :, j] = np.add.reduceat(lane, seg_start).view(np.uint8).reshape(-1, 8)
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

"""How alike two texts are: the one measure every decision, every report
record and `unrepeat.verify` use.

`similarity` is 1.0 when the two texts have the same letters and digits (case
folded, as in the matching key; spaces, punctuation and line breaks dropped),
so a glued or hard-wrapped copy of a sentence is the same as the sentence.
Otherwise it is the similarity of their sequences of words (the words of
the matching key, `difflib.SequenceMatcher`'s ratio): one changed word in a
ten-word sentence gives 0.9, unrelated sentences score near 0. Texts of more
than `LONG` words between them (whole copies of an article) are compared by
their character 4-grams instead (the Dice coefficient of the multisets),
which costs linear time.

>>> similarity("The cat sat on the mat.", "the cat  sat on the\\nmat")
1.0
>>> similarity("The cat sat on the mat today.", "The cat sat on a mat today.")
0.8571428571428571
>>> similarity("Same. Same.", "Same.", repeats=True)
1.0
"""

from __future__ import annotations

from difflib import SequenceMatcher

import numpy as np

from ..normalize import matching_key
from .pieces import squeeze

#: Above this many words in both texts, compare 4-grams rather than words.
LONG = 4000
_P = (np.uint64(0x9E37_79B9_7F4A_7C15), np.uint64(0xC2B2_AE3D_27D4_EB4F), np.uint64(0x1656_67B1_9E37_79F9))


def letters(text: str) -> np.ndarray:
    """The letters, digits and marks of ``text``, case folded, as codes."""
    return squeeze(text)[0]


def similarity(a: str, b: str, repeats: bool = False) -> float:
    """1.0 when ``a`` and ``b`` have the same letters, else the similarity of
    their words (see the module docstring).

    With ``repeats``, ``a`` may be several copies of ``b`` back to back (a
    sentence said three times collapses to one) and still count as equal.
    """
    if same_letters(letters(a), letters(b), repeats):
        return 1.0
    return words_similarity(matching_key(a), matching_key(b))


def same_letters(x: np.ndarray, y: np.ndarray, repeats: bool = False) -> bool:
    if len(x) == len(y) and np.array_equal(x, y):
        return True
    return repeats and len(y) > 0 and len(x) % len(y) == 0 and np.array_equal(x, np.tile(y, len(x) // len(y)))


def words_similarity(key_a: str, key_b: str) -> float:
    """The ratio of two matching keys' word sequences (4-grams for long texts)."""
    ta, tb = key_a.split(), key_b.split()
    if not ta or not tb:
        return 0.0
    if len(ta) + len(tb) <= LONG:
        return SequenceMatcher(None, ta, tb, autojunk=False).ratio()
    return _dice(letters(key_a), letters(key_b))


def _dice(x: np.ndarray, y: np.ndarray) -> float:
    q = min(4, len(x), len(y))
    if not q:
        return 0.0
    gx, gy = _grams(x, q), _grams(y, q)
    ux, cx = np.unique(gx, return_counts=True)
    uy, cy = np.unique(gy, return_counts=True)
    _, ix, iy = np.intersect1d(ux, uy, assume_unique=True, return_indices=True)
    return 2 * int(np.minimum(cx[ix], cy[iy]).sum()) / (len(gx) + len(gy))


def _grams(codes: np.ndarray, q: int) -> np.ndarray:
    wide = codes.astype(np.uint64)
    n = len(wide) - q + 1
    g = wide[q - 1 : q - 1 + n].copy()
    for t in range(q - 1):
        g += wide[t : t + n] * _P[t]
    return g

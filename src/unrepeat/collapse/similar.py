"""How alike two texts are, whatever their layout: the one measure every
decision, every report record and `unrepeat.verify` use.

Two texts are compared by their letters and digits only (case folded, as in
the matching key; spaces, punctuation and line breaks dropped), so a glued or
hard-wrapped copy of a sentence is the same as the sentence. `similarity` is
1.0 when those are equal, else the Dice coefficient of their character
4-gram multisets: a changed word costs about a tenth in a 20-word sentence,
about a quarter in a 7-word one, and unrelated sentences score near 0.

>>> similarity("The cat sat on the mat.", "the cat  sat on the\\nmat")
1.0
>>> round(similarity("The cat sat on the mat today.", "The cat sat on a mat today."), 2)
0.72
>>> similarity("Same. Same.", "Same.", repeats=True)
1.0
"""

from __future__ import annotations

import numpy as np

from .pieces import squeeze

Q = 4
_P = (np.uint64(0x9E37_79B9_7F4A_7C15), np.uint64(0xC2B2_AE3D_27D4_EB4F), np.uint64(0x1656_67B1_9E37_79F9))


def letters(text: str) -> np.ndarray:
    """The letters, digits and marks of ``text``, case folded, as codes."""
    return squeeze(text)[0]


def similarity(a: str, b: str, repeats: bool = False) -> float:
    """1.0 when the letters of ``a`` and ``b`` are equal, else the Dice
    coefficient of their 4-gram multisets (0 to 1).

    With ``repeats``, ``a`` may be several copies of ``b`` back to back (a
    sentence said three times collapses to one) and still count as equal.
    """
    return codes_similarity(letters(a), letters(b), repeats)


def codes_similarity(x: np.ndarray, y: np.ndarray, repeats: bool = False) -> float:
    """`similarity` of two squeezed texts."""
    if len(x) == len(y) and np.array_equal(x, y):
        return 1.0
    if repeats and len(y) and len(x) % len(y) == 0 and np.array_equal(x, np.tile(y, len(x) // len(y))):
        return 1.0
    if not len(x) or not len(y):
        return 0.0
    q = min(Q, len(x), len(y))
    gx, gy = _grams(x, q), _grams(y, q)
    ux, cx = np.unique(gx, return_counts=True)
    uy, cy = np.unique(gy, return_counts=True)
    _, ix, iy = np.intersect1d(ux, uy, assume_unique=True, return_indices=True)
    common = int(np.minimum(cx[ix], cy[iy]).sum())
    return 2 * common / (len(gx) + len(gy))


def _grams(codes: np.ndarray, q: int) -> np.ndarray:
    wide = codes.astype(np.uint64)
    n = len(wide) - q + 1
    g = wide[q - 1 : q - 1 + n].copy()
    for t in range(q - 1):
        g += wide[t : t + n] * _P[t]
    return g

"""Faithful normalization (output text) and the lossy matching key (comparison only)."""

from __future__ import annotations

import unicodedata

import regex

_NOT_KEY = regex.compile(r"[\p{P}\p{S}\p{Cf}\s]+")


def matching_key(text: str) -> str:
    """The lossy form two texts are compared by: NFKC, case folded, punctuation,
    symbols and format characters dropped, whitespace folded to one space.

    Only for fingerprints and comparisons, never for output.

    >>> matching_key("“Hello,” she   said — twice.")
    'hello she said twice'
    >>> matching_key("...")
    ''
    """
    return _NOT_KEY.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()

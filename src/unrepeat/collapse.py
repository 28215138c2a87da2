"""Finds repeated passages in a document and decides which copy stays: `clean`.

(placeholder: returns the input unchanged, to be replaced)
"""

from __future__ import annotations

from .config import Config
from .report import CleanResult


def clean(text: str, config: Config | None = None) -> CleanResult:
    """Clean one document."""
    config = config or Config()
    out = text.strip() + "\n" if text.strip() else ""
    return CleanResult(out, out, (), {}, {"input_chars": len(text)})

"""unrepeat: canonical clean text from scraped, repetitive text, with a report of every removal."""

from __future__ import annotations

from .collapse import clean
from .config import Config, Keep, Scope
from .report import CleanResult, Reason, Removal, apply_removals

__all__ = [
    "CleanResult",
    "Config",
    "Keep",
    "Reason",
    "Removal",
    "Scope",
    "apply_removals",
    "clean",
]
__version__ = "0.1.0"

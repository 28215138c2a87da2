"""unrepeat: canonical clean text from scraped, repetitive text, with a report of every removal.

>>> import unrepeat
>>> r = unrepeat.clean("Breaking news\\nBreaking news\\nThe story itself.\\n")
>>> r.text
'Breaking news\\n\\nThe story itself.\\n'
>>> [x.reason.value for x in r.removals]
['stuttered_line']
"""

from __future__ import annotations

from .collapse import clean
from .config import Config, Keep, Scope
from .fingerprint import simhash
from .records import clean_records
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
    "clean_records",
    "simhash",
]
__version__ = "0.1.0"

"""Progress on standard error, with tqdm: the bytes of input taken, documents, rate and ETA.

The bar counts the input's bytes (its ETA needs their total, known for
uncompressed files) and shows the documents cleaned and the share removed
after it. It appears only after a second (short runs print nothing but the
summary) and is erased at the end; warnings are written above it
(``tqdm.write``), so they never break it. Disabled, it prints nothing but
the warnings.
"""

from __future__ import annotations

import sys
from typing import IO, NoReturn

from tqdm import tqdm

from .report import Summary

__all__ = ["PartsBar", "ProgressBar"]

DELAY = 1.0  #: seconds before the bar appears


class ProgressBar:
    """A progress bar over a run's input bytes; `update` it with the run's counts."""

    def __init__(self, enabled: bool, total: int | None = None, file: IO[str] | None = None) -> None:
        self._file = sys.stderr if file is None else file
        self._bar = tqdm(total=total, unit="B", unit_scale=True, disable=not enabled, file=self._file, delay=DELAY,
                         leave=False, dynamic_ncols=True, mininterval=0.2)
        self._documents = -1

    def update(self, stats: Summary, read: int) -> None:
        """Show the counts of ``stats`` after ``read`` bytes of input."""
        if self._bar.disable:
            return
        if stats.documents != self._documents:
            self._documents = stats.documents
            removed = 1 - stats.bytes_out / stats.bytes_in if stats.bytes_in else 0.0
            postfix = f"{stats.documents:,} documents, {removed:.1%} removed"
            if stats.duplicates:
                postfix += f", {stats.duplicates:,} duplicates"
            self._bar.set_postfix_str(postfix, refresh=False)
        self._bar.update(read - self._bar.n)

    def warn(self, message: str) -> None:
        """Print ``Warning: message`` above the bar."""
        tqdm.write(f"Warning: {message}", file=self._file)

    def close(self) -> None:
        """Erase the bar."""
        self._bar.close()


class PartsBar:
    """A progress bar over the parts of a Dask run, made on the first `update`."""

    def __init__(self, enabled: bool, file: IO[str] | None = None) -> None:
        self._enabled = enabled
        self._file = sys.stderr if file is None else file
        self._bar: tqdm[NoReturn] | None = None

    def update(self, done: int, parts: int, so_far: object = None) -> None:
        if not self._enabled:
            return
        if self._bar is None:
            self._bar = tqdm(total=parts, unit="part", file=self._file, leave=False, dynamic_ncols=True)
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

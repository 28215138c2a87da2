"""The Dask engine: clean JSONL corpora on a Dask cluster, byte for byte as the local engine does.

`run` (``unrepeat clean --engine dask``) reads JSONL files (paths, globs or
fsspec URLs) in blocks (`unrepeat.dask.blocks`) and writes part k of the
output (and of the report) per block; decompressed and concatenated in
order, the parts are the local engine's output (and report). `clean` does
the same for a bag of dicts or a DataFrame at hand.

Every task is a pure function of a block and of the values of the tasks
before it (`unrepeat.dask.tasks`), so Dask computes again whatever a lost
worker held. Document scope is a map over blocks. Corpus scope prepares
blocks in parallel (about 95 % of the work), decides them in order by a
chain of fold tasks passing the index on as a value (`unrepeat.dask.fold`),
and writes a block's part as soon as the fold has passed it; at most a
window of blocks is in flight (`unrepeat.dask.job`), so memory holds the
index and a few blocks whatever the size of the corpus. Parts are written
to a hidden directory and renamed into place once all succeeded. The
package imports without dask; its functions need ``pip install
"unrepeat[dask]"``.

>>> import dask.bag as db
>>> footer = "Sign up for our daily newsletter to get the best stories every single morning."
>>> rows = [{"id": "a", "text": "A story about rivers.\\n\\n" + footer}, {"id": "b", "text": footer}]
>>> cleaned, reports = clean(db.from_sequence(rows, npartitions=2), scope="corpus")
>>> [r["text"] for r in cleaned.compute(scheduler="sync")]
['A story about rivers.\\n\\nSign up for our daily newsletter to get the best stories every single morning.\\n', '']
>>> [r.get("duplicate_of") for r in reports.compute(scheduler="sync")]
[None, 'a']
"""

from .blocks import MAX_BLOCK_SIZE, MIN_BLOCK_SIZE, Block, InputFile, auto_block_size, input_blocks, input_files
from .collections import clean
from .job import run, silence_distributed
from .tasks import MAX_WARNINGS, PART_NAME, RunSummary

__all__ = ["MAX_BLOCK_SIZE", "MAX_WARNINGS", "MIN_BLOCK_SIZE", "PART_NAME", "Block", "InputFile", "RunSummary",
           "auto_block_size", "clean", "input_blocks", "input_files", "run", "silence_distributed"]

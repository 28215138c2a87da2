"""The Dask engine: clean JSONL corpora on a Dask cluster, byte for byte as the local engine does.

`run` (``unrepeat clean --engine dask``) reads JSONL files (paths, globs,
fsspec URLs) in blocks (`unrepeat.dask.blocks`) and writes a part of the
output and of the report per block: concatenated, the local engine's output
and report. `clean` does the same for a bag or a DataFrame at hand. Every
task is a pure function of a block and of the values of the tasks before it
(`unrepeat.dask.tasks`), so Dask computes again what a lost worker held.
Corpus scope prepares blocks in parallel and decides them in order by a
chain of fold tasks passing the index on as a value (`unrepeat.dask.fold`);
a window of blocks in flight (`unrepeat.dask.job`) keeps memory to the index
and a few blocks. Needs ``pip install "unrepeat[dask]"`` to run.

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

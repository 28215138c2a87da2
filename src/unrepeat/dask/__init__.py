"""The Dask engine: clean JSONL corpora on a Dask cluster, byte for byte as the local engine does.

`run` is what ``unrepeat clean --engine dask`` calls: it reads JSONL files
(local paths, globs, or fsspec URLs such as ``s3://bucket/crawl/*.jsonl.gz``)
in blocks (`unrepeat.dask.blocks`), cleans them on the workers of a
``LocalCluster`` it starts or of a running scheduler, and writes
``part-00000.jsonl.gz``, ``part-00001.jsonl.gz`` ... (and the report in parts
of the same names under ``report_dir``). The decompressed parts,
concatenated in numeric order, are the local engine's output of the same
inputs and options, byte for byte; the reports likewise. `clean` does the
same for a Dask collection at hand (a bag of dicts or a DataFrame).

Every task is a pure function of a block and of the values of the tasks
before it (`unrepeat.dask.tasks`), so Dask can compute again whatever a lost
worker held. Document scope is a map over blocks. Corpus scope is the local
engine's rule (a document is cleaned against what earlier documents kept):
blocks are prepared in parallel (normalization, segmentation, collapse
within the document, fingerprints: about 97 % of the work); a chain of fold
tasks (`unrepeat.dask.fold`) decides each block in order against an index
state passed on as a value, from sketches (hashes, fingerprints, spans: no
text); a block's part is written as soon as the fold has passed it. At most
a window of blocks is in flight (`unrepeat.dask.job`), so memory holds the
index and a few blocks, whatever the size of the corpus.

Writing is atomic per job: parts go to a hidden temporary directory beside
the output (``.unrepeat-XXXXXXXX``) and are renamed into place once every
part succeeded; parts of an earlier run that the new run does not replace
are then removed. The package imports without dask; its functions need
``pip install "unrepeat[dask]"`` (dask and distributed).

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

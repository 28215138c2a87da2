"""The job driver: `run` submits a job's tasks a window of blocks at a time and commits its parts."""

from __future__ import annotations

import contextlib
import functools
import logging
import operator
import os
import re
import secrets
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ..config import Config, Scope
from ..corpus import CorpusIndex
from ..io import OutputError
from .blocks import Block, InputFile, auto_block_size, input_blocks, input_files
from .fold import FoldState
from .tasks import PART_NAME, RunSummary, Target, clean_block, count_lines, fold_block, prepare_block, write_block

if TYPE_CHECKING:
    import distributed

_PART = re.compile(r"part-\d{5,}\.jsonl\.gz")
_FOLD_PRIORITY = 100  # the small tasks on the critical path (line counts, the fold): first in line
_WRITE_PRIORITY = 50  # writing a part frees its memory
_QUIET_CONFIG = {"distributed.worker.profile.enabled": False, "distributed.admin.tick.interval": "1s",
                 "distributed.admin.system-monitor.interval": "5s", "distributed.worker.memory.monitor-interval": "1s"}


def run(
    inputs: Sequence[str],
    output_dir: str,
    config: Config | None = None,
    *,
    scheduler: str | None = None,
    client: distributed.Client | None = None,
    workers: int | None = None,
    text_field: str = "text",
    id_field: str = "id",
    report_dir: str | None = None,
    skip_errors: bool = False,
    drop_duplicates: bool = False,
    index_path: str | None = None,
    block_size: int | None = None,
    progress: Callable[[int, int, RunSummary], None] | None = None,
) -> RunSummary:
    """Clean JSONL ``inputs`` into ``output_dir/part-NNNNN.jsonl.gz`` on a Dask cluster.

    The options mean what the local CLI's do (``config.scope`` included); the
    parts (and the report parts under ``report_dir``), decompressed and
    concatenated in order, are the local output (and report). The cluster:
    ``client`` (left open), else the scheduler at ``scheduler`` (an address,
    or a scheduler file ending in ``.json``), else a `local_cluster` of
    ``workers`` processes (default: one per CPU). Workers must reach the
    inputs, outputs and index under the same names (shared storage or URLs).
    ``block_size``: bytes per block and part (None: `auto_block_size`);
    ``progress(parts_done, parts, summary_so_far)`` is called after each
    part. Input problems raise `unrepeat.io.InputError`, output ones
    `unrepeat.io.OutputError`, bad options `ValueError`, a missing dask
    `ImportError`; in every case the output directories are left as they were.

    >>> run(["crawl.jsonl"], "out", Config(), drop_duplicates=True)
    Traceback (most recent call last):
        ...
    ValueError: drop_duplicates needs corpus scope
    """
    config = config or Config()
    if not inputs:
        raise ValueError("no inputs")
    if client is not None and (scheduler is not None or workers is not None):
        raise ValueError("give a client, or a scheduler or a number of workers, not both")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    for given, option in [(drop_duplicates, "drop_duplicates"), (index_path is not None, "index_path")]:
        if given and config.scope is not Scope.CORPUS:
            raise ValueError(f"{option} needs corpus scope")
    if report_dir is not None and _same_place(report_dir, output_dir):
        raise ValueError("report_dir must differ from output_dir (their parts have the same names)")
    if block_size is not None and block_size < 1:
        raise ValueError(f"block_size must be at least 1, got {block_size}")
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ImportError('the Dask engine needs dask and distributed: pip install "unrepeat[dask]"') from None
    files = input_files(inputs)
    _check_outputs(files, output_dir, report_dir, index_path)
    with contextlib.ExitStack() as stack:
        if client is None and scheduler is not None:
            from distributed import Client

            file = scheduler.endswith(".json") and os.path.exists(scheduler)
            client = stack.enter_context(Client(scheduler_file=scheduler) if file else Client(scheduler))
        elif client is None:
            client = stack.enter_context(local_cluster(workers or os.cpu_count() or 1))
        client.wait_for_workers(1)
        threads = sum(client.nthreads().values())
        blocks = input_blocks(files, block_size or auto_block_size(files, threads))
        target = Target("", None, config, text_field, id_field, drop_duplicates, skip_errors)
        return _job(client, blocks, target, output_dir, report_dir, index_path and os.path.abspath(index_path),
                    progress)


def _same_place(a: str, b: str) -> bool:
    if "://" in a or "://" in b:
        return a.rstrip("/") == b.rstrip("/")
    return os.path.realpath(a) == os.path.realpath(b)


def _check_outputs(files: list[InputFile], output_dir: str, report_dir: str | None, index_path: str | None) -> None:
    """Refuse to write where an input is: an output directory must hold no input file."""
    for directory in [output_dir] + ([report_dir] if report_dir else []):
        if "://" in directory:
            continue
        root = os.path.realpath(directory)
        if os.path.exists(root) and not os.path.isdir(root):
            raise ValueError(f"{directory} is a file; the Dask engine writes its parts into a directory")
        for f in files:
            if "://" not in f.url and os.path.realpath(f.url).startswith(root + os.sep):
                raise ValueError(f"the output directory {directory} holds the input {f.name}")
    if index_path is not None and any(_same_place(index_path, f.url) for f in files):
        raise ValueError(f"the index {index_path} would overwrite an input")


@contextlib.contextmanager
def local_cluster(workers: int) -> Iterator[distributed.Client]:
    """A client of a cluster of ``workers`` processes here, one thread each, that closes quietly.

    No dashboard, no profiling of the workers, and the event loops' ticks and
    system monitors at seconds, not tens of milliseconds (idle, they took a
    tenth of a core). The job reports its failures itself, so the workers log
    nothing (a worker that dies is still told by its nanny, here); and at
    closing, the workers' last heartbeats are no news either.
    """
    import dask
    from distributed import Client, LocalCluster, WorkerPlugin

    class Quiet(WorkerPlugin):
        """`silence_distributed` in every worker process, restarted ones too."""

        name = "unrepeat-quiet"

        def setup(self, worker: object) -> None:
            silence_distributed()

    levels: dict[str, int] = {}
    try:
        with dask.config.set(_QUIET_CONFIG), LocalCluster(n_workers=workers, threads_per_worker=1,
                                                          dashboard_address=None) as cluster, Client(cluster) as client:
            client.register_plugin(Quiet())
            try:
                yield client
            finally:
                with contextlib.suppress(Exception):
                    client.run(silence_distributed)
                levels = silence_distributed()
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def silence_distributed() -> dict[str, int]:
    """Set distributed's loggers in this process to say nothing; their levels before."""
    names = ["distributed", *[n for n in logging.root.manager.loggerDict if n.startswith("distributed.")]]
    levels = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    return levels


def _job(client: distributed.Client, blocks: list[Block], target: Target, output_dir: str, report_dir: str | None,
         index_path: str | None, progress: Callable[[int, int, RunSummary], None] | None) -> RunSummary:
    """One run on a client: the parts go to hidden directories beside their own, renamed into
    place once every part is written; what the run made is gone after a failure."""
    import fsspec.core

    token = secrets.token_hex(4)
    places = [(fsspec.core.url_to_fs(final), f".unrepeat-{token}") for final in [output_dir, report_dir] if final]
    made = []  # the directories made (the temporary ones, and the final ones that were not there)
    try:
        for (fs, final), temp in places:
            made += [] if fs.exists(final) else [(fs, final)]
            fs.makedirs(f"{final}/{temp}", exist_ok=True)
            made.append((fs, f"{final}/{temp}"))
        temps = [fs.unstrip_protocol(f"{final}/{temp}") for (fs, final), temp in places]
        target = target._replace(output=temps[0], report=temps[1] if report_dir else None)
        summary, state = _submit(client, blocks, target, index_path, progress)
        names = {PART_NAME.format(k) for k in range(summary.parts)}
        for (fs, final), temp in places:
            for name in sorted(names):
                fs.mv(f"{final}/{temp}/{name}", f"{final}/{name}")
            for path in fs.ls(final, detail=False):  # parts of an earlier run that this one does not replace
                if _PART.fullmatch(base := path.rstrip("/").rsplit("/", 1)[-1]) and base not in names:
                    fs.rm(path)
        made = [(fs, path) for fs, path in made if path.endswith(token)]
        if index_path is not None:
            client.submit(_save_index, state, index_path, pure=False).result()
        return summary
    except OSError as exc:
        raise OutputError(output_dir, f"cannot write: {exc.strerror or exc}") from None
    finally:
        for fs, path in reversed(made):
            with contextlib.suppress(Exception):
                fs.rm(path, recursive=True)


def _submit(client: distributed.Client, blocks: list[Block], target: Target, index_path: str | None,
            progress: Callable[[int, int, RunSummary], None] | None) -> tuple[RunSummary, Any]:
    """Submit the tasks of each block, at most a window of blocks ahead of the parts written, in order;
    what the parts did, and the fold's last state (corpus scope).

    The window bounds what waits in memory: in corpus scope, the prepared
    documents of the blocks the fold has not passed yet.
    """
    submit = functools.partial(client.submit, pure=False)
    corpus = target.config.scope is Scope.CORPUS
    window = 2 * max(1, sum(client.nthreads().values())) + 2
    summary = RunSummary()
    pending: deque[Any] = deque()  # the write futures, in block order
    state: Any = submit(_start, index_path, priority=_FOLD_PRIORITY) if corpus else None
    offset: Any = 0
    count: Any = None
    try:
        for k, block in enumerate([*blocks, None]):
            while pending and (len(pending) >= window or block is None):
                summary.merge(pending.popleft().result())
                if progress is not None:
                    progress(summary.parts, len(blocks), summary)
            if block is None:
                break
            offset = 0 if block.start == 0 else submit(operator.add, offset, count, priority=_FOLD_PRIORITY)
            count = submit(count_lines, block, priority=_FOLD_PRIORITY)
            if not corpus:
                pending.append(submit(clean_block, block, offset, k, target, priority=-k))
                continue
            prepared = submit(prepare_block, block, offset, target, priority=-k)
            packed, docs = (submit(operator.getitem, prepared, i, priority=_FOLD_PRIORITY) for i in (0, 1))
            folded = submit(fold_block, state, docs, target.config, priority=_FOLD_PRIORITY)
            verdicts, state = (submit(operator.getitem, folded, i, priority=_FOLD_PRIORITY) for i in (0, 1))
            pending.append(submit(write_block, block, offset, k, target, packed, verdicts, priority=_WRITE_PRIORITY))
            del prepared, packed, docs, folded, verdicts  # the scheduler keeps them while later tasks need them
    except BaseException:
        client.cancel([*pending, *[f for f in (state, offset, count) if hasattr(f, "key")]])
        raise
    return summary, state


def _start(index_path: str | None) -> FoldState:
    """The fold's first state: the saved index of an earlier run, or none."""
    if index_path is None or not os.path.lexists(index_path):
        return FoldState()
    return FoldState.of(CorpusIndex.load(index_path))


def _save_index(state: FoldState, index_path: str) -> None:
    """Save the index the local engine would end with (atomically)."""
    os.makedirs(os.path.dirname(index_path), exist_ok=True)
    state.whole().save(index_path)

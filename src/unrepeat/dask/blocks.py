"""Inputs cut into blocks, numbered in input order: byte ranges of JSONL files (a line belongs to
the block it starts in; a compressed file is one block), read on the workers."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from ..io import Format, InputError, JsonLine, compression, find_inputs, format_of, input_errors, read_range

MAX_BLOCK_SIZE = 8 << 20
"""The largest block `auto_block_size` chooses: a block being prepared takes about 15 times its
size in memory, and a prepared one waiting for the fold 2.5 times (about 8 s of work a block)."""

MIN_BLOCK_SIZE = 1 << 20  #: the smallest block `auto_block_size` chooses


class InputFile(NamedTuple):
    """One JSONL input file."""

    url: str  #: what fsspec opens (an absolute path for a local file)
    name: str  #: how reports and messages name the file, as the local engine does
    size: int  #: bytes (compressed, for a compressed file)


class Block(NamedTuple):
    """A byte range of one input file (``url``, ``name`` as in `InputFile`): the lines that start in it."""

    url: str
    name: str
    compression: str | None  #: "gz", "zst" or None
    start: int  #: the first byte (0 for a compressed file, which is one block)
    end: int | None  #: the byte after the range; None: to the end of the file


def input_files(inputs: Sequence[str]) -> list[InputFile]:
    """The JSONL files that ``inputs`` name (files, directories, globs, fsspec URLs of these), in order.

    Files are named as the local engine names them when a shell expands the
    glob (a URL's files by their full URLs). Anything but JSONL, or an input
    that is not there, is an `InputError`.
    """
    files = [InputFile(*f) for f in _found(inputs)]
    for f in files:
        if format_of(f.name) is not Format.JSONL:
            raise InputError(f.name, "the Dask engine reads JSONL files (.jsonl, .jsonl.gz, .jsonl.zst)")
    return files


def input_blocks(files: Sequence[InputFile], block_size: int) -> list[Block]:
    """The files cut into blocks of ``block_size`` bytes (a compressed file is one block), in order.

    >>> input_blocks([InputFile("/data/a.jsonl", "a.jsonl", 250)], 100)  # doctest: +NORMALIZE_WHITESPACE
    [Block(url='/data/a.jsonl', name='a.jsonl', compression=None, start=0, end=100),
     Block(url='/data/a.jsonl', name='a.jsonl', compression=None, start=100, end=200),
     Block(url='/data/a.jsonl', name='a.jsonl', compression=None, start=200, end=250)]
    >>> input_blocks([], 0)
    Traceback (most recent call last):
        ...
    ValueError: block_size must be at least 1, got 0
    """
    if block_size < 1:
        raise ValueError(f"block_size must be at least 1, got {block_size}")
    blocks: list[Block] = []
    for url, name, size in files:
        kind = compression(name)
        if kind is not None or size <= block_size:
            blocks.append(Block(url, name, kind, 0, None))
            continue
        blocks += [Block(url, name, None, start, min(start + block_size, size)) for start in range(0, size, block_size)]
    return blocks


def auto_block_size(files: Sequence[InputFile], threads: int) -> int:
    """A block size that gives every worker thread about 16 blocks, between 1 and 8 MiB.

    Many blocks per thread keep the workers evenly busy to the end, and a
    block's prepared documents small (they wait in memory for the fold).

    >>> auto_block_size([InputFile("a", "a.jsonl", 200_000_000)], 2) / 2**20
    5.9604644775390625
    """
    total = sum(f.size for f in files if compression(f.name) is None)
    return max(MIN_BLOCK_SIZE, min(MAX_BLOCK_SIZE, total // (16 * max(threads, 1))))


def _found(inputs: Sequence[str]) -> Iterator[tuple[str, str, int]]:
    """(url, name, size) of each input file, in order."""
    import fsspec.core

    for arg in inputs:
        if "://" in arg:
            fs, path = fsspec.core.url_to_fs(arg)
            if glob.has_magic(path):
                hidden = path.rsplit("/", 1)[-1].startswith(".")  # as a shell, "*" matches no hidden name
                found = sorted(p for p in fs.glob(path) if hidden or not p.rsplit("/", 1)[-1].startswith("."))
            elif fs.isdir(path):
                found = sorted((p for p in fs.find(path) if _listed(p[len(path.rstrip("/")) + 1 :])),
                               key=lambda p: p.split("/"))
            else:
                found = [path] if fs.exists(path) else []
            if not found:
                raise InputError(arg, "no such file")
            yield from ((fs.unstrip_protocol(p), fs.unstrip_protocol(p), fs.size(p)) for p in found)
            continue
        args = sorted(glob.glob(arg)) if glob.has_magic(arg) and not os.path.exists(arg) else [arg]
        if not args:
            raise InputError(arg, "no such file")
        for source in find_inputs(args):
            assert source.path is not None  # no standard input here
            yield os.path.abspath(source.path), source.name, source.path.stat().st_size


def _listed(relative: str) -> bool:
    """Would the local engine take this file of a directory (no hidden parts, a known suffix)?"""
    parts = relative.split("/")
    return not any(p.startswith(".") for p in parts) and format_of(parts[-1]) is Format.JSONL


def block_lines(block: Block) -> tuple[int, list[JsonLine]]:
    """The number of lines that start in the block (blank ones included) and its records, numbered from 1."""
    import fsspec.core

    fs, path = fsspec.core.url_to_fs(block.url)
    with input_errors(block.name), fs.open(path, "rb") as raw:
        return read_range(raw, block.name, block.compression, block.start, block.end)

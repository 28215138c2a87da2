"""Time on pathological input, and the ftfy pre-check on real multilingual text.

Part 1 prints seconds per MB (of UTF-8 input) for each family of
pathological text at 1, 2 and 4 MB, through `normalize` + `segment.sentences`
(the part this benchmark is about: it must stay flat), and through
`unrepeat.clean`, the whole pipeline, as a second column. Each `clean` runs
in a fresh process with a time limit (``--clean-limit`` seconds, "> limit"
when it is reached, and the larger sizes of that family are skipped).

Part 2 (when the bench articles are there) checks that `_needs_ftfy`, which
runs ftfy's `is_bad` only where its kernel is found, answers as the plain
pre-check did on every line of the articles and of mojibake copies of them,
that `normalize` gives the same text, fixes and offsets either way, and how
much faster `normalize` runs with the kernel.

    .venv/bin/python benchmarks/bench_pathological.py [--sizes 1,2,4] [--families dots,...]
        [--clean-limit 120] [--no-clean] [--repeat 3] [--articles ../shared/bench/articles.jsonl]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import ftfy.badness

from unrepeat import normalize as normalize_module
from unrepeat.normalize import normalize
from unrepeat.segment import sentences

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = ROOT.parent / "shared" / "bench" / "articles.jsonl"
MB = 1_000_000


def repeat_to(unit: str, size: int, head: str = "", tail: str = "") -> str:
    """``head + unit * k + tail``, about ``size`` UTF-8 bytes long."""
    return head + unit * max(1, size // len(unit.encode())) + tail


#: name -> (what it is, size in bytes -> text)
FAMILIES: dict[str, tuple[str, Callable[[int], str]]] = {
    "dots": ("a run of dots", lambda n: repeat_to(".", n)),
    "stop-capital": ('". A" repeated', lambda n: repeat_to(". A", n)),
    "abbrev-US": ('"U.S. " repeated', lambda n: repeat_to("U.S. ", n)),
    "abbrev-Dr": ('"Dr. " repeated', lambda n: repeat_to("Dr. ", n)),
    "marks-same": ("one letter and U+0301 repeated", lambda n: repeat_to("\u0301", n, head="a")),
    "marks-mixed": ("one letter and U+0301 U+0323 repeated", lambda n: repeat_to("\u0301\u0323", n, head="a")),
    "long-word": ("one word", lambda n: repeat_to("x", n)),
    "no-stops": ('one line, "word " repeated', lambda n: repeat_to("word ", n)),
    "spaces": ("two words, a run of spaces between", lambda n: repeat_to(" ", n, head="a", tail="b")),
    "ampersands": ('"&" repeated (ftfy)', lambda n: repeat_to("&", n)),
    "entities": ('"&amp; " repeated (ftfy)', lambda n: repeat_to("&amp; ", n)),
    "mojibake": ('"cafÃ© " repeated, one line (ftfy)', lambda n: repeat_to("caf\u00c3\u00a9 ", n)),
    "glue": ('"ab.Cd" repeated (glued-sentence candidates)', lambda n: repeat_to("ab.Cd", n)),
    "scripts": ("Japanese, Russian, Greek, English sentences, one line",
                lambda n: repeat_to("\u65e5\u672c\u8a9e\u3002\u041c\u0438\u0440 \u0434\u043e\u043c. "
                                    "\u0395\u03bb\u03bb\u03ac\u03b4\u03b1. Word two. ", n)),
}

_CLEAN = """
import sys, time
sys.path.insert(0, {src!r})
import unrepeat
sys.path.insert(0, {bench!r})
from bench_pathological import FAMILIES
text = FAMILIES[{family!r}][1]({size})
t0 = time.perf_counter()
unrepeat.clean(text)
print(time.perf_counter() - t0)
"""


def time_normalize(text: str, repeat: int = 1) -> float:
    """The fastest of ``repeat`` runs of `normalize` + `sentences` on ``text``."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        n = normalize(text)
        sentences(n.text, n.paragraphs)
        best = min(best, time.perf_counter() - t0)
    return best


def time_clean(family: str, size: int, limit: float) -> float | None:
    """Seconds `unrepeat.clean` takes in a fresh process (import not counted); None past ``limit``."""
    code = _CLEAN.format(src=str(ROOT / "src"), bench=str(ROOT / "benchmarks"), family=family, size=size)
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=limit + 30, check=False)
    except subprocess.TimeoutExpired:
        return None
    if out.returncode:
        raise RuntimeError(out.stderr.strip().splitlines()[-1])
    seconds = float(out.stdout.strip())
    return seconds if seconds <= limit else None


def pathological(families: list[str], sizes: list[int], clean: bool, limit: float, repeat: int) -> None:
    print("## Seconds per MB on pathological input\n")
    head = " | ".join(f"{s} MB" for s in sizes)
    print(f"| family | normalize + sentences: {head} | clean: {head} |")
    print("|---|" + "---:|" * (2 * len(sizes)))
    for family in families:
        what, make = FAMILIES[family]
        norm, full = [], []
        skip = False
        for size in sizes:
            text = make(size * MB)
            mb = len(text.encode()) / MB
            norm.append(f"{time_normalize(text, repeat) / mb:.2f}")
            if not clean:
                continue
            seconds = None if skip else time_clean(family, size * MB, limit)
            if seconds is None:
                full.append("skipped" if skip else f"> {limit:.0f} s")
                skip = True
            else:
                full.append(f"{seconds / mb:.2f}")
        print(f"| {family} ({what}) | " + " | ".join(norm) + " | " + " | ".join(full or ["-"] * len(sizes)) + " |",
              flush=True)


def _reference_needs_ftfy(line: str) -> bool:
    """The pre-check before the kernel: `is_bad` on every line outside ASCII."""
    if line.isascii():
        return normalize_module._ASCII_NEEDS_FTFY.search(line) is not None
    return "&" in line or normalize_module._FTFY_TRIGGER.search(line) is not None or ftfy.badness.is_bad(line)


def _mojibake(text: str) -> str:
    data = text.encode("utf-8")
    for encoding in ("cp1252", "latin-1"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return text


def _outcome(text: str) -> tuple[object, ...]:
    n = normalize(text)
    step = max(1, len(n.text) // 500)
    return n.text, n.fixes, n.paragraphs, [n.offsets.to_input(i) for i in range(0, len(n.text) + 1, step)]


def ftfy_precheck(path: Path, repeat: int) -> None:
    documents, lines = [], []
    with path.open(encoding="utf-8") as records:
        for record in records:
            blocks = [b for b in json.loads(record)["blocks"] if b.strip()]
            documents.append("\n\n".join(blocks))
            lines.extend(line for block in blocks for line in block.split("\n"))
    damaged = [_mojibake(line) for line in lines]
    print(f"\n## The ftfy pre-check on {path.name}\n")
    for name, group in (("the articles' lines", lines), ("their mojibake copies", damaged)):
        differ = sum(normalize_module._needs_ftfy(line) != _reference_needs_ftfy(line) for line in group)
        outside = [line for line in group if not line.isascii()]
        called = sum(1 for line in outside if normalize_module._MAYBE_MOJIBAKE.search(line))
        print(f"- {name}: `_needs_ftfy` and the reference differ on {differ} of {len(group):,}; "
              f"`is_bad` runs on {called:,} of the {len(outside):,} outside ASCII (before: all of them).")

    mixed = documents + ["\n\n".join(_mojibake(p) for p in d.split("\n\n")) for d in documents[::4]]
    kernel = [_outcome(t) for t in mixed]
    with _reference_precheck():
        reference = [_outcome(t) for t in mixed]
    same = sum(a == b for a, b in zip(kernel, reference))
    print(f"- `normalize` on the {len(documents)} articles and a mojibake copy of every fourth: {same} of "
          f"{len(mixed)} identical (text, fixes, paragraphs, offsets) with the kernel and with the reference.")

    # Realistic multilingual text: the articles as they are, in their languages.
    size = sum(len(t.encode()) for t in documents) / MB
    outside = [line for line in lines if not line.isascii()]
    best = {"reference": float("inf"), "kernel": float("inf")}
    check = {"reference": float("inf"), "kernel": float("inf")}
    for _ in range(repeat):  # alternated, so that both see the same load on a shared machine
        for name in ("reference", "kernel"):
            with _reference_precheck() if name == "reference" else _nothing():
                best[name] = min(best[name], _seconds(lambda: [normalize(t) for t in documents]))
                needs = normalize_module._needs_ftfy
                check[name] = min(check[name], _seconds(lambda: [needs(line) for line in outside]))  # noqa: B023
    print(f"- `normalize` on the {len(documents)} articles ({size:.2f} MB, {len(outside):,} lines outside ASCII), "
          f"fastest of {repeat}: {size / best['reference']:.2f} MB/s with `is_bad` on every line outside ASCII, "
          f"{size / best['kernel']:.2f} MB/s behind the kernel ({best['reference'] / best['kernel']:.2f}x); the "
          f"pre-check alone {check['reference'] * 1e3:.1f} ms before, {check['kernel'] * 1e3:.1f} ms now "
          f"({check['reference'] / check['kernel']:.1f}x).")


@contextmanager
def _reference_precheck() -> Iterator[None]:
    saved = normalize_module._needs_ftfy
    normalize_module._needs_ftfy = _reference_needs_ftfy
    try:
        yield
    finally:
        normalize_module._needs_ftfy = saved


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _seconds(run: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    run()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,2,4", help="sizes in MB (default 1,2,4)")
    parser.add_argument("--families", default=",".join(FAMILIES), help="comma-separated, of: " + ", ".join(FAMILIES))
    parser.add_argument("--clean-limit", type=float, default=120.0, help="seconds a clean may take (default 120)")
    parser.add_argument("--no-clean", action="store_true", help="time only normalize + sentences")
    parser.add_argument("--articles", type=Path, default=ARTICLES, help="the bench articles (part 2)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timing, the fastest counts (default 3)")
    args = parser.parse_args()
    families = args.families.split(",")
    unknown = sorted(set(families) - set(FAMILIES))
    if unknown:
        parser.error(f"unknown families: {', '.join(unknown)}")
    pathological(families, [int(s) for s in args.sizes.split(",")], not args.no_clean, args.clean_limit, args.repeat)
    if args.articles.exists():
        ftfy_precheck(args.articles, args.repeat)
    else:
        print(f"\n(no {args.articles}: part 2 skipped)")


if __name__ == "__main__":
    main()

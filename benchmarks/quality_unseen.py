"""Quality on documents the shared benchmark does not contain: our prose, other layouts.

Like `../shared/bench/dedupbench.py`, but the set is generated from our own
sentence pool (`tests/pool.py`: technical documentation with dotted names and
grammar rules, fiction with dialogue, recipes, legal terms, forum posts,
product pages, RFC-like text, German, French, Chinese, Japanese) with layouts
the benchmark does not use: glued without punctuation, a heading merged into
the next paragraph, hard wraps at 40-100 columns, one sentence per line,
entity-escaped copies, 2-5 copies in mixed layouts, two texts interleaved,
teasers; and content whose repetition must stay (reference entries opening
alike, poems with refrains, a repeated line of dialogue, captions, code that
repeats code), with controls (an entry list doubled, a pull quote, a stutter,
a document with code and tables doubled).

    python benchmarks/quality_unseen.py                          # this venv's unrepeat, seed 7
    python benchmarks/quality_unseen.py --seed 1 --per-pattern 40 --json
    python benchmarks/quality_unseen.py --cmd 'unrepeat clean --keep first {input} -o {output}'
    python benchmarks/quality_unseen.py --out /tmp/unseen         # keep the set (input.jsonl, gold.jsonl)

Scores (over every document; definitions as in dedupbench.py, computed here):
  lost      share of gold sentence occurrences missing from the output
  residual  share of extra sentence occurrences left in the output
  para_f1   F1 of output paragraphs against gold paragraphs (folded)
  order     kept gold paragraphs in the gold's order (LCS over the kept ones)
  exact     share of documents whose folded output equals the folded gold
  clean_ok  share of documents with nothing to remove that come out unchanged (folded)
  records_ok  every record came back once, in order, with its other fields untouched
One difference: folding does not put a space after a stop glued to a letter,
so `numbers.Real` turned into `numbers. Real` counts as a changed sentence; and
no repeated sentence of a gold is "flexible": content repeated stays repeated.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import shlex
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import docgen  # noqa: E402

#: Pattern name -> (generator, is the document clean, i.e. nothing to remove).
PATTERNS: dict[str, tuple[Callable[[random.Random], docgen.Doc], bool]] = {
    "multi": (docgen.copies_document, False),
    "nopunct": (lambda rng: docgen.pair_document(rng, "glued_nopunct"), False),
    "nospace": (lambda rng: docgen.pair_document(rng, "glued_nospace"), False),
    "sentlines": (lambda rng: docgen.pair_document(rng, "sentence_lines"), False),
    "headmerge": (lambda rng: docgen.pair_document(rng, "heading_merged"), False),
    "wrapped": (lambda rng: docgen.pair_document(rng, "wrapped"), False),
    "entities": (lambda rng: docgen.pair_document(rng, "entities"), False),
    "mojibake": (lambda rng: docgen.pair_document(rng, "mojibake"), False),
    "edited": (lambda rng: docgen.pair_document(rng, "edited"), False),
    "mixture": (docgen.mixture_document, False),
    "teaser": (docgen.teaser_document, False),
    "code_doubled": (docgen.code_document, False),
    "ref_doubled": (docgen.doubled_reference_document, False),
    "pull_quote": (docgen.pull_quote_document, False),
    "stutter": (docgen.stutter_document, False),
    "reference": (docgen.reference_document, True),
    "poem": (docgen.poem_document, True),
    "dialogue": (docgen.dialogue_document, True),
    "caption": (docgen.caption_document, True),
    "clean_prose": (docgen.clean_prose_document, True),
    "clean_code": (docgen.clean_code_document, True),
}

# ------------------------------------------------------------------ the set

def generate(out: Path, seed: int, per_pattern: int) -> int:
    """Write input.jsonl and gold.jsonl; return the number of documents."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(out / "input.jsonl", "w", encoding="utf-8") as fi, open(out / "gold.jsonl", "w", encoding="utf-8") as fg:
        for name, (make, is_clean) in PATTERNS.items():
            for _ in range(per_pattern):
                doc = make(random.Random(rng.getrandbits(64)))
                did = f"{name}:{n}"
                alts = {fold(old): fold(new) for new, old in doc.variants.items()}
                fi.write(json.dumps({"id": did, "text": doc.text, "meta": {"n": n}}, ensure_ascii=False) + "\n")
                fg.write(json.dumps({"id": did, "pattern": name, "meta": {"n": n}, "gold": doc.keep, "alts": alts,
                                     "input": doc.text, "clean": is_clean}, ensure_ascii=False) + "\n")
                n += 1
    return n


# ------------------------------------------------------------------ scoring

_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])[\"'”’»)]*\s+|(?<=[。！？])")


#: With --fold-glued, a stop glued to a letter folds like "stop, space" (as dedupbench does),
#: which hides dotted names turned into two sentences (`numbers. Real`).
FOLD_GLUED = False


def fold(text: str) -> str:
    """Comparison form: entities decoded, NFKC, straight quotes, whitespace collapsed, lower case."""
    text = unicodedata.normalize("NFKC", html.unescape(text)).replace("\ufeff", "").translate(_QUOTES)
    if FOLD_GLUED:
        text = re.sub(r"(?<=[.!?])(?=[^\W\d_])", " ", text)
    return re.sub(r"\s+", " ", text).strip().lower()


def sentences(paragraph: str) -> list[str]:
    return [s for s in (x.strip() for x in _SENTENCE_END.split(paragraph)) if len(s) >= 2]


def paragraphs(text: str) -> list[str]:
    return [fold(p) for p in re.split(r"\n\s*\n|\n", text) if p.strip()]


def occurrences(hay: str, needle: str) -> int:
    """How often ``needle`` occurs in ``hay`` (both folded), not inside a longer word."""
    n, i = 0, hay.find(needle)
    while i >= 0:
        j = i + len(needle)
        left_ok = i == 0 or not hay[i - 1].isalnum() or not needle[0].isalnum()
        right_ok = j == len(hay) or not hay[j].isalnum() or not needle[-1].isalnum()
        if left_ok and right_ok:
            n += 1
            i = hay.find(needle, j)
        else:
            i = hay.find(needle, i + 1)
    return n


def lcs(a: list[str], b: list[str]) -> int:
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def score_document(gold: dict, output: str) -> dict[str, float]:
    """Lost and extra sentence occurrences, paragraph F1, order, exact; and clean_ok for clean documents."""
    gold_text, alts = gold["gold"], gold.get("alts", {})
    fg, fo = fold(gold_text), fold(output)
    variants = set(alts.values())
    candidates = {fold(s) for p in gold_text.split("\n\n") for s in sentences(p)}
    candidates |= {fold(s) for p in gold["input"].split("\n\n") for s in sentences(p) if fold(s) not in variants}
    lost = extra = total = 0
    for s in candidates:
        want = occurrences(fg, s)
        got = occurrences(fo, s) + (occurrences(fo, alts[s]) if s in alts else 0)
        if want == 0:
            extra += got
            continue
        total += want
        lost += max(0, want - got)
        extra += max(0, got - want)
    gp, op = paragraphs(gold_text), paragraphs(output)
    hit = sum((Counter(gp) & Counter(op)).values())
    if not gp and not op:
        f1 = 1.0
    else:
        precision, recall = hit / max(1, len(op)), hit / max(1, len(gp))
        f1 = 0.0 if hit == 0 else 2 * precision * recall / (precision + recall)
    gold_set = set(gp)
    matched = [p for p in op if p in gold_set]
    order = lcs(gp, matched) / len(matched) if matched else 1.0
    result = {"lost": lost, "extra": extra, "total": total, "f1": f1, "order": order, "exact": float(fo == fg)}
    if gold.get("clean"):
        result["clean_ok"] = float(fo == fold(gold["input"]))
    return result


def score(gold_path: Path, output_path: Path) -> dict:
    golds = [json.loads(line) for line in gold_path.read_text(encoding="utf-8").split("\n") if line.strip()]
    outs: dict[str, dict] = {}
    order, bad = [], 0
    for line in output_path.read_text(encoding="utf-8").split("\n"):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            did = rec["id"]
        except (ValueError, KeyError, TypeError):
            bad += 1
            continue
        bad += did in outs
        outs[did] = rec
        order.append(did)
    ids = [g["id"] for g in golds]
    records_ok = (bad == 0 and order == [d for d in ids if d in outs] and len(outs) == len(ids)
                  and all(outs[g["id"]].get("meta") == g["meta"] for g in golds if g["id"] in outs))
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for g in golds:
        r = score_document(g, (outs.get(g["id"]) or {}).get("text") or "")
        for bucket in (totals["all"], totals[g["pattern"]]):
            bucket["docs"] += 1
            for k, v in r.items():
                bucket[k] += v
            bucket["clean_docs"] += "clean_ok" in r

    def summary(b: dict[str, float]) -> dict[str, float | int | None]:
        n = max(1, b["docs"])
        return {"docs": int(b["docs"]), "lost": round(b["lost"] / max(1, b["total"]), 4),
                "residual": round(b["extra"] / max(1, b["total"]), 4), "para_f1": round(b["f1"] / n, 4),
                "order": round(b["order"] / n, 4), "exact": round(b["exact"] / n, 4),
                "clean_ok": round(b["clean_ok"] / b["clean_docs"], 4) if b["clean_docs"] else None}

    return {"all": summary(totals.pop("all")), "records_ok": records_ok, "missing": len(ids) - len(outs),
            "patterns": {k: summary(v) for k, v in sorted(totals.items())}}


def print_scores(res: dict, seconds: float) -> None:
    a = res["all"]
    print(f"[{seconds:.1f}s] docs={a['docs']} records_ok={res['records_ok']} lost={a['lost']:.4f} "
          f"residual={a['residual']:.4f} para_f1={a['para_f1']:.4f} order={a['order']:.4f} exact={a['exact']:.4f} "
          f"clean_ok={a['clean_ok']}")
    for name, v in res["patterns"].items():
        clean_ok = "" if v["clean_ok"] is None else f" clean_ok={v['clean_ok']:.2f}"
        print(f"  {name:12s} docs={v['docs']:3d} lost={v['lost']:.4f} residual={v['residual']:.4f} "
              f"para_f1={v['para_f1']:.4f} order={v['order']:.4f} exact={v['exact']:.2f}{clean_ok}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_cmd = f"{shlex.quote(str(Path(sys.executable).parent / 'unrepeat'))} clean {{input}} -o {{output}}"
    ap.add_argument("--cmd", default=default_cmd, help="command with {input} and {output} (JSONL); default: "
                                                       "this venv's unrepeat")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--per-pattern", type=int, default=20)
    ap.add_argument("--out", type=Path, help="keep the generated set (and the output) here")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--fold-glued", action="store_true", help="fold a stop glued to a letter as dedupbench does "
                                                                "(then damaged dotted names do not count)")
    a = ap.parse_args(argv)
    global FOLD_GLUED
    FOLD_GLUED = a.fold_glued
    with tempfile.TemporaryDirectory() as tmp:
        where = a.out or Path(tmp)
        generate(where, a.seed, a.per_pattern)
        output = where / "output.jsonl"
        cmd = a.cmd.format(input=shlex.quote(str(where / "input.jsonl")), output=shlex.quote(str(output)))
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, shell=True, check=False)
        seconds = time.perf_counter() - t0
        if proc.returncode != 0 or not output.exists():
            print(f"command failed with exit code {proc.returncode}: {cmd}", file=sys.stderr)
            return 1
        res = score(where / "gold.jsonl", output)
    res["seconds"] = round(seconds, 2)
    res["seed"] = a.seed
    if a.json:
        print(json.dumps(res, indent=1))
    else:
        print_scores(res, seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A synthetic web crawl for the corpus-scope benchmark, written as JSONL.

Built from the benchmark articles (``articles.jsonl``, read from where it
lies; never copied into this repository) the way a crawl repeats itself:

- most documents are *unique*: articles whose sentences are spliced from
  word windows of sentences of different articles, so their text (and its
  matching keys) is new, as most of a real crawl is;
- some articles are *syndicated*: published again on other sites, with a
  number or a word changed in some sentences and sometimes the ending
  trimmed; the real benchmark articles are syndicated too;
- every site adds its *boilerplate* (a header, a newsletter box, a cookie
  notice, a copyright line, a "follow us" line) in a shuffled order, some of
  it shared by all the sites of a network.

Documents are written one at a time (memory stays flat whatever the size),
with ids ``doc0000001``..., a ``url`` and a ``site`` field. The same
arguments give the same bytes.

    .venv/bin/python benchmarks/make_corpus.py ../shared/bench/articles.jsonl \\
        --size-mb 1024 --out /tmp/corpus-1g.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import deque
from pathlib import Path

_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+")
_NUMBER = re.compile(r"\d+")

#: Word replacements for a syndicated copy's small edits.
_EDITS = [("said", "stated"), ("the", "this"), ("and", "as well as"), ("new", "recent"), ("is", "was"),
          ("will", "would"), ("can", "could"), ("many", "several"), ("big", "large"), ("first", "initial")]

#: Boilerplate lines with the site's name in them, and lines shared by a network of sites.
_SITE_LINES = [
    "{site} / News",
    "Sign up for the {site} daily newsletter to get the most important stories in your inbox every morning.",
    "{site} uses cookies to improve your experience and to show you relevant advertising. By continuing you accept them.",
    "Copyright {year} {site} Media Group. All rights reserved. This material may not be published, broadcast, "
    "rewritten or redistributed without permission.",
    "Follow {site} on social media for breaking news, analysis and exclusive interviews with the people behind the stories.",
]
_NETWORK_LINES = [
    "Our journalism is supported by readers like you. Subscribe today and get unlimited access to every article.",
    "Advertisement. Scroll to continue reading the rest of this story below the advertisement.",
    "Have a news tip? Contact our newsroom by email or through our secure tip line at any time of day.",
]


def load_articles(path: Path) -> list[list[str]]:
    """Each article as its paragraphs (title first), paragraphs of blank-free text."""
    articles = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            a = json.loads(line)
            blocks = [" ".join(b.split()) for b in a["blocks"] if b.strip()]
            title = " ".join((a.get("title") or "").split())
            articles.append(([title] if title else []) + blocks)
    return articles


class Crawl:
    """Draws documents; all randomness comes from one seeded generator."""

    def __init__(self, articles: list[list[str]], seed: int, sites: int, syndicated: float, recent: int) -> None:
        self.rng = random.Random(seed)
        self.articles = articles
        sentences = [s for a in articles for p in a[1:] for s in _SENTENCE_END.split(p) if len(s.split()) >= 4]
        self.windows_from = [s.split() for s in sentences]
        self.sites = [f"site{i:03d}.example" for i in range(sites)]
        self.site_lines = {site: self._boilerplate(site, i) for i, site in enumerate(self.sites)}
        self.syndicated = syndicated
        self.recent: deque[list[str]] = deque(maxlen=recent)  # articles that may be syndicated
        self.count = 0

    def _boilerplate(self, site: str, i: int) -> list[str]:
        year = 2010 + i % 15
        lines = [line.format(site=site, year=year) for line in _SITE_LINES]
        network = _NETWORK_LINES[i % len(_NETWORK_LINES)]
        return lines + [network]

    def sentence(self) -> str:
        """A new sentence: word windows of several source sentences spliced together."""
        rng, words = self.rng, []
        target = rng.randint(8, 28)
        while len(words) < target:
            source = rng.choice(self.windows_from)
            size = rng.randint(3, 7)
            start = rng.randrange(max(1, len(source) - size + 1))
            words += [w.strip(".!?\"'“”") for w in source[start : start + size]]
        words = [w for w in words[:target] if w] or ["Filler"]
        text = " ".join(words)
        return text[0].upper() + text[1:] + rng.choice(".....?!")

    def unique_article(self) -> list[str]:
        rng = self.rng
        title = self.sentence().rstrip(".?!")
        return [title] + [" ".join(self.sentence() for _ in range(rng.randint(1, 5))) for _ in range(rng.randint(3, 12))]

    def edited(self, article: list[str]) -> list[str]:
        """A syndicated copy: some sentences with a number or a word changed, maybe a trimmed ending."""
        rng, out = self.rng, []
        for paragraph in article:
            if rng.random() < 0.3:
                paragraph = self._edit(paragraph)
            out.append(paragraph)
        if len(out) > 4 and rng.random() < 0.5:
            out = out[: -rng.randint(1, 2)]
        return out

    def _edit(self, paragraph: str) -> str:
        rng = self.rng
        if _NUMBER.search(paragraph) and rng.random() < 0.5:
            return _NUMBER.sub(lambda m: str(int(m.group()) + rng.randint(1, 9)), paragraph, count=1)
        for old, new in rng.sample(_EDITS, len(_EDITS)):
            changed = re.sub(rf"\b{old}\b", new, paragraph, count=1)
            if changed != paragraph:
                return changed
        return paragraph

    def document(self) -> dict[str, object]:
        rng = self.rng
        self.count += 1
        site = rng.choice(self.sites)
        if self.recent and rng.random() < self.syndicated:
            body = self.edited(rng.choice(self.recent))
        elif rng.random() < 0.02:
            body = self.edited(rng.choice(self.articles))
        else:
            body = self.unique_article()
            self.recent.append(body)
        lines = self.site_lines[site]
        chosen = rng.sample(lines[1:], rng.randint(1, len(lines) - 1))
        split = rng.randint(0, len(chosen))
        paragraphs = [lines[0], *chosen[:split], *body, *chosen[split:]]
        return {"id": f"doc{self.count:07d}", "url": f"https://{site}/story/{self.count}",
                "site": site, "text": "\n\n".join(paragraphs)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("articles", type=Path, help="the benchmark articles (../shared/bench/articles.jsonl)")
    parser.add_argument("--out", type=Path, required=True, help="the JSONL file to write")
    parser.add_argument("--size-mb", type=float, default=1024, help="stop once this many MB (1e6 bytes) are written")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--syndicated", type=float, default=0.2, help="share of documents that copy an earlier article")
    parser.add_argument("--recent", type=int, default=5000, help="how many recent articles may be syndicated")
    args = parser.parse_args(argv)
    crawl = Crawl(load_articles(args.articles), args.seed, args.sites, args.syndicated, args.recent)
    limit = int(args.size_mb * 1e6)
    written, started = 0, time.monotonic()
    with args.out.open("wb") as fh:
        while written < limit:
            line = (json.dumps(crawl.document(), ensure_ascii=False) + "\n").encode("utf-8")
            fh.write(line)
            written += len(line)
    elapsed = time.monotonic() - started
    print(f"{crawl.count} documents, {written / 1e6:.1f} MB -> {args.out} ({elapsed:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()

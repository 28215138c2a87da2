"""Documents for judging unrepeat, shared by the tests and the benchmarks.

Texts are drawn from our own sentence pool (`pool.py`), never from the
benchmark's articles. A `Text` is a heading (maybe) and 2-8 paragraphs of 1-5
sentences; a *layout* writes a copy of it the way scrapers do (`LAYOUTS`:
glued into one line, glued without punctuation, hard-wrapped, one sentence per
line, mojibake, entity-escaped, ...). A document generator returns a `Doc`: the
input, what should come out of it (before normalization), and the sentences
that must survive.

>>> import random
>>> t = Text("Title", (("One sentence here.", "Two more words."), ("Last one.",)))
>>> LAYOUTS["glued_nopunct"](t, random.Random(0))
'TitleOne sentence hereTwo more wordsLast one'
>>> print(LAYOUTS["sentence_lines"](t, random.Random(0)))
Title
One sentence here.
Two more words.
<BLANKLINE>
Last one.
>>> letters("“Café” — numbers.Real, 3½!") == letters("cafe NUMBERS real 312")
True
"""

from __future__ import annotations

import html
import html.entities
import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import regex
from pool import CODE_BLOCKS, ENTRY_OPENINGS, ENTRY_TERMS, GENRES, HEADINGS, REFRAINS, SAID_AGAIN, TABLES, VERSE

_FORMAT = regex.compile(r"\p{Cf}+")
_NOT_ALNUM = regex.compile(r"[^\p{L}\p{N}]+")
_CJK = re.compile(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]")
_FINAL_STOP = re.compile(r"[.!?。！？]+(?=[\"”’»)]*$)")
#: Genres prose texts are drawn from, with weights (non-English less often).
_TEXT_GENRES = {"tech": 4, "fiction": 3, "recipe": 3, "legal": 3, "forum": 3, "product": 3, "rfc": 3,
                "de": 1, "fr": 1, "zh": 1, "ja": 1}


def letters(text: str) -> str:
    """Letters and digits only (HTML entities decoded, accents dropped, case folded):
    equal for any layout of the same words."""
    text = html.unescape(_FORMAT.sub("", text)) if "&" in text else _FORMAT.sub("", text)
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKD", text).casefold())


def join_sentences(sentences: list[str] | tuple[str, ...], sep: str = " ") -> str:
    """Sentences of one paragraph on one line; CJK sentences touch."""
    out = sentences[0]
    for s in sentences[1:]:
        out += ("" if sep == " " and _CJK.match(out[-1]) and _CJK.match(s[0]) else sep) + s
    return out


@dataclass(frozen=True)
class Text:
    """A passage: an optional heading and paragraphs of sentences."""

    heading: str | None
    paragraphs: tuple[tuple[str, ...], ...]

    def blocks(self) -> list[str]:
        """The heading and the paragraphs, each on one line."""
        return ([self.heading] if self.heading else []) + [join_sentences(p) for p in self.paragraphs]

    def lines(self) -> list[str]:
        """The heading and every sentence."""
        return ([self.heading] if self.heading else []) + [s for p in self.paragraphs for s in p]


class Draw:
    """Draws sentences for one document, each at most once."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: list[str] = []  #: every sentence and heading drawn, in order
        self.left = {g: list(s) for g, s in GENRES.items()}
        self.headings = {g: list(h) for g, h in HEADINGS.items()}
        for bag in (*self.left.values(), *self.headings.values()):
            rng.shuffle(bag)

    def genre(self) -> str:
        names = list(_TEXT_GENRES)
        return self.rng.choices(names, weights=[_TEXT_GENRES[g] for g in names])[0]

    def sentence(self, genre: str) -> str:
        if not self.left[genre]:
            genre = max(self.left, key=lambda g: len(self.left[g]))
        self.used.append(self.left[genre].pop())
        return self.used[-1]

    def paragraph(self, genre: str | None = None, n: int | None = None) -> tuple[str, ...]:
        genre = genre or self.genre()
        n = n or self.rng.randint(1, 5)
        return tuple(self.sentence(genre) for _ in range(n))

    def heading(self, genre: str) -> str | None:
        if not self.headings.get(genre):
            return None
        self.used.append(self.headings[genre].pop())
        return self.used[-1]

    def text(self, genre: str | None = None, paragraphs: tuple[int, int] = (2, 8), heading: float = 0.7,
             sentences: tuple[int, int] = (1, 5)) -> Text:
        genre = genre or self.genre()
        n = self.rng.randint(*paragraphs)
        pars = tuple(self.paragraph(genre, self.rng.randint(*sentences)) for _ in range(n))
        return Text(self.heading(genre) if self.rng.random() < heading else None, pars)

    def unique(self) -> str:
        """A paragraph of its own (any genre), one line."""
        return join_sentences(self.paragraph())


# ------------------------------------------------------------------ layouts

def _drop_stop(sentence: str) -> str:
    return _FINAL_STOP.sub("", sentence, count=1)


def wrap(line: str, width: int) -> str:
    """Hard-wrap one line at ``width`` (greedy, on spaces; text without spaces by characters)."""
    if " " not in line:
        step = max(4, width // 2)
        return "\n".join(line[i : i + step] for i in range(0, len(line), step))
    out, cur = [], ""
    for word in line.split(" "):
        if cur and len(cur) + 1 + len(word) > width:
            out.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}" if cur else word
    out.append(cur)
    return "\n".join(out)


def mojibake(line: str) -> str:
    """UTF-8 read as cp1252 (latin-1 where cp1252 has no character for a byte)."""
    try:
        return line.encode("utf-8").decode("cp1252")
    except UnicodeDecodeError:
        return line.encode("utf-8").decode("latin-1")


def entities(line: str) -> str:
    """HTML-escaped, every non-ASCII character as a named or numeric entity."""
    out = []
    for ch in html.escape(line, quote=True):
        name = html.entities.codepoint2name.get(ord(ch))
        out.append(ch if ord(ch) < 128 else f"&{name};" if name else f"&#{ord(ch)};")
    return "".join(out)


def _paragraphs(t: Text, rng: random.Random) -> str:
    return "\n\n".join(t.blocks())


def _glued_spaces(t: Text, rng: random.Random) -> str:
    return join_sentences(t.blocks())


def _glued_nospace(t: Text, rng: random.Random) -> str:
    return "".join(t.blocks())


def _glued_nopunct(t: Text, rng: random.Random) -> str:
    inner = rng.choice([" ", ""])
    parts = ([t.heading] if t.heading else []) + [inner.join(_drop_stop(s) for s in p) for p in t.paragraphs]
    return "".join(parts)


def _wrapped(t: Text, rng: random.Random) -> str:
    width = rng.randint(40, 100)
    return "\n\n".join(wrap(b, width) for b in t.blocks())


def _sentence_lines(t: Text, rng: random.Random) -> str:
    par_sep = rng.choice(["\n", "\n\n"])
    head = [t.heading] if t.heading else []
    return "\n".join(head + [par_sep.join("\n".join(p) for p in t.paragraphs)])


def _heading_merged(t: Text, rng: random.Random) -> str:
    blocks = t.blocks()
    if len(blocks) < 2:
        return blocks[0]
    return "\n\n".join([blocks[0] + rng.choice([" ", ""]) + blocks[1]] + blocks[2:])


def _mojibake(t: Text, rng: random.Random) -> str:
    return "\n\n".join(mojibake(b) for b in t.blocks())


def _entities(t: Text, rng: random.Random) -> str:
    return "\n\n".join(entities(b) for b in t.blocks())


def _spaced(t: Text, rng: random.Random) -> str:
    out = []
    for b in t.blocks():
        b = b.replace(". ", ".  ")
        for _ in range(2):
            spaces = [m.start() for m in re.finditer(" ", b)]
            if spaces:
                i = rng.choice(spaces)
                b = b[:i] + "\u00a0" + b[i + 1 :]
        out.append(b + rng.choice(["  ", " \u00a0", "\t "]))
    return rng.choice(["\n\n", "\n \n"]).join(out)


def _crlf(t: Text, rng: random.Random) -> str:
    return "\r\n\r\n".join(t.blocks())


def _edited(t: Text, rng: random.Random) -> str:
    return _paragraphs(edit(t, rng)[0], rng)


Layout = Callable[[Text, random.Random], str]

#: Every layout of a copy; "paragraphs" is the well-formed one.
LAYOUTS: dict[str, Layout] = {
    "paragraphs": _paragraphs,
    "glued_spaces": _glued_spaces,
    "glued_nospace": _glued_nospace,
    "glued_nopunct": _glued_nopunct,
    "wrapped": _wrapped,
    "sentence_lines": _sentence_lines,
    "heading_merged": _heading_merged,
    "mojibake": _mojibake,
    "entities": _entities,
    "spaced": _spaced,
    "crlf": _crlf,
    "edited": _edited,
}
#: Layouts of the copies that must go when a well-formed copy is present.
COPY_LAYOUTS = tuple(name for name in LAYOUTS if name not in ("paragraphs", "edited"))

_NUMBER = re.compile(r"\b\d+\b")
_WORD = re.compile(r"\b[^\W\d_A-Z]{5,}\b")


def edit_sentence(sentence: str, rng: random.Random, vocabulary: list[str]) -> str | None:
    """The sentence with one number, or one word (by another word of ``vocabulary``), changed."""
    numbers = list(_NUMBER.finditer(sentence))
    words = list(_WORD.finditer(sentence))
    others = [w for w in vocabulary if w not in sentence]
    if numbers and (not words or not others or rng.random() < 0.5):
        m = rng.choice(numbers)
        return sentence[: m.start()] + str(int(m.group()) + rng.randint(1, 9)) + sentence[m.end() :]
    if words and others:
        m = rng.choice(words)
        return sentence[: m.start()] + rng.choice(others) + sentence[m.end() :]
    return None


def edit(t: Text, rng: random.Random) -> tuple[Text, dict[str, str]]:
    """An edited copy: one word or number changed in one or two sentences of ten
    words or more (a word by another word of the same text), another sentence
    dropped (when there are three or more).

    Returns the copy and ``{edited sentence: original}``.
    """
    pars = [list(p) for p in t.paragraphs]
    vocabulary = sorted({w for p in pars for s in p for w in _WORD.findall(s)})
    where = [(i, j) for i, p in enumerate(pars) for j, s in enumerate(p)]
    long = [(i, j) for i, j in where if len(pars[i][j].split()) >= 10]
    variants: dict[str, str] = {}
    for i, j in rng.sample(long, min(len(long), rng.randint(1, 2))):
        new = edit_sentence(pars[i][j], rng, vocabulary)
        if new and new != pars[i][j]:
            variants[new] = pars[i][j]
            pars[i][j] = new
    rest = [(i, j) for i, j in where if pars[i][j] not in variants]
    if len(where) >= 3 and rest:
        i, j = rng.choice(rest)
        del pars[i][j]
    return Text(t.heading, tuple(tuple(p) for p in pars if p)), variants


# ------------------------------------------------------------------ documents

@dataclass
class Doc:
    """A generated document.

    ``text`` is the input; ``keep`` what should come out of it, before
    normalization (compare with ``normalize(keep).text``), or None where the
    generator cannot say exactly; ``lines`` the pool sentences and headings it
    holds, each of which must survive at least once; ``variants`` maps an
    edited sentence to its original (either may be the one that survives).
    """

    kind: str
    text: str
    keep: str | None
    lines: list[str] = field(default_factory=list)
    variants: dict[str, str] = field(default_factory=dict)
    layouts: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return f"{self.kind} layouts={self.layouts}"


def _uniques(draw: Draw, slots: int, at_least: int = 1) -> list[list[str]]:
    """Unique paragraphs for each slot (0-2 each, at least ``at_least`` in all)."""
    rng = draw.rng
    counts = [rng.choice([0, 0, 1, 1, 2]) for _ in range(slots)]
    while sum(counts) < at_least:
        counts[rng.randrange(slots)] += 1
    return [[draw.unique() for _ in range(c)] for c in counts]


def copies_document(rng: random.Random) -> Doc:
    """2-5 copies of one multi-paragraph text in random layouts and random order,
    exactly one in the well-formed paragraph layout and unedited, with unique
    paragraphs before, between and after. The well-formed copy is what stays.

    Edited copies (any layout, the paragraph one too) drop a sentence, so the
    well-formed unedited copy is the only complete one and is the one to keep.
    """
    draw = Draw(rng)
    text = draw.text(paragraphs=(2, 6))
    n = rng.randint(2, 5)
    layouts = []
    for _ in range(n - 1):
        name = rng.choice(COPY_LAYOUTS + ("edited",))
        if name in ("mojibake", "entities") and LAYOUTS[name](text, rng) == _paragraphs(text, rng):
            name = "glued_nospace"  # an ASCII-only text shows no mojibake: it would be a second well-formed copy
        layouts.append(name)
    well = rng.randrange(n)
    layouts.insert(well, "paragraphs")
    copies, variants, shown = [], {}, []
    for name in layouts:
        if name == "edited":
            edited, changed = edit(text, rng)
            variants.update(changed)
            inner = rng.choice(("paragraphs",) + COPY_LAYOUTS)
            copies.append(LAYOUTS[inner](edited, rng))
            shown.append(f"edited+{inner}")
        else:
            copies.append(LAYOUTS[name](text, rng))
            shown.append(name)
    uniques = _uniques(draw, n + 1)
    blocks, keep = [], []
    for i in range(n + 1):
        blocks += uniques[i]
        keep += uniques[i]
        if i < n:
            blocks.append(copies[i])
            if i == well:
                keep.append(copies[i])
    return Doc("copies", "\n\n".join(blocks), "\n\n".join(keep), draw.used, variants, shown)


def reference_document(rng: random.Random, kind: str | None = None) -> Doc:
    """A reference text whose entries open with the same one to three sentences,
    then go on with text of their own; term lines between entries. All content."""
    draw = Draw(rng)
    kind = kind or rng.choice(sorted(ENTRY_OPENINGS))
    opening = rng.choice(ENTRY_OPENINGS[kind])
    terms = rng.sample(ENTRY_TERMS[kind], rng.randint(2, min(6, len(ENTRY_TERMS[kind]))))
    genre = {"api": "tech", "schedule": "product", "faq": "forum", "glossary": "legal"}[kind]
    term_sep = rng.choice(["\n", "\n\n"])
    entries = []
    for term in terms:
        own = draw.paragraph(genre, rng.randint(1, 3))
        entries.append(term + term_sep + join_sentences(list(opening) + list(own)))
    before = [draw.unique() for _ in range(rng.randint(0, 2))]
    after = [draw.unique() for _ in range(rng.randint(0, 2))]
    text = "\n\n".join(before + entries + after)
    return Doc(f"reference:{kind}", text, text, [], {}, [kind])


def doubled_reference_document(rng: random.Random) -> Doc:
    """A reference text (entries with shared openings) doubled as a whole block: the second copy goes."""
    ref = reference_document(rng)
    draw = Draw(random.Random(rng.random()))
    # (A fresh draw knows nothing of the entries' sentences: none may come back around them.)
    intro, outro = ([s for s in draw.paragraph() if s not in ref.text] or ["Intro."] for _ in range(2))
    intro, outro = join_sentences(intro), join_sentences(outro)
    keep = "\n\n".join([intro, ref.text, outro])
    return Doc("doubled_reference", "\n\n".join([intro, ref.text, ref.text, outro]), keep, [], {}, ref.layouts)


def poem_document(rng: random.Random) -> Doc:
    """A poem: stanzas of short lines, each ending (or opening) with the same refrain line. All content."""
    stanzas = [list(VERSE[i : i + 4]) for i in range(0, len(VERSE), 4)]
    refrain = rng.choice(REFRAINS)
    at_end = rng.random() < 0.7
    chosen = [s + [refrain] if at_end else [refrain] + s for s in rng.sample(stanzas, rng.randint(2, 5))]
    title = rng.choice(["The Harbour Bell", "Orchard Song", "April Lane", "Across the Moor"])
    text = "\n\n".join([title] + ["\n".join(s) for s in chosen])
    return Doc("poem", text, text, [], {}, [])


def dialogue_document(rng: random.Random) -> Doc:
    """Narration with a line of dialogue said again and again in paragraphs of its own. All content."""
    draw = Draw(rng)
    said = rng.choice(SAID_AGAIN)
    pars = []
    for _ in range(rng.randint(2, 5)):
        pars.append(join_sentences(draw.paragraph("fiction", rng.randint(1, 2))))
        pars.append(said)
    text = "\n\n".join(pars)
    return Doc("dialogue", text, text, [], {}, [])


def caption_document(rng: random.Random) -> Doc:
    """A short caption ("Photo") repeated above distinct captions. All content."""
    draw = Draw(rng)
    caption = rng.choice(["Photo", "Photo: Archive", "Image", "Advertisement"])
    pars = []
    for _ in range(rng.randint(2, 4)):
        pars += [caption, draw.unique()]
    text = "\n\n".join(pars)
    return Doc("caption", text, text, [], {}, [])


def pull_quote_document(rng: random.Random) -> Doc:
    """A long sentence of a paragraph repeated as a pull quote in a paragraph of its own: the quote goes."""
    draw = Draw(rng)
    genre = rng.choice(["fiction", "legal", "tech", "forum"])
    pars = [draw.paragraph(genre, rng.randint(2, 4)) for _ in range(rng.randint(3, 6))]
    candidates = [(i, s) for i, p in enumerate(pars) for s in p if len(s.split()) >= 12]
    if not candidates:
        pars[0] = pars[0] + (max(GENRES["fiction"], key=len),)
        candidates = [(0, pars[0][-1])]
    i, quote = rng.choice(candidates)
    blocks = [join_sentences(p) for p in pars]
    at = rng.choice([k for k in range(len(blocks) + 1) if k not in (i, i + 1)] or [len(blocks)])
    text = "\n\n".join(blocks[:at] + [quote] + blocks[at:])
    return Doc("pull_quote", text, "\n\n".join(blocks), [], {}, [])


def stutter_document(rng: random.Random) -> Doc:
    """A line said twice in a row (a heading, a short line, a sentence): the second goes."""
    draw = Draw(rng)
    blocks = [draw.unique() for _ in range(rng.randint(2, 4))]
    line = rng.choice([draw.heading(draw.genre()) or "Breaking news", draw.sentence("forum"), draw.unique()])
    at = rng.randrange(len(blocks) + 1)
    sep = rng.choice(["\n", "\n\n"])
    text = "\n\n".join(blocks[:at] + [line + sep + line] + blocks[at:])
    return Doc("stutter", text, "\n\n".join(blocks[:at] + [line] + blocks[at:]), [], {}, [])


def code_document_text(rng: random.Random, draw: Draw | None = None) -> str:
    """Code documentation: a heading, prose, code blocks (some sharing lines) and a table."""
    draw = draw or Draw(rng)
    blocks = [draw.heading("tech") or "Reference"]
    code = list(CODE_BLOCKS)
    rng.shuffle(code)
    for _ in range(rng.randint(2, 3)):
        blocks.append(join_sentences(draw.paragraph("tech", rng.randint(1, 3))))
        blocks.append(code.pop())
    blocks.insert(rng.randint(1, len(blocks)), rng.choice(TABLES))
    return "\n\n".join(blocks)


def code_document(rng: random.Random) -> Doc:
    """A whole document with code blocks and a table, doubled: the second copy goes, code and table too."""
    draw = Draw(rng)
    body = code_document_text(rng, draw)
    before, after = draw.unique(), draw.unique()
    text = "\n\n".join([before, body, body, after])
    return Doc("code_doubled", text, "\n\n".join([before, body, after]), [], {}, [])


# ------------------------------------------------------------------ fuzz

#: Unicode noise a scraper lets through: separators, zero-width and format
#: characters, combining marks, control characters, emoji, bidi controls.
NOISE = (
    "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\u00a0", "\u2003", "\u3000", "\t", "  ", "\r", "\r\n", "\n",
    "\n\n", " \n \n", "\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", "\u00ad", "\u0301", "\u0308", "\u0327",
    "\u20dd", "\x01", "\x07", "\x08", "\x1f", "\x7f", "\x80", "\x9b", "\U0001f600", "\U0001f44d\U0001f3fd",
    "\U0001f1e9\U0001f1ea", "\u2764\ufe0f", "\U0001f468\u200d\U0001f469\u200d\U0001f467", "\u200f", "\u202b",
    "\u202e", "\u2067", "\u2069", "\u200e",
)
_SEPARATORS = ("\n\n", "\n\n", "\n\n", "\n", "\r\n\r\n", "\n \n", "\u2029", "\u2028", "\x0c", "\x0b\x0b",
               "\n\u200b\n", "\x85\x85", "\n\n\n")


def _teaser(t: Text, rng: random.Random) -> str:
    """The first paragraphs, the last sentence cut short with … (and maybe "Read more")."""
    blocks = t.blocks()[: rng.randint(1, 2)]
    words = blocks[-1].split(" ")
    if len(words) > 3:
        blocks[-1] = " ".join(words[: rng.randint(2, len(words) - 1)]).rstrip(",;:") + rng.choice(["…", " …", "..."])
    return "\n".join(blocks + ([rng.choice(["Read more", "Continue reading", "… Continued"])]
                               if rng.random() < 0.5 else []))


def _fragment(t: Text, rng: random.Random) -> str:
    """A few consecutive lines of a narrowly hard-wrapped copy of one paragraph."""
    lines = wrap(rng.choice(t.blocks()), rng.randint(20, 60)).split("\n")
    i = rng.randrange(len(lines))
    return "\n".join(lines[i : i + rng.randint(1, 4)])


FUZZ_LAYOUTS: dict[str, Layout] = {**LAYOUTS, "teaser": _teaser, "fragment": _fragment}


def fuzz_document(rng: random.Random) -> tuple[Doc, dict[str, object]]:
    """A small document with repeated passages in random layouts, refrains,
    stutters, Unicode noise and odd whitespace; and random `Config` fields."""
    draw = Draw(rng)
    pieces: list[str] = []
    variants: dict[str, str] = {}
    shown: list[str] = []
    for _ in range(rng.choice([1, 1, 2])):
        text = draw.text(paragraphs=(1, 4), sentences=(1, 3))
        names = ["paragraphs"] + [rng.choice(list(FUZZ_LAYOUTS)) for _ in range(rng.randint(0, 3))]
        if rng.random() < 0.15:  # no well-formed copy at all
            names[0] = rng.choice(COPY_LAYOUTS)
        for name in names:
            if name == "edited":
                edited, changed = edit(text, rng)
                variants.update(changed)
                name = "edited+" + rng.choice(list(LAYOUTS))
                if name == "edited+edited":
                    # Edited twice: each sentence edited again stands for its original too.
                    edited, again = edit(edited, rng)
                    variants.update({new: changed.get(old, old) for new, old in again.items()})
                    name = "edited+edited"
                    pieces.append(_paragraphs(edited, rng))
                else:
                    pieces.append(LAYOUTS[name.split("+")[1]](edited, rng))
            else:
                pieces.append(FUZZ_LAYOUTS[name](text, rng))
            shown.append(name)
    for _ in range(rng.randint(0, 3)):
        pieces.append(draw.unique())
    rng.shuffle(pieces)
    if rng.random() < 0.3:  # a refrain
        refrain = rng.choice(REFRAINS + SAID_AGAIN)
        draw.used.append(refrain)
        for _ in range(rng.randint(2, 4)):
            pieces.insert(rng.randint(0, len(pieces)), refrain)
        shown.append("refrain")
    if rng.random() < 0.2:  # a stutter
        k = rng.randrange(len(pieces))
        pieces.insert(k, pieces[k].split("\n")[0])
        shown.append("stutter")
    text = pieces[0]
    for p in pieces[1:]:
        text += rng.choice(_SEPARATORS) + p
    if rng.random() < 0.15:
        text = text.replace("\n", "\r\n")
        shown.append("crlf-all")
    for _ in range(rng.choice([0, 0, 1, 2, 3, 6])):
        i = rng.randint(0, len(text))
        text = text[:i] + rng.choice(NOISE) + text[i:]
    config = {"keep": rng.choice(["best", "first", "last"]), "collapse_short": rng.random() < 0.3,
              "threshold": rng.choice([0, 1, 2, 3, 3, 3, 4, 6, 8, 12])}
    # Only what the input holds must survive (a text may appear only as a teaser or in mojibake).
    key = letters(text)
    lines = [s for s in draw.used if letters(s) in key or any(
        o == s and letters(v) in key for v, o in variants.items())]
    return Doc("fuzz", text, None, lines, variants, shown), config


def repro_style_document(rng: random.Random) -> Doc:
    """Documents in the style of the fuzzer that found the issue-10 cases: sentences of
    random words that open alike ("In 2023, the ..."), copies glued and hard-wrapped
    (some too narrow to reflow), CRLF, blank lines holding a space, a short refrain."""
    words = ["harbour", "ledger", "copper", "meadow", "signal", "archive", "granite", "orchard", "ferry", "valley",
             "engine", "quarry", "beacon", "market", "bridge", "tunnel", "canvas", "marble", "harvest", "station",
             "compass", "mirror", "candle", "forest", "island", "timber", "window", "velvet", "planet", "river",
             "lantern", "winter", "thunder", "garden"]
    openers = ["In 2023, the", "Critics said the", "Über", "Dr. Smith and the", "Reporters said the", "A",
               "The", "Many"]
    accents = ["Zürich", "façade", "naïve", "Ålesund", "résumé", "café", "señor"]
    pars = []
    for _ in range(rng.randint(3, 5)):
        sents = []
        for _ in range(rng.randint(1, 3)):
            body = [rng.choice(words) for _ in range(rng.randint(5, 16))]
            body.insert(rng.randrange(len(body)), rng.choice(accents))
            if rng.random() < 0.3:
                body.append(str(rng.randint(1000, 99999)))
            sents.append(f"{rng.choice(openers)} {' '.join(body)}{rng.choice(['.', '.', '!', '?'])}")
        pars.append(tuple(sents))
    text = Text(None, tuple(pars))
    copies = ["paragraphs", "glued_nospace", rng.choice(["wrapped", "narrow"]), rng.choice(["paragraphs", "narrow"])]
    rng.shuffle(copies)
    out = []
    for name in copies:
        if name == "narrow":
            out.append("\n\n".join(wrap(b, rng.randint(28, 48)) for b in text.blocks()))
        else:
            out.append(LAYOUTS[name](text, rng))
    if rng.random() < 0.5:  # the first sentence stuttered at the top
        first = text.paragraphs[0][0]
        out.insert(0, f"{first}\n{first}")
    out.append("La la la.")
    out.append("La la la.")
    doc = rng.choice(["\r\n \r\n", "\n\n", "\n \n"]).join(out)
    if rng.random() < 0.5:
        doc = doc.replace("\r\n", "\n").replace("\n", "\r\n")
    lines = text.lines() + ["La la la."]
    return Doc("repro_style", doc, None, lines, {}, copies)


def pair_document(rng: random.Random, layout: str) -> Doc:
    """A text twice, well-formed and in ``layout`` (either first), unique paragraphs around."""
    draw = Draw(rng)
    text = draw.text(paragraphs=(2, 6), heading=1.0 if layout == "heading_merged" else 0.6)
    if layout in ("mojibake", "entities") and LAYOUTS[layout](text, rng) == _paragraphs(text, rng):
        text = Text(text.heading, text.paragraphs + (("Prices start at 12 € — or £10 in the UK.",),))
    variants: dict[str, str] = {}
    if layout == "edited":
        edited, variants = edit(text, rng)
        copy = LAYOUTS[rng.choice(["paragraphs", "glued_spaces", "wrapped", "sentence_lines"])](edited, rng)
    else:
        copy = LAYOUTS[layout](text, rng)
    well = _paragraphs(text, rng)
    first = rng.random() < 0.5
    uniques = _uniques(draw, 3)
    blocks = uniques[0] + [copy if first else well] + uniques[1] + [well if first else copy] + uniques[2]
    keep = uniques[0] + ([] if first else [well]) + uniques[1] + ([well] if first else []) + uniques[2]
    return Doc(layout, "\n\n".join(blocks), "\n\n".join(keep), draw.used, variants, [layout])


def mixture_document(rng: random.Random) -> Doc:
    """Two texts, each in 2-3 copies (one well-formed), the copies interleaved with unique paragraphs."""
    draw = Draw(rng)
    pieces: list[tuple[str, bool]] = []  # (block, stays)
    shown = []
    for _ in range(2):
        text = draw.text(paragraphs=(2, 4))
        names = ["paragraphs"] + rng.sample(COPY_LAYOUTS, rng.randint(1, 2))
        rng.shuffle(names)
        shown.append(names)
        pieces_of_text = [(LAYOUTS[n](text, rng), n == "paragraphs") for n in names]
        # interleave: insert this text's copies in order at random places
        at = sorted(rng.sample(range(len(pieces) + len(pieces_of_text)), len(pieces_of_text)))
        for k, piece in zip(at, pieces_of_text, strict=True):
            pieces.insert(k, piece)
    for _ in range(rng.randint(1, 3)):
        pieces.insert(rng.randint(0, len(pieces)), (draw.unique(), True))
    text = "\n\n".join(p for p, _ in pieces)
    keep = "\n\n".join(p for p, stays in pieces if stays)
    return Doc("mixture", text, keep, draw.used, {}, [f"{a}" for a in shown])


def teaser_document(rng: random.Random) -> Doc:
    """A teaser (the first paragraphs, cut short with …, maybe "Read more") above the whole text."""
    draw = Draw(rng)
    text = draw.text(paragraphs=(3, 6), heading=0.8)
    blocks = text.blocks()
    k = rng.randint(1, 2)
    teaser = blocks[: k + (1 if text.heading else 0)]
    words = teaser[-1].split(" ")
    cut = " ".join(words[: max(2, len(words) * 2 // 3)]).rstrip(",;:") + rng.choice(["…", " …", "..."])
    more = rng.choice(["Read more", "Continue reading", None])
    lines = teaser[:-1] + [cut] + ([more] if more else [])
    before, after = _uniques(draw, 2)
    doc = "\n\n".join(before + ["\n".join(lines)] + ["\n\n".join(blocks)] + after)
    keep = "\n\n".join(before + ([more] if more else []) + ["\n\n".join(blocks)] + after)
    return Doc("teaser", doc, keep, draw.used, {}, ["teaser"])


def clean_prose_document(rng: random.Random) -> Doc:
    """Prose with no repetition (any genre, identifiers and all): nothing to remove."""
    draw = Draw(rng)
    text = draw.text(paragraphs=(2, 8))
    body = "\n\n".join([draw.unique()] + text.blocks() + [draw.unique()])
    return Doc("clean_prose", body, body, draw.used, {}, [])


def clean_code_document(rng: random.Random) -> Doc:
    """Code documentation (code blocks that share lines, a table), once: nothing to remove."""
    body = code_document_text(rng)
    return Doc("clean_code", body, body, [], {}, [])


#: Document generators by name (the property test and the quality set use them).
GENERATORS: dict[str, Callable[[random.Random], Doc]] = {
    "copies": copies_document,
    "reference": reference_document,
    "doubled_reference": doubled_reference_document,
    "poem": poem_document,
    "dialogue": dialogue_document,
    "caption": caption_document,
    "pull_quote": pull_quote_document,
    "stutter": stutter_document,
    "code_doubled": code_document,
}

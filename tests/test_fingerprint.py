import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import simhash as reference
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import unrepeat
from unrepeat import fingerprint
from unrepeat.fingerprint import feature_hash, features, hamming, simhash, simhash_many
from unrepeat.normalize import matching_key

SHARED = Path(__file__).resolve().parents[2] / "shared"
ARTICLES = SHARED / "bench" / "articles.jsonl"
CORPUS = SHARED / "corpus"

# Characters that test the batch key against matching_key: NFKC changes
# ("ﬁ", "①", fullwidth, "…", NBSP, "ǅ", "ﷺ", Thai sara am), case folding that
# changes the length ("ß", "ẞ", "İ", "ΐ"), combining marks that compose or
# reorder, Hangul syllables and jamo, right-to-left text with points, format
# characters, the separators str.strip removes but the key keeps (U+001C),
# the noncharacters the kernel uses to probe matching_key, emoji with ZWJ.
TRICKY = [
    "ﬁ", "ﬀ", "①", "Ａ", "ｚ", "…", "\u00a0", "ǅ", "ǆ", "\ufdfa", "\u0e33", "½",
    "ß", "ẞ", "İ", "ı", "ΐ", "Σ", "ς", "K", "ſ", "ﬅ",
    "e\u0301", "\u0301", "\u0345", "\u0323", "\u0302", "\u093c", "\u094d", "\u09be",
    "한", "국", "\u1100", "\u1161", "\u11a8", "\u3131",
    "שָׁלוֹם", "\u05b0", "مَرْحَبًا", "\u064e", "\u200f", "\u200e",
    "\u200b", "\u200d", "\ufeff", "\u00ad", "\x1c", "\x1f", "\x85", "\u2028", "\u3000",
    "\ufdd0", "\ufdd1", "\ufffd", "\x00",
    "👩\u200d💻", "🎉", "日本語", "中文", "ｶﾞ", "ｱ", "\u3099",
    "हिन्दी", "क़", "\u094d", "\u093f", "ภาษาไทย", "ก่", "\u0e48", "\u0e38", "\u05b4", "\u05b0",
    "\u0f73", "\u0344", "\u20dd", "é", "ǘ", "\u0308", "\u0300",
    " ", "  ", "\t", "\n", ".", ",", "!?", "—", "“", "”", "'", "-", "_", "$", "€", "1", "²",
]

chars = st.one_of(
    st.sampled_from(TRICKY),
    st.characters(blacklist_categories=("Cs",)),
    st.sampled_from("abcdefgh .,"),
)
texts = st.lists(chars, max_size=40).map("".join)


def expected(text: str) -> int:
    """The reference: the simhash package over our features and feature hash."""
    return reference.Simhash(features(text), hashfunc=feature_hash).value


@pytest.fixture(params=["numba", "numpy"])
def kernel(request, monkeypatch):
    """Run the test with each kernel (numba is skipped where it cannot be imported)."""
    if request.param == "numba" and fingerprint.kernel() != "numba":
        pytest.skip("numba is not available")
    monkeypatch.setattr(fingerprint, "_kernel_name", request.param)
    return request.param


@pytest.fixture
def fresh_table(monkeypatch):
    """An empty character table, so that the test also learns every character."""
    monkeypatch.setattr(fingerprint, "_CHARS", fingerprint._CharTable())


def test_features_are_the_4_grams_of_the_matching_key():
    assert features("Hello, World!") == ["hell", "ello", "llo ", "lo w", "o wo", " wor", "worl", "orld"]
    assert features("  ab  ") == ["ab"]
    assert features("...") == [""]
    assert features("") == [""]
    assert features("Straße") == ["stra", "tras", "rass", "asse"]


def test_a_single_empty_feature_hashes_like_the_reference():
    assert expected("") == reference.Simhash([""], hashfunc=feature_hash).value == feature_hash(b"")
    assert simhash("") == simhash("?!") == feature_hash(b"")


def test_feature_hash_is_64_bit_and_distinguishes_lengths_and_order():
    values = [feature_hash(s.encode()) for s in ["", "a", "a\x00", "ab", "ba", "abc", "abcd", "abdc"]]
    assert len(set(values)) == len(values)
    assert all(0 <= v < 1 << 64 for v in values)


def test_feature_hash_takes_any_bytes():
    assert feature_hash(b"\xff\xfe") != feature_hash(b"\xfe\xff")
    assert feature_hash("\ud800".encode("utf-8", "surrogatepass")) == feature_hash(
        "\ud800".encode("utf-8", "surrogatepass")
    )


def test_hamming():
    assert hamming(0, 0) == 0
    assert hamming(0, (1 << 64) - 1) == 64
    assert hamming(0b1010, 0b0110) == 2


def test_simhash_is_exported_by_the_package():
    if not hasattr(unrepeat, "simhash"):
        pytest.xfail("unrepeat/__init__.py does not import fingerprint.simhash yet")
    assert unrepeat.simhash is simhash


@pytest.mark.parametrize(
    "text",
    ["", "a", "ab", "abc", "abcd", " a ", "...", "🎉", "日本語のテキスト", "e\u0301t\u00e9",
     "\u0301", "שָׁלוֹם עולם", "ﬁ① Ｆｕｌｌ İstanbul Straße", "\x1c abc \x1c", "ab\x00\x00"],
)
def test_edge_cases_agree_with_the_reference(kernel, text):
    assert int(simhash_many([text])[0]) == simhash(text) == expected(text)


FIXTURES_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURES_OK)
@given(text=texts)
def test_one_text_agrees_with_the_reference(kernel, text):
    assert int(simhash_many([text])[0]) == simhash(text) == expected(text)


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES_OK)
@given(batch=st.lists(texts, max_size=12))
def test_a_batch_agrees_with_each_text_alone(kernel, batch):
    fps = simhash_many(batch)
    assert fps.dtype == np.uint64 and fps.shape == (len(batch),)
    assert [int(v) for v in fps] == [expected(t) for t in batch]


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURES_OK)
@given(batch=st.lists(texts, max_size=12), slice_size=st.integers(1, 30))
def test_a_batch_cut_into_slices_agrees(kernel, monkeypatch, batch, slice_size):
    monkeypatch.setattr(fingerprint, "_SLICE", slice_size)
    assert [int(v) for v in simhash_many(batch)] == [expected(t) for t in batch]
    assert [int(v) for v in simhash_many(tuple(batch))] == [expected(t) for t in batch]


@settings(max_examples=25, deadline=None, suppress_health_check=FIXTURES_OK)
@given(batch=st.lists(texts, min_size=1, max_size=6))
def test_a_fresh_table_learns_every_character(kernel, fresh_table, batch):
    assert [int(v) for v in simhash_many(batch)] == [expected(t) for t in batch]


@settings(max_examples=40, deadline=None)
@given(text=texts)
def test_features_follow_the_matching_key(text):
    key = matching_key(text)
    grams = features(text)
    if len(key) < 4:
        assert grams == [key]
    else:
        assert len(grams) == len(key) - 3 and "".join(g[0] for g in grams) + grams[-1][1:] == key


def test_a_100_kb_text_and_many_texts_of_mixed_lengths(kernel):
    rng = np.random.default_rng(7)
    alphabet = list("abcdefghij klmnop.,") + TRICKY
    big = "".join(rng.choice(alphabet, 100_000))
    batch = [big] + ["".join(rng.choice(alphabet, int(n))) for n in rng.integers(0, 700, 60)]
    assert [int(v) for v in simhash_many(batch)] == [expected(t) for t in batch]


def test_the_key_of_a_text_with_many_expanding_characters(kernel):
    text = "ﬁ ß ½ ﷺ " * 500 + "Ｗｉｄｅ…" * 300
    assert simhash(text) == expected(text)


def corpus_texts() -> list[str]:
    paragraphs = []
    if ARTICLES.exists():
        for line in ARTICLES.read_text(encoding="utf-8").splitlines():
            paragraphs += json.loads(line)["blocks"]
    for path in sorted(CORPUS.glob("*.txt")) if CORPUS.exists() else []:
        paragraphs += path.read_text(encoding="utf-8").split("\n")
    return paragraphs[::3]


@pytest.fixture(scope="module")
def corpus():
    paragraphs = corpus_texts()
    if not paragraphs:
        pytest.skip("the shared bench data is not here")
    return paragraphs, [expected(t) for t in paragraphs]


def test_the_corpus_agrees_with_the_reference(kernel, corpus):
    paragraphs, fingerprints = corpus
    assert [int(v) for v in simhash_many(paragraphs)] == fingerprints


def test_near_duplicates_are_near_and_different_texts_far():
    a = simhash("The quick brown fox jumps over the lazy dog near the river bank today.")
    b = simhash("The quick brown fox jumped over the lazy dog near the river bank today.")
    c = simhash("Completely unrelated sentence about prisoners, talks and a ceasefire.")
    assert hamming(a, b) <= 16 < 20 <= hamming(a, c)


def run_python(code: str, **env: str) -> str:
    full_env = {k: v for k, v in os.environ.items() if k not in ("UNREPEAT_KERNEL", "NUMBA_CACHE_DIR")}
    full_env.update(env)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=full_env, check=True
    )
    return result.stdout.strip()


def test_importing_the_package_does_not_import_numba():
    assert run_python("import sys, unrepeat.fingerprint; print('numba' in sys.modules)") == "False"


def test_small_work_is_done_without_loading_numba():
    code = (
        "import sys, unrepeat\n"
        "from unrepeat import fingerprint as f\n"
        "r = unrepeat.clean('A first sentence of the page here. ' * 3 + '\\n\\nAnother line, said twice.\\n' * 2)\n"
        "print('numba' in sys.modules, f._kernel_name, len(r.removals))\n"
    )
    assert run_python(code) == "False None 1"


def test_the_numpy_kernel_is_chosen_by_the_environment():
    code = "from unrepeat import fingerprint as f; print(f.KERNEL, f.simhash('abc') == f.simhash('ABC!'))"
    assert run_python(code, UNREPEAT_KERNEL="numpy") == "numpy True"


def test_the_jit_cache_goes_to_the_user_cache_when_the_package_is_read_only(tmp_path):
    if fingerprint.kernel() != "numba":
        pytest.skip("numba is not available")
    code = (
        "import os\n"
        "real_access = os.access\n"
        "os.access = lambda path, mode, **kw: False if 'unrepeat' in str(path) else real_access(path, mode, **kw)\n"
        "from unrepeat import fingerprint as f\n"
        "f._numpy_budget = 0\n"  # numba from the first text on
        "f.simhash('some text')\n"
        "print(f.KERNEL, os.environ['NUMBA_CACHE_DIR'])\n"
    )
    out = run_python(code, XDG_CACHE_HOME=str(tmp_path))
    assert out == f"numba {tmp_path / 'unrepeat' / 'numba'}"
    assert any((tmp_path / "unrepeat" / "numba").rglob("*.nbi"))


def test_no_character_above_the_scanned_planes_has_a_canonical_decomposition():
    import unicodedata

    above = [c for c in range(fingerprint._SCANNED_PLANES, 0x110000) if unicodedata.decomposition(chr(c))]
    assert [hex(c) for c in above if not unicodedata.decomposition(chr(c)).startswith("<")] == []
    assert fingerprint._char_bits(0x30000) is None  # left to matching_key all the same


def test_threads_learning_new_characters_at_once_agree(kernel, fresh_table):
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(11)
    batches = [["".join(rng.choice(TRICKY + list("abc "), 50)) for _ in range(30)] for _ in range(8)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(simhash_many, batches))
    for batch, fps in zip(batches, results, strict=True):
        assert [int(v) for v in fps] == [expected(t) for t in batch]


def test_the_composing_followers_are_the_later_halves_of_nfc_stable_decompositions():
    import unicodedata

    expected_followers = set()
    for c in range(fingerprint._SCANNED_PLANES):
        ch = chr(c)
        if 0xD800 <= c < 0xE000 or ch == "\ufdd0":
            continue
        nfd = unicodedata.normalize("NFD", ch)
        if len(nfd) > 1 and unicodedata.normalize("NFC", ch) == ch:
            expected_followers |= {ord(x) for x in nfd[1:]}
    followers = fingerprint._composing_followers()
    assert followers == expected_followers
    assert {0x0301, 0x0308, 0x093C, 0x1161, 0x11A8, 0x09BE} <= followers  # marks, jamo, vowel signs
    assert not {0x05B8, 0x094D} & followers  # Hebrew qamats composes only in excluded forms


@settings(max_examples=200, deadline=None)
@given(batch=st.lists(texts, max_size=12))
def test_the_batch_keys_are_the_matching_keys(batch):
    assert fingerprint.matching_keys(batch) == [matching_key(t) for t in batch]


@settings(max_examples=25, deadline=None, suppress_health_check=FIXTURES_OK)
@given(batch=st.lists(texts, min_size=1, max_size=6))
def test_a_fresh_table_makes_the_same_keys(fresh_table, batch):
    assert fingerprint.matching_keys(batch) == [matching_key(t) for t in batch]

"""BIP39 mnemonics and Electrum seeds: every language and layout found, word soup not."""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import json
import random
import re
import textwrap
import unicodedata
from collections.abc import Callable
from functools import cache

import pytest
from mnemonic import Mnemonic

from koban.keys.detectors import mnemonic as mn
from koban.keys.detectors.mnemonic import DETECTOR, checksum_ok, electrum_version, looks_random
from koban.keys.detectors.wordlists import LANGUAGES, strip_accents, wordlists
from koban.keys.prefilter import Prefilter
from koban.keys.secret import Secret

ENGINES = ["re"] + (["hyperscan"] if importlib.util.find_spec("hyperscan") else [])
Scan = Callable[["bytes | str"], list[Secret]]


@cache
def _prefilter(engine: str) -> Prefilter:
    return Prefilter([DETECTOR], engine=engine)  # compiled once: the patterns take ~1 s


@pytest.fixture(params=ENGINES)
def scan(request: pytest.FixtureRequest) -> Scan:
    prefilter = _prefilter(request.param)

    def run(data: bytes | str) -> list[Secret]:
        return prefilter.secrets(data.encode() if isinstance(data, str) else data)

    return run


ENGLISH = wordlists().words[0]
INDEX = {w: i for i, w in enumerate(ENGLISH)}


@cache
def _reference(language: str) -> Mnemonic:
    return Mnemonic(language)


def phrase(language: str, words: int, salt: str = "") -> list[str]:
    """A deterministic valid mnemonic (reference implementation): its NFKD words."""
    entropy = hashlib.sha256(f"{language}/{words}/{salt}".encode()).digest()[: words * 4 // 3]
    return unicodedata.normalize("NFKD", _reference(language).to_mnemonic(entropy)).split()


def nfc(words: list[str]) -> list[str]:
    return [unicodedata.normalize("NFC", w) for w in words]


LAYOUTS: dict[str, Callable[[list[str]], str]] = {
    "prose": lambda w: "Please keep this safe.\n" + " ".join(w) + "\nThanks!\n",
    "labelled": lambda w: "my recovery phrase: " + " ".join(w) + "\n",
    "lines": lambda w: "\n".join(w) + "\n",
    "crlf lines": lambda w: "\r\n".join(w) + "\r\n",
    "numbered": lambda w: "".join(f"{i}. {x}\n" for i, x in enumerate(w, 1)),
    "numbered paren": lambda w: "".join(f"{i}) {x}\n" for i, x in enumerate(w, 1)),
    "zero padded": lambda w: "".join(f"{i:02d} {x}\n" for i, x in enumerate(w, 1)),
    "numbered inline": lambda w: " ".join(f"{i}.{x}" for i, x in enumerate(w, 1)) + "\n",
    "markdown table": lambda w: (
        "| # | word |\n|---|---|\n" + "".join(f"| {i} | {x} |\n" for i, x in enumerate(w, 1))
    ),
    "json": lambda w: json.dumps({"mnemonic": w}, ensure_ascii=False),
    "json pretty": lambda w: json.dumps(w, ensure_ascii=False, indent=8) + "\n",
    "csv": lambda w: "name,backup\nwallet," + ",".join(w) + "\n",
    "csv quoted": lambda w: ",".join(f'"{x}"' for x in w) + "\n",
    "tsv": lambda w: "\t".join(w) + "\n",
    "semicolon": lambda w: ";".join(w) + "\n",
    "code string": lambda w: f'WALLET_SEED = "{" ".join(w)}"  # test wallet word\n',
    "python list": lambda w: f"seed = {w!r}\n",
}


def _check(found: list[Secret], words: list[str], language: str, kind: str) -> Secret:
    assert len(found) == 1, found
    secret = found[0]
    assert secret.kind == kind
    assert secret.material == " ".join(words)
    assert secret.detail["language"] == language
    assert secret.detail["words"] == len(words)
    assert not secret.test_vector
    return secret


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("count", [12, 24])
def test_every_language_and_layout(scan: Scan, language: str, layout: str, count: int) -> None:
    words = phrase(language, count)
    text = LAYOUTS[layout](nfc(words))  # as editors write them
    secret = _check(scan(text), words, language, "bip39_mnemonic")
    raw = text.encode()
    assert raw[secret.start : secret.end].decode().startswith(nfc(words)[0])
    assert raw[secret.start : secret.end].decode().endswith(nfc(words)[-1])
    expected = "medium" if layout == "prose" else "high"
    assert secret.confidence == expected, secret.detail


@pytest.mark.parametrize("count", [12, 15, 18, 21, 24])
def test_every_length(scan: Scan, count: int) -> None:
    for language in ("english", "spanish", "japanese"):
        words = phrase(language, count, "len")
        _check(scan(" ".join(nfc(words))), words, language, "bip39_mnemonic")


@pytest.mark.parametrize("language", ["japanese", "chinese_simplified", "korean"])
def test_ideographic_space(scan: Scan, language: str) -> None:
    words = phrase(language, 12, "u3000")
    text = "シード：" + "\u3000".join(nfc(words)) + "。\n"
    secret = _check(scan(text), words, language, "bip39_mnemonic")
    assert secret.detail["labelled"] and secret.confidence == "high"


@pytest.mark.parametrize(
    ("language", "form"),
    [
        ("spanish", "NFD"),
        ("french", "NFD"),
        ("japanese", "NFD"),
        ("korean", "NFD"),
        ("spanish", "plain"),
        ("french", "plain"),
        ("english", "upper"),
        ("english", "title"),
        ("spanish", "upper"),
    ],
)
def test_spellings(scan: Scan, language: str, form: str) -> None:
    words = phrase(language, 12, "spelling")
    if language == "spanish" and form == "plain":  # make sure accents are involved
        words = phrase(language, 12, "spelling-accents")
    written = {
        "NFD": lambda w: unicodedata.normalize("NFD", w),
        "plain": strip_accents,
        "upper": lambda w: unicodedata.normalize("NFC", w).upper(),
        "title": lambda w: w.title(),
    }[form]
    text = "backup words: " + " ".join(written(w) for w in words) + "\n"
    _check(scan(text), words, language, "bip39_mnemonic")


def test_mixed_case_inside_a_word_is_not_a_word(scan: Scan) -> None:
    words = phrase("english", 12, "case")
    words_weird = [w[0] + w[1:].upper() if i == 3 else w for i, w in enumerate(words)]
    assert scan("seed: " + " ".join(words_weird)) == []


def test_grid_numbered_by_column(scan: Scan) -> None:
    """Wallets print 1-6 in a first column and 7-12 in a second: read row by row it is out of
    order, the numbers put it back."""
    words = phrase("english", 12, "grid")
    rows = [f"{r + 1:>2}. {words[r]:<10} {r + 7:>2}. {words[r + 6]}" for r in range(6)]
    secret = _check(scan("\n".join(rows) + "\n"), words, "english", "bip39_mnemonic")
    assert secret.detail["layout"] == "numbered"


def test_labelled_window_inside_a_longer_run(scan: Scan) -> None:
    """'seed phrase' are list words, and so is what follows the closing quote."""
    words = phrase("english", 24, "label")
    text = f'seed phrase "{" ".join(words)}" keep this secret wallet safe\n'
    secret = _check(scan(text), words, "english", "bip39_mnemonic")
    assert secret.confidence == "high"
    text = "seed phrase " + " ".join(words) + "\n"
    _check(scan(text), words, "english", "bip39_mnemonic")


def test_two_seeds_in_one_file(scan: Scan) -> None:
    a, b = phrase("english", 12, "a"), phrase("italian", 24, "b")
    text = f"hot: {' '.join(a)}\n\ncold:\n" + "\n".join(b) + "\n"
    found = scan(text)
    assert sorted(s.material for s in found) == sorted([" ".join(a), " ".join(b)])


def test_test_vectors_recognised(scan: Scan) -> None:
    for text in (
        " ".join(["abandon"] * 11 + ["about"]),
        "test test test test test test test test test test test junk",
        "legal winner thank year wave sausage worth useful legal winner thank yellow",
        " ".join(["zoo"] * 23 + ["vote"]),
    ):
        found = scan(f'MNEMONIC="{text}"\n')
        assert len(found) == 1 and found[0].test_vector and found[0].confidence == "high", text


# --- Electrum ----------------------------------------------------------------------------------


def electrum_seed(prefix: str, salt: int) -> list[str]:
    """Brute force, as Electrum does: random words until the HMAC has the version prefix."""
    rnd = random.Random(salt)
    english = wordlists().words[0]
    while True:
        words = [rnd.choice(english) for _ in range(12)]
        digest = hmac.new(b"Seed version", " ".join(words).encode(), hashlib.sha512).hexdigest()
        indexes = [INDEX[w] for w in words]
        if (
            digest.startswith(prefix)
            and not checksum_ok(indexes)
            and looks_random(indexes, words, "english", prose=False)
        ):
            return words


@pytest.mark.parametrize(
    ("prefix", "version"), [("01", "standard"), ("100", "segwit"), ("101", "2fa")]
)
def test_electrum_seeds(scan: Scan, prefix: str, version: str) -> None:
    words = electrum_seed(prefix, len(prefix) * 7 + int(prefix[-1]))
    assert electrum_version(words, "english") == version
    for text in ("Electrum seed: " + " ".join(words), "\n".join(words)):
        secret = _check(scan(text), words, "english", "electrum_seed")
        assert secret.detail["version"] == version


def test_valid_as_both_is_bip39(scan: Scan) -> None:
    """Electrum >= 4.1 never makes BIP39-valid seeds; 1 in 256 BIP39 phrases carry its prefix."""
    for i in range(2000):
        words = phrase("english", 12, f"both{i}")
        if electrum_version(words, "english") == "standard":
            break
    secret = _check(scan("seed: " + " ".join(words)), words, "english", "bip39_mnemonic")
    assert secret.detail["electrum_version"] == "standard"


def test_electrum_13_words(scan: Scan) -> None:
    rnd = random.Random(13)
    english = wordlists().words[0]
    while True:
        words = [rnd.choice(english) for _ in range(13)]
        if electrum_version(words, "english") == "standard":
            break
    _check(scan("seed " + "\n".join(words)), words, "english", "electrum_seed")


# --- negatives ---------------------------------------------------------------------------------

ENGLISH_PROSE = """
Never share your recovery phrase. Anyone who knows these words can take your funds, and no
support agent will ever ask for them. Write the words down on paper in the right order, keep
the paper in a safe place, and check it twice before you move any real money into the wallet.
If you lose your phone you can still recover the account with the list you wrote: open the app,
choose restore, and type every word in the same order as shown during the setup process, then
wait for the balance to appear again after a short time while the network catches up with you.
This simple step will help you protect your family from loss or theft over the coming years
because the seed is the only thing that matters when the device breaks or gets stolen or lost.
"""

JAPANESE_PROSE = """
秘密のフレーズは誰にも教えないでください。このことばを知っている人は、あなたの資産を
自由に動かすことができます。かみに　かいて　あんぜんな　ところに　しまって　おいて　ください。
もし　けいたいを　なくしても　この　ことばが　あれば　もとに　もどせます　から　あんしんです。
"""


def test_prose_is_not_a_seed(scan: Scan) -> None:
    assert scan(ENGLISH_PROSE) == []
    assert scan(ENGLISH_PROSE.replace("\n", " ")) == []
    assert scan(JAPANESE_PROSE) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_wordlist_files_are_not_seeds(scan: Scan, language: str) -> None:
    words = wordlists().words[LANGUAGES.index(language)]
    for text in (
        "\n".join(words) + "\n",  # the official files (NFD)
        "\n".join(nfc(list(words))) + "\n",
        json.dumps(list(words), ensure_ascii=False, indent=2),
        "".join(f"{i} {w}\n" for i, w in enumerate(words, 1)),
        "\n".join(" ".join(words[i : i + 12]) for i in range(0, 2048, 12)),
    ):
        assert scan(text) == []


def test_word_soup_windows_are_not_seeds(scan: Scan) -> None:
    """Random list words pass the checksum 1 time in 16 per window; in a long text they are
    never a whole run."""
    rnd = random.Random(2024)
    english = wordlists().words[0]
    soup = [rnd.choice(english) for _ in range(6000)]
    valid = [i for i in range(3, 5980) if checksum_ok([INDEX[w] for w in soup[i : i + 12]])]
    assert len(valid) > 200  # the premise: many windows pass the checksum
    assert scan(textwrap.fill(" ".join(soup), 72)) == []
    sentences, i = [], 0
    while i < len(soup):
        n = rnd.randint(5, 20)
        sentences.append(" ".join(soup[i : i + n]).capitalize() + ".")
        i += n
    assert scan(textwrap.fill(" ".join(sentences), 80)) == []
    # a passing window with list words around it is a slice, not a seed
    for start in valid[:20]:
        text = " ".join(soup[start - 3 : start + 15])
        assert scan(text) == [], text


def _search(
    rnd: random.Random, make: Callable[[random.Random], list[int]], tries: int = 10000
) -> list[int]:
    for _ in range(tries):
        indexes = make(rnd)
        if checksum_ok(indexes):
            return indexes
    raise AssertionError("no candidate")


def test_statistics_reject_what_no_wallet_makes(scan: Scan) -> None:
    english = wordlists().words[0]
    rnd = random.Random(5)
    in_order = _search(rnd, lambda r: sorted(r.sample(range(2048), 12)))
    repeats = _search(rnd, lambda r: [r.choice([5, 900, 1500, 2000]) for _ in range(12)])
    common = sorted(english.index(w) for w in ("about", "all", "also", "city", "people", "same"))
    everyday = _search(rnd, lambda r: r.sample(common, 6) + r.sample(range(2048), 6))
    for indexes in (in_order, repeats, everyday):
        words = [english[i] for i in indexes]
        assert not looks_random(indexes, words, "english", prose=True)
        assert scan(" ".join(words)) == []
    assert scan(json.dumps([english[i] for i in in_order])) == []


def test_statistics_keep_real_seeds() -> None:
    kept = {True: 0, False: 0}
    for i in range(2000):
        words = phrase("english", 12, f"stat{i}")
        indexes = [INDEX[w] for w in words]
        for prose in (True, False):
            kept[prose] += looks_random(indexes, words, "english", prose)
    assert kept[True] >= 1960  # loses under 2% of unlabelled prose seeds
    assert kept[False] >= 1995


def test_lockfiles_and_hash_lists(scan: Scan) -> None:
    rnd = random.Random(9)
    english = wordlists().words[0]
    names = [rnd.choice(english) for _ in range(60)]

    def sha(n: str) -> str:
        return hashlib.sha256(n.encode()).hexdigest()

    lock = "".join(
        f'[[package]]\nname = "{n}"\nversion = "1.{i}.0"\nfiles = [\n'
        f'    {{file = "{n}-1.{i}.0.tar.gz", hash = "sha256:{sha(n)}"}},\n]\n\n'
        for i, n in enumerate(names)
    )
    deps = {n: {"version": f"^{i}.0.0", "integrity": "sha512-x"} for i, n in enumerate(names)}
    npm = json.dumps({"dependencies": deps}, indent=2)
    requirements = "".join(f"{n}=={i}.0 --hash=sha256:{sha(n)}\n" for i, n in enumerate(names))
    gosum = "".join(f"github.com/{n}/{n} v1.{i}.0 h1:abc{i}=\n" for i, n in enumerate(names))
    for text in (lock, npm, gosum, requirements):
        assert scan(text) == []


def test_chinese_without_spaces_is_prose(scan: Scan) -> None:
    words = phrase("chinese_simplified", 12, "nospace")
    assert scan("".join(words)) == []


# --- internals the precision rests on ----------------------------------------------------------


def test_checksum_matches_reference() -> None:
    ref = _reference("english")
    rnd = random.Random(1)
    for n in (12, 15, 18, 21, 24):
        for _ in range(100):
            words = [rnd.choice(ENGLISH) for _ in range(n)]
            assert checksum_ok([INDEX[w] for w in words]) == ref.check(" ".join(words))


_WORD_PATTERNS = {
    "latin": re.compile(mn._LAT),
    "latin upper": re.compile(mn._LAT_UP),
    "japanese": re.compile(mn._HIRA),
    "korean": re.compile(mn._HANGUL),
    "chinese": re.compile(mn._HAN),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_prefilter_word_shapes_cover_every_spelling(language: str) -> None:
    """The prefilter ignores the lists, so its word shape must admit every written form."""
    script = {
        "japanese": "japanese",
        "korean": "korean",
        "chinese_simplified": "chinese",
        "chinese_traditional": "chinese",
    }.get(language, "latin")
    lookup = wordlists().lookup
    for word in wordlists().words[LANGUAGES.index(language)]:
        forms = {word, unicodedata.normalize("NFC", word), strip_accents(word)}
        if script == "latin":
            forms |= {f[:1].upper() + f[1:] for f in forms}
        for form in forms:
            if form == strip_accents(word) and language not in ("spanish", "french"):
                continue
            raw = form.encode()
            assert _WORD_PATTERNS[script].fullmatch(raw), (language, form)
            assert lookup(raw), (language, form)
        if script == "latin":
            upper = unicodedata.normalize("NFC", word).upper().encode()
            assert _WORD_PATTERNS["latin upper"].fullmatch(upper), (language, word)
            assert lookup(upper), (language, word)


def test_patterns_compile_in_both_engines() -> None:
    for pattern in DETECTOR.patterns:
        re.compile(pattern)
    if "hyperscan" in ENGINES:
        _prefilter("hyperscan")


def test_source_code_does_not_reach_confirm() -> None:
    """Ordinary code and docstrings must not hit the prefilter on every line."""
    import inspect

    source = inspect.getsource(textwrap) + inspect.getsource(json.decoder)
    combined = re.compile(b"|".join(b"(?:" + p + b")" for p in DETECTOR.patterns))
    assert len(combined.findall(source.encode())) <= 2

"""The profile (koban.toml): parsed strictly; every error names the file, the line and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

import koban.profile
from koban.errors import InputError
from koban.profile import Profile, load_profile, parse_profile

ETH = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"  # EIP-55 checksummed
BTC = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"  # bech32 (P2WPKH)

FULL = f"""\
# Hoshi Exchange: who we are, whom we trust, which wallets are ours.
[org]
name = "Hoshi Exchange K.K."
domains = ["Hoshi-Exchange.jp"]            # own domains: look-alikes of these are hostile

[[org.executives]]                         # people attackers impersonate
name = "Taro Yamada"
aliases = ["山田 太郎", "Yamada Taro"]       # kanji, kana, romaji, either order
emails = ["T.Yamada@hoshi-exchange.jp"]
title = "CEO"

[[org.executives]]
name = "Hanako Sato"
aliases = ["佐藤 花子", "さとう はなこ"]
emails = ["h.sato@hoshi-exchange.jp"]
title = "CFO"

[trust]
domains = ["sakura-bank.co.jp", "github.com"]   # known partners and vendors
download_sources = ["https://github.com/hoshi-exchange/"]

[[wallets]]                                # the firm's own addresses
chain = "ethereum"
address = "{ETH}"
label = "hot wallet 1"

[[wallets]]
chain = "bitcoin"
address = "{BTC}"
label = "cold wallet"

[[intel.feeds]]
name = "ofac-sdn"
url = "https://www.treasury.gov/ofac/downloads/sdn_advanced.xml"
format = "ofac-sdn"
"""


def _line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based number of the ``nth`` line containing ``needle``."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[nth - 1]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "koban.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path: Path, text: str) -> InputError:
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_profile(path)
    err = info.value
    assert err.source == str(path)
    assert str(err).startswith(f"{path}:{err.line}")
    return err


def test_full_profile(tmp_path: Path) -> None:
    path = _write(tmp_path, FULL)
    profile = load_profile(path)
    assert profile.loaded
    assert profile.path == str(path)
    assert profile.org.name == "Hoshi Exchange K.K."
    assert profile.org.domains == ["hoshi-exchange.jp"]
    assert [e.name for e in profile.org.executives] == ["Taro Yamada", "Hanako Sato"]
    ceo = profile.org.executives[0]
    assert ceo.aliases == ["山田 太郎", "Yamada Taro"]
    assert ceo.emails == ["t.yamada@hoshi-exchange.jp"]
    assert ceo.title == "CEO"
    assert profile.trust.domains == ["sakura-bank.co.jp", "github.com"]
    assert profile.trust.download_sources == ["https://github.com/hoshi-exchange/"]
    assert [(w.chain, w.label) for w in profile.wallets] == [
        ("ethereum", "hot wallet 1"),
        ("bitcoin", "cold wallet"),
    ]
    assert profile.wallets[1].address == BTC
    (feed,) = profile.intel.feeds
    assert feed.name == "ofac-sdn"
    assert feed.url == "https://www.treasury.gov/ofac/downloads/sdn_advanced.xml"
    assert feed.format == "ofac-sdn"
    assert feed.sha256 is None


def test_evm_address_lower_case(tmp_path: Path) -> None:
    profile = load_profile(_write(tmp_path, FULL))
    assert profile.wallets[0].address == ETH.lower()
    assert profile.wallets[0].address == "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"


def test_upper_case_bech32_normalised() -> None:
    profile = parse_profile(FULL.replace(BTC, BTC.upper()), "koban.toml")
    assert profile.wallets[1].address == BTC


def test_empty_file_is_an_empty_loaded_profile(tmp_path: Path) -> None:
    profile = load_profile(_write(tmp_path, "# nothing yet\n"))
    assert profile.loaded
    assert profile.org.executives == []
    assert profile.wallets == []


def test_path_not_part_of_dump() -> None:
    profile = parse_profile(FULL, "koban.toml")
    assert "path" not in profile.model_dump()


# --- errors: file, line, key -------------------------------------------------------------------


def test_unknown_top_level_key(tmp_path: Path) -> None:
    text = FULL.replace("[org]\n", 'colour = "red"\n\n[org]\n', 1)
    err = _error(tmp_path, text)
    assert err.line == 2
    assert err.key == "colour"
    assert "unknown key" in str(err)
    assert "'colour'" in str(err)


def test_unknown_top_level_table(tmp_path: Path) -> None:
    text = FULL + '\n[alerts]\nslack = "https://hooks.example/x"\n'
    err = _error(tmp_path, text)
    assert err.line == _line_of(text, "[alerts]")
    assert err.key == "alerts"
    assert "unknown key" in str(err)


def test_unknown_key_in_second_executive(tmp_path: Path) -> None:
    text = FULL.replace('title = "CFO"\n', 'title = "CFO"\nphone = "+81-3-0000-0000"\n')
    err = _error(tmp_path, text)
    assert err.line == _line_of(text, "phone =") == 17
    assert err.key == "org.executives.1.phone"
    assert str(err) == f"{tmp_path / 'koban.toml'}:17: key 'org.executives.1.phone': unknown key"


def test_unknown_key_in_first_executive(tmp_path: Path) -> None:
    text = FULL.replace('title = "CEO"\n', 'title = "CEO"\nphone = "+81-3-0000-0000"\n')
    err = _error(tmp_path, text)
    assert err.line == _line_of(text, "phone =") == 11
    assert err.key == "org.executives.0.phone"


def test_bad_email_in_second_executive(tmp_path: Path) -> None:
    text = FULL.replace("h.sato@hoshi-exchange.jp", "h.sato-at-hoshi-exchange")
    err = _error(tmp_path, text)
    assert err.line == _line_of(text, "h.sato-at-hoshi-exchange") == 15
    assert err.key == "org.executives.1.emails"
    assert "not an e-mail address" in str(err)
    assert "h.sato-at-hoshi-exchange" in str(err)


def test_bad_chain(tmp_path: Path) -> None:
    text = FULL.replace('chain = "bitcoin"', 'chain = "dogecoin"')
    err = _error(tmp_path, text)
    assert err.line == _line_of(text, "dogecoin") == 28
    assert err.key == "wallets.1.chain"
    assert "ethereum" in str(err)
    assert "wallets.1.chain" in str(err)


def test_bad_address(tmp_path: Path) -> None:
    mixed = "bc1qAr0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
    text = FULL.replace(BTC, mixed)
    err = _error(tmp_path, text)
    assert err.line == _line_of(text, mixed)
    assert err.key == "wallets.1.address"
    assert "mixed-case" in str(err)


def test_missing_wallet_label_points_at_its_table(tmp_path: Path) -> None:
    text = FULL.replace('label = "cold wallet"\n', "")
    err = _error(tmp_path, text)
    assert err.line == _line_of(text, "[[wallets]]", nth=2)
    assert err.key == "wallets.1.label"


def test_bad_trust_domain_not_confused_with_org_domains(tmp_path: Path) -> None:
    text = FULL.replace('"github.com"]', '"not a domain!"]')
    err = _error(tmp_path, text)
    assert err.line == _line_of(text, "not a domain!")
    assert err.key == "trust.domains"


def test_bad_download_source(tmp_path: Path) -> None:
    text = FULL.replace('"https://github.com/hoshi-exchange/"', '"github.com/hoshi-exchange"')
    err = _error(tmp_path, text)
    assert err.line == _line_of(text, "download_sources")
    assert err.key == "trust.download_sources"


def test_bad_feed_url(tmp_path: Path) -> None:
    text = FULL.replace("https://www.treasury.gov", "ftp://www.treasury.gov")
    err = _error(tmp_path, text)
    assert err.line == _line_of(text, "ftp://")
    assert err.key == "intel.feeds.0.url"


def test_unknown_dotted_key(tmp_path: Path) -> None:
    text = FULL.replace("[trust]\n", "[trust]\nextra.thing = 1\n")
    err = _error(tmp_path, text)
    assert err.line == _line_of(text, "extra.thing")
    assert err.key == "trust.extra"


def test_bad_toml_syntax(tmp_path: Path) -> None:
    text = FULL.replace('label = "cold wallet"', 'label = "cold wallet')
    err = _error(tmp_path, text)
    assert err.line == _line_of(text, '"cold wallet') == 30
    assert err.key is None
    assert "not valid TOML" in str(err)


def test_several_problems_counted(tmp_path: Path) -> None:
    text = FULL.replace('chain = "bitcoin"', 'chain = "dogecoin"').replace(
        'title = "CFO"\n', 'title = "CFO"\nphone = "1"\n'
    )
    err = _error(tmp_path, text)
    assert "1 more problem" in str(err)


def test_missing_profile_given_explicitly(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "koban.toml"
    with pytest.raises(InputError, match="profile not found") as info:
        load_profile(missing)
    assert info.value.source == str(missing)
    assert str(missing) in str(info.value)


def test_profile_path_that_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="profile not found"):
        load_profile(tmp_path)


# --- where the profile comes from --------------------------------------------------------------


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    cwd = tmp_path / "work"
    cfg = tmp_path / "cfg"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(koban.profile, "config_dir", lambda: cfg)
    return cwd, cfg


def test_no_profile_anywhere_is_empty(places: tuple[Path, Path]) -> None:
    profile = load_profile()
    assert profile == Profile()
    assert not profile.loaded
    assert profile.path is None


def test_profile_from_cwd(places: tuple[Path, Path]) -> None:
    cwd, _ = places
    (cwd / "koban.toml").write_text(FULL, encoding="utf-8")
    profile = load_profile()
    assert profile.path == str(cwd / "koban.toml")
    assert profile.org.name == "Hoshi Exchange K.K."


def test_profile_from_config_dir(places: tuple[Path, Path]) -> None:
    _, cfg = places
    cfg.mkdir()
    (cfg / "koban.toml").write_text('[org]\nname = "From config"\n', encoding="utf-8")
    profile = load_profile()
    assert profile.path == str(cfg / "koban.toml")
    assert profile.org.name == "From config"


def test_cwd_wins_over_config_dir(places: tuple[Path, Path]) -> None:
    cwd, cfg = places
    cfg.mkdir()
    (cfg / "koban.toml").write_text('[org]\nname = "From config"\n', encoding="utf-8")
    (cwd / "koban.toml").write_text('[org]\nname = "From cwd"\n', encoding="utf-8")
    assert load_profile().org.name == "From cwd"


def test_broken_profile_in_cwd_is_an_error(places: tuple[Path, Path]) -> None:
    cwd, _ = places
    (cwd / "koban.toml").write_text("[org]\nname = 1\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_profile()
    assert info.value.line == 2
    assert info.value.key == "org.name"


def test_bad_toml_at_end_of_document_names_last_line(tmp_path: Path) -> None:
    text = "[org]\nname = 'unterminated\n"
    err = _error(tmp_path, text)
    assert err.line == 2
    assert "not valid TOML" in str(err)

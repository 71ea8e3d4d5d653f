"""The generated corpus: every kind of secret in every container and encoding is found with the
right kind and place; a negative set of look-alike material yields nothing.

Secrets are made here from fixed strings (none holds anything). One tree is built and scanned
once; the figures are printed (pytest -s) and asserted: 100% found, nothing else reported.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import subprocess
import tarfile
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path

import py7zr
import pytest
from mnemonic import Mnemonic

from koban.file.examples import pdf
from koban.keys import Options, report_for
from koban.keys.detectors.wordlists import LANGUAGES
from koban.model import Report


def _h(tag: str) -> bytes:
    return hashlib.sha256(f"koban-corpus-{tag}".encode()).digest()


def _mnemonic(lang: str, words: int) -> str:
    phrase: str = Mnemonic(lang).to_mnemonic(_h(f"{lang}-{words}")[: words * 4 // 3])
    return phrase


def _wif(compressed: bool, testnet: bool = False) -> str:
    from bip_utils import Base58Encoder

    raw = (b"\xef" if testnet else b"\x80") + _h(f"wif-{compressed}-{testnet}")
    raw += b"\x01" if compressed else b""
    return str(Base58Encoder.CheckEncode(raw))


def _xprv(testnet: bool = False) -> str:
    from bip_utils import Bip32KeyNetVersions, Bip32Slip10Secp256k1

    net = Bip32KeyNetVersions(b"\x04\x35\x87\xcf", b"\x04\x35\x83\x94") if testnet else None
    node = Bip32Slip10Secp256k1.FromSeed(_h(f"xprv-{testnet}"), *([net] if net else []))
    return str(node.PrivateKey().ToExtended())


def _keystore() -> str:
    return json.dumps(
        {
            "address": _h("ks-addr").hex()[:40],
            "crypto": {
                "cipher": "aes-128-ctr",
                "cipherparams": {"iv": _h("ks-iv").hex()[:32]},
                "ciphertext": _h("ks-ct").hex(),
                "kdf": "scrypt",
                "kdfparams": {"dklen": 32, "n": 262144, "p": 1, "r": 8, "salt": _h("ks-s").hex()},
                "mac": _h("ks-mac").hex(),
            },
            "id": "0b1c2d3e-4f50-4162-8374-8596a7b8c9d0",
            "version": 3,
        }
    )


def _solana(base58: bool) -> str:
    from bip_utils import Base58Encoder
    from nacl.signing import SigningKey

    sk = SigningKey(_h(f"sol-{base58}"))
    raw = bytes(sk) + bytes(sk.verify_key)
    return str(Base58Encoder.Encode(raw)) if base58 else json.dumps(list(raw))


def _pem(kind: str) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    if kind == "openssh":
        key = ed25519.Ed25519PrivateKey.from_private_bytes(_h("ssh"))
        fmt = serialization.PrivateFormat.OpenSSH
        return key.private_bytes(
            serialization.Encoding.PEM, fmt, serialization.NoEncryption()
        ).decode()
    ec_key = ec.derive_private_key(int.from_bytes(_h("pem"), "big") >> 8, ec.SECP256R1())
    fmt = serialization.PrivateFormat.PKCS8
    return ec_key.private_bytes(
        serialization.Encoding.PEM, fmt, serialization.NoEncryption()
    ).decode()


def _numbered(phrase: str) -> str:
    sep = "\u3000" if "\u3000" in phrase else " "
    return "".join(f"{i}. {w}\n" for i, w in enumerate(phrase.split(sep), 1))


def _electrum() -> str:
    import hmac

    words = Mnemonic("english").wordlist
    i = 0
    while True:
        h = _h(f"electrum-{i}")
        seed = " ".join(
            words[int.from_bytes(h[2 * j : 2 * j + 2], "big") % 2048] for j in range(12)
        )
        version = hmac.new(b"Seed version", seed.encode(), hashlib.sha512).hexdigest()
        if version.startswith("01") and not Mnemonic("english").check(seed):
            return seed
        i += 1


# name -> (kind, text). ASCII ones go everywhere; the others where their script can go.
def secrets() -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for lang in LANGUAGES:
        out[f"bip39-{lang}-12"] = ("bip39_mnemonic", f"seed phrase: {_mnemonic(lang, 12)}\n")
        out[f"bip39-{lang}-24-lines"] = ("bip39_mnemonic", _numbered(_mnemonic(lang, 24)))
    words = json.dumps(_mnemonic("english", 18).split(" "))
    out["bip39-json-array"] = ("bip39_mnemonic", f'{{"mnemonic": {words}}}\n')
    out["electrum"] = ("electrum_seed", f"electrum wallet seed: {_electrum()}\n")
    out["wif-compressed"] = ("wif_private_key", f"wif = {_wif(True)}\n")
    out["wif-uncompressed"] = ("wif_private_key", f"key: {_wif(False)}\n")
    out["wif-testnet"] = ("wif_private_key", f"testnet_wif={_wif(True, testnet=True)}\n")
    out["xprv"] = ("extended_private_key", f"master: {_xprv()}\n")
    out["tprv"] = ("extended_private_key", f"master: {_xprv(testnet=True)}\n")
    out["eth-hex"] = ("eth_private_key", f"PRIVATE_KEY=0x{_h('eth').hex()}\n")
    out["keystore"] = ("eth_keystore", _keystore())
    out["solana-json"] = ("solana_keypair", _solana(base58=False))
    out["solana-base58"] = ("solana_keypair", f"secret_key: {_solana(base58=True)}\n")
    out["pem-pkcs8"] = ("pem_private_key", _pem("pkcs8"))
    out["pem-openssh"] = ("pem_private_key", _pem("openssh"))
    return out


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _targz(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _7z(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w") as archive:
        for name, data in members.items():
            archive.writef(io.BytesIO(data), name)
    return buf.getvalue()


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
S_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
TYPES = '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def _docx(text: str) -> bytes:
    paras = "".join(
        f'<w:p><w:r><w:t xml:space="preserve">{_xml_escape(line)}</w:t></w:r></w:p>'
        for line in text.splitlines()
    )
    body = f'<?xml version="1.0"?><w:document {W_NS}><w:body>{paras}</w:body></w:document>'
    return _zip({"[Content_Types].xml": TYPES.encode(), "word/document.xml": body.encode()})


def _xlsx(text: str) -> bytes:
    """One row per line; a line of words becomes one word per cell (a seed typed into cells)."""
    rows = []
    for line in text.splitlines():
        cells = line.split(" ") if len(line.split(" ")) >= 12 and len(line) < 400 else [line]
        rows.append(
            "<row>"
            + "".join(f'<c t="inlineStr"><is><t>{_xml_escape(c)}</t></is></c>' for c in cells)
            + "</row>"
        )
    sheet = f"<worksheet {S_NS}><sheetData>{''.join(rows)}</sheetData></worksheet>"
    return _zip(
        {
            "[Content_Types].xml": TYPES.encode(),
            "xl/workbook.xml": f"<workbook {S_NS}/>".encode(),
            "xl/worksheets/sheet1.xml": sheet.encode(),
        }
    )


def _pdf(text: str) -> bytes:
    """One page in Courier, a line of the PDF per line of ``text`` (page wide enough for keys)."""
    escaped = (
        line.encode("latin-1").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
        for line in text.splitlines()
    )
    shown = b" T* ".join(b"(%s) Tj" % line for line in escaped)
    stream = b"BT /F1 8 Tf 10 TL 20 780 Td " + shown + b" ET"
    return pdf.build(
        [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 3000 800] "
            "/Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>",
            b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        ]
    )


# container -> (writer(tree, name, text) -> displayed path, applies-to(text) )
Writer = Callable[[Path, str, str], str]


def _plain(tree: Path, name: str, text: str) -> str:
    (tree / "plain").mkdir(exist_ok=True)
    (tree / "plain" / f"{name}.txt").write_text(text, encoding="utf-8")
    return f"plain/{name}.txt"


def _utf16(tree: Path, name: str, text: str) -> str:
    (tree / "utf16").mkdir(exist_ok=True)
    (tree / "utf16" / f"{name}.txt").write_bytes(text.encode("utf-16"))
    return f"utf16/{name}.txt"


def _archive(kind: str, build: Callable[[dict[str, bytes]], bytes]) -> Writer:
    def write(tree: Path, name: str, text: str) -> str:
        (tree / kind).mkdir(exist_ok=True)
        (tree / kind / f"{name}.{kind}").write_bytes(build({f"dir/{name}.txt": text.encode()}))
        return f"{kind}/{name}.{kind}!dir/{name}.txt"

    return write


def _gz(tree: Path, name: str, text: str) -> str:
    (tree / "gz").mkdir(exist_ok=True)
    (tree / "gz" / f"{name}.txt.gz").write_bytes(gzip.compress(text.encode(), mtime=0))
    return f"gz/{name}.txt.gz!{name}.txt"


def _nested(tree: Path, name: str, text: str) -> str:
    (tree / "nested").mkdir(exist_ok=True)
    inner = _zip({f"{name}.txt": text.encode()})
    (tree / "nested" / f"{name}.tar.gz").write_bytes(_targz({"backup/inner.zip": inner}))
    return f"nested/{name}.tar.gz!backup/inner.zip!{name}.txt"


def _document(ext: str, build: Callable[[str], bytes]) -> Writer:
    def write(tree: Path, name: str, text: str) -> str:
        (tree / ext).mkdir(exist_ok=True)
        (tree / ext / f"{name}.{ext}").write_bytes(build(text))
        return f"{ext}/{name}.{ext}"

    return write


def _sjis(tree: Path, name: str, text: str) -> str:
    (tree / "sjis").mkdir(exist_ok=True)
    (tree / "sjis" / f"{name}.txt").write_bytes(
        unicodedata.normalize("NFC", text).encode("shift_jis")
    )
    return f"sjis/{name}.txt"


CONTAINERS: dict[str, Writer] = {
    "plain": _plain,
    "utf16": _utf16,
    "zip": _archive("zip", _zip),
    "tar.gz": _archive("tgz", _targz),
    "7z": _archive("7z", _7z),
    "gz": _gz,
    "nested": _nested,
    "docx": _document("docx", _docx),
    "xlsx": _document("xlsx", _xlsx),
    "pdf": _document("pdf", _pdf),
    "shift_jis": _sjis,
}


def _applies(container: str, name: str, text: str) -> bool:
    if container == "pdf":
        return text.isascii() and "keystore" not in name  # Courier/latin-1 text only
    if container == "shift_jis":
        return "japanese" in name
    return True


def _found(report: Report) -> set[tuple[str, str]]:
    return {
        (f.location.path or "", f.kind or "")
        for f in report.findings
        if f.location and f.rule != "keys.not_scanned"
    }


def test_every_kind_in_every_container_is_found(tmp_path: Path) -> None:
    tree = tmp_path / "corpus"
    tree.mkdir()
    expected: set[tuple[str, str]] = set()
    for container, write in CONTAINERS.items():
        for name, (kind, text) in secrets().items():
            if _applies(container, name, text):
                expected.add((write(tree, name, text), kind))
    report = report_for(str(tree), Options(jobs=2, history=False))
    found = _found(report)
    missed = sorted(expected - found)
    extra = sorted(found - expected)
    by_container: dict[str, list[int]] = {}
    for path, kind in expected:
        counts = by_container.setdefault(path.split("/")[0], [0, 0])
        counts[1] += 1
        counts[0] += (path, kind) in found
    print(f"\ngenerated positives: {len(expected) - len(missed)}/{len(expected)} found")
    for container, (hit, total) in sorted(by_container.items()):
        print(f"  {container:<8} {hit}/{total}")
    assert not missed, f"missed {len(missed)}: {missed[:20]}"
    assert not extra, f"unexpected findings: {extra[:20]}"
    assert all(f.severity.value in ("high", "medium") for f in report.findings if f.kind)


def test_negative_set_reports_nothing(tmp_path: Path) -> None:
    from bip_utils import Bip32Slip10Secp256k1

    tree = tmp_path / "negatives"
    tree.mkdir()
    words = Mnemonic("english").wordlist
    hashes = [hashlib.sha256(f"file-{i}".encode()).hexdigest() for i in range(200)]
    files = {
        "SHA256SUMS": "".join(f"{h}  pkg-{i}.tar.gz\n" for i, h in enumerate(hashes)),
        "go.sum": "".join(
            f"example.com/m{i} v1.{i}.0 h1:{h[:43]}=\n" for i, h in enumerate(hashes)
        ),
        "package-lock.json": json.dumps(
            {
                "packages": {
                    f"node_modules/p{i}": {"integrity": f"sha512-{h}"} for i, h in enumerate(hashes)
                }
            }
        ),
        "poetry.lock": "".join(
            f'[[package]]\nname = "p{i}"\nfiles = [{{hash = "sha256:{h}"}}]\n'
            for i, h in enumerate(hashes)
        ),
        "chain.log": "".join(
            f"tx 0x{h} included in block {i}\ntxid: {h}\n" for i, h in enumerate(hashes)
        ),
        "git-shas.txt": "".join(f"commit {h[:40]}\n" for h in hashes),
        "english.txt": "\n".join(words) + "\n",
        "japanese.txt": "\n".join(Mnemonic("japanese").wordlist) + "\n",
        "prose-en.md": (
            "Our team will review the plan for the new office and report back to the board "
            "before the end of the month. Please check your access card and the building rules.\n"
        )
        * 50,
        "prose-ja.md": "本日の会議では、新しいオフィスの計画と来月の予算について話し合いました。\n"
        * 50,
        "xpub.txt": "account xpub: "
        + str(Bip32Slip10Secp256k1.FromSeed(_h("xpub")).PublicKey().ToExtended())
        + "\n",
        "addresses.csv": "".join(f"0x{h[:40]},bc1q{h[:38]}\n" for h in hashes),
        "words.py": "WORDS = [" + ", ".join(f'"{w}"' for w in words[:300]) + "]\n",
    }
    for name, text in files.items():
        (tree / name).write_text(text, encoding="utf-8")
    report = report_for(str(tree), Options(jobs=1, history=False))
    reported = [(f.location.path if f.location else None, f.kind, f.rule) for f in report.findings]
    print(f"\nnegative set: {len(files)} files, {len(reported)} findings")
    assert reported == []


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_every_kind_in_git_history(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
            cwd=repo, check=True, capture_output=True, text=True,
        )  # fmt: skip
        return done.stdout.strip()

    git("init", "-q")
    chosen = {n: s for n, s in secrets().items() if "-24-" not in n}
    commits = {}
    for name, (_kind, text) in chosen.items():
        (repo / f"{name}.txt").write_text(text, encoding="utf-8")
        git("add", f"{name}.txt")
        git("commit", "-q", "-m", f"add {name}")
        commits[name] = git("rev-parse", "HEAD")
        (repo / f"{name}.txt").unlink()
        git("commit", "-q", "-am", f"remove {name}")
    report = report_for(str(repo), Options(jobs=1))
    found = {(f.location.path, f.kind, f.location.commit) for f in report.findings if f.location}
    expected = {(f"{n}.txt", k, commits[n]) for n, (k, _t) in chosen.items()}
    print(f"\ngit history: {len(expected & found)}/{len(expected)} found with their commit")
    assert expected <= found

"""What the three executable formats share: which format a blob is, entropy, packer marks,
strings that name wallet stores, and the finding helper.

Wallet-store strings are the surest static sign of a stealer: Lazarus payloads (AppleJeus,
the 2023-2024 "BeaverTail"/"InvisibleFerret" tooling of fake job interviews) enumerate the
browser-extension folders of MetaMask, Phantom, Coinbase Wallet... and the data folders of
desktop wallets. A genuine wallet names its own store; a program that names several is looking
for them.
"""

from __future__ import annotations

import math
from collections import Counter
from functools import cache
from typing import Any

from koban.file.item import FileItem
from koban.model import Finding, Location, Severity
from koban.rules import make_finding

PE_MAGIC = b"MZ"
ELF_MAGIC = b"\x7fELF"
MACHO_MAGICS = (
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
)
FAT_MAGICS = (b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf")
TYPES = frozenset({"pe", "elf", "macho", "macho-universal"})

ENTROPY_SAMPLE = 1 << 20  # bytes of an overlay read to judge its entropy


def kind_of(item: FileItem) -> str | None:
    """``pe``, ``elf`` or ``macho`` from the magic bytes (the identified type is trusted when it
    names one of them). A universal binary shares CAFEBABE with Java classes: Java's bytes 4-7
    are its version (major >= 45), a fat header's the architecture count (a handful)."""
    head = item.data[:8]
    if head.startswith(PE_MAGIC) and _pe_header_ok(item.data):
        return "pe"
    if head.startswith(ELF_MAGIC):
        return "elf"
    if head[:4] in MACHO_MAGICS:
        return "macho"
    if head[:4] in FAT_MAGICS and len(head) == 8:
        count = int.from_bytes(head[4:8], "big")
        if 0 < count < 20:
            return "macho"
    if item.true_type in ("macho", "macho-universal"):
        return "macho"
    return None


def _pe_header_ok(data: bytes) -> bool:
    """An MZ header whose e_lfanew points at ``PE\\0\\0`` (plain DOS programs and text that
    starts with "MZ" are not PE files)."""
    if len(data) < 0x40:
        return False
    offset = int.from_bytes(data[0x3C:0x40], "little")
    return 0 < offset < len(data) - 4 and data[offset : offset + 4] == b"PE\0\0"


def entropy(data: bytes) -> float:
    """Shannon entropy in bits per byte (8.0 for random or compressed/encrypted bytes)."""
    if not data:
        return 0.0
    n = len(data)
    return -sum(c / n * math.log2(c / n) for c in Counter(data).values())


# Section names that packers and protectors give their sections.
PACKER_SECTIONS = {
    "upx0": "UPX",
    "upx1": "UPX",
    "upx2": "UPX",
    ".upx0": "UPX",
    ".upx1": "UPX",
    "__xcompressed": "UPX",
    ".aspack": "ASPack",
    ".adata": "ASPack",
    ".mpress1": "MPRESS",
    ".mpress2": "MPRESS",
    ".petite": "Petite",
    ".nsp0": "NsPack",
    ".nsp1": "NsPack",
    "pec2": "PECompact",
    "pec2mo": "PECompact",
    ".themida": "Themida",
    ".winlice": "WinLicense",
    ".vmp0": "VMProtect",
    ".vmp1": "VMProtect",
    ".vmp2": "VMProtect",
    ".enigma1": "Enigma",
    ".enigma2": "Enigma",
    "kkrunchy": "kkrunchy",
    ".perplex": "Perplex",
    ".yp": "Y0da",
    "mew": "MEW",
}


def upx_marks(data: bytes) -> bool:
    """UPX's own marks: the ``UPX!`` block header (every format) near the headers or the end
    of the file. A long binary may mention "UPX!" in a string; the mark sits in the first or
    last few KB of a packed file."""
    return b"UPX!" in data[:4096] or b"UPX!" in data[-4096:]


# Browser-extension IDs (Chrome Web Store) and desktop wallet folders stealers enumerate.
WALLETS: dict[str, tuple[str, ...]] = {
    "MetaMask": ("nkbihfbeogaeaoehlefnkodbefgpgknn", "ejbalbakoplchlghecdalmeeeajnimhm"),
    "Phantom": ("bfnaelmomeimhlpmgjnjophhpkkoljpa",),
    "Coinbase Wallet": ("hnfanknocfeofbddgcijnmhnfnkdnaad",),
    "TronLink": ("ibnejdfjmmkpcnlpebklmnkoeoihofec",),
    "Binance Wallet": ("fhbohimaelbohpjbbldcngcnapndodjp",),
    "Trust Wallet": ("egjidjbpglichdcondbcbdnbeeppgdph",),
    "Keplr": ("dmkamcknogkgcdfhhbddcghachkejeap",),
    "Rabby": ("acmacodkjbdgmoleebolmdjonilkdbch",),
    "OKX Wallet": ("mcohilncbfahbmgdjkbpemcciiolgcge",),
    "Exodus": ("exodus.wallet", "exodus\\exodus.conf", "exodus/exodus.conf"),
    "Electrum": ("electrum\\wallets", "electrum/wallets"),
    "Atomic Wallet": ("atomic\\local storage\\leveldb", "atomic/local storage/leveldb"),
    "Bitcoin Core": ("bitcoin\\wallets", "bitcoin/wallets", "wallet.dat"),
    "Ethereum keystore": ("ethereum\\keystore", "ethereum/keystore"),
    "Ledger Live": ("ledger live\\app.json", "ledger live/app.json"),
    "Guarda": ("guarda\\local storage", "guarda/local storage"),
    "Solana CLI": (".config/solana/id.json", "solana\\id.json"),
    "Monero": ("monero\\wallets", "monero/wallets"),
}

STRING_SCAN_BYTES = 64 << 20  # the first 64 MiB are searched for wallet-store strings


@cache
def _wallet_rules() -> Any:
    """One YARA rule per wallet, its strings ``nocase ascii wide``: yara-python matches them
    all in a single Aho-Corasick pass (a loop of ``bytes.find`` per needle cost 80% of the
    inspector's time on real binaries)."""
    import yara

    rules = []
    for index, needles in enumerate(WALLETS.values()):
        strings = "\n".join(
            f'    $s{i} = "{n.replace(chr(92), chr(92) * 2)}" nocase ascii wide'
            for i, n in enumerate(needles)
        )
        rules.append(f"rule w{index} {{\n  strings:\n{strings}\n  condition: any of them\n}}")
    return yara.compile(source="\n".join(rules))


def wallet_stores(data: bytes) -> list[str]:
    """Names of the wallets whose stores ``data`` mentions (ASCII or UTF-16LE, any case)."""
    names = list(WALLETS)
    try:
        matches = _wallet_rules().match(data=data[:STRING_SCAN_BYTES], fast=True, timeout=10)
    except Exception:  # yara.TimeoutError on a pathological file: no claim either way
        return []
    return sorted((names[int(m.rule[1:])] for m in matches), key=names.index)


def finding(
    rule: str,
    item: FileItem,
    message: str,
    evidence: dict[str, Any] | None = None,
    *,
    severity: Severity | None = None,
    kind: str | None = None,
    indicators: list[str] | None = None,
) -> Finding:
    return make_finding(
        rule,
        message,
        severity=severity,
        kind=kind,
        location=Location(path=item.path),
        evidence=evidence or {},
        indicators=indicators,
    )


def wallet_finding(item: FileItem) -> Finding | None:
    """``file.exe_wallet_paths`` when two or more wallets' stores are named (one is what a
    wallet app names: its own); five or more is a stealer's target list."""
    names = wallet_stores(item.data)
    if len(names) < 2:
        return None
    severity = Severity.HIGH if len(names) >= 5 else Severity.MEDIUM
    return finding(
        "file.exe_wallet_paths",
        item,
        f"names the stores of {len(names)} crypto wallets ({', '.join(names[:6])}"
        f"{'...' if len(names) > 6 else ''}): a stealer's target list",
        {"wallets": names},
        severity=severity,
    )


def text(value: str | bytes | None) -> str:
    """lief returns names as ``str`` or, when they are not valid UTF-8, ``bytes``."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def enum_name(value: object) -> str:
    """The name of a lief enum value; a value outside the enum (hostile headers) raises in
    lief's binding, and becomes its number here."""
    try:
        return str(value.name)  # type: ignore[attr-defined]
    except Exception:
        try:
            return hex(int(value))  # type: ignore[call-overload]
        except Exception:
            return "unknown"


def safe_text(get: object) -> str:
    """A lief string attribute read through ``get`` (a callable): names that are not UTF-8
    raise ``UnicodeDecodeError`` in lief's binding and come back with replacement marks."""
    try:
        return text(get())  # type: ignore[operator]
    except UnicodeDecodeError as exc:
        return exc.object[: exc.end + 64].decode("utf-8", "replace").split("\0")[0]

"""Publisher-side companions of a download, made the way release tools make them: checksum lists
(``sha256sum`` and ``shasum --tag`` styles) and minisign/signify signatures with a key derived
from a fixed seed (a test key: it signs nothing real). Used by tests and by the rule examples
(whose ``beside`` texts were produced by these functions)."""

from __future__ import annotations

import base64
import hashlib

from nacl.signing import SigningKey

TEST_SEED = b"koban test key, signs no release"[:32]


def sha256sums(files: dict[str, bytes], *, bsd: bool = False) -> str:
    """A SHA256SUMS list of ``files`` (name → bytes), GNU or BSD (``--tag``) style."""
    lines = []
    for name, data in files.items():
        digest = hashlib.sha256(data).hexdigest()
        lines.append(f"SHA256 ({name}) = {digest}" if bsd else f"{digest}  {name}")
    return "\n".join(lines) + "\n"


def _key(seed: bytes) -> tuple[SigningKey, bytes]:
    signer = SigningKey(hashlib.sha256(seed).digest())
    keynum = hashlib.sha256(b"keynum" + seed).digest()[:8]
    return signer, keynum


def minisign_public_key(seed: bytes = TEST_SEED) -> str:
    """The ``minisign.pub`` text of the test key."""
    signer, keynum = _key(seed)
    raw = b"Ed" + keynum + bytes(signer.verify_key)
    key_id = keynum[::-1].hex().upper()
    return f"untrusted comment: minisign public key {key_id}\n{base64.b64encode(raw).decode()}\n"


def minisign_signature(data: bytes, name: str = "file", seed: bytes = TEST_SEED) -> str:
    """A minisign signature (prehashed ``ED``, with trusted comment) of ``data``."""
    signer, keynum = _key(seed)
    signature = signer.sign(hashlib.blake2b(data).digest()).signature
    trusted = f"timestamp:1700000000\tfile:{name}\thashed"
    global_sig = signer.sign(signature + trusted.encode()).signature
    return (
        "untrusted comment: signature from minisign secret key\n"
        f"{base64.b64encode(b'ED' + keynum + signature).decode()}\n"
        f"trusted comment: {trusted}\n"
        f"{base64.b64encode(global_sig).decode()}\n"
    )


def signify_signature(data: bytes, key_file: str = "release.pub", seed: bytes = TEST_SEED) -> str:
    """A signify signature of ``data`` whose comment names ``key_file``."""
    signer, keynum = _key(seed)
    signature = signer.sign(data).signature
    raw = b"Ed" + keynum + signature
    return f"untrusted comment: verify with {key_file}\n{base64.b64encode(raw).decode()}\n"

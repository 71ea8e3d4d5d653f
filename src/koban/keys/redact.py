"""Show enough of a secret to find it again, never enough to use it."""

from __future__ import annotations

from koban.keys.secret import Secret


def redacted(secret: Secret) -> str:
    """A redacted form of ``secret``: a few characters of its ends and its shape.

    Mnemonics show the first two letters of the first word and the word count (about 5 bits of
    the phrase); encoded keys show 4 characters at each end (about 40 bits of a 256-bit key as
    base58, 32 bits as hex); PEM blocks only their header line.
    """
    material = secret.material
    if secret.kind in ("bip39_mnemonic", "electrum_seed"):
        words = material.split(" ")
        return f"{words[0][:2]}… ({len(words)} words)"
    if secret.kind == "pem_private_key":
        first = material.strip().splitlines()[0] if material.strip() else "PEM"
        return f"{first[:60]} …"
    if secret.kind == "eth_keystore":
        return "keystore v3 (encrypted)"
    compact = material.strip()
    if len(compact) <= 12:
        return "…"
    return f"{compact[:4]}…{compact[-4:]}"

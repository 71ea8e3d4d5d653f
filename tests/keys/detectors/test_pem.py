from __future__ import annotations

import base64
import os
import struct

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from koban.keys.detectors import pem
from koban.keys.detectors.pem import DETECTOR

from .conftest import Find

PEM = serialization.Encoding.PEM
PKCS8 = serialization.PrivateFormat.PKCS8
TRADITIONAL = serialization.PrivateFormat.TraditionalOpenSSL
OPENSSH = serialization.PrivateFormat.OpenSSH
PLAIN = serialization.NoEncryption()
PASSWORD = serialization.BestAvailableEncryption(b"correct horse")

RSA = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - speed
P256 = ec.generate_private_key(ec.SECP256R1())
K1 = ec.generate_private_key(ec.SECP256K1())
ED = ed25519.Ed25519PrivateKey.generate()


@pytest.mark.parametrize(
    ("key", "fmt", "encryption", "expected"),
    [
        (RSA, TRADITIONAL, PLAIN, {"type": "RSA", "algorithm": "rsa", "encrypted": False}),
        (RSA, PKCS8, PLAIN, {"type": "PKCS8", "algorithm": "rsa", "encrypted": False}),
        (RSA, PKCS8, PASSWORD, {"type": "ENCRYPTED", "encrypted": True}),
        (RSA, TRADITIONAL, PASSWORD, {"type": "RSA", "encrypted": True}),
        (P256, TRADITIONAL, PLAIN, {"type": "EC", "curve": "prime256v1", "encrypted": False}),
        (K1, TRADITIONAL, PLAIN, {"type": "EC", "curve": "secp256k1"}),
        (K1, PKCS8, PLAIN, {"type": "PKCS8", "algorithm": "ec", "curve": "secp256k1"}),
        (ED, PKCS8, PLAIN, {"type": "PKCS8", "algorithm": "ed25519"}),
        (ED, OPENSSH, PLAIN, {"type": "OPENSSH", "key_type": "ssh-ed25519", "encrypted": False}),
        (RSA, OPENSSH, PLAIN, {"type": "OPENSSH", "key_type": "ssh-rsa", "cipher": "none"}),
    ],
)
def test_generated_keys(
    find: Find, key: object, fmt: object, encryption: object, expected: dict[str, object]
) -> None:
    block = key.private_bytes(PEM, fmt, encryption).decode()  # type: ignore[attr-defined]
    text = f"# deploy key\n{block}\nmore text\n"
    found = find(DETECTOR, text)
    assert len(found) == 1
    secret = found[0]
    assert secret.kind == "pem_private_key" and secret.confidence == "high"
    assert text.encode()[secret.start : secret.end].decode() == block.strip()
    assert expected.items() <= secret.detail.items()


def test_escaped_in_json_string(find: Find) -> None:
    block = ED.private_bytes(PEM, PKCS8, PLAIN).decode()
    text = '{"private_key": "' + block.replace("\n", "\\n") + '"}'
    found = find(DETECTOR, text)
    assert len(found) == 1 and found[0].detail["algorithm"] == "ed25519"
    assert pem.body_bytes(found[0].material) == pem.body_bytes(block)


def _ssh_string(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value


def test_encrypted_openssh(find: Find) -> None:
    public = _ssh_string(b"ssh-ed25519") + _ssh_string(os.urandom(32))
    blob = b"openssh-key-v1\0" + _ssh_string(b"aes256-ctr") + _ssh_string(b"bcrypt")
    blob += _ssh_string(_ssh_string(os.urandom(16)) + struct.pack(">I", 16))
    blob += struct.pack(">I", 1) + _ssh_string(public) + _ssh_string(os.urandom(160))
    body = base64.b64encode(blob).decode()
    lines = "\n".join(body[i : i + 70] for i in range(0, len(body), 70))
    text = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{lines}\n-----END OPENSSH PRIVATE KEY-----\n"
    found = find(DETECTOR, text)
    assert len(found) == 1
    assert found[0].detail["encrypted"] is True and found[0].detail["cipher"] == "aes256-ctr"


def test_putty(find: Find) -> None:
    private = base64.b64encode(os.urandom(48)).decode()
    text = (
        "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: deploy\n"
        f"Public-Lines: 2\nAAAAC3NzaC1lZDI1NTE5AAAAIOv\nQ0x5c3Rlcm==\nPrivate-Lines: 1\n{private}\n"
        "Private-MAC: 4c5e7c1a0d3b\n"
    )
    found = find(DETECTOR, "notes\n" + text)
    assert len(found) == 1
    assert found[0].detail == {
        "type": "PUTTY",
        "key_type": "ssh-ed25519",
        "encrypted": False,
        "cipher": "none",
    }


def test_truncated_key_is_medium(find: Find) -> None:
    lines = RSA.private_bytes(PEM, TRADITIONAL, PLAIN).decode().splitlines()
    text = "\n".join([*lines[:5], lines[-1]])
    found = find(DETECTOR, text)
    assert len(found) == 1 and found[0].confidence == "medium"


def test_not_private_keys(find: Find) -> None:
    public = RSA.public_key().public_bytes(PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    templates = [
        "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
        "-----BEGIN PRIVATE KEY-----\n<your key here>\n-----END PRIVATE KEY-----",
        "-----BEGIN RSA PRIVATE KEY-----\nBad Key, though the cert should be OK\n"
        "-----END RSA PRIVATE KEY-----",
        "-----BEGIN EC PRIVATE KEY-----\n" + "A" * 64 + "\n-----END EC PRIVATE KEY-----",
        "-----BEGIN OPENSSH PRIVATE KEY-----\n"
        + base64.b64encode(os.urandom(120)).decode()
        + "\n-----END OPENSSH PRIVATE KEY-----",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA" + "\n(no end marker)",
        public.decode(),
    ]
    assert find(DETECTOR, "\n\n".join(templates)) == []


def test_secp256k1_scalar() -> None:
    for fmt in (TRADITIONAL, PKCS8):
        block = K1.private_bytes(PEM, fmt, PLAIN).decode()
        der = pem.body_bytes(block)
        assert der is not None
        assert pem.secp256k1_scalar(der) == K1.private_numbers().private_value
    p256 = pem.body_bytes(P256.private_bytes(PEM, TRADITIONAL, PLAIN).decode())
    assert p256 is not None and pem.secp256k1_scalar(p256) is None


def test_string_concatenation_in_code(find: Find) -> None:
    lines = ED.private_bytes(PEM, PKCS8, PLAIN).decode().strip().splitlines()
    code = "key = " + " +\n      ".join(f'"{line}"' for line in lines) + ";\n"
    found = find(DETECTOR, code)
    assert len(found) == 1 and found[0].detail["algorithm"] == "ed25519"


def test_openssh_body_under_an_rsa_label(find: Find) -> None:
    block = ED.private_bytes(PEM, OPENSSH, PLAIN).decode().replace("OPENSSH", "RSA")
    found = find(DETECTOR, block)
    assert len(found) == 1 and found[0].detail["key_type"] == "ssh-ed25519"


def test_base64_wrapped_pem(find: Find) -> None:
    block = K1.private_bytes(PEM, TRADITIONAL, PLAIN)
    wrapped = base64.b64encode(block).decode()
    public = base64.b64encode(
        RSA.public_key().public_bytes(PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    ).decode()
    text = f"tls.key: {wrapped}\ntls.pub: {public}\n"
    found = find(DETECTOR, text)
    assert len(found) == 1
    secret = found[0]
    assert text.encode()[secret.start : secret.end].decode() == wrapped
    assert secret.detail["wrapped"] == "base64" and secret.detail["curve"] == "secp256k1"

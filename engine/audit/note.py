"""Signed checkpoints of the event log, in the C2SP formats other transparency logs use.

A checkpoint (c2sp.org/tlog-checkpoint) is three lines — the log's origin, its size, its Merkle
root in base64 — wrapped in a signed note (c2sp.org/signed-note): the text, a blank line, and one
line per signature, ``— <key name> <base64(4-byte key id || Ed25519 signature of the text)>``.
The key id is the first 4 bytes of SHA-256(key name || "\\n" || 0x01 || public key).

The signing key lives outside the database: a file named by ``WUYE_AUDIT_KEY`` (PEM, PKCS#8), made
on first use beside the SQLite database (or in ~/.wuye for PostgreSQL) when unset, with the
verifier key beside it (``<file>.pub``, the Go ``note`` verifier format
``<name>+<key id hex>+<base64(0x01 || public key)>``) to hand to auditors. Whoever holds the
database but not the key cannot make a checkpoint that verifies."""
from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from engine.errors import BadInput

ORIGIN = os.environ.get("WUYE_AUDIT_ORIGIN", "wuye.local/events")
_ED25519 = b"\x01"
_DASH = "\u2014"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes


def _key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + _ED25519 + public).digest()[:4]


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_path(database_file: str | None) -> Path:
    """Where the signing key is: ``WUYE_AUDIT_KEY``, else beside the SQLite file, else ~/.wuye."""
    named = os.environ.get("WUYE_AUDIT_KEY")
    if named:
        return Path(named)
    if database_file:
        return Path(database_file).resolve().parent / "wuye-audit.key"
    return Path.home() / ".wuye" / "audit.key"


def signing_key(path: Path) -> Ed25519PrivateKey:
    """The key at ``path``; made there (mode 0600, with the verifier key beside it) if there is none."""
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise BadInput(f"{path}: 不是 Ed25519 私钥 (not an Ed25519 private key)")
        return key
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    Path(f"{path}.pub").write_text(verifier_key(key.public_key()) + "\n", encoding="ascii")
    return key


def verifier_key(public: Ed25519PublicKey, name: str = ORIGIN) -> str:
    raw = _raw(public)
    return f"{name}+{_key_id(name, raw).hex()}+{base64.b64encode(_ED25519 + raw).decode()}"


def parse_verifier_key(text: str) -> tuple[str, bytes, Ed25519PublicKey]:
    try:
        name, key_id, encoded = text.strip().split("+", 2)   # base64 may hold "+" too
        blob = base64.b64decode(encoded, validate=True)
    except (ValueError, binascii.Error):
        raise BadInput("校验公钥格式不对 (the verifier key is not name+id+base64)") from None
    if blob[:1] != _ED25519 or len(blob) != 33 or _key_id(name, blob[1:]).hex() != key_id:
        raise BadInput("校验公钥格式不对 (not an Ed25519 verifier key, or its id does not match)")
    return name, bytes.fromhex(key_id), Ed25519PublicKey.from_public_bytes(blob[1:])


def sign(checkpoint: Checkpoint, key: Ed25519PrivateKey, name: str = ORIGIN) -> str:
    """The checkpoint as a signed note."""
    text = f"{checkpoint.origin}\n{checkpoint.size}\n{base64.b64encode(checkpoint.root).decode()}\n"
    signature = key.sign(text.encode())
    stamp = base64.b64encode(_key_id(name, _raw(key.public_key())) + signature).decode()
    return f"{text}\n{_DASH} {name} {stamp}\n"


def open_note(note: str, name: str, key_id: bytes, public: Ed25519PublicKey) -> Checkpoint:
    """The checkpoint a signed note carries, if ``public`` signed it; BadInput naming what is wrong."""
    text, sep, signatures = note.partition("\n\n")
    if not sep:
        raise BadInput("检查点文件格式不对 (no blank line before the signatures: not a signed note)")
    text += "\n"
    signed = False
    for line in signatures.splitlines():
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != _DASH or parts[1] != name:
            continue
        try:
            blob = base64.b64decode(parts[2], validate=True)
        except binascii.Error:
            continue
        if blob[:4] != key_id:
            continue
        try:
            public.verify(blob[4:], text.encode())
        except InvalidSignature:
            raise BadInput("检查点签名无效：文件被改过，或不是用这把钥匙签的 "
                           "(the checkpoint's signature does not verify)") from None
        signed = True
    if not signed:
        raise BadInput(f"检查点上没有 {name} 的签名 (no signature by {name})")
    lines = text.splitlines()
    if len(lines) < 3 or not lines[1].isascii() or not lines[1].isdigit():
        raise BadInput("检查点内容格式不对 (expected origin, size, root hash)")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except binascii.Error:
        raise BadInput("检查点的根哈希不是 base64 (the root hash is not base64)") from None
    return Checkpoint(lines[0], int(lines[1]), root)

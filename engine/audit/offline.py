"""Check an evidence pack offline: ``python3 -m engine.audit.offline PACK.pdf --key wuye-audit.key.pub``.

Needs only this file's three imports of the project (the note format, the chain's hash and the
Merkle check, all small and stdlib + ``cryptography``) and the verifier key the company handed
out. It takes the proof attached to the PDF (wuye-proof.json), checks the checkpoint's Ed25519
signature, recomputes each event's hash from its printed content and proves it under the signed
root. Exit 0 and "ok", else 1 and what failed."""
from __future__ import annotations

import argparse
import json
import re
import sys
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any

from engine.audit.note import open_note, parse_verifier_key
from engine.errors import BadInput
from storage.chain import event_hash
from storage.merkle import leaf_hash, verify_inclusion

_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)


def attached_proof(pdf: bytes) -> dict[str, Any]:
    """The wuye-proof.json embedded in the PDF (its streams are Flate-compressed or plain)."""
    for match in _STREAM.finditer(pdf):
        raw = match.group(1)
        for body in (raw, _inflate(raw)):
            if not body or not body.lstrip().startswith(b'{') or b'"checkpoint"' not in body:
                continue
            try:
                found = json.loads(body)
            except ValueError:
                continue                 # another JSON-looking stream (wherever "checkpoint" stands in it)
            if isinstance(found, dict) and "checkpoint" in found and "events" in found:
                return found
    raise ValueError("no wuye-proof.json attached to this PDF")


def _inflate(raw: bytes) -> bytes | None:
    try:
        return zlib.decompress(raw)
    except zlib.error:
        return None


def check(proof: dict[str, Any], verifier: str) -> list[str]:
    """Every problem found (none: the pack is what the signed log holds)."""
    name, key_id, public = parse_verifier_key(verifier)
    try:
        checkpoint = open_note(proof["checkpoint"], name, key_id, public)
    except BadInput as e:
        return [f"checkpoint: {e.message}"]
    problems = []
    if checkpoint.size != proof["size"] or checkpoint.root.hex() != proof["root"]:
        problems.append("the proof's size/root are not the signed checkpoint's")
    for ev in proof["events"]:
        digest = event_hash(seq=ev["seq"], instance_id=ev["instance"], type=ev["type"], actor=ev["actor"],
                            at=datetime.fromisoformat(ev["at"]), task_id=ev["task"], data=ev["data"],
                            prev_hash=ev["prev_hash"])
        if digest != ev["event_hash"]:
            problems.append(f"event {ev['seq']}: its content does not hash to {ev['event_hash'][:12]}…")
            continue
        path = [bytes.fromhex(p) for p in ev["proof"]]
        if not verify_inclusion(ev["seq"] - 1, checkpoint.size, leaf_hash(digest), path, checkpoint.root):
            problems.append(f"event {ev['seq']}: not included under the signed root")
    return problems


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m engine.audit.offline", description=__doc__.splitlines()[0])
    p.add_argument("pack", help="the evidence pack (PDF)")
    p.add_argument("--key", required=True, help="the verifier key file (wuye-audit.key.pub)")
    a = p.parse_args(argv)
    try:
        proof = attached_proof(Path(a.pack).read_bytes())
        problems = check(proof, Path(a.key).read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, BadInput) as e:
        print(f"无法核验 (cannot check): {e}", file=sys.stderr)
        return 2
    if problems:
        for line in problems:
            print(line, file=sys.stderr)
        return 1
    print(f"ok: {len(proof['events'])} events proved under checkpoint of {proof['size']} (root {proof['root'][:16]}…)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Check AuthLedger's proofs offline, as an auditor without Swift would.

Needs only the standard library and `cryptography` (for Ed25519), the log's note verifier
key (`authledger checkpoint --verifier-key`, or GET /v1/log/verifier-key) and the proofs:

    tools/verify_proof.py --key-file log.vkey bundle event-42.tlog-proof
    tools/verify_proof.py --key-file log.vkey history alice.jsonl      # authledger audit alice --proofs
    tools/verify_proof.py --key-file log.vkey consistency monday.checkpoint tuesday.consistency

Formats (docs/PROOFS.md): checkpoints are C2SP signed notes (tlog-checkpoint, signed-note,
Ed25519); a bundle is a C2SP tlog-proof whose `extra` line is the record's stored bytes; a
consistency proof is `old <size>`, one base64 hash per line, a blank line, the newer
checkpoint. Hashes are RFC 9162: leaf SHA-256(0x00 || record), node SHA-256(0x01 || l || r).

Prints one `ok:` line per proof and exits 0; on the first failure prints `FAILED: why`
and exits 1.
"""
import argparse
import base64
import binascii
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class ProofFailure(Exception):
    pass


def b64(text):
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ProofFailure(f"not base64: {text[:64]!r}")


def hash32(line):
    raw = b64(line)
    if len(raw) != 32:
        raise ProofFailure(f"a proof line is not a SHA-256 hash: {line[:64]!r}")
    return raw


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


class VerifierKey:
    """A C2SP note verifier key: name+hex(key id)+base64(0x01 || Ed25519 public key)."""

    def __init__(self, text):
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise ProofFailure("a verifier key is name+keyid+base64(0x01 || public key)")
        self.name, key_id, encoded = parts
        raw = b64(encoded)
        if len(raw) != 33 or raw[0] != 0x01:
            raise ProofFailure("the verifier key is not an Ed25519 note key")
        self.id = hashlib.sha256(self.name.encode() + b"\n" + raw).digest()[:4]
        if self.id.hex() != key_id.lower():
            raise ProofFailure("the verifier key's id does not match its name and key")
        self.public_key = Ed25519PublicKey.from_public_bytes(raw[1:])


def checkpoint(note, key):
    """Checks a signed checkpoint under `key`; returns (origin, size, root)."""
    body, sep, signatures = note.partition("\n\n")
    if not sep:
        raise ProofFailure("a signed note has a blank line before its signatures")
    text = body + "\n"
    lines = body.split("\n")
    if len(lines) < 3 or not lines[0]:
        raise ProofFailure("a checkpoint has an origin line, a size and a root hash")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not size_text.isdigit() or str(int(size_text)) != size_text:
        raise ProofFailure("the checkpoint's size line is not a decimal number")
    root = hash32(root_text)
    if origin != key.name:
        raise ProofFailure(f"the checkpoint is of {origin!r}, not of the log {key.name!r} the key names")
    for line in signatures.split("\n"):
        if not line.startswith("\u2014 "):
            continue
        fields = line[2:].split(" ")
        if len(fields) != 2 or fields[0] != key.name:
            continue
        raw = b64(fields[1])
        if len(raw) != 68 or raw[:4] != key.id:
            continue
        try:
            key.public_key.verify(raw[4:], text.encode())
        except InvalidSignature:
            raise ProofFailure(f"the signature by {key.name} does not verify: the checkpoint was altered or signed by another key")
        return origin, int(size_text), root
    raise ProofFailure(f"no signature by {key.name} on this checkpoint")


def verify_inclusion(leaf, index, size, proof, root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        raise ProofFailure(f"index {index} is not below the tree size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofFailure("the inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != root:
        raise ProofFailure("the record is not at that index of the signed tree")


def verify_consistency(old_size, new_size, old_root, new_root, proof):
    """RFC 9162 section 2.1.4.2."""
    if new_size < old_size:
        raise ProofFailure(f"the newer checkpoint has {new_size} events, fewer than the {old_size} of the older: the log was rolled back")
    if old_size == new_size:
        if proof or old_root != new_root:
            raise ProofFailure(f"two trees of {old_size} events with different roots: the log was forked")
        return
    if old_size == 0:
        return
    if not proof:
        raise ProofFailure("an empty consistency proof between different sizes")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofFailure("the consistency proof is longer than the trees are deep")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0 or fr != old_root or sr != new_root:
        raise ProofFailure(f"the log of {new_size} events does not extend the log of {old_size}: it was rewritten or forked")


def bundle(text, key):
    """Checks a tlog-proof bundle; returns (position, record bytes, checkpoint)."""
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise ProofFailure("a tlog-proof has a blank line before its checkpoint")
    lines = head.split("\n")
    if lines[0] != "c2sp.org/tlog-proof@v1":
        raise ProofFailure("a tlog-proof starts with the line c2sp.org/tlog-proof@v1")
    if len(lines) < 3 or not lines[1].startswith("extra ") or not lines[2].startswith("index "):
        raise ProofFailure("an AuthLedger proof has an extra line (the record) and an index line")
    record = b64(lines[1][6:])
    index_text = lines[2][6:]
    if not index_text.isdigit() or str(int(index_text)) != index_text:
        raise ProofFailure("the index line is not a decimal number")
    proof = [hash32(line) for line in lines[3:]]
    origin, size, root = checkpoint(note, key)
    verify_inclusion(leaf_hash(record), int(index_text), size, proof, root)
    return int(index_text) + 1, record, (origin, size, root)


def consistency(old_note, text, key):
    head, sep, note = text.partition("\n\n")
    if not sep or not head.startswith("old "):
        raise ProofFailure("a consistency proof is old <size>, the hashes, a blank line, the checkpoint")
    lines = head.split("\n")
    old_size = int(lines[0][4:])
    proof = [hash32(line) for line in lines[1:]]
    _, size0, root0 = checkpoint(old_note, key)
    origin, size1, root1 = checkpoint(note, key)
    if old_size != size0:
        raise ProofFailure(f"the proof is from size {old_size}, but the older checkpoint is of size {size0}")
    verify_consistency(size0, size1, root0, root1, proof)
    return origin, size0, size1


def read(path):
    if path == "-":
        return sys.stdin.read()
    with open(path, encoding="utf-8") as f:
        return f.read()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    keys = parser.add_mutually_exclusive_group(required=True)
    keys.add_argument("--key", help="the log's note verifier key")
    keys.add_argument("--key-file", help="a file holding the verifier key")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("bundle", help="check tlog-proof bundles")
    b.add_argument("files", nargs="+")
    h = sub.add_parser("history", help="check a history with proofs (JSON lines with position and proof)")
    h.add_argument("files", nargs="+")
    c = sub.add_parser("consistency", help="check that a newer checkpoint extends an older one")
    c.add_argument("old", help="the older signed checkpoint")
    c.add_argument("files", nargs="+", help="consistency proofs (old <size>, hashes, the newer checkpoint)")
    args = parser.parse_args()
    try:
        key = VerifierKey(args.key if args.key else read(args.key_file))
        for path in args.files:
            if args.command == "bundle":
                position, _, (origin, size, _) = bundle(read(path), key)
                print(f"ok: position {position} is in {origin} at {size} events ({path})")
            elif args.command == "history":
                count = 0
                for n, line in enumerate(read(path).splitlines(), 1):
                    event = json.loads(line)
                    position, _, _ = bundle(event["proof"], key)
                    if position != event["position"]:
                        raise ProofFailure(f"{path} line {n} says position {event['position']}, but its proof is for {position}")
                    count += 1
                print(f"ok: {count} events of {path} proved in the log")
            else:
                origin, old, new = consistency(read(args.old), read(path), key)
                print(f"ok: {origin} at {new} events extends {old} events ({path})")
    except (ProofFailure, KeyError, ValueError, OSError) as e:
        print(f"FAILED: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

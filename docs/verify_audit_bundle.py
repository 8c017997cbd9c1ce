#!/usr/bin/env python3
"""Checks a Trust Fabric audit export (JSON Lines) with the log's public key alone.

A reference verifier for auditors, written from docs/audit.md and sharing no code with Trust
Fabric: RFC 8785 canonical JSON, RFC 9162 inclusion proofs, C2SP signed notes with Ed25519.
It needs Python 3 and the `cryptography` package (Debian: python3-cryptography).

    verify_audit_bundle.py --public-key 'origin+1234abcd+AQ...' export.jsonl

Exit status: 0 when the bundle is intact, 2 when it is not (the first problem is printed),
1 when it cannot be read.
"""

import argparse
import base64
import hashlib
import json
import sys
from decimal import Decimal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

BUNDLE_FORMAT = "trust-fabric-audit-export/1"
SERVED_ONLY = ("leaf_index", "details", "pruned_at")


class Tampered(Exception):
    pass


# --- RFC 8785 -----------------------------------------------------------------------------

def es_number(x):
    """A number as ECMAScript's Number.prototype.toString prints it (RFC 8785 3.2.2.3)."""
    if isinstance(x, bool):
        raise ValueError("not a number")
    if isinstance(x, int) and abs(x) < 2**53:
        return str(x)
    x = float(x)
    if x != x or x in (float("inf"), float("-inf")):
        raise ValueError("JSON numbers are finite")
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    _, digits, exp = Decimal(repr(abs(x))).normalize().as_tuple()
    digits = "".join(map(str, digits))
    k, n = len(digits), len(digits) + exp  # value = 0.digits * 10^n
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    e = n - 1
    mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
    return sign + mantissa + "e" + ("+" if e > 0 else "-") + str(abs(e))


def canonical(value):
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return es_number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    if isinstance(value, dict):
        names = sorted(value, key=lambda k: k.encode("utf-16-be"))
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + canonical(value[k]) for k in names) + "}"
    raise ValueError("not a JSON value")


# --- RFC 9162 -----------------------------------------------------------------------------

def leaf_hash(leaf):
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(index, size, leaf, proof, root):
    """RFC 9162 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


# --- C2SP signed notes --------------------------------------------------------------------

class NoteKey:
    def __init__(self, key_string):
        parts = key_string.strip().split("+", 2)  # base64 may hold "+" too
        if len(parts) != 3:
            raise ValueError("a verifier key is name+keyid+base64")
        self.name, key_id, raw = parts
        raw = base64.b64decode(raw)
        if len(raw) != 33 or raw[0] != 1:
            raise ValueError("not an Ed25519 verifier key")
        self.key_id = hashlib.sha256(self.name.encode() + b"\n" + raw).digest()[:4]
        if self.key_id.hex() != key_id:
            raise ValueError("the key id does not match the key")
        self.public_key = Ed25519PublicKey.from_public_bytes(raw[1:])

    def open(self, note):
        """The note's text when a signature line by this key verifies."""
        split = note.find("\n\n")
        if split < 0 or not note.endswith("\n"):
            raise Tampered("a signed note is malformed")
        text, signatures = note[: split + 1], note[split + 2 :]
        for line in signatures.splitlines():
            if not line.startswith("\u2014 "):
                raise Tampered("a signed note is malformed")
            name, _, sig = line[2:].partition(" ")
            sig = base64.b64decode(sig)
            if name != self.name or sig[:4] != self.key_id:
                continue
            try:
                self.public_key.verify(sig[4:], text.encode())
                return text
            except InvalidSignature:
                pass
        raise Tampered("no signature by " + self.name + " verifies")


# --- the bundle ---------------------------------------------------------------------------

def verify(lines, key):
    header = json.loads(next(lines))
    if header.get("format") != BUNDLE_FORMAT:
        raise Tampered("not an audit bundle of format " + BUNDLE_FORMAT)
    checkpoint, filt = header["checkpoint"], header["filter"]
    size, root = checkpoint["tree_size"], bytes.fromhex(checkpoint["root_hash"])
    body = key.open(checkpoint["note"]).split("\n")
    if body[0] != key.name or body[1] != str(size) or base64.b64decode(body[2]) != root:
        raise Tampered("checkpoint: its tree_size or root_hash is not what its note signs")
    whole = not filt
    digest, count, last, manifest = hashlib.sha256(), 0, -1, None
    for line in lines:
        if not line.strip():
            continue
        item = json.loads(line)
        if "manifest" in item:
            manifest = item["manifest"]
            break
        record = item["record"]
        index = record["leaf_index"]
        if index == last:
            raise Tampered("inserted at leaf index %d: it appears twice" % index)
        if index < last:
            raise Tampered("reordered at leaf index %d: it comes after %d" % (index, last))
        if index >= size:
            raise Tampered("inserted at leaf index %d: beyond the checkpoint" % index)
        if whole and index != last + 1:
            raise Tampered("deleted at leaf index %d: missing from an export of the whole trail" % (last + 1))
        if record.get("details") is not None:
            if hashlib.sha256(canonical(record["details"]).encode()).hexdigest() != record["details_sha256"]:
                raise Tampered("modified at leaf index %d: its details do not give details_sha256" % index)
        leaf = canonical({k: v for k, v in record.items() if k not in SERVED_ONLY}).encode()
        if base64.b64decode(item["leaf"]) != leaf:
            raise Tampered("modified at leaf index %d: its fields do not give its leaf" % index)
        h = leaf_hash(leaf)
        if not verify_inclusion(index, size, h, [bytes.fromhex(p) for p in item["proof"]], root):
            raise Tampered("modified at leaf index %d: its proof does not lead to the root" % index)
        digest.update(index.to_bytes(8, "big") + h)
        count, last = count + 1, index
    if manifest is None:
        raise Tampered("deleted: the bundle ends before its manifest")
    text = key.open(manifest["note"]).split("\n")
    fields = dict(line.split(" ", 1) for line in text[1:] if " " in line)
    if text[0] != "trust-fabric audit export" or fields.get("origin") != key.name:
        raise Tampered("manifest: not an export manifest of this log")
    if fields.get("tree_size") != str(size) or fields.get("filter") != canonical(filt):
        raise Tampered("manifest: signed for another checkpoint or filter")
    if int(fields["records"]) != count:
        kind = "deleted" if int(fields["records"]) > count else "inserted"
        raise Tampered("%s: the manifest lists %s records, the bundle holds %d" % (kind, fields["records"], count))
    if fields.get("leaves_sha256") != digest.hexdigest():
        raise Tampered("modified: the records are not the ones the manifest lists")
    if whole and last + 1 != size:
        raise Tampered("deleted at leaf index %d: the export of the whole trail ends early" % (last + 1))
    return count, size


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--public-key", required=True, help="the verifier_key of GET /api/audit/public-key")
    parser.add_argument("bundle", help="a JSON Lines export of GET /api/audit/export (- for standard input)")
    args = parser.parse_args()
    try:
        key = NoteKey(args.public_key)
        stream = sys.stdin if args.bundle == "-" else open(args.bundle, encoding="utf-8")
        with stream:
            count, size = verify(iter(stream), key)
    except Tampered as problem:
        print("TAMPERED:", problem)
        return 2
    except (OSError, ValueError, KeyError, TypeError, StopIteration) as error:
        print("cannot check the bundle:", repr(error), file=sys.stderr)
        return 1
    print("OK: %d records verified against the signed checkpoint of tree size %d" % (count, size))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""An independent checker for whittle's signatures, written apart from the
Rust code so the two cannot share a mistake.

Subcommands:
  verify         a Sigstore bundle v0.3 (DSSE + in-toto statement) against a
                 public key and an image digest; prints the statement
  verify-legacy  a cosign v2 simple-signing payload and its base64 signature
  keygen-cosign  write an encrypted key pair in cosign's format (scrypt +
                 NaCl secretbox over PKCS#8), as `cosign generate-key-pair`
  decrypt-cosign open a cosign-format encrypted key; prints its public key

Exit status 0 when accepted, 1 with `REJECT: <reason>` on stderr otherwise.
Needs `cryptography`, `PyNaCl` and `sigstore-protobuf-specs`
(scripts/install-test-deps.sh installs them).
"""

import argparse
import base64
import binascii
import hashlib
import json
import os
import sys

import betterproto
import nacl.exceptions
import nacl.secret
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sigstore_protobuf_specs.dev.sigstore.bundle.v1 import Bundle

BUNDLE_V03 = "application/vnd.dev.sigstore.bundle.v0.3+json"
IN_TOTO = "application/vnd.in-toto+json"
STATEMENT_V1 = "https://in-toto.io/Statement/v1"
STATEMENT_FIELDS = {"_type", "subject", "predicateType", "predicate"}
DESCRIPTOR_FIELDS = {"name", "uri", "digest", "content", "downloadLocation",
                     "mediaType", "annotations"}
COSIGN_TYPE = "cosign container image signature"
ENCRYPTED_LABELS = ("ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY")


class Reject(Exception):
    """A reason to refuse what was checked."""


def b64(text, what):
    """Strict standard base64 (what Go and protobuf JSON write)."""
    if not isinstance(text, str):
        raise Reject(f"{what} is not a base64 string")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise Reject(f"{what} is not base64: {e}") from e


def pre_auth_encoding(payload_type, payload):
    """DSSE's PAE, written from protocol.md."""
    kind = payload_type.encode("utf-8")
    return b"".join([b"DSSEv1 ", str(len(kind)).encode(), b" ", kind, b" ",
                     str(len(payload)).encode(), b" ", payload])


def load_public_key(path):
    with open(path, "rb") as f:
        key = serialization.load_pem_public_key(f.read())
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise Reject(f"{path} is not an ECDSA P-256 public key")
    return key


def key_hint(key):
    spki = key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def ecdsa_check(key, signature, message, what):
    try:
        key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as e:
        raise Reject(f"{what}: the signature does not verify with this key") from e
    except ValueError as e:
        raise Reject(f"{what}: the signature is not DER ECDSA: {e}") from e


def split_digest(digest):
    alg, sep, hexdigest = digest.partition(":")
    if not sep or not alg or not hexdigest:
        raise Reject(f"digest {digest!r} is not <alg>:<hex>")
    return alg, hexdigest.lower()


def check_bundle_structure(raw):
    """Parse with the Sigstore protobuf model; return the DSSE envelope JSON."""
    try:
        message = Bundle.from_dict(raw)
    except Exception as e:  # the model raises pydantic and type errors alike
        raise Reject(f"not a Sigstore bundle (sigstore_protobuf_specs): {e}") from e
    if message.media_type != BUNDLE_V03:
        raise Reject(f"bundle media type {message.media_type!r}, expected {BUNDLE_V03}")
    content, _ = betterproto.which_one_of(message, "content")
    if content != "dsse_envelope":
        raise Reject(f"bundle content is {content!r}, not a DSSE envelope")
    material, _ = betterproto.which_one_of(message.verification_material, "content")
    if material != "public_key":
        raise Reject(f"verification material is {material!r}, not a public key")
    # Round trip: the protobuf JSON of the parsed bundle names the same
    # envelope bytes, so nothing was lost or added in parsing.
    again = json.loads(message.to_json())
    if base64.b64decode(again["dsseEnvelope"]["payload"]) != b64(
            raw["dsseEnvelope"].get("payload"), "payload"):
        raise Reject("the protobuf model reads another payload")
    return raw["dsseEnvelope"], raw["verificationMaterial"]["publicKey"].get("hint", "")


def check_statement(payload, digest, predicate_type):
    try:
        statement = json.loads(payload)
    except ValueError as e:
        raise Reject(f"the payload is not JSON: {e}") from e
    if not isinstance(statement, dict):
        raise Reject("the statement is not a JSON object")
    if statement.get("_type") != STATEMENT_V1:
        raise Reject(f"statement _type {statement.get('_type')!r}, expected {STATEMENT_V1}")
    unknown = set(statement) - STATEMENT_FIELDS
    if unknown:
        raise Reject(f"statement has fields outside in-toto v1: {sorted(unknown)}")
    subjects = statement.get("subject")
    if not isinstance(subjects, list) or not subjects:
        raise Reject("statement has no subject")
    alg, hexdigest = split_digest(digest)
    found = []
    for subject in subjects:
        if not isinstance(subject, dict) or not isinstance(subject.get("digest"), dict):
            raise Reject("a subject has no digest set")
        if set(subject) - DESCRIPTOR_FIELDS:
            raise Reject(f"a subject has unknown fields: {sorted(set(subject) - DESCRIPTOR_FIELDS)}")
        for a, h in subject["digest"].items():
            if h != h.lower() or not all(c in "0123456789abcdef" for c in h):
                raise Reject(f"subject digest {a}:{h} is not lowercase hex")
            found.append(f"{a}:{h}")
    if f"{alg}:{hexdigest}" not in found:
        raise Reject(f"the statement is about {', '.join(found)}, not {digest}")
    if not isinstance(statement.get("predicateType"), str) or not statement["predicateType"]:
        raise Reject("statement has no predicateType")
    if predicate_type is not None and statement["predicateType"] != predicate_type:
        raise Reject(f"predicate type {statement['predicateType']!r}, expected {predicate_type!r}")
    if not isinstance(statement.get("predicate", {}), dict):
        raise Reject("the predicate is not a JSON object")
    return statement


def cmd_verify(args):
    key = load_public_key(args.key)
    with open(args.bundle, "rb") as f:
        try:
            raw = json.loads(f.read())
        except ValueError as e:
            raise Reject(f"the bundle is not JSON: {e}") from e
    envelope, hint = check_bundle_structure(raw)
    signatures = envelope.get("signatures")
    if not isinstance(signatures, list) or len(signatures) != 1:
        raise Reject("a bundle's DSSE envelope must carry exactly one signature")
    payload_type = envelope.get("payloadType")
    if payload_type != IN_TOTO:
        raise Reject(f"payload type {payload_type!r}, expected {IN_TOTO}")
    payload = b64(envelope.get("payload"), "payload")
    signature = b64(signatures[0].get("sig"), "signature")
    # The hint is unauthenticated: it only explains a failure.
    what = "DSSE"
    if hint and hint != key_hint(key):
        what = f"DSSE (the bundle names key {hint}, this key is {key_hint(key)})"
    ecdsa_check(key, signature, pre_auth_encoding(payload_type, payload), what)
    statement = check_statement(payload, args.digest, args.predicate_type)
    json.dump(statement, sys.stdout, sort_keys=True)
    print()


def cmd_verify_legacy(args):
    key = load_public_key(args.key)
    with open(args.payload, "rb") as f:
        payload = f.read()
    ecdsa_check(key, b64(args.signature.strip(), "signature"), payload, "simple signing")
    try:
        doc = json.loads(payload)
        critical = doc["critical"]
        kind = critical["type"]
        found = critical["image"]["docker-manifest-digest"]
        reference = critical["identity"]["docker-reference"]
    except (ValueError, KeyError, TypeError) as e:
        raise Reject(f"not a simple signing payload: {e!r}") from e
    if kind != COSIGN_TYPE:
        raise Reject(f"payload type {kind!r}, expected {COSIGN_TYPE!r}")
    if found != args.digest:
        raise Reject(f"the payload is for {found}, not {args.digest}")
    print(json.dumps({"docker-reference": reference, "docker-manifest-digest": found}))


def pem_block(label, data):
    body = base64.b64encode(data).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----", ""])


def pem_body(text):
    lines = [l.strip() for l in text.strip().splitlines()]
    if not lines or not lines[0].startswith("-----BEGIN ") or not lines[-1].startswith("-----END "):
        raise Reject("not a PEM block")
    label = lines[0][len("-----BEGIN "):-len("-----")]
    return label, base64.b64decode("".join(lines[1:-1]))


def scrypt_key(password, salt, n, r, p):
    return hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, dklen=32,
                          maxmem=256 * 1024 * 1024)


def cmd_keygen_cosign(args):
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.private_bytes(serialization.Encoding.DER,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    salt, nonce = os.urandom(32), os.urandom(24)
    n = 1 << args.log_n
    box = nacl.secret.SecretBox(scrypt_key(args.password.encode(), salt, n, 8, 1))
    sealed = box.encrypt(der, nonce).ciphertext  # secretbox: tag, then ciphertext
    body = json.dumps({
        "kdf": {"name": "scrypt", "params": {"N": n, "r": 8, "p": 1},
                "salt": base64.b64encode(salt).decode()},
        "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
        "ciphertext": base64.b64encode(sealed).decode(),
    }, separators=(",", ":")).encode()
    label = ENCRYPTED_LABELS[1] if args.cosign_label else ENCRYPTED_LABELS[0]
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "cosign.key"), "w") as f:
        f.write(pem_block(label, body))
    with open(os.path.join(args.out, "cosign.pub"), "wb") as f:
        f.write(private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


def cmd_decrypt_cosign(args):
    with open(args.key) as f:
        label, body = pem_body(f.read())
    if label not in ENCRYPTED_LABELS:
        raise Reject(f"PEM label {label!r} is not cosign's")
    sealed = json.loads(body)
    kdf, cipher = sealed["kdf"], sealed["cipher"]
    if kdf["name"] != "scrypt" or cipher["name"] != "nacl/secretbox":
        raise Reject(f"kdf {kdf['name']!r} / cipher {cipher['name']!r} are not cosign's")
    params = kdf["params"]
    key = scrypt_key(args.password.encode(), b64(kdf["salt"], "salt"),
                     params["N"], params["r"], params["p"])
    try:
        der = nacl.secret.SecretBox(key).decrypt(
            b64(sealed["ciphertext"], "ciphertext"), b64(cipher["nonce"], "nonce"))
    except nacl.exceptions.CryptoError as e:
        raise Reject("wrong password: secretbox does not open") from e
    private = serialization.load_der_private_key(der, password=None)
    if not isinstance(private, ec.EllipticCurvePrivateKey) or private.curve.name != "secp256r1":
        raise Reject("the decrypted key is not ECDSA P-256")
    sys.stdout.write(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("verify")
    p.add_argument("--key", required=True)
    p.add_argument("--bundle", required=True)
    p.add_argument("--digest", required=True)
    p.add_argument("--predicate-type")
    p.set_defaults(run=cmd_verify)
    p = sub.add_parser("verify-legacy")
    p.add_argument("--key", required=True)
    p.add_argument("--payload", required=True)
    p.add_argument("--signature", required=True)
    p.add_argument("--digest", required=True)
    p.set_defaults(run=cmd_verify_legacy)
    p = sub.add_parser("keygen-cosign")
    p.add_argument("--password", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--log-n", type=int, default=16, help="scrypt cost, log2 N (cosign: 16; before: 15)")
    p.add_argument("--cosign-label", action="store_true", help="the older ENCRYPTED COSIGN PRIVATE KEY label")
    p.set_defaults(run=cmd_keygen_cosign)
    p = sub.add_parser("decrypt-cosign")
    p.add_argument("--password", required=True)
    p.add_argument("--key", required=True)
    p.set_defaults(run=cmd_decrypt_cosign)
    args = parser.parse_args()
    try:
        args.run(args)
    except Reject as e:
        print(f"REJECT: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Interop peer for AuthLedger's token tests: JOSE libraries nobody on this project wrote.

  jwt_interop.py verify --jwks FILE --iss ISS --aud AUD --now SECONDS
      Reads compact tokens from stdin, one per line, and verifies each with PyJWT and with
      joserfc against the JWKS. Prints one JSON object per token:
      {"pyjwt": {"ok": true, "claims": {...}} | {"ok": false, "error": "..."}, "joserfc": {...}}

  jwt_interop.py sign --alg ES256|EdDSA --jwks-out FILE --iss ISS --aud AUD --now SECONDS
      Generates a key with `cryptography`, writes its public JWKS to FILE, then signs one
      token with PyJWT and one with joserfc and prints them, one per line.
"""
import argparse
import json
import sys
import time
import warnings

# joserfc warns that "EdDSA" is superseded by "Ed25519" (RFC 9864); EdDSA is what RFC 8037
# and this project publish, so the warning is expected here.
warnings.filterwarnings("ignore", message=".*EdDSA.*")

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet, import_key
from joserfc.jwt import JWTClaimsRegistry


def verify(args):
    jwks = json.load(open(args.jwks))
    py_set = jwt.PyJWKSet.from_dict(jwks)
    jose_set = KeySet.import_key_set(jwks)
    for line in sys.stdin:
        token = line.strip()
        if not token:
            continue
        out = {}
        try:
            kid = jwt.get_unverified_header(token)["kid"]
            key = py_set[kid]
            claims = jwt.decode(token, key.key, algorithms=[key.algorithm_name], audience=args.aud,
                                issuer=args.iss, leeway=0,
                                options={"require": ["exp", "iat", "iss", "sub", "aud"], "verify_iat": False})
            # PyJWT checks exp against the wall clock; check it against --now as well.
            if claims["exp"] < args.now:
                raise ValueError("expired at --now")
            out["pyjwt"] = {"ok": True, "claims": claims}
        except Exception as e:  # noqa: BLE001 - the error text is the result
            out["pyjwt"] = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        try:
            header = jwt.get_unverified_header(token)
            tok = jose_jwt.decode(token, jose_set, algorithms=[header["alg"]])
            JWTClaimsRegistry(now=args.now, leeway=0, iss={"essential": True, "value": args.iss},
                              aud={"essential": True, "value": args.aud}, sub={"essential": True}).validate(tok.claims)
            out["joserfc"] = {"ok": True, "claims": tok.claims}
        except Exception as e:  # noqa: BLE001
            out["joserfc"] = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        print(json.dumps(out), flush=True)


def sign(args):
    if args.alg == "ES256":
        private = ec.generate_private_key(ec.SECP256R1())
    else:
        private = ed25519.Ed25519PrivateKey.generate()
    kid = "interop-" + args.alg.lower()
    pub_jwk = json.loads(jwt.algorithms.get_default_algorithms()[args.alg].to_jwk(private.public_key()))
    pub_jwk.update({"kid": kid, "alg": args.alg, "use": "sig"})
    json.dump({"keys": [pub_jwk]}, open(args.jwks_out, "w"))
    claims = {"iss": args.iss, "aud": args.aud, "sub": "interop-user", "sid": "0123456789abcdef0123456789abcdef",
              "iat": args.now, "exp": args.now + 300, "jti": "interop", "roles": ["reader"]}
    print(jwt.encode(claims, private, algorithm=args.alg, headers={"kid": kid}))
    jose_key = import_key(pub_jwk | {"d": _private_d(private)}, pub_jwk["kty"])
    print(jose_jwt.encode({"alg": args.alg, "kid": kid}, claims | {"jti": "interop-joserfc"}, jose_key, algorithms=[args.alg]))


def _private_d(private):
    full = json.loads(jwt.algorithms.get_default_algorithms()["ES256" if isinstance(private, ec.EllipticCurvePrivateKey) else "EdDSA"].to_jwk(private))
    return full["d"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("verify")
    v.add_argument("--jwks", required=True)
    s = sub.add_parser("sign")
    s.add_argument("--alg", choices=["ES256", "EdDSA"], required=True)
    s.add_argument("--jwks-out", required=True)
    for q in (v, s):
        q.add_argument("--iss", required=True)
        q.add_argument("--aud", required=True)
        q.add_argument("--now", type=int, default=int(time.time()))
    args = p.parse_args()
    verify(args) if args.cmd == "verify" else sign(args)


if __name__ == "__main__":
    main()

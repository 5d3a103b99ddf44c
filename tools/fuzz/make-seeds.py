#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora under tools/fuzz/corpus/<target>/.

Records and the snapshot body come from a real data directory (made with `authledger demo`,
`forget`, `keys rotate-*` and `snapshot create`, see docs/FAULTS.md); tokens are signed with
the fixed keys of tools/fuzz/Sources/FuzzSupport/FixedKeys.swift; JSON and request bodies
are the documented examples and their awkward neighbours.

    swift build && A=.build/debug/authledger D=$(mktemp -d)/data
    $A demo --data-dir $D && $A forget alice --data-dir $D && $A keys rotate-signing --data-dir $D
    $A keys rotate-master --data-dir $D && $A demo --data-dir $D && $A snapshot create --data-dir $D
    AUTHLEDGER=$A tools/fuzz/make-seeds.py $D      # needs mdb_dump (lmdb-utils) and PyJWT
"""
import base64, glob, hashlib, hmac, json, os, re, subprocess, sys

import jwt  # PyJWT, already installed for tools/jwt_interop.py

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
KEYS = open(os.path.join(HERE, "Sources/FuzzSupport/FixedKeys.swift")).read()
PEMS = re.findall(r"-----BEGIN PRIVATE KEY-----.*?-----END PRIVATE KEY-----", KEYS, re.S)
ED_PEM, ES_PEM = ("\n".join(line.strip() for line in p.splitlines()) + "\n" for p in PEMS)
SECRET = bytes([0x5A]) * 32
ISSUER, AUDIENCE, NOW = "https://fuzz.authledger.test", "fuzz-api", 1_800_000_000


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def records(data_dir):
    out = subprocess.run(["mdb_dump", "-s", "log", data_dir], check=True, capture_output=True, text=True).stdout
    lines = [l.strip() for l in out.split("HEADER=END", 1)[1].splitlines() if l.strip() and l.strip() != "DATA=END"]
    for key, value in zip(lines[0::2], lines[1::2]):
        position = int.from_bytes(bytes.fromhex(key), "little")
        stored = bytes.fromhex(value)
        write("record", f"position-{position:03}-type-{stored[1]}", stored)


def snapshot(data_dir):
    newest = sorted(glob.glob(os.path.join(data_dir, "snapshots", "*.alsnap")))[-1]
    raw = open(newest, "rb").read()
    write("snapshot-body", "demo", raw[60:-32])  # header 60 bytes, MAC 32
    empty = (30).to_bytes(8, "little") + bytes(8 * 2) + bytes(8 * 6)  # slack, time, sweep, six empty tables
    write("snapshot-body", "empty", empty)


def tokens():
    claims = {"iss": ISSUER, "sub": "alice", "aud": AUDIENCE, "sid": "16d1c4e615b0fd1f37f40a7ca16fd4e2",
              "iat": NOW - 10, "nbf": NOW - 10, "exp": NOW + 290, "jti": "Zm9vYmFy", "scope": "read write", "amr": ["pwd"]}
    write("jwt", "eddsa", jwt.encode(claims, ED_PEM, algorithm="EdDSA", headers={"kid": "ed", "typ": "at+jwt"}))
    write("jwt", "es256", jwt.encode(claims, ES_PEM, algorithm="ES256", headers={"kid": "es", "typ": "JWT"}))
    write("jwt", "hs256", jwt.encode(claims, SECRET, algorithm="HS256", headers={"kid": "hs"}))
    write("jwt", "expired", jwt.encode(dict(claims, exp=NOW - 100), ED_PEM, algorithm="EdDSA", headers={"kid": "ed"}))
    write("jwt", "audiences", jwt.encode(dict(claims, aud=["other", AUDIENCE]), SECRET, algorithm="HS256", headers={"kid": "hs"}))
    write("jwt", "alg-none", b64(b'{"alg":"none","kid":"ed"}') + "." + b64(json.dumps(claims).encode()) + ".")
    write("jwt", "wrong-kid", jwt.encode(claims, SECRET, algorithm="HS256", headers={"kid": "ed"}))
    return claims


def refresh_tokens():
    domain = b"authledger-refresh-v1\x00"
    for name, key_id, session, generation in [("current", 1, bytes(range(16)), 1), ("old-key", 2, bytes(16), 70000),
                                               ("unknown-key", 3, b"\xff" * 16, 0xFFFFFFFF)]:
        message = bytes([key_id]) + session + generation.to_bytes(4, "big")
        key = SECRET[:-1] + bytes([key_id])
        tag = hmac.new(key, domain + message, hashlib.sha256).digest()
        write("refresh-token", name, "alr1_" + b64(message + tag))
    write("refresh-token", "bare-prefix", "alr1_")


def json_seeds(claims):
    write("json", "claims", json.dumps(claims))
    write("json", "jwks", subprocess.run([os.environ.get("AUTHLEDGER", "authledger"), "jwks", "--data-dir", sys.argv[1]],
                                         capture_output=True, text=True).stdout or '{"keys":[]}')
    write("json", "escapes", r'{"a":"\u00e9\ud83d\ude00\n\t\"\\\/","b":[true,false,null],"c":{"d":-0.5e-3,"e":12345678901234567890}}')
    write("json", "nested", "[" * 15 + "1" + "]" * 15)
    write("json", "numbers", "[0,-0,1e308,-1E-308,3.14159,9007199254740993,1.0e+2]")
    write("json", "duplicate", '{"a":1,"a":2}')


def request_bodies():
    write("request-body", "login", '{"user":"alice","device_label":"iPhone","user_agent":"Safari/17","client_ip":"198.51.100.7"}')
    write("request-body", "login-v6", '{"user":"bob","device_label":"Laptop","client_ip":"2001:db8::1","claims":{"tier":"gold"}}')
    write("request-body", "refresh", '{"refresh_token":"alr1_AQABAgMEBQYHCAkKCwwNDg8AAAAB"}')
    write("request-body", "apikey", '{"scopes":["sessions:write","admin"],"label":"ci"}')
    write("request-body", "revoke-all", '{"revoke_others":true}')
    write("request-body", "form-introspect", "token=alr1_AQABAgMEBQYHCAkKCwwNDg8AAAAB&token_type_hint=refresh_token")
    write("request-body", "form-escapes", "token=a%2Bb+c%e2%82%ac&x=&=y&z")


if __name__ == "__main__":
    records(sys.argv[1])
    snapshot(sys.argv[1])
    json_seeds(tokens())
    refresh_tokens()
    request_bodies()
    for d in sorted(os.listdir(CORPUS)):
        print(d, len(os.listdir(os.path.join(CORPUS, d))))

#!/usr/bin/env python3
"""Verify AuthLedger access tokens locally in Python: PyJWT checks the signature and claims
against the server's JWKS, and subscriber.py's Follower keeps the revoked set current from
the revocation stream. What LedgerEdge does in Swift, for services in other languages.

    AUTHLEDGER_KEY=alk_... tools/edge_verify.py --url http://127.0.0.1:8080 < tokens

Reads one access token per line and answers one JSON line each: {"ok": true, "user",
"session", "claims"} or {"ok": false, "error": "invalid_token" | "revoked" | "behind",
"detail"}. Fails closed: until the revocation state is loaded, and when the stream has been
silent for longer than --max-lag seconds, every token is refused ("behind").
"""
import argparse
import json
import os
import sys
import threading
import time

import jwt  # PyJWT

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from subscriber import Follower  # noqa: E402


class EdgeVerifier:
    def __init__(self, base_url, key, issuer="authledger", audience="api", max_lag=30.0):
        self.follower = Follower(base_url, key)
        # PyJWKClient caches the key set and refetches it for a kid it does not know.
        self.keys = jwt.PyJWKClient(base_url.rstrip("/") + "/.well-known/jwks.json", cache_keys=True, lifespan=60)
        self.issuer, self.audience, self.max_lag = issuer, audience, max_lag
        self.lock = threading.Lock()
        self.last_word = None  # time.monotonic() of the last state, event or heartbeat

    def follow(self):
        """Loads the state, then applies the stream forever (run it in a thread)."""
        self.follower.load_state()
        self.last_word = time.monotonic()
        for kind, data in self.follower.events(max_reconnects=10**9):
            with self.lock:
                if kind not in ("heartbeat", "state"):
                    self.follower.apply(data)
                self.last_word = time.monotonic()

    def verify(self, token):
        try:
            key = self.keys.get_signing_key_from_jwt(token).key
            # The key decides the algorithm; the token's header does not.
            claims = jwt.decode(token, key, algorithms=["ES256", "EdDSA"], audience=self.audience, issuer=self.issuer,
                                options={"require": ["exp", "iss", "aud", "sub", "sid"]}, leeway=30)
        except (jwt.PyJWTError, jwt.PyJWKClientError) as e:
            return {"ok": False, "error": "invalid_token", "detail": str(e)}
        with self.lock:
            if self.follower.is_revoked(claims["sid"]):
                return {"ok": False, "error": "revoked", "detail": "the session was ended or revoked"}
            if self.last_word is None or time.monotonic() - self.last_word > self.max_lag:
                return {"ok": False, "error": "behind", "detail": "the revoked set may be out of date; refusing (fail closed)"}
        return {"ok": True, "user": claims["sub"], "session": claims["sid"], "claims": claims}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--key", default=os.environ.get("AUTHLEDGER_KEY"), help="an events:read API key (or $AUTHLEDGER_KEY)")
    parser.add_argument("--issuer", default="authledger")
    parser.add_argument("--audience", default="api")
    parser.add_argument("--max-lag", type=float, default=30.0, help="seconds without word from the stream before failing closed")
    args = parser.parse_args()
    if not args.key:
        parser.error("give an API key with --key or AUTHLEDGER_KEY")
    verifier = EdgeVerifier(args.url, args.key, args.issuer, args.audience, args.max_lag)
    threading.Thread(target=verifier.follow, daemon=True).start()
    for line in sys.stdin:
        token = line.strip()
        if token:
            print(json.dumps(verifier.verify(token)), flush=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass

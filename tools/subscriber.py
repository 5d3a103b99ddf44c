#!/usr/bin/env python3
"""Follow AuthLedger's revocations with nothing but Python's standard library.

Starts from the revocation state (GET /v1/revocations: the revoked sessions as of one log
position), then streams the events after that position (GET /v1/events, Server-Sent
Events). Every event's `id` is its log position, and heartbeats carry the position up to
which the server has looked, so after a dropped connection it reconnects with
Last-Event-ID and misses or repeats nothing.

    AUTHLEDGER_KEY=alk_... tools/subscriber.py --url http://127.0.0.1:8080

Prints one JSON line per revocation event ({"position", "type", "sessions": [...]}) and,
with --state, the revoked set after each. `is_revoked(session)` is what an edge service
would call before accepting an access token.
"""
import argparse
import datetime
import json
import os
import sys
import time
import urllib.error
import urllib.request

REVOCATION_TYPES = {"session.ended", "session.revoked", "user.sessions_revoked", "user.banned"}


def parse_time(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)


class Follower:
    """The revoked set at a log position: session id -> refuse-until time."""

    def __init__(self, base_url, key):
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.position = 0
        self.revoked = {}

    def request(self, path, headers=None):
        h = {"Authorization": "Bearer " + self.key}
        h.update(headers or {})
        return urllib.request.urlopen(urllib.request.Request(self.base_url + path, headers=h), timeout=60)

    def load_state(self):
        with self.request("/v1/revocations") as response:
            state = json.load(response)
        self.position = state["position"]
        self.revoked = {e["session"]: parse_time(e["refuse_until"]) for e in state["revoked"]}
        return state

    def apply(self, event):
        """Applies one event (a dict as the stream sends it); returns the sessions it ended."""
        ended = []
        if event["type"] in ("session.ended", "session.revoked") and "refuse_until" in event:
            ended = [(event["session"], event["refuse_until"])]
        elif event["type"] == "user.sessions_revoked":
            ended = [(s["session"], s["refuse_until"]) for s in event.get("sessions", [])]
        for session, until in ended:
            self.revoked[session] = parse_time(until)
        self.position = event["position"]
        return [s for s, _ in ended]

    def is_revoked(self, session, now=None):
        until = self.revoked.get(session)
        now = now or datetime.datetime.now(datetime.timezone.utc)
        return until is not None and now < until

    def events(self, types=None, until=None, max_reconnects=100):
        """Yields (kind, data) for each event and heartbeat after self.position, reconnecting
        with Last-Event-ID on a dropped connection, and ("state", …) after reloading the
        state when the server no longer knows the position (409); stops at `until` if given."""
        query = "?types=" + ",".join(sorted(types or REVOCATION_TYPES))
        if until is not None:
            query += "&until=%d" % until
        reconnects = 0
        while until is None or self.position < until:
            try:
                with self.request("/v1/events" + query, {"Last-Event-ID": str(self.position),
                                                         "Accept": "text/event-stream"}) as response:
                    for kind, event_id, data in parse_sse(response):
                        if kind == "heartbeat":
                            self.position = int(event_id)
                            yield kind, json.loads(data)
                        else:
                            event = json.loads(data)
                            yield kind, event
                            self.position = int(event_id)
                # A clean end (the server shutting down, or `until` reached): reconnect from
                # the last position unless `until` was reached.
                time.sleep(0.1)
            except urllib.error.HTTPError as e:
                if e.code != 409:
                    raise
                # The server's log ends before our position (restored from an older backup,
                # or replaced): following on would skip events, so start again from the state.
                print("the server does not know position %d; reloading the revocation state" % self.position, file=sys.stderr)
                self.load_state()
                yield "state", {"position": self.position, "revoked": sorted(self.revoked)}
            except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
                reconnects += 1
                if reconnects > max_reconnects:
                    raise
                print("reconnecting after %s from position %d" % (e, self.position), file=sys.stderr)
                time.sleep(min(5, 0.2 * reconnects))


def parse_sse(lines):
    """Yields (event type, id, data) per dispatched Server-Sent Event."""
    kind, event_id, data = "message", None, []
    for raw in lines:
        line = raw.decode("utf-8").rstrip("\r\n")
        if line == "":
            if data:
                yield kind, event_id, "\n".join(data)
            kind, data = "message", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            kind = value
        elif field == "id":
            event_id = value
        elif field == "data":
            data.append(value)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--key", default=os.environ.get("AUTHLEDGER_KEY"), help="an events:read API key (or $AUTHLEDGER_KEY)")
    parser.add_argument("--from", dest="start", type=int, help="stream from this position, without the state")
    parser.add_argument("--until", type=int, help="stop once the stream has passed this position")
    parser.add_argument("--heartbeats", action="store_true", help="print heartbeats too")
    parser.add_argument("--state", action="store_true", help="print the revoked set after each event")
    args = parser.parse_args()
    if not args.key:
        parser.error("give an API key with --key or AUTHLEDGER_KEY")
    follower = Follower(args.url, args.key)
    if args.start is None:
        state = follower.load_state()
        print(json.dumps({"state": {"position": state["position"], "chain_hash": state["chain_hash"],
                                    "revoked": sorted(follower.revoked)}}), flush=True)
    else:
        follower.position = args.start - 1
    for kind, data in follower.events(until=args.until):
        if kind == "state":
            print(json.dumps({"state": data}), flush=True)
            continue
        if kind == "heartbeat":
            if args.heartbeats:
                print(json.dumps({"heartbeat": data["position"]}), flush=True)
            continue
        ended = follower.apply(data)
        line = {"position": data["position"], "type": kind, "user": data.get("user"), "sessions": ended}
        if args.state:
            line["revoked"] = sorted(follower.revoked)
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass

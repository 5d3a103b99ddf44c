#!/usr/bin/env python3
"""Kill `authledger serve` with SIGKILL under load, restart it, and check what it promised.

Standard library only. On one temporary data directory, each trial:

1. starts the built `authledger serve` (the same port every time, so clients reconnect);
2. drives concurrent load over HTTP: logins, refreshes, logouts and admin revocations,
   each worker on its own users, while a subscriber follows every event (`/v1/events`,
   `types=all`) and reconnects with `Last-Event-ID`;
3. sends SIGKILL at a random moment, restarts the server and, with the load stopped, checks:
   - every command answered with success before the kill is in the log (its event is
     there) and its effect is visible: a logged-in session is listed or ended as answered,
     an ended or revoked session's refresh token is refused;
   - `authledger verify` finds the chain intact;
   - the digest of the recovered projection (`GET /v1/projection`) equals that of
     `authledger rebuild` (from the log alone) and `authledger rebuild --from-snapshot`;
   - every refresh token handed out and not superseded still refreshes, including the
     ones whose refresh was in flight at the kill (the old token gets the successor the
     client never saw, within the grace window);
   - the subscriber resumed with no gap and no duplicate: the ids it received are exactly
     1..head, and each event it received before the kill is the log's event at that id.

Seeds are printed; `--seed S` replays the same choices (the moment of each kill, what each
worker does). Exit status 0 when every trial passed.

    tools/crash-harness.py --binary .build/debug/authledger --trials 20
"""
import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Failure(Exception):
    pass


class Server:
    """One `authledger serve` process on a data directory, restartable on the same port."""

    def __init__(self, binary, data_dir, log_path):
        self.binary = binary
        self.data_dir = data_dir
        self.log_path = log_path
        self.port = 0
        self.process = None

    def start(self):
        log = open(self.log_path, "ab")
        args = [self.binary, "serve", "--data-dir", self.data_dir, "--port", str(self.port),
                "--rate-limit-per-minute", "0", "--heartbeat-seconds", "1", "--log-level", "warning"]
        for attempt in range(50):
            self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log)
            line = self.process.stdout.readline().decode()
            m = re.search(r"http://[^:]+:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                log.close()
                return
            self.process.wait()
            time.sleep(0.1)  # the port may still be held by the killed process's sockets
        log.close()
        raise Failure("serve did not start: see %s" % self.log_path)

    def kill(self):
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


class Client:
    """Keep-alive HTTP/1.1 calls; any transport error raises ConnectionError."""

    def __init__(self, harness):
        self.harness = harness
        self.connection = None

    def call(self, method, path, body=None, key=True, form=None):
        headers = {}
        if key:
            headers["Authorization"] = "Bearer " + self.harness.key
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if form is not None:
            data = form.encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.harness.server.port, timeout=20)
            self.connection.request(method, path, body=data, headers=headers)
            response = self.connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as e:
            self.close()
            raise ConnectionError(str(e))
        text = payload.decode("utf-8", "replace")
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        return response.status, parsed, text

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class Session:
    """What the clients were told about one session."""

    def __init__(self, user, sid, token):
        self.user = user
        self.id = sid
        self.token = token          # the newest refresh token the client received
        self.in_flight = None       # a token sent for refresh without an answer (kill)
        self.rotations = 0          # rotations answered with success
        self.ended = None           # "session.ended" / "session.revoked" once answered
        self.end_in_flight = None   # an ending sent without an answer


class Worker(threading.Thread):
    def __init__(self, harness, index, seed):
        super().__init__(daemon=True)
        self.harness = harness
        self.index = index
        self.random = random.Random(seed)
        self.client = Client(harness)
        self.stop = threading.Event()
        self.acked = 0
        self.error = None

    def run(self):
        try:
            self.work()
        except Failure as e:
            self.error = e

    def work(self):
        h = self.harness
        while not self.stop.is_set():
            live = [s for s in h.sessions_of(self.index) if s.ended is None and s.end_in_flight is None and s.in_flight is None]
            r = self.random.random()
            try:
                if r < 0.3 or len(live) < 2:
                    self.login()
                elif r < 0.8:
                    self.refresh(self.random.choice(live))
                elif r < 0.9:
                    self.end(self.random.choice(live), "session.ended")
                else:
                    self.end(self.random.choice(live), "session.revoked")
            except ConnectionError:
                # The server died (or is dying): wait for the trial to end.
                self.stop.wait()

    def login(self):
        user = "w%d-u%d" % (self.index, self.random.randrange(4))
        status, body, text = self.client.call("POST", "/v1/sessions", {"user": user, "device_label": "harness", "user_agent": "crash/1"})
        if status != 201:
            raise Failure("login answered %d: %s" % (status, text))
        self.harness.add_session(self.index, Session(user, body["session"], body["refresh_token"]))
        self.acked += 1

    def refresh(self, s):
        s.in_flight = s.token
        status, body, text = self.client.call("POST", "/v1/refresh", {"refresh_token": s.token}, key=False)
        if status != 200:
            raise Failure("refresh of %s answered %d: %s" % (s.id, status, text))
        s.token, s.in_flight = body["refresh_token"], None
        s.rotations += 1
        self.acked += 1

    def end(self, s, kind):
        s.end_in_flight = kind
        if kind == "session.ended":
            status, _, text = self.client.call("DELETE", "/v1/users/%s/sessions/%s" % (s.user, s.id))
        else:
            status, _, text = self.client.call("POST", "/v1/users/%s/sessions/%s/revoke" % (s.user, s.id))
        if status != 204:
            raise Failure("%s of %s answered %d: %s" % (kind, s.id, status, text))
        s.ended, s.end_in_flight = kind, None
        self.acked += 1


class Subscriber(threading.Thread):
    """Follows every event; records (id, type, data) and reconnects with Last-Event-ID."""

    def __init__(self, harness):
        super().__init__(daemon=True)
        self.harness = harness
        self.events = []            # (id, data line) in the order received
        self.last = 0
        self.lock = threading.Lock()
        self.errors = []
        self.finished = threading.Event()
        self.reconnects = 0

    def run(self):
        while not self.finished.is_set():
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.harness.server.port, timeout=5)
                connection.request("GET", "/v1/events?types=all", headers={
                    "Authorization": "Bearer " + self.harness.key, "Last-Event-ID": str(self.last),
                    "Accept": "text/event-stream"})
                response = connection.getresponse()
                if response.status != 200:
                    self.errors.append("stream answered %d: %s" % (response.status, response.read()[:300]))
                    return
                kind, event_id, data = None, None, None
                while not self.finished.is_set():
                    line = response.fp.readline()
                    if not line:
                        break
                    line = line.decode().rstrip("\n")
                    if line == "":
                        if data is not None and kind != "heartbeat":
                            self.received(int(event_id), data)
                        kind, event_id, data = None, None, None
                    elif line.startswith("event: "):
                        kind = line[7:]
                    elif line.startswith("id: "):
                        event_id = line[4:]
                    elif line.startswith("data: "):
                        data = line[6:]
                connection.close()
            except (OSError, http.client.HTTPException, ValueError):
                pass
            self.reconnects += 1
            time.sleep(0.05)

    def received(self, position, data):
        with self.lock:
            if position != self.last + 1:
                self.errors.append("after id %d the stream sent id %d (a %s)" % (
                    self.last, position, "duplicate" if position <= self.last else "gap"))
            self.events.append((position, data))
            self.last = max(self.last, position)

    def wait_for(self, head, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if self.last >= head:
                    return True
            time.sleep(0.02)
        return False


class Harness:
    def __init__(self, args):
        self.args = args
        self.binary = os.path.abspath(args.binary)
        self.dir = tempfile.mkdtemp(prefix="authledger-crash-")
        self.data_dir = os.path.join(self.dir, "data")
        self.server = Server(self.binary, self.data_dir, os.path.join(self.dir, "serve.log"))
        self.lock = threading.Lock()
        self.sessions = {}          # worker index -> [Session]
        self.key = None
        self.checked = {"acked": 0, "sessions": 0, "refreshed": 0, "in_flight_refreshes": 0, "events": 0}

    def cli(self, *arguments):
        p = subprocess.run([self.binary, *arguments, "--data-dir", self.data_dir], capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            raise Failure("authledger %s exited %d: %s%s" % (" ".join(arguments), p.returncode, p.stdout, p.stderr))
        return p.stdout

    def add_session(self, worker, session):
        with self.lock:
            self.sessions.setdefault(worker, []).append(session)

    def sessions_of(self, worker):
        with self.lock:
            return list(self.sessions.get(worker, []))

    def all_sessions(self):
        with self.lock:
            return [s for ss in self.sessions.values() for s in ss]

    def run(self):
        seed = self.args.seed if self.args.seed is not None else random.randrange(1 << 32)
        print("crash harness: seed %d, %d trials, %d workers, data directory %s" % (seed, self.args.trials, self.args.workers, self.dir), flush=True)
        master = random.Random(seed)
        self.key = self.cli("apikey", "create", "--scope", "admin", "--label", "crash harness").strip()
        self.server.start()
        subscriber = Subscriber(self)
        subscriber.start()
        started = time.time()
        try:
            for trial in range(1, self.args.trials + 1):
                trial_seed = master.randrange(1 << 32)
                trial_random = random.Random(trial_seed)
                delay = trial_random.uniform(self.args.min_delay, self.args.max_delay)
                workers = [Worker(self, i, trial_random.randrange(1 << 32)) for i in range(self.args.workers)]
                for w in workers:
                    w.start()
                time.sleep(delay)
                self.server.kill()
                for w in workers:
                    w.stop.set()
                for w in workers:
                    w.join(timeout=60)
                    w.client.close()
                for w in workers:
                    if w.error is not None:
                        raise Failure("trial %d (seed %d): %s" % (trial, trial_seed, w.error))
                acked = sum(w.acked for w in workers)
                self.checked["acked"] += acked
                self.server.start()
                head = self.check(subscriber)
                print("trial %d: seed %d, killed after %.2f s, %d commands answered before the kill, head %d: ok" % (
                    trial, trial_seed, delay, acked, head), flush=True)
        finally:
            subscriber.finished.set()
            self.server.stop()
        c = self.checked
        print("crash harness: %d trials passed in %.0f s (seed %d): %d commands answered before a kill, %d sessions checked, "
              "%d refreshes after restarts (%d of tokens whose refresh was cut by the kill), %d events compared, %d subscriber reconnects" % (
                  self.args.trials, time.time() - started, seed, c["acked"], c["sessions"], c["refreshed"], c["in_flight_refreshes"],
                  c["events"], subscriber.reconnects), flush=True)

    def check(self, subscriber):
        client = Client(self)
        # Tokens whose refresh was cut by the kill come first: the grace window runs from
        # the rotation, which may have committed without its answer reaching the client.
        sessions = self.all_sessions()
        for s in sessions:
            if s.in_flight is not None and s.ended is None:
                status, body, text = client.call("POST", "/v1/refresh", {"refresh_token": s.in_flight}, key=False)
                if status == 200:
                    s.token = body["refresh_token"]
                    self.checked["in_flight_refreshes"] += 1
                    self.checked["refreshed"] += 1
                elif not (s.end_in_flight and status == 401):
                    raise Failure("session %s: the token whose refresh the kill cut was refused: %d %s" % (s.id, status, text))
                s.in_flight = None
        # The chain, then the digests of the recovered state and of rebuilds.
        verify = self.cli("verify")
        if not verify.startswith("intact"):
            raise Failure("verify: %s" % verify)
        status, projection, text = client.call("GET", "/v1/projection")
        if status != 200:
            raise Failure("GET /v1/projection answered %d: %s" % (status, text))
        head = projection["position"]
        for arguments in (["rebuild"], ["rebuild", "--from-snapshot"]):
            out = self.cli(*arguments)
            through = int(re.search(r"through position (\d+)", out).group(1))
            digest = re.search(r"digest ([0-9a-f]{64})", out).group(1)
            if through != head or digest != projection["digest"]:
                raise Failure("authledger %s: position %d digest %s; the server recovered position %d digest %s" % (
                    " ".join(arguments), through, digest, head, projection["digest"]))
        # The whole log, as events, to compare with what was answered and what was streamed.
        log = read_log(client, head)
        if sorted(log) != list(range(1, head + 1)):
            raise Failure("the log read back is not positions 1..%d" % head)
        started, rotations, ended = set(), {}, {}
        for data in log.values():
            e = json.loads(data)
            t, sid = e["type"], e.get("session")
            if t == "session.started":
                started.add(sid)
            elif t == "refresh.rotated":
                rotations[sid] = rotations.get(sid, 0) + 1
            elif t in ("session.ended", "session.revoked"):
                ended[sid] = t
        # Every answered command is in the log, with its effect visible.
        for s in sessions:
            self.checked["sessions"] += 1
            if s.id not in started:
                raise Failure("session %s was answered 201 but the log has no session.started for it" % s.id)
            if rotations.get(s.id, 0) < s.rotations:
                raise Failure("session %s: %d rotations answered, %d in the log" % (s.id, s.rotations, rotations.get(s.id, 0)))
            if s.end_in_flight is not None:
                # Answered or not, the ending may have committed: the log says which.
                if s.id in ended:
                    s.ended = ended[s.id]
                s.end_in_flight = None
            if s.ended is not None and ended.get(s.id) != s.ended:
                raise Failure("session %s: %s was answered 204 but the log has %s" % (s.id, s.ended, ended.get(s.id)))
        # Effects: listed sessions, refused and refreshing tokens.
        for user in sorted({s.user for s in sessions}):
            status, body, text = client.call("GET", "/v1/users/%s/sessions" % user)
            if status != 200:
                raise Failure("listing %s's sessions answered %d: %s" % (user, status, text))
            listed = {x["id"] for x in body["sessions"]}
            for s in sessions:
                if s.user == user and (s.id in listed) != (s.ended is None):
                    raise Failure("session %s of %s is %s but %s listed" % (s.id, user, s.ended or "live", "is" if s.id in listed else "is not"))
        for s in sessions:
            status, body, text = client.call("POST", "/v1/refresh", {"refresh_token": s.token}, key=False)
            if s.ended is None:
                if status != 200:
                    raise Failure("session %s: its newest refresh token was refused after the restart: %d %s" % (s.id, status, text))
                s.token = body["refresh_token"]
                s.rotations += 1
                self.checked["refreshed"] += 1
            elif status != 401:
                raise Failure("session %s (%s) still refreshed: %d" % (s.id, s.ended, status))
        # Ended sessions stay in the model only until checked once.
        with self.lock:
            for k in self.sessions:
                self.sessions[k] = [s for s in self.sessions[k] if s.ended is None]
        # The subscriber: every id from 1 to the head exactly once, each the log's event.
        status, projection, _ = client.call("GET", "/v1/projection")
        head = projection["position"]
        if not subscriber.wait_for(head):
            raise Failure("the subscriber did not reach position %d (at %d)" % (head, subscriber.last))
        if subscriber.errors:
            raise Failure("subscriber: %s" % "; ".join(subscriber.errors[:5]))
        log = read_log(client, head)
        with subscriber.lock:
            received = [p for p, _ in subscriber.events]
            if received != list(range(1, len(received) + 1)) or received[-1:] < [head]:
                raise Failure("the subscriber's ids are not 1..%d" % head)
            for position, data in subscriber.events[self.checked["events"]:]:
                if log.get(position) != data:
                    raise Failure("the subscriber received at %d an event the log does not have there" % position)
            self.checked["events"] = len(subscriber.events)
        client.close()
        return head


def read_log(client, head):
    """Every event through `head` from the stream, as position -> its data line."""
    status, _, text = client.call("GET", "/v1/events?from=1&types=all&until=%d" % head)
    if status != 200:
        raise Failure("reading the log answered %d" % status)
    log = {}
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line)
        if "data" in fields and fields.get("event") != "heartbeat":
            log[int(fields["id"])] = fields["data"]
    return log


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "debug", "authledger"))
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--min-delay", type=float, default=0.3, help="earliest kill, seconds after the load starts")
    parser.add_argument("--max-delay", type=float, default=2.0, help="latest kill")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args()
    harness = Harness(args)
    try:
        harness.run()
    except Failure as e:
        print("FAILED: %s" % e, flush=True)
        print("data directory and server log kept in %s" % harness.dir, flush=True)
        harness.server.kill()
        sys.exit(1)
    if not args.keep:
        shutil.rmtree(harness.dir, ignore_errors=True)


if __name__ == "__main__":
    main()

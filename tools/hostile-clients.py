#!/usr/bin/env python3
"""Hostile and careless HTTP clients against a running `authledger serve`.

Standard library only. While these hold the server's attention:

- N idle connections that never send a byte (default 1,000);
- slow-header clients (slowloris): a request head trickled in a few bytes at a time;
- slow-body clients: a complete head, then the body a byte at a time;
- a subscriber that asks for the whole log as an event stream and never reads it, with a
  tiny receive buffer;

it checks that others are still served promptly (logins and /healthz, each within
--max-latency seconds), that huge request heads are refused (431, or the connection closed
for heads far past the limit) without a hang, and then, once the server's timeouts have
passed, that it closed the idle, slow and stalled connections itself. Run the server with
short timeouts to see the last part quickly:

    authledger serve --idle-timeout-seconds 2 --write-timeout-seconds 2 ...
    tools/hostile-clients.py --url http://127.0.0.1:8080 --key alk_... --idle-timeout 2 --write-timeout 2

Prints one line per check and exits 0 when all passed.
"""
import argparse
import http.client
import json
import re
import socket
import sys
import threading
import time
import urllib.parse


class Failure(Exception):
    pass


def connect(host, port, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(10)
    s.connect((host, port))
    return s


def closed_by_server(s, wait):
    """True if the server closed `s` (EOF or reset) within `wait` seconds; data is drained."""
    deadline = time.time() + wait
    s.settimeout(0.2)
    while time.time() < deadline:
        try:
            data = s.recv(65536)
            if not data:
                return True
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return True
    return False


class Checks:
    def __init__(self, args):
        u = urllib.parse.urlparse(args.url)
        self.host, self.port = u.hostname, u.port
        self.args = args
        self.key = args.key
        self.latencies = []

    def call(self, method, path, body=None, key=True):
        c = http.client.HTTPConnection(self.host, self.port, timeout=self.args.max_latency * 4)
        headers = {"Authorization": "Bearer " + self.key} if key else {}
        if body is not None:
            headers["Content-Type"] = "application/json"
        started = time.time()
        c.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        r = c.getresponse()
        text = r.read().decode()
        c.close()
        return r.status, text, time.time() - started

    def served(self, label, rounds=10):
        """Logins and health checks answered within the bound while the others hold on."""
        worst = 0.0
        for i in range(rounds):
            status, text, seconds = self.call("POST", "/v1/sessions", {"user": "bystander", "device_label": "d%d" % i})
            if status != 201:
                raise Failure("%s: a login answered %d: %s" % (label, status, text))
            worst = max(worst, seconds)
            status, _, seconds = self.call("GET", "/healthz", key=False)
            if status != 200:
                raise Failure("%s: /healthz answered %d" % (label, status))
            worst = max(worst, seconds)
            self.latencies.append(seconds)
        if worst > self.args.max_latency:
            raise Failure("%s: a request took %.2f s (bound %.2f s)" % (label, worst, self.args.max_latency))
        print("ok: %s: %d logins and %d health checks served, slowest %.3f s" % (label, rounds, rounds, worst), flush=True)

    def head_size(self, size, fields=1):
        """Sends a request head of about `size` bytes; returns the status, or None if closed."""
        s = connect(self.host, self.port)
        per = max(1, size // fields)
        head = "GET /healthz HTTP/1.1\r\nHost: x\r\n" + "".join("X-Filler-%d: %s\r\n" % (i, "a" * per) for i in range(fields)) + "\r\n"
        try:
            s.sendall(head.encode())
        except (ConnectionResetError, BrokenPipeError):
            return None
        s.settimeout(self.args.max_latency * 4)
        try:
            data = s.recv(4096)
        except (ConnectionResetError, BrokenPipeError):
            return None
        except socket.timeout:
            raise Failure("a %d-byte request head got no answer and the connection stayed open (a hang)" % size)
        finally:
            s.close()
        if not data:
            return None
        m = re.match(rb"HTTP/1\.1 (\d+)", data)
        return int(m.group(1)) if m else None

    def run(self):
        a = self.args
        self.served("before anything")

        idle = [connect(self.host, self.port) for _ in range(a.idle)]
        print("ok: %d idle connections open" % len(idle), flush=True)

        stop = threading.Event()
        slow = []

        def trickle(s, chunks):
            for chunk in chunks:
                if stop.is_set():
                    return
                try:
                    s.sendall(chunk)
                except OSError:
                    return
                stop.wait(a.trickle)

        for i in range(a.slow):
            s = connect(self.host, self.port)
            head = b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + self.key.encode() + b"\r\n"
            threading.Thread(target=trickle, args=(s, [head[j:j + 3] for j in range(0, len(head), 3)]), daemon=True).start()
            slow.append(s)
            s = connect(self.host, self.port)
            body = json.dumps({"user": "slow%d" % i, "device_label": "x"}).encode()
            head = ("POST /v1/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"
                    "Content-Length: %d\r\n\r\n" % (self.key, len(body))).encode()
            s.sendall(head)
            threading.Thread(target=trickle, args=(s, [body[j:j + 1] for j in range(len(body))]), daemon=True).start()
            slow.append(s)
        print("ok: %d slow-header and %d slow-body clients sending" % (a.slow, a.slow), flush=True)

        # A subscriber that never reads: the whole log, then live, into a tiny buffer.
        stalled = connect(self.host, self.port, rcvbuf=4096)
        stalled.sendall(("GET /v1/events?from=1&types=all HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n" % self.key).encode())

        self.served("with idle, slow and stalled clients", rounds=a.rounds)

        # Past the decoder's own bound (twice max-header-bytes, 1,000 fields) the HTTP decoder
        # answers a bare 400 and closes the connection, or the server resets it mid-send.
        refused = {431, 400, None}
        for size, fields, expected in ((a.max_header_bytes + 4096, 1, {431}), (a.max_header_bytes * 8, 1, refused),
                                       (1 << 20, 1, refused), (a.max_header_bytes + 4096, 2000, refused)):
            got = self.head_size(size, fields)
            if got not in expected:
                raise Failure("a %d-byte request head in %d fields answered %s, expected %s" % (size, fields, got, sorted(map(str, expected))))
            print("ok: a %d-byte request head in %d field(s): %s" % (size, fields, "connection closed" if got is None else got), flush=True)
        self.served("after huge heads")

        # Enough events that the stalled stream's buffers fill, while logins stay prompt.
        # The kernel's socket buffers take a few hundred KiB before the server's own buffer
        # fills, so four callers log in at once (one group commit serves them all).
        started = time.time()
        errors = []

        def fill(worker):
            for i in range(worker, a.events, 4):
                status, text, _ = self.call("POST", "/v1/sessions", {"user": "filler%d" % (i % 50), "device_label": "x" * 200, "user_agent": "y" * 800})
                if status != 201:
                    errors.append("a filler login answered %d: %s" % (status, text))
                    return
        fillers = [threading.Thread(target=fill, args=(w,)) for w in range(4)]
        for t in fillers:
            t.start()
        for t in fillers:
            t.join()
        if errors:
            raise Failure(errors[0])
        print("ok: %d logins with a subscriber that never reads, %.0f per second" % (a.events, a.events / (time.time() - started)), flush=True)

        if a.idle_timeout:
            wait = a.idle_timeout * 3 + 5
            deadline = time.time() + wait
            for s in idle:
                if not closed_by_server(s, max(0.01, deadline - time.time())):
                    raise Failure("an idle connection was still open %.0f s after the idle timeout" % wait)
            print("ok: the server closed all %d idle connections (idle timeout %s s)" % (len(idle), a.idle_timeout), flush=True)
            stop.set()
            for s in slow:
                if not closed_by_server(s, wait):
                    raise Failure("a slow client's connection was still open after the idle timeout")
            print("ok: the server closed the slow-header and slow-body connections", flush=True)
        if a.write_timeout:
            deadline = time.time() + a.write_timeout * 3 + 10
            subscribers = None
            while time.time() < deadline:
                _, metrics, _ = self.call("GET", "/metrics", key=False)
                m = re.search(r"^authledger_event_subscribers (\S+)", metrics, re.M)
                subscribers = float(m.group(1)) if m else None
                if subscribers == 0:
                    break
                time.sleep(0.2)
            if subscribers != 0:
                raise Failure("the subscriber that never reads was not dropped (authledger_event_subscribers %s)" % subscribers)
            print("ok: the subscriber that never reads was dropped (write timeout %s s)" % a.write_timeout, flush=True)
        stop.set()
        for s in idle + slow + [stalled]:
            s.close()
        self.served("after everything")
        self.latencies.sort()
        print("hostile clients: all checks passed; bystander requests p50 %.1f ms, max %.1f ms" % (
            1000 * self.latencies[len(self.latencies) // 2], 1000 * self.latencies[-1]), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True)
    p.add_argument("--key", required=True, help="an API key with sessions:write and events:read (admin)")
    p.add_argument("--idle", type=int, default=1000, help="idle connections to hold open")
    p.add_argument("--slow", type=int, default=20, help="slow-header clients, and as many slow-body ones")
    p.add_argument("--trickle", type=float, default=0.5, help="seconds between a slow client's chunks")
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--events", type=int, default=1200, help="logins made while the subscriber does not read")
    p.add_argument("--max-latency", type=float, default=2.0, help="the slowest answer a bystander may get, in seconds")
    p.add_argument("--max-header-bytes", type=int, default=16384, help="the server's max-header-bytes")
    p.add_argument("--idle-timeout", type=float, help="the server's idle-timeout-seconds: check idle and slow clients are closed")
    p.add_argument("--write-timeout", type=float, help="the server's write-timeout-seconds: check the stalled subscriber is dropped")
    args = p.parse_args()
    try:
        Checks(args).run()
    except Failure as e:
        print("FAILED: %s" % e, flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()

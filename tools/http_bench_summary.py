#!/usr/bin/env python3
"""Summarises tools/http-bench.sh results (JSON lines): for the ideal suite, each round's
HTTP rate as a share of 1 / (1/ceiling + 1/in-process) with the ceiling and the in-process
rate measured in the same round, then medians and ranges over rounds; for the events
suite, propagation latencies and fan-out per subscriber count, medians over rounds."""
import json
import statistics
import sys
from collections import defaultdict

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
by_name = defaultdict(dict)
for r in rows:
    by_name[r["name"]][r["round"]] = r


def med(values):
    return statistics.median(values) if values else float("nan")


def spread(values, f):
    return f"{f(med(values))} ({f(min(values))}–{f(max(values))})" if values else "—"


def rate(x):
    return f"{x:,.0f}"


def wrk_ms(text):
    """wrk's latency figures: 812.00us, 1.23ms, 1.20s."""
    for unit, scale in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * scale
    return float("nan")


def pct(x):
    return f"{x:.0%}"


if "ceiling-post" in by_name:
    rounds = sorted(by_name["ceiling-post"])
    conns = by_name["ceiling-post"][rounds[0]]["connections"]
    print(f"Medians of {len(rounds)} rounds (range over rounds in brackets); wrk -t2 -c{conns}, "
          f"{conns} in-process callers.\n")
    print("| measurement | per second |")
    print("|---|---:|")
    for name, label in [("ceiling-get", "framework ceiling: GET, minimal Hummingbird endpoint"),
                        ("ceiling-post", "framework ceiling: POST with an introspection-sized body"),
                        ("engine-refresh", "in-process: durable refresh (`AuthEngine.refresh`)"),
                        ("engine-check", "in-process: access-token check (`AuthEngine.verifyAccessToken`)"),
                        ("http-refresh", "HTTP: `POST /v1/refresh` (durable rotation)"),
                        ("http-introspect", "HTTP: `POST /v1/introspect` (access token)")]:
        v = [r["per_second"] for r in by_name[name].values()]
        extra = ""
        if name.startswith("http-") or name.startswith("ceiling"):
            bad = sum(r["non2xx"] for r in by_name[name].values())
            p99 = med([wrk_ms(r["p99"]) for r in by_name[name].values()])
            extra = f" (p99 {p99:.1f} ms{', non-2xx ' + str(bad) if bad else ''})"
        print(f"| {label}{extra} | {spread(v, rate)} |")
    print()
    print("| HTTP operation | ideal = 1/(1/ceiling + 1/in-process) | HTTP ÷ ideal |")
    print("|---|---:|---:|")
    for http, engine, label in [("http-refresh", "engine-refresh", "durable refresh"),
                                ("http-introspect", "engine-check", "access-token introspection")]:
        ideals, ratios = [], []
        for k in rounds:
            if k in by_name[http] and k in by_name[engine]:
                ideal = 1 / (1 / by_name["ceiling-post"][k]["per_second"] + 1 / by_name[engine][k]["per_second"])
                ideals.append(ideal)
                ratios.append(by_name[http][k]["per_second"] / ideal)
        print(f"| {label} | {spread(ideals, rate)} | **{spread(ratios, pct)}** |")
    print()

subs = sorted((n for n in by_name if n.startswith("subscribers-")), key=lambda n: int(n.split("-")[1]))
ms = lambda x: f"{x:.2f}"
kib = lambda x: f"{x / 1024:.1f} KiB"
if subs:
    print("Revocation propagation over `GET /v1/events` (medians over rounds, range in brackets; "
          "latencies in ms from the revoke's answer, 0 when the event came first; server CPU per delivery "
          "is user + system time over the revocations, logins included).\n")
    print("| subscribers | revocations × rounds | p50 | p99 | max | from sending the revoke: p50 / p99 "
          "| answer → last subscriber: median / max | server CPU per delivery | server memory per idle subscriber (RSS / anonymous) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in subs:
        v = list(by_name[n].values())
        f = lambda key: [r[key] for r in v]
        print(f"| {v[0]['subscribers']:,} | {v[0]['revocations']} × {len(v)} | {spread(f('p50_ms'), ms)} | {spread(f('p99_ms'), ms)} "
              f"| {ms(max(f('max_ms')))} | {ms(med(f('from_send_p50_ms')))} / {ms(med(f('from_send_p99_ms')))} "
              f"| {spread(f('last_median_ms'), ms)} / {ms(max(f('last_max_ms')))} "
              f"| {spread(f('server_cpu_us_per_delivery'), lambda x: f'{x:.1f} µs')} "
              + (f"| {spread(f('rss_per_subscriber_bytes'), kib)} / {spread(f('anon_per_subscriber_bytes'), kib)} |"
                 if v[0]["subscribers"] >= 1000 else "| — |"))
def memory_line(name, what):
    """One sentence on the memory per idle connection of a `sse-fanout` run against the ceiling."""
    v = list(by_name[name].values())
    f = lambda key: [r[key] for r in v]
    return (f"The minimal Hummingbird endpoint (`ledger-bench http-ceiling`), {v[0]['subscribers']:,} {what}: "
            f"{spread(f('rss_per_subscriber_bytes'), kib)} of RSS, {spread(f('anon_per_subscriber_bytes'), kib)} anonymous, each.")


if "ceiling-connections" in by_name:
    print("\n" + memory_line("ceiling-connections", "idle keep-alive connections after one `GET /ceiling` each"))
if "ceiling-streams" in by_name:
    print(memory_line("ceiling-streams", "idle streaming responses it merely holds open (`GET /ceiling-stream`: one line written, "
                                         "then nothing; no timer, no task besides the connection's), the floor under a subscriber"))
if "logins-0-subscribers" in by_name:
    rounds = sorted(by_name["logins-0-subscribers"])
    f = lambda name, key: [by_name[name][k][key] for k in rounds if k in by_name[name]]
    extra = [by_name["logins-1000-subscribers"][k]["cpu_us_per_commit"] - by_name["logins-0-subscribers"][k]["cpu_us_per_commit"]
             for k in rounds if k in by_name["logins-1000-subscribers"]]
    print("\nLogins (wrk, 2 connections; events the default filter does not follow) with no subscriber and with 1,000 idle ones:\n")
    print("| subscribers | logins/s | server CPU per commit |")
    print("|---:|---:|---:|")
    for name, n in [("logins-0-subscribers", 0), ("logins-1000-subscribers", 1000)]:
        print(f"| {n:,} | {spread(f(name, 'per_second'), rate)} | {spread(f(name, 'cpu_us_per_commit'), lambda x: f'{x:,.0f} µs')} |")
    print(f"\nEach commit costs {spread(extra, lambda x: f'{x / 1000:.2f} µs')} more per idle subscriber.")

#!/usr/bin/env python3
"""Summarises tools/bench.sh results: medians per measurement and, for each Swift figure,
the median of its per-round ratio to the baseline measured right next to it."""
import json
import statistics
import sys
from collections import defaultdict

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
by_pair = defaultdict(lambda: defaultdict(list))
for r in rows:
    by_pair[r["pair"]][r["bench"]].append(r)


def med(values):
    return statistics.median(values) if values else float("nan")


def rate(pair, bench):
    return med([r["per_second"] for r in by_pair[pair][bench]])


def ratio(pair, ours, base):
    mine = {r["round"]: r["per_second"] for r in by_pair[pair][ours]}
    theirs = {r["round"]: r["per_second"] for r in by_pair[pair][base]}
    return med([mine[k] / theirs[k] for k in mine if k in theirs])


def fmt(x):
    return f"{x:,.0f}"


rounds = len({r["round"] for r in rows if r["round"]})
print(f"Medians of {rounds} rounds.\n")
if any(p.startswith(("sign-", "verify-")) for p in by_pair):
    print("| operation (typical access token) | AuthLedger (/s) | raw libcrypto (/s) | ratio | jwt-kit (/s) | AuthLedger ÷ jwt-kit |")
    print("|---|---:|---:|---:|---:|---:|")
    for alg in ("ES256", "EdDSA"):
        for op in ("sign", "verify"):
            p = f"{op}-{alg}"
            if p not in by_pair:
                continue
            print(f"| {alg} {op} | {fmt(rate(p, 'token-' + op))} | {fmt(rate(p, 'raw-' + op))} | {ratio(p, 'token-' + op, 'raw-' + op):.0%} "
                  f"| {fmt(rate(p, 'jwtkit-' + op))} | {ratio(p, 'token-' + op, 'jwtkit-' + op):.2f}× |")
    print()
if not any(p.startswith(("durable", "nosync", "commit", "scan")) for p in by_pair):
    sys.exit(0)
print("| measurement | AuthLedger (/s) | raw liblmdb (/s) | ratio | mean batch |")
print("|---|---:|---:|---:|---:|")
for callers in (1, 16, 256):
    p = f"durable-{callers}"
    if p in by_pair:
        b = med([r["mean_batch"] for r in by_pair[p]["log-append"]])
        print(f"| durable appends, {callers} concurrent callers | {fmt(rate(p, 'log-append'))} | {fmt(rate(p, 'raw-append'))} | {ratio(p, 'log-append', 'raw-append'):.0%} | {b:.1f} |")
if "nosync-256" in by_pair:
    p = "nosync-256"
    b = med([r["mean_batch"] for r in by_pair[p]["log-append"]])
    print(f"| no-sync appends, 256 concurrent callers (async, end to end) | {fmt(rate(p, 'log-append'))} | {fmt(rate(p, 'raw-append'))} | {ratio(p, 'log-append', 'raw-append'):.0%} | {b:.1f} |")
for p in sorted(k for k in by_pair if k.startswith("commit-")):
    b = p.split("-")[1]
    print(f"| no-sync appends, writer path (`commit(groups:)`) | {fmt(rate(p, 'log-commit'))} | {fmt(rate(p, 'raw-append'))} | {ratio(p, 'log-commit', 'raw-append'):.0%} | {b} |")
if "scan" in by_pair:
    print(f"| sequential read-and-decode scan (1M events) | {fmt(rate('scan', 'log-scan-decode'))} | {fmt(rate('scan', 'raw-scan'))} | {ratio('scan', 'log-scan-decode', 'raw-scan'):.0%} | — |")
if "queue" in by_pair:
    print(f"\nGroup-commit machinery alone (256 callers, no-op handler): {fmt(rate('queue', 'queue-overhead'))} requests/s.")
if "fsync" in by_pair:
    print(f"Machine: {fmt(rate('fsync', 'fdatasync'))} small write + fdatasync pairs per second.")
if "size" in by_pair:
    s = by_pair["size"]["log-size"][0]
    print(f"Size: {s['events']:,} refresh-rotation events for {s['users']:,} users take {s['file_bytes']:,} bytes "
          f"(data.mdb): {s['file_bytes_per_event']:.1f} bytes per event, LMDB overhead and the per-user index included.")

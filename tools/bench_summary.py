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
def field(pair, bench, name):
    return med([r[name] for r in by_pair[pair][bench]])


if any(p.startswith(("sign-", "verify-")) for p in by_pair):
    print("Each ratio is the median, over rounds, of a within-process ratio: AuthLedger and the baseline "
          "alternate in 64-operation bursts for 2 s.\n")
    print("| operation (typical access token) | AuthLedger (/s) | raw libcrypto (/s) | ratio | AuthLedger (/s) | jwt-kit (/s) | AuthLedger ÷ jwt-kit |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for alg in ("ES256", "EdDSA"):
        for op in ("sign", "verify"):
            p = f"{op}-{alg}"
            if p not in by_pair:
                continue
            print(f"| {alg} {op} | {fmt(field(p, 'tokens-vs-raw', 'per_second'))} | {fmt(field(p, 'tokens-vs-raw', 'baseline_per_second'))} "
                  f"| {field(p, 'tokens-vs-raw', 'ratio'):.0%} (range {min(r['ratio'] for r in by_pair[p]['tokens-vs-raw']):.0%}–{max(r['ratio'] for r in by_pair[p]['tokens-vs-raw']):.0%}) "
                  f"| {fmt(field(p, 'tokens-vs-jwtkit', 'per_second'))} | {fmt(field(p, 'tokens-vs-jwtkit', 'baseline_per_second'))} "
                  f"| {field(p, 'tokens-vs-jwtkit', 'ratio'):.2f}× |")
    print()
if "edge-verify" in by_pair:
    v = by_pair["edge-verify"]["edge-verify"]
    print("| edge (LedgerEdge) | per second | bare ES256 verification (/s) | ratio (range over rounds) |")
    print("|---|---:|---:|---:|")
    print(f"| `verify` with the revocation check ({v[0]['revoked_held']} revoked sessions held) | {fmt(med([r['per_second'] for r in v]))} "
          f"| {fmt(med([r['bare_per_second'] for r in v]))} | {med([r['ratio'] for r in v]):.0%} "
          f"({min(r['ratio'] for r in v):.0%}–{max(r['ratio'] for r in v):.0%}) |")
    print()
if "edge-propagation" in by_pair:
    e = by_pair["edge-propagation"]["edge-propagation"]
    print(f"Revocation propagation, revoke call sent → edge refuses ({e[0]['n']} revocations per round): "
          f"p50 {med([r['p50_ms'] for r in e]):.2f} ms, p99 {med([r['p99_ms'] for r in e]):.2f} ms, worst {max(r['max_ms'] for r in e):.2f} ms; "
          f"after the call's answer: p50 {med([r['after_answer_p50_ms'] for r in e]):.2f} ms, p99 {med([r['after_answer_p99_ms'] for r in e]):.2f} ms.\n")
if "signing" in by_pair:
    raw = rate("signing", "raw-sign")
    ours = rate("signing", "sign-all-cores")
    print(f"ES256 signing on all cores: raw libcrypto {fmt(raw)}/s, AuthLedger's token issuer {fmt(ours)}/s.\n")
    print("| engine measurement | per second | vs raw ES256 signing on all cores | mean batch |")
    print("|---|---:|---:|---:|")
    for callers in (1, 64, 1024):
        p = f"refresh-{callers}"
        if p in by_pair:
            rr = rate(p, "engine-refresh")
            b = med([r["mean_batch"] for r in by_pair[p]["engine-refresh"]])
            print(f"| durable refreshes, {callers} concurrent callers | {fmt(rr)} | {rr / raw:.0%} | {b:.1f} |")
    if "refresh-limit" in by_pair:
        per_round = defaultdict(lambda: {"raw": [], "ours": []})
        for r in by_pair["refresh-limit"]["raw-sign"]:
            per_round[r["round"]]["raw"].append(r["per_second"])
        for r in by_pair["refresh-limit"]["engine-refresh"]:
            per_round[r["round"]]["ours"].append(r["per_second"])
        q = [statistics.mean(v["ours"]) / statistics.mean(v["raw"]) for v in per_round.values() if v["raw"] and v["ours"]]
        print(f"| durable refreshes, 1024 callers, between two raw-signing runs | {fmt(rate('refresh-limit', 'engine-refresh'))} "
              f"| **{med(q):.0%}** of the mean of the two ({fmt(rate('refresh-limit', 'raw-sign'))}/s; rounds {min(q):.0%}–{max(q):.0%}) | — |")
    if "forgery" in by_pair:
        per_round = defaultdict(dict)
        for r in by_pair["forgery"]["engine-refresh"]:
            per_round[r["round"]]["flood" if r.get("forgers") else "clean"] = r
        q = [v["flood"]["per_second"] / v["clean"]["per_second"] for v in per_round.values() if "flood" in v and "clean" in v]
        flood = [v["flood"] for v in per_round.values() if "flood" in v]
        clean = [v["clean"] for v in per_round.values() if "clean" in v]
        print(f"| durable refreshes, 1024 callers, while 1024 others send forged tokens | {fmt(med([r['per_second'] for r in flood]))} "
              f"| **{med(q):.0%}** of the same run without forgeries ({fmt(med([r['per_second'] for r in clean]))}/s; rounds "
              f"{min(q):.0%}–{max(q):.0%}); {fmt(med([r['forgeries_refused'] / r['seconds'] for r in flood]))} forgeries refused/s | — |")
    if "login" in by_pair:
        print(f"| durable logins, 64 concurrent callers | {fmt(rate('login', 'engine-login'))} | — | — |")
    if "check" in by_pair:
        rows_c = by_pair["check"]["engine-check"]
        c = med([r["check_per_second"] for r in rows_c]); b = med([r["bare_verify_per_second"] for r in rows_c])
        q = med([r["ratio"] for r in rows_c])
        print(f"| access-token check (signature + claims + revocation lookup) | {fmt(c)} | {q:.0%} of a bare ES256 verification ({fmt(b)}/s) | — |")
    print()
if "rebuild" in by_pair:
    fill = by_pair["rebuild-fill"]["rebuild-fill"][0] if "rebuild-fill" in by_pair else None
    ev = by_pair["rebuild"]["rebuild"][0]["events"]
    secs = med([r["seconds"] for r in by_pair["rebuild"]["rebuild"]])
    print(f"Rebuild from scratch of a {ev:,}-event log ({fill['file_bytes']:,} bytes): {fmt(rate('rebuild', 'rebuild'))} events/s "
          f"({secs:.2f} s); raw C scan of the same log {fmt(rate('rebuild', 'raw-scan'))} records/s; "
          f"ratio {ratio('rebuild', 'rebuild', 'raw-scan'):.0%}.")
if "keys" in by_pair:
    k = by_pair["keys"]["key-replay"][0]
    print(f"Key ring at start-up on that log ({k['global_records']} records without a user): "
          f"{k['indexed_seconds'] * 1e3:.3f} ms through the global index; a full scan for them takes {k['scan_seconds']:.2f} s.")
if "memory" in by_pair:
    m = by_pair["memory"]["engine-memory"][0]
    print(f"Memory: {m['sessions']:,} active sessions ({m['users']:,} users): {m['bytes_per_session']:.0f} bytes per session of anonymous "
          f"(heap) memory; {m['rss_bytes_per_session']:.0f} bytes of total RSS growth, which includes the log pages read through the map.")
if "snapshot" in by_pair:
    sn = by_pair["snapshot"]["snapshot"]
    print(f"Snapshot of {sn[0]['sessions']:,} sessions ({sn[0]['bytes']:,} bytes): write {med([r['write_seconds'] for r in sn]):.2f} s, "
          f"load and check {med([r['load_seconds'] for r in sn]):.2f} s (medians).")
if "holdup" in by_pair:
    h = by_pair["holdup"]["snapshot-holdup"][0]
    print(f"Writers during a snapshot of {h['sessions']:,} sessions: login latency median {h['during_median_ms']:.2f} ms, max {h['during_max_ms']:.0f} ms "
          f"(without a snapshot: median {h['quiet_median_ms']:.2f} ms, max {h['quiet_max_ms']:.1f} ms).")
print()
if "personal-refresh" in by_pair:
    per_round = defaultdict(dict)
    for r in by_pair["personal-refresh"]["engine-refresh"]:
        per_round[r["round"]]["sealed" if r.get("sealed", True) else "clear"] = r["per_second"]
    q = [v["sealed"] / v["clear"] for v in per_round.values() if "sealed" in v and "clear" in v]
    rb = defaultdict(dict)
    for mode in ("sealed", "clear"):
        for r in by_pair.get(f"personal-rebuild-{mode}", {}).get("rebuild", []):
            rb[r["round"]][mode] = r["per_second"]
    qr = [v["sealed"] / v["clear"] for v in rb.values() if "sealed" in v and "clear" in v]
    fills = {("sealed" if r["sealed"] else "clear"): r for r in by_pair["personal-fill"]["personal-fill"]}
    print("| personal data under per-user keys | sealed | clear (baseline) | sealed ÷ clear |")
    print("|---|---:|---:|---:|")
    print(f"| durable refreshes/s, 1,024 callers | {fmt(med([v['sealed'] for v in per_round.values() if 'sealed' in v]))} "
          f"| {fmt(med([v['clear'] for v in per_round.values() if 'clear' in v]))} | **{med(q):.0%}** (rounds {min(q):.0%}–{max(q):.0%}) |")
    print(f"| rebuild events/s, engine-written log of {fills['sealed']['events']:,} / {fills['clear']['events']:,} events "
          f"| {fmt(med([v['sealed'] for v in rb.values() if 'sealed' in v]))} | {fmt(med([v['clear'] for v in rb.values() if 'clear' in v]))} "
          f"| **{med(qr):.0%}** (rounds {min(qr):.0%}–{max(qr):.0%}) |")
    print(f"| mean stored bytes of a rotation record | {fills['sealed']['rotation_record_bytes']:.1f} | {fills['clear']['rotation_record_bytes']:.1f} | — |")
    print(f"| data.mdb bytes per event (all events) | {fills['sealed']['file_bytes'] / fills['sealed']['events']:.1f} "
          f"| {fills['clear']['file_bytes'] / fills['clear']['events']:.1f} | — |")
    print()

if any(p.startswith("tree-append-") for p in by_pair):
    print("Durable appends with and without the tree alternate in bursts within one process; the ratio is the "
          "median over rounds of each round's ratio.\n")
    print("| durable appends (callers) | with the tree (/s) | without (/s) | with ÷ without (range over rounds) | mean batch |")
    print("|---|---:|---:|---:|---:|")
    for callers in (1, 16, 256):
        rs = by_pair[f"tree-append-{callers}"]["merkle-append-paired"]
        if not rs:
            continue
        q = [r["ratio"] for r in rs]
        print(f"| {callers} | {fmt(med([r['per_second'] for r in rs]))} | {fmt(med([r['baseline_per_second'] for r in rs]))} "
              f"| **{med(q):.0%}** ({min(q):.0%}–{max(q):.0%}) | {med([r['mean_batch_tree'] for r in rs]):.1f} |")
    print()
if "merkle-build" in by_pair:
    b = by_pair["merkle-build"]["merkle-build"]
    p = by_pair["merkle-prove"]["merkle-prove"]
    print("| tree of a 10M-event log | median | range over rounds |")
    print("|---|---:|---:|")
    print(f"| one-time build (s) | {med([r['seconds'] for r in b]):.2f} | {min(r['seconds'] for r in b):.2f}–{max(r['seconds'] for r in b):.2f} |")
    print(f"| tree storage (bytes per event) | {med([r['bytes_per_event'] for r in b]):.2f} | {min(r['bytes_per_event'] for r in b):.2f}–{max(r['bytes_per_event'] for r in b):.2f} |")
    print(f"| inclusion proofs of random positions (/s, one thread) | {fmt(med([r['per_second'] for r in p]))} | {fmt(min(r['per_second'] for r in p))}–{fmt(max(r['per_second'] for r in p))} |")
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


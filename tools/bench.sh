#!/usr/bin/env bash
# AuthLedger benchmarks: builds the benchmark package in release mode and the raw C
# baselines, runs every measurement ROUNDS times with each Swift figure next to its
# baseline (so both see the same machine state), and prints medians and ratios as the
# Markdown tables in BENCHMARKS.md.
#
#   tools/bench.sh [log|tokens|engine|snapshots|personal|edge|merkle|all] [ROUNDS]     (default: all, 5 rounds)
#
# Raw JSON lines are kept in $OUT (default .build-bench/results.jsonl).
set -euo pipefail
cd "$(dirname "$0")/.."
SUITE="${1:-all}"
ROUNDS="${2:-5}"
WORK="${BENCH_DIR:-$(mktemp -d /tmp/authledger-bench.XXXXXX)}"
OUT="${OUT:-.build-bench/results.jsonl}"
mkdir -p "$(dirname "$OUT")"
: > "$OUT"

tools/install-deps.sh
gcc -O2 -Wall -o .build-bench/lmdb-raw-bench tools/lmdb-raw-bench.c -llmdb
gcc -O2 -Wall -I tools/bench/Sources/CRawCrypto/include -o .build-bench/crypto-raw-bench tools/crypto-raw-bench.c -lcrypto -lpthread
# The cached build plan of this nested package misses source files added to the product
# since it was written (the build then fails, or measures old code): plan afresh.
rm -f tools/bench/.build/release.yaml
(cd tools/bench && swift build -c release --product ledger-bench >&2)
SWIFT=tools/bench/.build/release/ledger-bench
RAW=.build-bench/lmdb-raw-bench
CRYPTO=.build-bench/crypto-raw-bench

emit() { # emit PAIR ROUND JSON: tag a result line with its pairing key and round
    local pair="$1" round="$2" line="$3"
    echo "${line%\}},\"pair\":\"$pair\",\"round\":$round}" >> "$OUT"
}
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])['$2'])" "$1"; }
fresh() { rm -rf "$WORK/$1"; echo "$WORK/$1"; }

run_log() {
    local fill
    fill=$(fresh scan)
    emit size 0 "$($SWIFT log-fill "$fill" 1000000 10000)"
    for round in $(seq 1 "$ROUNDS"); do
        echo "log round $round/$ROUNDS" >&2
        emit fsync "$round" "$($RAW fsync "$WORK/fsync.test" 2000)"
        for spec in "1 1000" "16 10000" "256 100000"; do
            set -- $spec
            line=$($SWIFT log-append "$(fresh a)" "$1" "$2" durable)
            emit "durable-$1" "$round" "$line"
            batch=$(python3 -c "print(max(1, round($(field "$line" mean_batch))))")
            emit "durable-$1" "$round" "$($RAW append "$(fresh r)" "$2" "$batch" durable 78 10000)"
        done
        line=$($SWIFT log-append "$(fresh a)" 256 500000 nosync)
        emit nosync-256 "$round" "$line"
        batch=$(python3 -c "print(max(1, round($(field "$line" mean_batch))))")
        emit nosync-256 "$round" "$($RAW append "$(fresh r)" 500000 "$batch" nosync 78 10000)"
        emit "commit-$batch" "$round" "$($SWIFT log-commit "$(fresh c)" 500000 "$batch" nosync)"
        emit "commit-$batch" "$round" "$($RAW append "$(fresh r)" 500000 "$batch" nosync 78 10000)"
        emit queue "$round" "$($SWIFT queue-overhead 256 500000)"
        emit scan "$round" "$($SWIFT log-scan "$fill")"
        emit scan "$round" "$($RAW scan "$fill")"
    done
}

run_merkle() {
    local base big
    for round in $(seq 1 "$ROUNDS"); do
        echo "merkle round $round/$ROUNDS" >&2
        # Durable appends with and without the tree, alternating in bursts within one
        # process (ten bursts each), so both see the same disk state.
        for spec in "1 200" "16 2000" "256 20480"; do
            set -- $spec
            emit "tree-append-$1" "$round" "$($SWIFT merkle-append-paired "$(fresh a)" "$1" "$2" 20)"
        done
    done
    base=$(fresh merkle-base)
    emit merkle-fill 0 "$($SWIFT merkle-fill "$base" 10000000)"
    for round in $(seq 1 "$ROUNDS"); do
        echo "merkle build round $round/$ROUNDS" >&2
        # Each round builds the tree of a copy of the same 10M-event log written without it.
        big=$(fresh merkle-big)
        cp -r "$base" "$big"
        emit merkle-build "$round" "$($SWIFT merkle-build "$big")"
        emit merkle-prove "$round" "$($SWIFT merkle-prove "$big" 3)"
    done
    rm -rf "$base" "$big"
}

run_tokens() {
    for round in $(seq 1 "$ROUNDS"); do
        echo "tokens round $round/$ROUNDS" >&2
        for alg in ES256 EdDSA; do
            for op in sign verify; do
                # Ours and each baseline in alternating 64-operation bursts within one process.
                emit "$op-$alg" "$round" "$($SWIFT tokens-paired "$alg" "$op" 2 raw)"
                emit "$op-$alg" "$round" "$($SWIFT tokens-paired "$alg" "$op" 2 jwtkit)"
            done
        done
    done
}

run_engine() {
    for round in $(seq 1 "$ROUNDS"); do
        echo "engine round $round/$ROUNDS" >&2
        $SWIFT token-input ES256 "$WORK/input-ES256"
        # The physical limit of refreshes: raw ES256 signing on every core, next to ours.
        emit signing "$round" "$($CRYPTO sign es256 "$WORK/input-ES256" 2 "$(nproc)")"
        emit signing "$round" "$($SWIFT sign-all-cores 2)"
        for callers in 1 64 1024; do
            emit "refresh-$callers" "$round" "$($SWIFT engine-refresh "$(fresh e)" "$callers" 3 durable 2>/dev/null)"
        done
        # The 1,024-caller ratio: the raw limit measured right before and right after it
        # (their mean is the round's limit), as the machine's speed drifts within seconds.
        emit refresh-limit "$round" "$($CRYPTO sign es256 "$WORK/input-ES256" 2 "$(nproc)")"
        emit refresh-limit "$round" "$($SWIFT engine-refresh "$(fresh e)" 1024 3 durable 2>/dev/null)"
        emit refresh-limit "$round" "$($CRYPTO sign es256 "$WORK/input-ES256" 2 "$(nproc)")"
        # Durable refreshes while 1,024 other callers flood forged tokens, beside the same
        # run without them (which goes first alternates by round).
        if [ $((round % 2)) -eq 1 ]; then
            emit forgery "$round" "$($SWIFT engine-refresh "$(fresh e)" 1024 3 durable 0 2>/dev/null)"
            emit forgery "$round" "$($SWIFT engine-refresh "$(fresh e)" 1024 3 durable 1024 2>/dev/null)"
        else
            emit forgery "$round" "$($SWIFT engine-refresh "$(fresh e)" 1024 3 durable 1024 2>/dev/null)"
            emit forgery "$round" "$($SWIFT engine-refresh "$(fresh e)" 1024 3 durable 0 2>/dev/null)"
        fi
        emit login "$round" "$($SWIFT engine-login "$(fresh e)" 64 3 2>/dev/null)"
        emit check "$round" "$($SWIFT engine-check "$(fresh e)" 2 2>/dev/null)"
    done
}

run_snapshots() {
    local big mem
    big=$(fresh big)
    emit rebuild-fill 0 "$($SWIFT rebuild-fill "$big" 10000000)"
    for round in $(seq 1 "$ROUNDS"); do
        echo "rebuild round $round/$ROUNDS" >&2
        emit rebuild "$round" "$($SWIFT rebuild "$big")"
        emit rebuild "$round" "$($RAW scan "$big")"
    done
    emit keys 0 "$($SWIFT key-replay "$big")"
    rm -rf "$big"
    mem=$(fresh mem)
    emit memory 0 "$($SWIFT engine-memory "$mem" 1000000 250000 2>/dev/null)"
    for round in $(seq 1 "$ROUNDS"); do
        emit snapshot "$round" "$($SWIFT snapshot "$mem" 2>/dev/null)"
    done
    emit holdup 0 "$($SWIFT snapshot-holdup "$mem" 2>/dev/null)"
}

run_personal() {
    local sealed clear
    sealed=$(fresh ps)
    clear=$(fresh pc)
    emit personal-fill 0 "$($SWIFT personal-fill "$sealed" 2000000 sealed 2>/dev/null)"
    emit personal-fill 0 "$($SWIFT personal-fill "$clear" 2000000 clear 2>/dev/null)"
    for round in $(seq 1 "$ROUNDS"); do
        echo "personal-data round $round/$ROUNDS" >&2
        # Sealed and clear side by side, which goes first alternating by round.
        if [ $((round % 2)) -eq 1 ]; then order="sealed clear"; else order="clear sealed"; fi
        for mode in $order; do
            emit personal-refresh "$round" "$($SWIFT engine-refresh "$(fresh e)" 1024 3 durable 0 "$mode" 2>/dev/null)"
        done
        for mode in $order; do
            if [ "$mode" = sealed ]; then dir=$sealed; else dir=$clear; fi
            line=$($SWIFT rebuild "$dir")
            emit "personal-rebuild-$mode" "$round" "$line"
        done
    done
    rm -rf "$sealed" "$clear"
}

run_edge() {
    # The edge library against a release `authledger serve` built from this checkout.
    swift build -c release --product authledger >&2
    local server="$PWD/.build/release/authledger" dir
    for round in $(seq 1 "$ROUNDS"); do
        echo "edge round $round/$ROUNDS" >&2
        dir=$(fresh edge); mkdir -p "$dir"
        emit edge-verify "$round" "$($SWIFT edge-verify "$server" "$dir" 3 2>/dev/null)"
        dir=$(fresh edge); mkdir -p "$dir"
        emit edge-propagation "$round" "$($SWIFT edge-propagation "$server" "$dir" 200 2>/dev/null)"
    done
}

case "$SUITE" in
    personal) run_personal ;;
    log) run_log ;;
    tokens) run_tokens ;;
    engine) run_engine ;;
    snapshots) run_snapshots ;;
    edge) run_edge ;;
    merkle) run_merkle ;;
    all) run_log; run_tokens; run_engine; run_snapshots; run_personal; run_edge; run_merkle ;;
    *) echo "unknown suite $SUITE (log, tokens, engine, snapshots, personal, edge, merkle, all)" >&2; exit 2 ;;
esac
rm -rf "$WORK"
python3 tools/bench_summary.py "$OUT"

#!/usr/bin/env bash
# HTTP benchmarks against a release `authledger serve` on loopback, on fresh data
# directories with durable commits (the production default) and the rate limit off.
#
#   tools/http-bench.sh [routes|ideal|events|all] [ROUNDS, default 3] [DURATION, default 10s]
#
# routes: one wrk pass over the main routes (one Markdown table).
# ideal:  per round, alternating the order: wrk against a minimal Hummingbird endpoint
#         (`ledger-bench http-ceiling`, the framework's ceiling), wrk against refresh and
#         access-token introspection, and the engine's in-process rate for the same two
#         operations (`ledger-bench engine-refresh`, `engine-check-parallel`); each HTTP
#         figure as a share of 1 / (1/ceiling + 1/in-process), per round, then medians.
# events: revocation propagation to 1 and 1,000 `GET /v1/events` subscribers, and the
#         fan-out of one revocation to 10,000 with the server's memory per idle subscriber
#         (tools/sse-fanout.c, an epoll client; a fresh server for each); beside it, the
#         memory per idle keep-alive connection of the minimal Hummingbird endpoint and per
#         idle streaming response it merely holds open (the floor under a subscriber); and
#         what idle subscribers cost the writes they do not follow: logins (wrk, 2
#         connections) with none and with 1,000 idle subscribers, server CPU per commit.
# Raw JSON lines are kept in $OUT (default .build-bench/http-results.jsonl).
set -euo pipefail
cd "$(dirname "$0")/.."
SUITE=${1:-all}
ROUNDS=${2:-3}
DURATION=${3:-10s}
CONNS=${CONNS:-64}          # wrk connections (2 threads) and in-process callers of the ideal suite
OUT="${OUT:-.build-bench/http-results.jsonl}"
mkdir -p "$(dirname "$OUT")"
: > "$OUT"

tools/install-deps.sh
gcc -O2 -Wall -o .build-bench/sse-fanout tools/sse-fanout.c
# AUTHLEDGER_BIN: another build of the server (for A/B runs of the same script).
if [ -z "${AUTHLEDGER_BIN:-}" ]; then swift build -c release --product authledger >&2; fi
BIN=${AUTHLEDGER_BIN:-$PWD/.build/release/authledger}
if [ "$SUITE" != routes ]; then
    (cd tools/bench && swift build -c release --product ledger-bench >&2)
fi
BENCH=$PWD/tools/bench/.build/release/ledger-bench
# 10,000 subscribers hold 10,000 sockets in the server and as many in the client.
ulimit -n "$(ulimit -Hn)"

WORK=$(mktemp -d /tmp/authledger-http.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT

SERVER_PID="" URL=""
start_server() {  # start_server NAME: a fresh data dir, an admin key in AUTHLEDGER_KEY
    local dir="$WORK/$1"
    rm -rf "$dir"; mkdir -p "$dir"
    AUTHLEDGER_KEY=$("$BIN" apikey create --data-dir "$dir" --scope admin --label bench 2>/dev/null)
    export AUTHLEDGER_KEY
    "$BIN" serve --data-dir "$dir" --port 0 --rate-limit-per-minute 0 --log-level warning > "$dir.out" 2> "$dir.err" &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    for _ in $(seq 300); do grep -q listening "$dir.out" 2>/dev/null && break; sleep 0.1; done
    URL=$(grep -o 'http://[0-9.:]*' "$dir.out")
}
stop_server() {
    kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
}
login_token() {
    curl -s "$URL/v1/sessions" -H "Authorization: Bearer $AUTHLEDGER_KEY" -H 'Content-Type: application/json' \
        -d '{"user":"introspected","device_label":"wrk"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

wrk_run() {  # wrk_run CONNECTIONS ARGS...: prints requests/s p50 p99 non-2xx
    local conns=$1; shift
    local out
    out=$(wrk -t2 -c"$conns" -d"$DURATION" --latency "$@")
    local rps p50 p99 non2xx
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
    p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
    non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}')
    echo "$rps $p50 $p99 ${non2xx:-0}"
}
emit_wrk() {  # emit_wrk ROUND NAME CONNECTIONS ARGS...: one JSON line into $OUT
    local round=$1 name=$2 conns=$3; shift 3
    set -- $(wrk_run "$conns" "$@")
    echo "{\"bench\":\"wrk\",\"name\":\"$name\",\"round\":$round,\"connections\":$conns,\"per_second\":$1,\"p50\":\"$2\",\"p99\":\"$3\",\"non2xx\":$4}" >> "$OUT"
}
emit() {  # emit ROUND NAME JSON
    local line=$3
    echo "${line%\}},\"name\":\"$2\",\"round\":$1}" >> "$OUT"
}

run_routes() {
    start_server routes
    ACCESS_TOKEN=$(login_token); export ACCESS_TOKEN
    echo "| route | connections | requests/s | p50 | p99 | non-2xx |"
    echo "|-------|------------:|-----------:|----:|----:|--------:|"
    row() { local name=$1 conns=$2; shift 2; set -- $(wrk_run "$conns" "$@"); printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$conns" "$@"; }
    row "GET /.well-known/jwks.json" 32 "$URL/.well-known/jwks.json"
    row "POST /v1/introspect (access token)" 32 -s tools/http-bench/introspect.lua "$URL/v1/introspect"
    row "POST /v1/sessions (login)" 32 -s tools/http-bench/login.lua "$URL"
    row "POST /v1/sessions (login)" 2 -s tools/http-bench/login.lua "$URL"
    row "POST /v1/refresh (rotation)" 2 -s tools/http-bench/refresh.lua "$URL"
    row "POST /v1/refresh (rotation)" "$CONNS" -s tools/http-bench/refresh.lua "$URL"
    curl -s "$URL/metrics" | awk '/^authledger_log_position|^authledger_log_commits/ {print "<!-- " $0 " -->"}'
    stop_server
}

run_ideal() {
    local secs=${DURATION%s}
    start_ceiling
    local ceiling=$CEILING
    start_server ideal
    ACCESS_TOKEN=$(login_token); export ACCESS_TOKEN
    for round in $(seq 1 "$ROUNDS"); do
        echo "ideal round $round/$ROUNDS" >&2
        steps=(ceiling-get ceiling-post http-refresh http-introspect engine-refresh engine-check)
        if [ $((round % 2)) -eq 0 ]; then steps=(engine-check engine-refresh http-introspect http-refresh ceiling-post ceiling-get); fi
        for step in "${steps[@]}"; do
            case $step in
                ceiling-get) emit_wrk "$round" ceiling-get "$CONNS" "$ceiling/ceiling" ;;
                ceiling-post) emit_wrk "$round" ceiling-post "$CONNS" -s tools/http-bench/ceiling.lua "$ceiling/ceiling" ;;
                http-refresh) emit_wrk "$round" http-refresh "$CONNS" -s tools/http-bench/refresh.lua "$URL" ;;
                http-introspect) emit_wrk "$round" http-introspect "$CONNS" -s tools/http-bench/introspect.lua "$URL/v1/introspect" ;;
                engine-refresh) rm -rf "$WORK/e"; emit "$round" engine-refresh "$("$BENCH" engine-refresh "$WORK/e" "$CONNS" "$secs" durable 2>/dev/null)" ;;
                engine-check) rm -rf "$WORK/e"; emit "$round" engine-check "$("$BENCH" engine-check-parallel "$WORK/e" "$secs" "$CONNS" 2>/dev/null)" ;;
            esac
        done
    done
    rm -rf "$WORK/e"
    curl -s "$URL/metrics" | awk '/^authledger_log_position|^authledger_log_commits/ {print "<!-- " $0 " -->"}'
    stop_server
    kill -TERM "$CEILING_PID"; wait "$CEILING_PID" 2>/dev/null || true
}

start_ceiling() {
    "$BENCH" http-ceiling 0 > "$WORK/ceiling.out" 2> "$WORK/ceiling.err" &
    CEILING_PID=$!
    PIDS+=("$CEILING_PID")
    for _ in $(seq 100); do grep -q listening "$WORK/ceiling.out" 2>/dev/null && break; sleep 0.1; done
    CEILING=$(grep -o 'http://[0-9.:]*' "$WORK/ceiling.out")
}

server_cpu() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }  # clock ticks
commits() { curl -s "$URL/metrics" | awk '/^authledger_log_commits/ {print $2}'; }
login_cost() {  # login_cost ROUND NAME: wrk logins with 2 connections, the server's CPU per commit
    local c0 m0 rps c1 m1
    c0=$(server_cpu); m0=$(commits)
    rps=$(wrk -t1 -c2 -d"$DURATION" -s tools/http-bench/login.lua "$URL" | awk '/Requests\/sec/ {print $2}')
    c1=$(server_cpu); m1=$(commits)
    emit "$1" "$2" "$(python3 -c "print('{\"bench\":\"login-cost\",\"per_second\":%s,\"commits\":%d,\"cpu_us_per_commit\":%.1f}' % ($rps, $m1 - $m0, ($c1 - $c0) * 1e6 / $(getconf CLK_TCK) / ($m1 - $m0)))")"
}

run_events() {
    for round in $(seq 1 "$ROUNDS"); do
        echo "events round $round/$ROUNDS" >&2
        # The framework's own memory per idle keep-alive connection (after one GET).
        start_ceiling
        emit "$round" ceiling-connections "$(.build-bench/sse-fanout 127.0.0.1 "${CEILING##*:}" none 10000 0 "$CEILING_PID" /ceiling)"
        kill -TERM "$CEILING_PID"; wait "$CEILING_PID" 2>/dev/null || true
        # ... and per idle streaming response that is only held open: the floor under a subscriber.
        start_ceiling
        emit "$round" ceiling-streams "$(.build-bench/sse-fanout 127.0.0.1 "${CEILING##*:}" none 10000 0 "$CEILING_PID" /ceiling-stream)"
        kill -TERM "$CEILING_PID"; wait "$CEILING_PID" 2>/dev/null || true
        for spec in "1 200" "1000 50" "10000 10"; do
            set -- $spec
            start_server "events-$1"
            emit "$round" "subscribers-$1" "$(.build-bench/sse-fanout 127.0.0.1 "${URL##*:}" "$AUTHLEDGER_KEY" "$1" "$2" "$SERVER_PID")"
            stop_server
        done
        # Idle subscribers and the commits they do not follow: each commit wakes every tail.
        start_server idle
        login_cost "$round" logins-0-subscribers
        .build-bench/sse-fanout 127.0.0.1 "${URL##*:}" "$AUTHLEDGER_KEY" 1000 -60 "$SERVER_PID" > "$WORK/hold.out" &
        local hold=$!
        for _ in $(seq 300); do grep -q '^authledger_event_subscribers 1000' <<< "$(curl -s "$URL/metrics")" && break; sleep 0.1; done
        login_cost "$round" logins-1000-subscribers
        kill "$hold"; wait "$hold" 2>/dev/null || true
        stop_server
    done
}

case "$SUITE" in
    routes) run_routes ;;
    ideal) run_ideal ;;
    events) run_events ;;
    all) run_routes; run_ideal; run_events ;;
    *) echo "unknown suite $SUITE (routes, ideal, events, all)" >&2; exit 2 ;;
esac
python3 tools/http_bench_summary.py "$OUT"

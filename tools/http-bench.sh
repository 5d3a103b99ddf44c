#!/usr/bin/env bash
# HTTP benchmarks: wrk against a release `authledger serve` on loopback, on a fresh data
# directory with durable commits (the production default). Prints one Markdown table.
#   tools/http-bench.sh [duration, default 10s]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10s}
tools/install-deps.sh
swift build -c release --product authledger >&2
BIN=.build/release/authledger
DIR=$(mktemp -d)
PID=""
cleanup() { [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT

export AUTHLEDGER_KEY=$($BIN apikey create --data-dir "$DIR" --scope admin --label bench 2>/dev/null)
$BIN serve --data-dir "$DIR" --port 0 --rate-limit-per-minute 0 --log-level warning > "$DIR/out" 2> "$DIR/err" &
PID=$!
for _ in $(seq 100); do grep -q listening "$DIR/out" 2>/dev/null && break; sleep 0.1; done
U=$(grep -o 'http://[0-9.:]*' "$DIR/out")
export ACCESS_TOKEN=$(curl -s "$U/v1/sessions" -H "Authorization: Bearer $AUTHLEDGER_KEY" -H 'Content-Type: application/json' \
    -d '{"user":"introspected","device_label":"wrk"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

run() {  # name, connections, then wrk arguments
    local name=$1 conns=$2; shift 2
    local out
    out=$(wrk -t2 -c"$conns" -d"$DURATION" --latency "$@")
    local rps p50 p99 non2xx
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
    p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
    non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}')
    printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$conns" "$rps" "$p50" "$p99" "${non2xx:-0}"
}

echo "| route | connections | requests/s | p50 | p99 | non-2xx |"
echo "|-------|------------:|-----------:|----:|----:|--------:|"
run "GET /.well-known/jwks.json" 32 "$U/.well-known/jwks.json"
run "POST /v1/introspect (access token)" 32 -s tools/http-bench/introspect.lua "$U/v1/introspect"
run "POST /v1/sessions (login)" 32 -s tools/http-bench/login.lua "$U"
run "POST /v1/sessions (login)" 2 -s tools/http-bench/login.lua "$U"
run "POST /v1/refresh (rotation)" 2 -s tools/http-bench/refresh.lua "$U"
curl -s "$U/metrics" | awk '/^authledger_log_position|^authledger_log_commits/ {print "<!-- " $0 " -->"}'

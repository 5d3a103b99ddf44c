#!/usr/bin/env bash
# A schema-driven run of schemathesis (PyPI) against docs/openapi.yaml on a live
# `authledger serve` with an admin API key: every generated request, valid and invalid,
# must get an answer within the time bound and no 5xx. Not part of `swift test` (it takes
# minutes); its result is recorded in docs/FAULTS.md.
#
#   tools/schemathesis.sh [--binary PATH] [--max-time SECONDS] [--checks CHECKS] [--seed N]
#
# Installs schemathesis with pip if it is missing. Leaves the server's log and the
# report in a temporary directory, named at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=.build/debug/authledger
max_time=300
seed=$(( (RANDOM << 15) | RANDOM ))
checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) binary=$2; shift 2 ;;
        --max-time) max_time=$2; shift 2 ;;
        --checks) checks=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
if ! command -v schemathesis >/dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check "schemathesis>=4" >&2 \
        || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "schemathesis>=4" >&2
fi
work=$(mktemp -d /tmp/authledger-schemathesis.XXXXXX)
key=$("$binary" apikey create --data-dir "$work/data" --scope admin --label schemathesis)
"$binary" serve --data-dir "$work/data" --port 0 --rate-limit-per-minute 0 --log-level warning \
    > "$work/serve.out" 2> "$work/serve.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q listening "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o 'http://[^ ]*' "$work/serve.out")
echo "schemathesis against $url for ${max_time}s, seed $seed; checks: $checks" >&2
status=0
schemathesis run docs/openapi.yaml --url "$url" -H "Authorization: Bearer $key" \
    --checks "$checks" --max-time "$max_time" --request-timeout 10 --max-response-time 5 \
    --phases examples,coverage,fuzzing,stateful --workers 2 --suppress-health-check all --seed "$seed" \
    --report junit --report-dir "$work/report" --no-color || status=$?
if ! kill -0 $pid 2>/dev/null; then echo "the server died during the run: see $work/serve.log" >&2; status=1; fi
echo "server log and report: $work" >&2
exit $status

#!/usr/bin/env bash
# AuthLedger fuzzing: builds tools/fuzz with libFuzzer (release, -sanitize=fuzzer) and runs
# one target, or all of them two at a time, for SECONDS each (default 600), niced.
#
#   tools/fuzz.sh [all|jwt|json|refresh-token|record|snapshot-body|request-body] [SECONDS]
#
# Each target starts from its seed corpus in tools/fuzz/corpus/<target>/ (read, never
# written) and keeps what it finds in $FUZZ_DIR/<target>/corpus; crashing inputs go to
# $FUZZ_DIR/<target>/artifacts/ (default FUZZ_DIR: a new directory under /tmp). A summary
# line per target (seconds, executions, corpus, crashes) ends the output; the libFuzzer
# log is $FUZZ_DIR/<target>.log. FUZZ_BIN=DIR runs binaries built before (copied aside
# while a rebuild runs) and skips the build. Replay one input:
# tools/fuzz/.build/release/fuzz-<target> FILE
set -euo pipefail
cd "$(dirname "$0")/.."
TARGETS=(jwt json refresh-token record snapshot-body request-body)
WHICH="${1:-all}"
SECONDS_EACH="${2:-600}"
FUZZ_DIR="${FUZZ_DIR:-$(mktemp -d /tmp/authledger-fuzz.XXXXXX)}"
mkdir -p "$FUZZ_DIR"
PARALLEL="${PARALLEL:-2}"
RSS_LIMIT_MB="${RSS_LIMIT_MB:-2048}"
if [ "$WHICH" != all ]; then TARGETS=("$WHICH"); fi

BIN="${FUZZ_BIN:-tools/fuzz/.build/release}"
for t in "${TARGETS[@]}"; do
    [ -n "${FUZZ_BIN:-}" ] && break
    (cd tools/fuzz && swift build -c release -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library --product "fuzz-$t" >&2)
done

run() { # run TARGET: one libFuzzer run, then its summary line
    local t="$1" dir="$FUZZ_DIR/$1"
    mkdir -p "$dir/corpus" "$dir/artifacts"
    local start=$SECONDS status=0
    # Swift's backtracer would take the trap's signal first and exit before libFuzzer
    # writes the crashing input.
    SWIFT_BACKTRACE=enable=no nice "$BIN/fuzz-$t" "$dir/corpus" "tools/fuzz/corpus/$t" \
        -max_total_time="$SECONDS_EACH" -rss_limit_mb="$RSS_LIMIT_MB" -timeout=10 \
        -artifact_prefix="$dir/artifacts/" -print_final_stats=1 > "$dir.log" 2>&1 || status=$?
    local execs corpus crashes
    # The final statistics, or after a crash the last status line's count.
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$dir.log" | grep -o '[0-9]*$' ||
            grep -o '^#[0-9]*' "$dir.log" | tail -1 | tr -d '#' || echo "?")
    corpus=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$dir.log" | tail -1 | cut -d' ' -f2 || echo "?")
    crashes=$(find "$dir/artifacts" -type f | wc -l)
    echo "$t: $((SECONDS - start)) s, ${execs:-?} executions, corpus ${corpus:-?} (inputs/bytes), $crashes crashing inputs in $dir/artifacts, exit $status"
}

echo "fuzzing ${TARGETS[*]} for $SECONDS_EACH s each, $PARALLEL at a time, in $FUZZ_DIR" >&2
summary="$FUZZ_DIR/summary.txt"
: > "$summary"
running=0
for t in "${TARGETS[@]}"; do
    run "$t" >> "$summary" &
    running=$((running + 1))
    if [ "$running" -ge "$PARALLEL" ]; then wait -n || true; running=$((running - 1)); fi
done
wait
cat "$summary"
! grep -q ', [1-9][0-9]* crashing' "$summary"

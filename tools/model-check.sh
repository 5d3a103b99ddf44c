#!/usr/bin/env bash
# The long run of the model-based test: many random command sequences against the engine
# and the reference model of docs/SESSIONS.md (Tests/LedgerEngineTests/SessionModel.swift).
#
#   tools/model-check.sh [SEQUENCES] [FIRST_SEED]      (default: 20,000 sequences, a seed from the clock)
#
# Prints the first seed, and for each failing sequence its seed, the disagreement and the
# shrunk steps; rerun one with `tools/model-check.sh 1 SEED`.
set -euo pipefail
cd "$(dirname "$0")/.."
SEQUENCES=${1:-20000}
SEED=${2:-$(date +%s)}
echo "model check: $SEQUENCES sequences from seed $SEED" >&2
AUTHLEDGER_MODEL_SEQUENCES=$SEQUENCES AUTHLEDGER_MODEL_SEED=$SEED \
    swift test --filter ModelBasedTests 2>&1 | grep -vE ' info authledger|^↳' 

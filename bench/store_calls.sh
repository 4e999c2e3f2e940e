#!/usr/bin/env bash
# Host calls per OCPP message (bench/store_calls.py): builds the release components
# and devhost, sets up the tests' Python with scripts/setup, runs.
#
#   bench/store_calls.sh
#   BENCH_N=50 BENCH_SKIP_BUILD=1 bench/store_calls.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
    scripts/setup
    scripts/build-components
    cargo build --release --quiet -p devhost
fi
exec tests/.venv/bin/python bench/store_calls.py "$@"

#!/usr/bin/env bash
# The dashboard with 10,000 stations (bench/dashboard.py): builds the release components
# and devhost, sets up the tests' Python (selenium) and Chromium with scripts/setup, runs.
#
#   bench/dashboard.sh
#   BENCH_STATIONS=2000 BENCH_OPEN_SECONDS=30 BENCH_SKIP_BUILD=1 bench/dashboard.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
    scripts/setup
    scripts/build-components
    cargo build --release --quiet -p devhost
fi
exec tests/.venv/bin/python bench/dashboard.py "$@"

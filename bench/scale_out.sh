#!/usr/bin/env bash
# Saturation of one host on SQLite, one on PostgreSQL + Redis and two on PostgreSQL + Redis,
# side by side in one run (bench/scale_out.py). Starts and stops everything it uses.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
    scripts/setup
    scripts/build-components
    cargo build --release --quiet -p devhost -p loadgen
fi
exec tests/.venv/bin/python bench/scale_out.py "$@"

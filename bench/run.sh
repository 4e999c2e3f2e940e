#!/usr/bin/env bash
# Builds what the benchmark needs (release devhost and loadgen, release Wasm
# components) and runs bench/run.py against the embedded gateway, Pushpin and
# the Python peer. Everything listens on 127.0.0.1 and stops by itself.
#
#   bench/run.sh                                  # every scenario (~25 min on 2 cores)
#   bench/run.sh --scenarios ramp --targets embedded,peer
#   BENCH_SKIP_BUILD=1 bench/run.sh ...           # reuse the binaries already built
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

# 10,000 sockets on each side plus Pushpin's: the default 1024 is far too low.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "fd limit: $(ulimit -n)" >&2

if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
    # The tests' Python (websockets, the `ocpp` package for the peer), Pushpin.
    scripts/setup
    scripts/build-components
    # The gateway-ceiling fixture of the `*-empty` targets.
    cargo build --release --target wasm32-wasip2 --quiet -p empty-origin
    # run.py copies the components from here into its own frozen app.
    export BENCH_WASM_DIR="$CARGO_TARGET_DIR/wasm32-wasip2/release"
    cargo build --release --quiet -p devhost -p loadgen
fi

[ -x tests/.venv/bin/python ] || scripts/setup
exec tests/.venv/bin/python bench/run.py "$@"

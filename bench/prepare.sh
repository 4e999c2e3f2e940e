# Sourced by the bench scripts that drive a release devhost from the tests' Python: raises the
# fd limit and, unless BENCH_SKIP_BUILD is set, installs what they need (scripts/setup: the
# Python environment, Chromium) and builds the release components and devhost.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
    scripts/setup
    scripts/build-components
    cargo build --release --quiet -p devhost
fi

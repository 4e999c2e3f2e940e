#!/usr/bin/env bash
# Where one message's time goes: samples release devhost (embedded gateway) with
# `perf record` while loadgen sends the realistic session mix at a fixed rate,
# then sums the samples by part of the system (bench/profile_report.py).
#
#   bench/profile.sh [RATE] [SECONDS]          # default 300 msg/s for 20 s
#
# Needs Linux perf (Debian: linux-perf). Software clock sampling, so it works on
# VMs without hardware counters. Guest (Wasm) functions are named through the
# perf map devhost writes with --perf-map.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
RATE="${1:-300}"
SECONDS_MEASURED="${2:-20}"

if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
    scripts/build-components
    cargo build --release --quiet -p devhost -p loadgen
fi
command -v perf >/dev/null || { echo "perf is not installed (apt-get install linux-perf)" >&2; exit 1; }

work="$(mktemp -d /tmp/ocpp-profile-XXXXXX)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
publish=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$CARGO_TARGET_DIR/release/devhost" up -f spin.toml --listen "127.0.0.1:$port" \
    --publish-listen "127.0.0.1:$publish" --state-dir "$work/state" --perf-map \
    --variable api_token=profile --variable unknown_charge_points=accept \
    >"$work/devhost.log" 2>&1 &
devhost=$!
trap 'kill $devhost 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done

# Warm up (compilation cache, first instantiations), then sample.
"$CARGO_TARGET_DIR/release/loadgen" --url "ws://127.0.0.1:$port/ocpp" -n 50 --rate "$RATE" \
    --duration 5 --id-prefix WARM- >/dev/null 2>&1
perf record -F 999 -g -e cpu-clock -p "$devhost" -o "$work/perf.data" -- sleep "$SECONDS_MEASURED" \
    >/dev/null 2>&1 &
recorder=$!
"$CARGO_TARGET_DIR/release/loadgen" --url "ws://127.0.0.1:$port/ocpp" -n 50 --rate "$RATE" \
    --duration "$SECONDS_MEASURED" --json --json-out "$work/loadgen.json" >/dev/null 2>&1
wait "$recorder" || true
perf script -i "$work/perf.data" -F comm,ip,sym,dso 2>/dev/null \
    | python3 bench/profile_report.py --loadgen "$work/loadgen.json"
echo "(perf data and logs: $work)" >&2

#!/usr/bin/env bash
# Host calls per OCPP message (bench/store_calls.py).
#
#   bench/store_calls.sh
#   BENCH_N=50 BENCH_SKIP_BUILD=1 bench/store_calls.sh
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
exec tests/.venv/bin/python bench/store_calls.py "$@"

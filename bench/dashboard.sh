#!/usr/bin/env bash
# The dashboard with 10,000 stations (bench/dashboard.py).
#
#   bench/dashboard.sh
#   BENCH_STATIONS=2000 BENCH_OPEN_SECONDS=30 BENCH_SKIP_BUILD=1 bench/dashboard.sh
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
exec tests/.venv/bin/python bench/dashboard.py "$@"

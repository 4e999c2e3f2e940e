#!/usr/bin/env python3
"""Saturation of one host on SQLite, one host on PostgreSQL + Redis, and two hosts on
PostgreSQL + Redis, one after the other in one run, each behind one Pushpin (the two hosts
behind a round-robin balancer, as a Kubernetes Service would spread them). loadgen's `ramp`
scenario (bench/run.py) measures the highest rate with p99 < 100 ms and no errors; the CPU
seconds each kind of process used during the ramp are read from /proc before and after.

    bench/scale_out.sh          # builds what it needs, then runs this
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
import harness  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from run import SCENARIOS  # noqa: E402

TARGET_DIR = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
DEVHOST = TARGET_DIR / "release" / "devhost"
LOADGEN = TARGET_DIR / "release" / "loadgen"
GRIP_SIG_KEY = "bench-grip-sig-key"
TICKS = os.sysconf("SC_CLK_TCK")
KINDS = ("devhost", "postgres", "redis-server", "pushpin", "condure", "zurl", "nginx")


def cpu_by_kind() -> dict[str, float]:
    """CPU seconds (user + system) of every live process, summed by program name."""
    totals = dict.fromkeys(KINDS, 0.0)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            exe = (stat.parent / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        seconds = (int(fields[11]) + int(fields[12])) / TICKS
        name = Path(exe).name
        kind = next((k for k in KINDS if name.startswith(k) or (k == "postgres" and exe.startswith("postgres"))),
                    None)
        if kind:
            totals[kind] += seconds
    return totals


def ramp(ws_url: str, label: str, out: Path) -> dict:
    args = [str(LOADGEN), "--url", ws_url, "--json", "--label", label, "--json-out", str(out),
            *SCENARIOS["ramp"]]
    before = cpu_by_kind()
    subprocess.run(args, check=False, stdout=subprocess.DEVNULL, timeout=900)
    after = cpu_by_kind()
    report = json.loads(out.read_text())
    return {
        "label": label,
        "sustained": (report.get("ramp") or {}).get("max_sustained_rate"),
        "cpu": {k: round(after[k] - before[k], 1) for k in KINDS if after[k] - before[k] >= 0.05},
    }


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="csms-scale-out-"))
    pg_url, pg_dir = subprocess.run([str(ROOT / "scripts" / "postgres-throwaway")], check=True,
                                    capture_output=True, text=True).stdout.split()
    os.environ[harness.DATABASE_URL_ENV] = pg_url
    results = []
    processes = []
    try:
        for setup, hosts, shared in (("1 host, SQLite", 1, False), ("1 host, PostgreSQL + Redis", 1, True),
                                     ("2 hosts, PostgreSQL + Redis", 2, True)):
            state = work / f"{len(results)}"
            state.mkdir()
            variables = {"api_token": "bench", "unknown_charge_points": "accept", "heartbeat_interval": "300",
                         "grip_sig_key": GRIP_SIG_KEY}
            extra: tuple[str, ...] = ()
            if shared:
                redis, redis_port = harness.start_redis(state)
                processes.append(redis)
                extra = ("--runtime-config-file", str(harness.redis_runtime_config(state, redis_port)))
                variables.update(harness.postgres_for(state))
            else:
                # SQLite: no database_url, whatever the environment says.
                variables["database_url"] = ""
            ports = []
            for i in range(hosts):
                host_state = state / f"host-{i}"
                host_state.mkdir()
                proc, port, _ = harness.start_devhost(DEVHOST, host_state, gateway=False, variables=variables,
                                                      extra_args=extra)
                processes.append(proc)
                ports.append(port)
            upstream = ports[0]
            if hosts > 1:
                balancer, upstream, _ = harness.start_balancer(state, ports)
                processes.append(balancer)
            pp, http_port, _, _ = harness.start_pushpin(state, upstream, GRIP_SIG_KEY)
            processes.append(pp)
            results.append(ramp(f"ws://127.0.0.1:{http_port}/ocpp", setup, state / "ramp.json"))
            print(json.dumps(results[-1]), flush=True)
            for p in processes:
                p.terminate()
            for p in processes:
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
            processes.clear()
    finally:
        for p in processes:
            p.kill()
        subprocess.run([str(ROOT / "scripts" / "postgres-throwaway"), "stop", pg_dir], check=False)
    print("\n| set-up | sustained msg/s (p99 < 100 ms) | CPU seconds during the ramp, by process |")
    print("|---|---|---|")
    for r in results:
        cpu = ", ".join(f"{k} {v}" for k, v in r["cpu"].items())
        print(f"| {r['label']} | {r['sustained']} | {cpu} |")


if __name__ == "__main__":
    main()

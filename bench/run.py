#!/usr/bin/env python3
"""Benchmark driver: starts each target on this machine (loopback only), runs
loadgen's scenarios against it, and writes every JSON report plus a summary
with ratios against the Python peer.

Targets
  embedded  release devhost with its embedded GRIP gateway, stores as Spin's
  pushpin   real Pushpin (over_http) -> release devhost --no-gateway, stores as Spin's
  embedded-tuned, pushpin-tuned
            the same with `--tuned-stores` (devhost's pooled SQLite connections and WAL)
  peer      bench/peer_csms.py (Python `ocpp` package + websockets + SQLite)

Scenarios (each on a fresh backend and fresh database, bounded in time)
  steady1k   1,000 charge points, 60 s meter interval, 60 s measured
  steady10k  10,000 charge points, same pacing
  ramp       saturation: highest sustained rate with p99 < 100 ms
  storm      all charge points drop and reconnect at once
  idle       idle connections held
  cost       per-message cost breakdown (HTTP probes, devhost log timings, SQLite commit rate)

Use bench/run.sh, which builds what is needed and raises the fd limit first.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
import harness  # noqa: E402  (the e2e harness's Pushpin config and helpers)

TARGET_DIR = Path(os.environ.get("CARGO_TARGET_DIR", Path(__file__).resolve().parents[1] / "target"))
DEVHOST = Path(os.environ.get("BENCH_DEVHOST", TARGET_DIR / "release" / "devhost"))
LOADGEN = Path(os.environ.get("BENCH_LOADGEN", TARGET_DIR / "release" / "loadgen"))
WASM_DIR = Path(os.environ.get("BENCH_WASM_DIR", ROOT / "target" / "wasm32-wasip2" / "release"))
API_TOKEN = "bench-api-token"
GRIP_SIG_KEY = "bench-grip-sig-key"

SCENARIOS = {
    # Handshakes 16 at a time: the backend's boot path is what limits the
    # connect phase, and more parallel boots only add failed retries.
    "steady1k": ["-n", "1000", "--meter-interval", "60", "--heartbeat-interval", "300",
                 "--session-gap", "30", "--duration", "60", "--connect-concurrency", "16",
                 "--connect-deadline", "120"],
    "steady10k": ["-n", "10000", "--meter-interval", "60", "--heartbeat-interval", "300",
                  "--session-gap", "30", "--duration", "60", "--connect-concurrency", "16",
                  "--connect-deadline", "150"],
    # 50 charge points: each one's pace stays short (1 s at 50 msg/s), so a
    # rate step takes effect within the step; 50 closed-loop senders can still
    # offer 500 msg/s at 100 ms latency, above what these backends sustain here.
    "ramp": ["-n", "50", "--ramp", "--ramp-start", "10", "--ramp-factor", "1.35",
             "--ramp-step-secs", "8", "--ramp-max", "20000", "--timeout", "10",
             "--max-error-ratio", "0.01"],
    # A finer ramp around where these backends saturate on 2 cores, with twice the senders
    # so that the closed loop does not cap the offered rate before the backend does.
    "ramp-fine": ["-n", "100", "--ramp", "--ramp-start", "400", "--ramp-factor", "1.1",
                  "--ramp-step-secs", "8", "--ramp-max", "20000", "--timeout", "10",
                  "--max-error-ratio", "0.01"],
    "storm": ["-n", "1000", "--reconnect-storm", "--storm-timeout", "60", "--heartbeat-interval", "0",
              "--connect-concurrency", "16", "--connect-deadline", "120"],
    # Sockets only (no BootNotification): what holding a connection costs.
    "idle": ["-n", "10000", "--idle", "--no-boot", "--duration", "20", "--heartbeat-interval", "0",
             "--connect-concurrency", "64", "--connect-deadline", "120"],
}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def frozen_app(work: Path) -> Path:
    """A copy of spin.toml and the .wasm files: other people rebuilding the
    components during a run must not change what is measured."""
    app = work / "app"
    dest = app / "target" / "wasm32-wasip2" / "release"
    dest.mkdir(parents=True, exist_ok=True)
    for wasm in WASM_DIR.glob("*.wasm"):
        shutil.copy2(wasm.resolve(), dest / wasm.name)
    shutil.copy2(ROOT / "spin.toml", app / "spin.toml")
    # The gateway's ceiling: the same host in front of a component that does no work.
    shutil.copy2(ROOT / "bench" / "empty-origin" / "spin.toml", dest / "empty-origin.toml")
    return app / "spin.toml"


def empty_manifest(manifest: Path) -> Path:
    return manifest.parent / "target" / "wasm32-wasip2" / "release" / "empty-origin.toml"


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            pass
    return out


class Target:
    """One running backend: where loadgen connects and which pids to watch."""

    def __init__(self, name: str, work: Path, manifest: Path, rust_log: str):
        self.name, self.work, self.procs, self.logs = name, work, [], []
        self.state = work / f"state-{name}-{uuid.uuid4().hex[:6]}"
        self.state.mkdir(parents=True)
        variables = {"api_token": API_TOKEN, "unknown_charge_points": "accept", "heartbeat_interval": "300"}
        env_log = {**os.environ, "RUST_LOG": rust_log}
        if name == "peer":
            port = harness.free_port()
            logf = open(self.state / "peer.log", "w")
            p = subprocess.Popen([sys.executable, str(ROOT / "bench" / "peer_csms.py"), "--port", str(port),
                                  "--db", str(self.state / "peer.db")], stdout=logf, stderr=subprocess.STDOUT)
            self.procs, self.logs = [p], [logf]
            harness.wait_for_port(port, p, "peer")
            self.ws_url, self.http_url = f"ws://127.0.0.1:{port}/ocpp", None
            self.pids = [p.pid]
            return
        # `embedded-empty`, `pushpin-empty`: the gateway in front of bench/empty-origin.
        if name.endswith("-empty"):
            manifest = empty_manifest(manifest)
            variables = {}
        args = [str(DEVHOST), "up", "-f", str(manifest), "--state-dir", str(self.state)]
        port = harness.free_port()
        args += ["--listen", f"127.0.0.1:{port}"]
        if name.startswith("embedded"):
            args += ["--publish-listen", f"127.0.0.1:{harness.free_port()}"]
        else:
            args.append("--no-gateway")
        # `embedded-tuned`, `pushpin-tuned`: devhost's own store speed-ups, which Spin lacks;
        # without the suffix the stores behave as Spin's.
        if name.endswith("-tuned"):
            args.append("--tuned-stores")
        for k, v in variables.items():
            args += ["--variable", f"{k}={v}"]
        logf = open(self.state / "devhost.log", "w")
        p = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT, env=env_log)
        self.procs, self.logs = [p], [logf]
        # A target that fails to start is stopped, so that no devhost or Pushpin outlives the run.
        try:
            harness.wait_for_port(port, p, "devhost", timeout=180)
            self.http_url = f"127.0.0.1:{port}"
            self.pids = [p.pid]
            if name.startswith("embedded"):
                self.ws_url = f"ws://127.0.0.1:{port}/ocpp"
            else:
                # No grip_sig_key on the backend: the cost probes POST to it directly.
                pp, http_port, _pub, pp_log = harness.start_pushpin(self.state, port, GRIP_SIG_KEY)
                self.procs.append(pp)
                self.logs.append(pp_log)
                time.sleep(1)
                self.pids += [pp.pid] + children(pp.pid)
                self.ws_url = f"ws://127.0.0.1:{http_port}/ocpp"
            # Warm up: the first request compiles/instantiates; not part of any figure.
            warm(self.ws_url)
        except BaseException:
            self.stop()
            raise

    def rss_mib(self) -> float:
        return round(sum(rss_kib(p) for p in self.pids) / 1024, 1)

    def stop(self) -> None:
        for p in reversed(self.procs):
            p.terminate()
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        for f in self.logs:
            f.close()


def warm(ws_url: str) -> None:
    from websockets.sync.client import connect
    for _ in range(30):
        try:
            with connect(f"{ws_url}/WARMUP", subprotocols=["ocpp1.6"], open_timeout=30) as ws:
                ws.send(json.dumps([2, "w1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]))
                ws.recv(timeout=60)
                return
        except Exception:  # noqa: BLE001 - Pushpin may still be wiring up
            time.sleep(1)
    raise RuntimeError(f"{ws_url} never answered a BootNotification")


def quick(args: list[str]) -> list[str]:
    """A tiny version of a scenario, to check the driver itself end to end."""
    out = list(args)
    for flag, value in (("-n", "20"), ("--duration", "5"), ("--ramp-step-secs", "3"), ("--ramp-max", "400")):
        if flag in out:
            out[out.index(flag) + 1] = value
    return out


def override(args: list[str], extra: list[str]) -> list[str]:
    """`--loadgen-arg=--flag --loadgen-arg=value` replaces the scenario's own
    value of --flag (clap refuses a flag given twice) or adds it."""
    out, i = list(args), 0
    while i < len(extra):
        flag = extra[i]
        value = extra[i + 1] if i + 1 < len(extra) and not extra[i + 1].startswith("-") else None
        if flag in out and value is not None:
            out[out.index(flag) + 1] = value
        else:
            out += [flag] + ([value] if value is not None else [])
        i += 2 if value is not None else 1
    return out


def run_loadgen(target: Target, scenario: str, out: Path, extra: list[str]) -> dict:
    scenario_args = quick(SCENARIOS[scenario]) if os.environ.get("BENCH_QUICK") else SCENARIOS[scenario]
    scenario_args = override(scenario_args, extra)
    args = [str(LOADGEN), "--url", target.ws_url, "--json", "--label", f"{target.name}/{scenario}",
            "--json-out", str(out)] + scenario_args
    for pid in target.pids:
        args += ["--pid", str(pid)]
    rss_before = target.rss_mib()
    log(f"{target.name}/{scenario}: {' '.join(args[1:])}")
    try:
        subprocess.run(args, stdout=subprocess.DEVNULL, timeout=900, check=False)
    except subprocess.TimeoutExpired:
        log(f"{target.name}/{scenario}: loadgen did not finish in 900 s")
        return {}
    try:
        report = json.loads(out.read_text())
    except (OSError, ValueError):
        log(f"{target.name}/{scenario}: no report")
        return {}
    report["rss_before_mib"] = rss_before
    out.write_text(json.dumps(report, indent=2))
    return report


# ---------------------------------------------------------------- cost probes

def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def summary(ms: list[float]) -> dict:
    ms = sorted(ms)
    return {"n": len(ms), "median_ms": round(statistics.median(ms), 3),
            "p90_ms": round(ms[int(0.9 * (len(ms) - 1))], 3), "mean_ms": round(statistics.fmean(ms), 3)}


def ws_probe(ws_url: str, cp_id: str, action: str, payload: dict, n: int) -> dict:
    from websockets.sync.client import connect
    with connect(f"{ws_url}/{cp_id}", subprotocols=["ocpp1.6"], open_timeout=30) as ws:
        ws.send(json.dumps([2, "b", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]))
        ws.recv(timeout=30)
        counter = iter(range(10**9))

        def one():
            ws.send(json.dumps([2, f"m{next(counter)}", action, payload]))
            ws.recv(timeout=30)
        for _ in range(10):
            one()
        return summary(timed(one, n))


def http_probe(host: str, method: str, path: str, n: int, headers=None, body=None) -> dict:
    conn = http.client.HTTPConnection(host, timeout=30)

    def one():
        conn.request(method, path, body=body, headers=headers or {})
        conn.getresponse().read()
    for _ in range(10):
        one()
    r = summary(timed(one, n))
    conn.close()
    return r


def events_probe(host: str, cp_id: str, action: str, payload: dict, n: int) -> dict:
    """What a gateway sends: application/websocket-events POSTs straight to
    devhost --no-gateway (OPEN, then one TEXT per request)."""
    conn = http.client.HTTPConnection(host, timeout=30)
    cid = uuid.uuid4().hex
    base = {"Content-Type": "application/websocket-events", "Connection-Id": cid,
            "Sec-WebSocket-Protocol": "ocpp1.6", "Sec-WebSocket-Extensions": "grip"}
    conn.request("POST", f"/ocpp/{cp_id}", body=b"OPEN\r\n", headers=base)
    resp = conn.getresponse()
    resp.read()
    meta = {k[len("set-"):]: v for k, v in resp.getheaders() if k.lower().startswith("set-meta-")}
    headers = {**base, **meta}
    counter = iter(range(10**9))

    def send(act, pl):
        text = json.dumps([2, f"m{next(counter)}", act, pl]).encode()
        conn.request("POST", f"/ocpp/{cp_id}", body=b"TEXT %x\r\n" % len(text) + text + b"\r\n", headers=headers)
        conn.getresponse().read()
    send("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
    for _ in range(10):
        send(action, payload)
    r = summary(timed(lambda: send(action, payload), n))
    conn.close()
    return r


DURATION_RE = re.compile(r"component=(\S+) route=(\S+|\"[^\"]*\"|\([^)]*\)).*?duration_ms=(\d+)")


def log_durations(path: Path, since: int) -> dict:
    """Mean duration_ms per component (and per chained hop) from devhost's
    per-request log lines written after byte offset `since`."""
    per: dict[str, list[int]] = {}
    with open(path, errors="replace") as f:
        f.seek(since)
        for line in f:
            m = DURATION_RE.search(re.sub(r"\x1b\[[0-9;]*m", "", line))
            if m and " request" in line:
                key = m.group(1) + (" (chained)" if "service chaining" in line else "")
                per.setdefault(key, []).append(int(m.group(3)))
    return {k: {"n": len(v), "mean_ms": round(statistics.fmean(v), 2), "median_ms": statistics.median(v)}
            for k, v in per.items()}


def sqlite_commit_rate(directory: Path, seconds: float = 2.0) -> dict:
    """Commits per second on this disk with SQLite's defaults (rollback
    journal, synchronous=FULL), the settings devhost's stores use."""
    path = directory / "commit-rate.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    db.commit()
    n, end = 0, time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < end:
        db.execute("INSERT INTO t (v) VALUES ('x')")
        db.commit()
        n += 1
    elapsed = time.perf_counter() - start
    db.close()
    path.unlink(missing_ok=True)
    return {"commits": n, "commits_per_s": round(n / elapsed, 1), "ms_per_commit": round(elapsed / n * 1000, 3)}


AUTH = {"idTag": "COSTTAG"}
METER = {"connectorId": 1, "meterValue": [{"timestamp": "2026-01-01T00:00:00Z", "sampledValue": [
    {"value": "1000", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}]}


def cost(work: Path, manifest: Path, n: int) -> dict:
    out: dict = {"sqlite_commit_rate": sqlite_commit_rate(work)}
    t = Target("embedded", work, manifest, rust_log="info")
    try:
        logpath = t.state / "devhost.log"
        host = t.http_url
        out["http_no_route_404"] = http_probe(host, "GET", "/nothing-here", n)
        out["http_api_401_instantiate"] = http_probe(host, "GET", "/api/v1/id-tags/X", n)
        out["http_api_get_id_tag_sqlite_read"] = http_probe(
            host, "GET", "/api/v1/id-tags/NOPE", n, headers={"Authorization": f"Bearer {API_TOKEN}"})
        mark = logpath.stat().st_size
        out["ws_embedded_heartbeat"] = ws_probe(t.ws_url, "COST-HB", "Heartbeat", {}, n)
        out["log_heartbeat"] = log_durations(logpath, mark)
        mark = logpath.stat().st_size
        out["ws_embedded_authorize"] = ws_probe(t.ws_url, "COST-AU", "Authorize", AUTH, n)
        out["log_authorize"] = log_durations(logpath, mark)
        mark = logpath.stat().st_size
        out["ws_embedded_meter_values_no_tx"] = ws_probe(t.ws_url, "COST-MV", "MeterValues", METER, n)
        out["log_meter_values"] = log_durations(logpath, mark)
    finally:
        t.stop()
    t = Target("pushpin", work, manifest, rust_log="warn")
    try:
        out["events_post_direct_heartbeat"] = events_probe(t.http_url, "COST-DIRECT", "Heartbeat", {}, n)
        out["events_post_direct_authorize"] = events_probe(t.http_url, "COST-DIRECT2", "Authorize", AUTH, n)
        out["ws_pushpin_heartbeat"] = ws_probe(t.ws_url, "COST-PP", "Heartbeat", {}, n)
    finally:
        t.stop()
    t = Target("peer", work, manifest, rust_log="warn")
    try:
        out["ws_peer_heartbeat"] = ws_probe(t.ws_url, "COST-PEER", "Heartbeat", {}, n)
        out["ws_peer_authorize"] = ws_probe(t.ws_url, "COST-PEER2", "Authorize", AUTH, n)
    finally:
        t.stop()
    return out


# ---------------------------------------------------------------- summary

def ratio(a, b):
    return round(a / b, 2) if a and b else None


def summarize(results: dict) -> str:
    lines = []
    for scenario in SCENARIOS:
        rows = {t: r for (t, s), r in results.items() if s == scenario and r}
        if not rows:
            continue
        lines.append(f"\n== {scenario}")
        peer = rows.get("peer", {})
        for target, r in rows.items():
            lat = r.get("latency_ms", {}).get("all", {})
            host = r.get("host", [])
            cpu = round(sum(h["cpu_seconds"] for h in host), 2)
            peak = round(sum(h["peak_rss_mib"] for h in host), 1)
            line = (f"{target:<9} booted {r['connect']['booted']}/{r['charge_points']} in {r['connect']['seconds']}s, "
                    f"{r['messages_per_second']} msg/s, p50 {lat.get('p50_ms')} p99 {lat.get('p99_ms')} ms, "
                    f"errors {r['error_total']}, held {r['connections_held']}, host CPU {cpu}s peak RSS {peak} MiB "
                    f"(before {r.get('rss_before_mib')} MiB)")
            if scenario.startswith("ramp") and r.get("ramp"):
                best = r["ramp"]["max_sustained_rate"]
                line += f"; max sustained {best} msg/s"
                if peer.get("ramp") and target != "peer":
                    line += f" (x{ratio(best, peer['ramp']['max_sustained_rate'])} of peer)"
            if scenario == "storm" and r.get("storm"):
                s = r["storm"]["seconds_until_all_booted"]
                line += f"; all rebooted after {s} s"
                if peer.get("storm") and target != "peer":
                    line += f" (x{ratio(s, peer['storm']['seconds_until_all_booted'])} of peer's time)"
            if scenario in ("idle", "steady10k", "steady1k") and r["connections_held"]:
                per = (peak - (r.get("rss_before_mib") or 0)) * 1024 / r["connections_held"]
                line += f"; ~{per:.1f} KiB RSS per connection"
            if target != "peer" and peer and scenario.startswith("steady"):
                pl = peer.get("latency_ms", {}).get("all", {})
                line += f"; p99 x{ratio(lat.get('p99_ms'), pl.get('p99_ms'))} of peer, CPU x{ratio(cpu, round(sum(h['cpu_seconds'] for h in peer.get('host', [])), 2))} of peer"
            lines.append(line)
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--targets", default="embedded,pushpin,peer")
    p.add_argument("--scenarios", default="steady1k,steady10k,ramp,storm,idle,cost")
    p.add_argument("--out", default=str(ROOT / "bench" / "results"))
    p.add_argument("--cost-samples", type=int, default=300)
    p.add_argument("--state-root", help="where backends keep their databases (e.g. /dev/shm: no fsync cost)")
    p.add_argument("--loadgen-arg", action="append", default=[], help="extra loadgen argument (repeatable)")
    args = p.parse_args()
    out = Path(args.out)
    if os.environ.get("BENCH_QUICK"):
        args.cost_samples = min(args.cost_samples, 30)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="ocpp-bench-", dir=args.state_root))
    manifest = frozen_app(work)
    results: dict = {}
    for scenario in args.scenarios.split(","):
        if scenario == "cost":
            r = cost(work, manifest, args.cost_samples)
            (out / "cost.json").write_text(json.dumps(r, indent=2))
            log("cost: " + json.dumps(r))
            continue
        for target in args.targets.split(","):
            t = Target(target, work, manifest, rust_log="warn")
            try:
                results[(target, scenario)] = run_loadgen(t, scenario, out / f"{target}-{scenario}.json", args.loadgen_arg)
            finally:
                t.stop()
    text = summarize(results)
    (out / "summary.txt").write_text(text + "\n")
    print(text)
    if os.environ.get("BENCH_KEEP"):
        log(f"kept the backends' state and logs in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

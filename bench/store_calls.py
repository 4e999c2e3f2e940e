"""What each OCPP message costs the host, in calls rather than time: component instances,
SQLite opens, statements and commits, key-value reads and writes, per message type, for 1.6
and 2.0.1. Counts do not depend on the machine: they are read from devhost's request log
(every top-level request's line carries them, chained requests included), with the stores
as Spin's, so they are what Spin does for the same .wasm files.

    bench/store_calls.sh        # builds, then runs this; prints a Markdown table

One charge point per version sends each message type N times in a row (BENCH_N, default 20),
waiting for each answer; the figure is the mean per message."""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

import harness  # noqa: E402
from websockets.sync.client import connect  # noqa: E402

N = int(os.environ.get("BENCH_N", "20"))
FIELDS = ("instances", "sqlite_opens", "sqlite_statements", "sqlite_commits", "kv_reads", "kv_writes")
LINE = re.compile(r"request component=connection route=/ocpp/\S* ")
# Each count by name: the log line has more fields (PostgreSQL's) between them.
FIELD = {f: re.compile(rf"\b{f}=(\d+)") for f in FIELDS}


def parse(line: str):
    """The counts of one connection request's log line, or None for any other line."""
    line = re.sub(r"\x1b\[[0-9;]*m", "", line)
    if not LINE.search(line):
        return None
    found = [FIELD[f].search(line) for f in FIELDS]
    return tuple(int(m.group(1)) for m in found) if all(found) else None


# loadgen's MeterValues: 9 sampled values.
SAMPLES_16 = [
    {"value": "1500", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
    {"value": "7.2", "measurand": "Power.Active.Import", "unit": "kW"},
    *({"value": "10.1", "measurand": "Current.Import", "unit": "A", "phase": p} for p in ("L1", "L2", "L3")),
    *({"value": "230.4", "measurand": "Voltage", "unit": "V", "phase": f"{p}-N"} for p in ("L1", "L2", "L3")),
    {"value": "55", "measurand": "SoC", "unit": "Percent"},
]
SAMPLES_201 = [
    {"value": 1500.0, "measurand": "Energy.Active.Import.Register", "unitOfMeasure": {"unit": "Wh"}},
    {"value": 7200.0, "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "W"}},
    *({"value": 10.1, "measurand": "Current.Import", "phase": p, "unitOfMeasure": {"unit": "A"}} for p in ("L1", "L2", "L3")),
    *({"value": 230.4, "measurand": "Voltage", "phase": f"{p}-N", "unitOfMeasure": {"unit": "V"}} for p in ("L1", "L2", "L3")),
    {"value": 55.0, "measurand": "SoC", "unitOfMeasure": {"unit": "Percent"}},
]


class Station:
    def __init__(self, ws_url, cp_id, version):
        self.ws = connect(f"{ws_url}/{cp_id}", subprotocols=[version], open_timeout=30)
        self.n = 0

    def call(self, action, payload):
        self.n += 1
        self.ws.send(json.dumps([2, f"m{self.n}", action, payload]))
        answer = json.loads(self.ws.recv(timeout=30))
        if answer[0] != 3:
            raise RuntimeError(f"{action}: {answer}")
        return answer[2]


def counts(log: Path, since: int, expected: int) -> dict:
    """The mean counts of the `expected` connection requests logged after byte `since`."""
    deadline = time.monotonic() + 10
    while True:
        with open(log, errors="replace") as f:
            f.seek(since)
            rows = [r for r in map(parse, f) if r]
        if len(rows) >= expected or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if len(rows) != expected:
        raise RuntimeError(f"expected {expected} request lines, found {len(rows)}")
    return {f: sum(r[i] for r in rows) / len(rows) for i, f in enumerate(FIELDS)}


def measure(log, results, version, action, send, n=N):
    since = log.stat().st_size
    for i in range(n):
        send(i)
    results.append((version, action, counts(log, since, n)))


def main():
    devhost = harness.target_dir() / "release" / "devhost"
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-store-calls-") as state:
        state = Path(state)
        proc, port, logf = harness.start_devhost(devhost, state, gateway=True, variables={
            "api_token": harness.API_TOKEN, "unknown_charge_points": "accept"})
        log = state / "devhost.log"
        ws_url = f"ws://127.0.0.1:{port}/ocpp"
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/id-tags/COSTTAG", method="PUT",
                                             data=b'{"status":"Accepted"}')
            request.add_header("authorization", f"Bearer {harness.API_TOKEN}")
            request.add_header("content-type", "application/json")
            urllib.request.urlopen(request).read()

            cp = Station(ws_url, "COST-16", "ocpp1.6")
            boot16 = {"chargePointVendor": "V", "chargePointModel": "M"}
            measure(log, results, "1.6", "BootNotification", lambda i: cp.call("BootNotification", boot16))
            measure(log, results, "1.6", "Heartbeat", lambda i: cp.call("Heartbeat", {}))
            measure(log, results, "1.6", "StatusNotification", lambda i: cp.call(
                "StatusNotification", {"connectorId": 1, "errorCode": "NoError",
                                       "status": "Charging" if i % 2 else "Available"}))
            measure(log, results, "1.6", "Authorize", lambda i: cp.call("Authorize", {"idTag": "COSTTAG"}))
            transactions = []
            measure(log, results, "1.6", "StartTransaction", lambda i: transactions.append(cp.call(
                "StartTransaction", {"connectorId": 1 + i, "idTag": "COSTTAG", "meterStart": 1000,
                                     "timestamp": "2026-12-01T10:00:00Z"})["transactionId"]))
            measure(log, results, "1.6", "MeterValues (9 samples)", lambda i: cp.call(
                "MeterValues", {"connectorId": 1 + i, "transactionId": transactions[i], "meterValue": [
                    {"timestamp": f"2026-12-01T10:{i:02}:30Z", "sampledValue": SAMPLES_16}]}))
            measure(log, results, "1.6", "StopTransaction", lambda i: cp.call(
                "StopTransaction", {"transactionId": transactions[i], "meterStop": 5000,
                                    "timestamp": "2026-12-01T11:00:00Z", "idTag": "COSTTAG"}))

            st = Station(ws_url, "COST-201", "ocpp2.0.1")
            boot201 = {"chargingStation": {"model": "M", "vendorName": "V"}, "reason": "PowerUp"}
            measure(log, results, "2.0.1", "BootNotification", lambda i: st.call("BootNotification", boot201))
            measure(log, results, "2.0.1", "Heartbeat", lambda i: st.call("Heartbeat", {}))
            measure(log, results, "2.0.1", "StatusNotification", lambda i: st.call(
                "StatusNotification", {"timestamp": "2026-12-01T10:00:00Z", "evseId": 1, "connectorId": 1,
                                       "connectorStatus": "Occupied" if i % 2 else "Available"}))
            measure(log, results, "2.0.1", "Authorize", lambda i: st.call(
                "Authorize", {"idToken": {"idToken": "COSTTAG", "type": "ISO14443"}}))

            def event(i, kind, seq, extra):
                return st.call("TransactionEvent", {
                    "eventType": kind, "timestamp": f"2026-12-01T10:{seq:02}:00Z", "seqNo": seq,
                    "triggerReason": {"Started": "Authorized", "Updated": "MeterValuePeriodic",
                                      "Ended": "EVDeparted"}[kind],
                    "transactionInfo": {"transactionId": f"cost-{i}", **extra.pop("info", {})}, **extra})
            measure(log, results, "2.0.1", "TransactionEvent Started", lambda i: event(
                i, "Started", 0, {"evse": {"id": 1 + i, "connectorId": 1},
                                  "idToken": {"idToken": "COSTTAG", "type": "ISO14443"},
                                  "info": {"chargingState": "Charging"}}))
            measure(log, results, "2.0.1", "TransactionEvent Updated (9 samples)", lambda i: event(
                i, "Updated", 1, {"meterValue": [{"timestamp": "2026-12-01T10:01:00Z", "sampledValue": SAMPLES_201}]}))
            measure(log, results, "2.0.1", "TransactionEvent Ended", lambda i: event(
                i, "Ended", 2, {"info": {"stoppedReason": "EVDisconnected"}, "meterValue": [
                    {"timestamp": "2026-12-01T10:02:00Z", "sampledValue": [
                        {"value": 5000.0, "context": "Transaction.End",
                         "measurand": "Energy.Active.Import.Register"}]}]}))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            logf.close()

    print(f"Per message, mean of {N} (devhost with the stores as Spin's; counts include chained requests)\n")
    print("| version | message | instances | SQLite opens | statements | commits | KV reads | KV writes |")
    print("|---|---|---|---|---|---|---|---|")
    for version, action, c in results:
        print(f"| {version} | {action} | " + " | ".join(f"{c[f]:.1f}".rstrip("0").rstrip(".") for f in FIELDS) + " |")
    out = ROOT / "bench" / "results" / time.strftime("%Y-%m-%d")
    out.mkdir(parents=True, exist_ok=True)
    (out / "store-calls.json").write_text(json.dumps(
        [{"version": v, "message": a, **c} for v, a, c in results], indent=2) + "\n")


if __name__ == "__main__":
    main()

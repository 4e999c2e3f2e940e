"""Keeps the load generator (tools/loadgen) working: a few seconds of the
steady-state mix from ten charge points through each gateway. Behaviour only,
no timing assertions (CI machines vary too much)."""

import json
import os
import subprocess

import pytest

import harness


@pytest.fixture(scope="session")
def loadgen_bin():
    """Built once per session in debug; LOADGEN_BIN names a built one."""
    if os.environ.get("LOADGEN_BIN"):
        return os.environ["LOADGEN_BIN"]
    subprocess.run(["cargo", "build", "--quiet", "-p", "loadgen"], check=True, cwd=harness.ROOT)
    return str(harness.target_dir() / "debug" / "loadgen")


def test_loadgen_runs_the_mix_without_errors(backend, loadgen_bin, tmp_path):
    report_path = tmp_path / "report.json"
    result = subprocess.run(
        [loadgen_bin, "--url", backend.ws_url, "--charge-points", "10", "--duration", "6",
         "--rate", "20", "--meters-per-session", "2", "--timeout", "20",
         "--id-prefix", f"SMOKE-{backend.gateway}-", "--json-out", str(report_path)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(report_path.read_text())
    assert report["connect"]["booted"] == 10, report
    assert report["error_total"] == 0, report["errors"]
    assert report["answered"] > 0
    assert report["connections_held"] == 10
    # The whole cycle ran: sessions started, metered and stopped.
    assert report["connect"]["boot_latency_ms"]["count"] == 10
    for action in ("Authorize", "StartTransaction", "MeterValues", "StopTransaction"):
        assert action in report["latency_ms"], (action, report["latency_ms"])

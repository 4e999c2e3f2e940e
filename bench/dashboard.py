"""The dashboard with 10,000 registered stations: how long until the charge point list is
usable, what each API call the dashboard makes costs the host, and how many calls an open
dashboard makes per minute. A benchmark, not a test: it prints figures and asserts nothing
about speed.

    bench/dashboard.sh                 # builds, then runs this with the tests' Python
    BENCH_STATIONS=2000 bench/dashboard.sh

It starts its own devhost (embedded gateway, fresh state directory, SQLite) and Debian's
headless Chromium, registers the stations through the API, boots a few hundred of them over
OCPP so that some are online, and stops everything when done."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
os.environ["SE_OFFLINE"] = "true"

import harness  # noqa: E402
import websockets  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402

STATIONS = int(os.environ.get("BENCH_STATIONS", "10000"))
ONLINE = min(int(os.environ.get("BENCH_ONLINE", "300")), STATIONS)
OPEN_SECONDS = int(os.environ.get("BENCH_OPEN_SECONDS", "60"))


def call(url, method="GET", body=None):
    request = urllib.request.Request(url, method=method,
                                     data=None if body is None else json.dumps(body).encode())
    request.add_header("authorization", f"Bearer {harness.API_TOKEN}")
    request.add_header("content-type", "application/json")
    with urllib.request.urlopen(request, timeout=60) as answer:
        return answer.status, answer.read()


def register(base):
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: call(f"{base}/api/v1/charge-points/DB-{i:05}", "PUT", {}),
                      range(STATIONS)))
    return time.monotonic() - started


async def boot(ws_url, count):
    """`count` stations connect and boot, then stay connected while the dashboard is open."""
    sockets = []
    for i in range(count):
        ws = await websockets.connect(f"{ws_url}/DB-{i:05}", subprotocols=["ocpp1.6"])
        await ws.send(json.dumps([2, "b", "BootNotification",
                                  {"chargePointVendor": "V", "chargePointModel": "M"}]))
        await ws.recv()
        await ws.send(json.dumps([2, "s", "StatusNotification",
                                  {"connectorId": 1, "errorCode": "NoError", "status": "Available"}]))
        await ws.recv()
        sockets.append(ws)
    return sockets


def server_ms(url, runs=15):
    """Median wall time of one API call from this machine, after one warm-up."""
    call(url)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call(url)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def browser(profile):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,900", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def usable_after_ms(driver, url, selector, rows):
    """Milliseconds from the start of navigation until `rows` rows match `selector`, as the
    page's own clock tells."""
    driver.get(url)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        at = driver.execute_script(
            "return document.querySelectorAll(arguments[0]).length >= arguments[1] ? performance.now() : null",
            selector, rows)
        if at is not None:
            return at
        time.sleep(0.01)
    raise RuntimeError(f"{url}: {selector} never had {rows} rows")


def calls_per_minute(driver, url, ready_selector):
    driver.get(url)
    deadline = time.monotonic() + 60
    while not driver.find_elements("css selector", ready_selector):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} never showed {ready_selector}")
        time.sleep(0.05)
    before = driver.execute_script("return window.csmsDashboard.calls")
    time.sleep(OPEN_SECONDS)
    after = driver.execute_script("return window.csmsDashboard.calls")
    return (after - before) * 60 / OPEN_SECONDS


async def main():
    devhost = harness.target_dir() / "release" / "devhost"
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as state:
        state = Path(state)
        proc, port, log = harness.start_devhost(devhost, state, gateway=True, variables={
            "api_token": harness.API_TOKEN, "unknown_charge_points": "reject"})
        base = f"http://127.0.0.1:{port}"
        driver = None
        sockets = []
        try:
            registered_s = register(base)
            sockets = await boot(f"ws://127.0.0.1:{port}/ocpp", ONLINE)
            report = {
                "stations": STATIONS, "online": ONLINE, "register_seconds": round(registered_s, 1),
                "api_ms": {
                    "GET /api/v1/overview": server_ms(f"{base}/api/v1/overview"),
                    "GET /api/v1/charge-points?limit=50": server_ms(f"{base}/api/v1/charge-points?limit=50"),
                    "GET /api/v1/charge-points?limit=50&id_prefix=DB-099": server_ms(
                        f"{base}/api/v1/charge-points?limit=50&id_prefix=DB-099"),
                    "GET /api/v1/charge-points?limit=50&online=true": server_ms(
                        f"{base}/api/v1/charge-points?limit=50&online=true"),
                    "GET /api/v1/charge-points/DB-00001": server_ms(f"{base}/api/v1/charge-points/DB-00001"),
                },
            }
            driver = browser(state / "chromium")
            driver.get(f"{base}/")
            driver.execute_script("sessionStorage.setItem('csms.api-token', arguments[0])", harness.API_TOKEN)
            report["list_usable_ms"] = usable_after_ms(
                driver, f"{base}/charge-points", "#charge-point-list tr[data-id]", 50)
            report["search_usable_ms"] = usable_after_ms(
                driver, f"{base}/charge-points?id_prefix=DB-0999", "#charge-point-list tr[data-id]", 10)
            report["overview_usable_ms"] = usable_after_ms(driver, f"{base}/", "#network .tile", 6)
            report["api_calls_per_minute"] = {
                "overview": calls_per_minute(driver, f"{base}/", "#network"),
                "charge point list": calls_per_minute(driver, f"{base}/charge-points", "#charge-point-list"),
                "charge point page": calls_per_minute(driver, f"{base}/charge-points/DB-00001", "#commands, #command-form"),
            }
        finally:
            if driver:
                driver.quit()
            for ws in sockets:
                await ws.close()
            proc.terminate()
            proc.wait(timeout=30)
            log.close()

    out = ROOT / "bench" / "results" / time.strftime("%Y-%m-%d")
    out.mkdir(parents=True, exist_ok=True)
    (out / "dashboard.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"stations registered: {STATIONS} ({report['register_seconds']} s through the API), online: {ONLINE}")
    print(f"charge point list usable (50 rows) after {report['list_usable_ms']:.0f} ms from navigation")
    print(f"id search usable after {report['search_usable_ms']:.0f} ms; overview after {report['overview_usable_ms']:.0f} ms")
    for name, ms in report["api_ms"].items():
        print(f"  {name}: {ms:.1f} ms median")
    for name, rate in report["api_calls_per_minute"].items():
        print(f"  API calls per minute, {name} open: {rate:.0f}")
    print(f"written to {out / 'dashboard.json'}")


if __name__ == "__main__":
    asyncio.run(main())

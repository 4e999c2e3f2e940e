"""The dashboard in a real Chromium (Debian's, through its chromedriver; nothing downloads a
browser), against both gateways:

- a deep link asks for a token, a wrong one is refused with a message, the right one shows
  the charge points; a station a test charge point boots appears and goes online without a
  reload; its page sends a Reset that the station answers; sign-out forgets the token;
- the list finds a station by id prefix and filters by version;
- a finished 1.6 session and a finished 2.0.1 session each show a power and an energy chart
  from their meter values and their CDR; a running one is closed by the operator;
- a tariff edited into an invalid one shows the API's error, then saves; it is assigned;
- an id tag is added, blocked and expired from the page;
- the overview counts the stations and lists a fault.

Every view is scanned with axe-core (from npm, injected by the test): no serious or critical
violation. The console stays free of errors. Screenshots of every view are written to
target/screenshots/<gateway>/ to be looked at."""

import asyncio
import os
import uuid
from pathlib import Path

import pytest
from ocpp.v16 import call
from ocpp.v201 import call as call201
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

import harness
from conftest import ChargePoint201, booted_201, charge_point
from test_commands import CommandedChargePoint

# Selenium Manager must not look for a driver on the network.
os.environ["SE_OFFLINE"] = "true"

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "node_modules" / "axe-core" / "axe.min.js"
TARIFF = {
    "currency": "EUR",
    "vat_percent": "20",
    "elements": [{"price_components": [{"type": "ENERGY", "price": "0.40", "step_size": 1},
                                       {"type": "FLAT", "price": "1.00"}]}],
}


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def shots(backend):
    path = ROOT / "target" / "screenshots" / backend.gateway
    path.mkdir(parents=True, exist_ok=True)
    return path


def wait(driver, condition, timeout=20):
    return WebDriverWait(driver, timeout).until(condition)


async def wait_async(driver, condition, timeout=20):
    return await asyncio.to_thread(wait, driver, condition, timeout)


def console_errors(driver):
    """What the page logged as an error. Chromium itself logs each API answer of 400 or 401 (a
    refused token, a refused edit the page then shows); those are what the tests provoke.
    A failed asset, a script error or any other status still counts."""
    def provoked(entry):
        return (entry["source"] == "network" and "/api/v1/" in entry["message"]
                and ("status of 400" in entry["message"] or "status of 401" in entry["message"]))
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and not provoked(e)]


def accessibility_problems(driver):
    """axe-core's serious and critical violations on the page as it is now."""
    if not driver.execute_script("return typeof axe !== 'undefined'"):
        driver.execute_script(AXE.read_text())
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations))"
        ".catch(e => done([{id: 'axe failed', impact: 'critical', help: String(e), nodes: []}]));")
    return [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
            for v in result if v["impact"] in ("serious", "critical")]


def look(driver, shots, name):
    """A screenshot of the whole view, checked with axe-core and for console errors."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(height + 200, 900), 4000))
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(str(shots / f"{name}.png"))
    driver.set_window_size(1280, 900)
    assert accessibility_problems(driver) == [], name
    assert console_errors(driver) == [], name


def heading(driver, text):
    wait(driver, ready.text_to_be_present_in_element((By.CSS_SELECTOR, "#view h1"), text))


def open_view(driver, backend, path, title):
    driver.get(f"{backend.api_url}{path}")
    if driver.find_elements(By.ID, "token") and driver.find_element(By.ID, "token").is_displayed():
        sign_in(driver, harness.API_TOKEN)
    heading(driver, title)


def sign_in(driver, token):
    field = wait(driver, ready.visibility_of_element_located((By.ID, "token")))
    field.send_keys(token)
    driver.find_element(By.CSS_SELECTOR, "#sign-in button").click()


def api_ok(backend, method, path, body=None):
    status, answer = backend.api(method, path, body)
    assert status in (200, 201, 202), (method, path, status, answer)
    return answer


def unique(prefix, backend):
    return f"{prefix}-{backend.gateway}-{uuid.uuid4().hex[:6]}"


async def test_sign_in_see_a_station_come_online_send_a_reset_and_sign_out(backend, browser, shots):
    cp_id = unique("DASH", backend)
    assert backend.api("PUT", f"/api/v1/charge-points/{cp_id}", {})[0] == 201

    browser.get(f"{backend.api_url}/charge-points")
    sign_in(browser, "not-the-token")
    wait(browser, ready.text_to_be_present_in_element((By.ID, "sign-in-error"), "refused"))
    look(browser, shots, "sign-in-refused")

    sign_in(browser, harness.API_TOKEN)
    browser.get(f"{backend.api_url}/charge-points?id_prefix={cp_id}")
    row = f'tr[data-id="{cp_id}"]'
    wait(browser, ready.presence_of_element_located((By.CSS_SELECTOR, row)))
    assert browser.find_element(By.CSS_SELECTOR, f"{row} td:nth-child(2)").text == "offline"

    async with charge_point(backend, cp_id, cls=CommandedChargePoint) as cp:
        await cp.call(call.BootNotification(charge_point_model="M", charge_point_vendor="V"))
        await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Available"))
        # No reload: the view re-reads the API by itself.
        await wait_async(browser, ready.text_to_be_present_in_element(
            (By.CSS_SELECTOR, f"{row} td:nth-child(2)"), "online"))
        await wait_async(browser, ready.text_to_be_present_in_element(
            (By.CSS_SELECTOR, f"{row} td:nth-child(5)"), "Available"))
        look(browser, shots, "charge-points")
        # The station's page: a Reset sent from its form, answered by the station.
        browser.find_element(By.CSS_SELECTOR, f"{row} a").click()
        await wait_async(browser, ready.visibility_of_element_located((By.ID, "command-form")))
        assert browser.find_element(By.CSS_SELECTOR, "#view h1").text == cp_id
        assert browser.find_element(By.ID, "command-action").get_attribute("value") == "Reset"
        browser.find_element(By.CSS_SELECTOR, "#command-form button").click()
        await wait_async(browser, ready.text_to_be_present_in_element((By.ID, "commands"), "answered"))
        answer = browser.find_element(By.CSS_SELECTOR, "#commands tr:nth-child(2)").text
        assert "Reset" in answer and "Accepted" in answer, answer
        assert cp.asked == [("Reset", "Soft")]
        timeline = browser.find_element(By.ID, "status-timelines").text
        assert "EVSE 1" in timeline and "Available" in timeline, timeline
        look(browser, shots, "charge-point")
        browser.back()
        heading(browser, "Charge points")

    browser.find_element(By.ID, "sign-out").click()
    wait(browser, ready.visibility_of_element_located((By.ID, "token")))
    assert browser.execute_script("return sessionStorage.length") == 0
    browser.refresh()
    wait(browser, ready.visibility_of_element_located((By.ID, "token")))
    assert console_errors(browser) == []


async def test_the_list_searches_by_id_and_filters_by_version(backend, browser, shots):
    prefix = unique("FIND", backend)
    for suffix, version in (("a", "ocpp1.6"), ("b", "ocpp2.0.1"), ("c", "ocpp2.0.1")):
        api_ok(backend, "PUT", f"/api/v1/charge-points/{prefix}-{suffix}", {})
    async with booted_201(backend, f"{prefix}-b", ChargePoint201):
        pass
    open_view(browser, backend, "/charge-points", "Charge points")
    search = browser.find_element(By.ID, "filter-id")
    search.send_keys(prefix)
    browser.find_element(By.CSS_SELECTOR, ".filters button").click()
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#charge-point-list tr[data-id]")) == 3)
    assert f"id_prefix={prefix}" in browser.current_url
    browser.find_element(By.CSS_SELECTOR, "#filter-version option[value='ocpp2.0.1']").click()
    wait(browser, lambda d: [r.get_attribute("data-id") for r in
                             d.find_elements(By.CSS_SELECTOR, "#charge-point-list tr[data-id]")]
         == [f"{prefix}-b"])
    look(browser, shots, "charge-points-filtered")
    # The filter is in the URL: back returns to the unfiltered search.
    browser.back()
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#charge-point-list tr[data-id]")) == 3)


def sample16(ts, wh, watts):
    return {"timestamp": ts, "sampledValue": [
        {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
        {"value": str(watts / 1000), "measurand": "Power.Active.Import", "unit": "kW"},
    ]}


def sample201(ts, wh, watts, context="Sample.Periodic"):
    return {"timestamp": ts, "sampled_value": [
        {"value": float(wh), "context": context, "measurand": "Energy.Active.Import.Register",
         "unit_of_measure": {"unit": "Wh"}},
        {"value": float(watts), "context": context, "measurand": "Power.Active.Import",
         "unit_of_measure": {"unit": "W"}},
    ]}


def chart_points(driver, chart_id):
    return len(driver.find_elements(By.CSS_SELECTOR, f"#{chart_id} svg circle"))


async def test_finished_sessions_of_both_versions_show_their_charts_and_cdr(backend, browser, shots):
    tariff = unique("dash-tariff", backend)
    api_ok(backend, "PUT", f"/api/v1/tariffs/{tariff}", TARIFF)
    api_ok(backend, "PUT", "/api/v1/id-tags/DASH-TAG", {"status": "Accepted"})
    cp16, cp201 = unique("SES16", backend), unique("SES201", backend)
    for cp_id in (cp16, cp201):
        api_ok(backend, "PUT", f"/api/v1/charge-points/{cp_id}", {"tariff_id": tariff})

    async with charge_point(backend, cp16) as cp:
        await cp.call(call.BootNotification(charge_point_model="M", charge_point_vendor="V"))
        start = await cp.call(call.StartTransaction(connector_id=1, id_tag="DASH-TAG", meter_start=1000,
                                                    timestamp="2026-12-01T10:00:00Z"))
        tx16 = start.transaction_id
        for minute, (wh, watts) in enumerate([(1500, 7000), (2700, 7400), (3900, 7200)], start=1):
            await cp.call(call.MeterValues(connector_id=1, transaction_id=tx16,
                                           meter_value=[sample16(f"2026-12-01T10:{minute * 10:02}:00Z", wh, watts)]))
        await cp.call(call.StopTransaction(meter_stop=5000, timestamp="2026-12-01T10:40:00Z",
                                           transaction_id=tx16, id_tag="DASH-TAG", reason="EVDisconnected"))

    evse = {"id": 1, "connector_id": 1}
    async with booted_201(backend, cp201, ChargePoint201) as cp:
        await cp.call(call201.TransactionEvent(
            event_type="Started", timestamp="2026-12-01T11:00:00Z", trigger_reason="Authorized", seq_no=0,
            transaction_info={"transaction_id": "dash-1", "charging_state": "Charging"},
            id_token={"id_token": "DASH-TAG", "type": "ISO14443"}, evse=evse,
            meter_value=[sample201("2026-12-01T11:00:00Z", 0, 0, "Transaction.Begin")]))
        for seq, (wh, watts) in enumerate([(1800, 11000), (3600, 10800)], start=1):
            await cp.call(call201.TransactionEvent(
                event_type="Updated", timestamp=f"2026-12-01T11:{seq * 10:02}:00Z",
                trigger_reason="MeterValuePeriodic", seq_no=seq,
                transaction_info={"transaction_id": "dash-1", "charging_state": "Charging"},
                meter_value=[sample201(f"2026-12-01T11:{seq * 10:02}:00Z", wh, watts)]))
        await cp.call(call201.TransactionEvent(
            event_type="Ended", timestamp="2026-12-01T11:30:00Z", trigger_reason="EVDeparted", seq_no=3,
            transaction_info={"transaction_id": "dash-1", "stopped_reason": "EVDisconnected",
                              "charging_state": "Idle"},
            meter_value=[sample201("2026-12-01T11:30:00Z", 5000, 0, "Transaction.End")]))
    [tx201] = api_ok(backend, "GET", f"/api/v1/transactions?charge_point_id={cp201}")["items"]

    open_view(browser, backend, f"/sessions?charge_point_id={cp16}", "Sessions")
    wait(browser, ready.presence_of_element_located((By.CSS_SELECTOR, "#session-list a")))
    look(browser, shots, "sessions")
    browser.find_element(By.LINK_TEXT, str(tx16)).click()
    heading(browser, f"Session {tx16}")
    wait(browser, ready.presence_of_element_located((By.CSS_SELECTOR, "#power-chart svg")))
    assert chart_points(browser, "power-chart") == 3
    # The three samples plus the stop's register value when the station sent it; here three.
    assert chart_points(browser, "energy-chart") >= 3
    items = browser.find_element(By.ID, "cdr-line-items").text
    assert "Energy" in items or "ENERGY" in items.upper(), items
    totals = browser.find_element(By.ID, "cdr-totals").text
    # 4 kWh at 0.40 + 1.00 flat = 2.60, plus 20 % VAT = 3.12.
    assert "2.60 EUR" in totals and "3.12 EUR" in totals, totals
    look(browser, shots, "session-16")

    open_view(browser, backend, f"/sessions/{tx201['id']}", f"Session {tx201['id']}")
    wait(browser, ready.presence_of_element_located((By.CSS_SELECTOR, "#energy-chart svg")))
    assert chart_points(browser, "power-chart") == 4
    assert chart_points(browser, "energy-chart") == 4
    totals = browser.find_element(By.ID, "cdr-totals").text
    # 5 kWh at 0.40 + 1.00 = 3.00, plus VAT 3.60.
    assert "3.00 EUR" in totals and "3.60 EUR" in totals, totals
    look(browser, shots, "session-201")


async def test_a_running_session_is_closed_by_the_operator(backend, browser, shots):
    cp_id = unique("CLOSE", backend)
    api_ok(backend, "PUT", f"/api/v1/charge-points/{cp_id}", {})
    api_ok(backend, "PUT", "/api/v1/id-tags/DASH-TAG", {"status": "Accepted"})
    async with charge_point(backend, cp_id) as cp:
        await cp.call(call.BootNotification(charge_point_model="M", charge_point_vendor="V"))
        start = await cp.call(call.StartTransaction(connector_id=1, id_tag="DASH-TAG", meter_start=0,
                                                    timestamp="2026-12-01T12:00:00Z"))
    open_view(browser, backend, f"/sessions/{start.transaction_id}", f"Session {start.transaction_id}")
    wait(browser, ready.visibility_of_element_located((By.ID, "close-form")))
    look(browser, shots, "session-running")
    browser.find_element(By.CSS_SELECTOR, "#close-form button").click()
    wait(browser, ready.invisibility_of_element_located((By.ID, "close-form")))
    view = api_ok(backend, "GET", f"/api/v1/transactions/{start.transaction_id}")
    assert view["stopped_at"] is not None and view["closed_by"], view


async def test_a_tariff_edited_wrong_shows_the_api_error_then_saves_and_is_assigned(backend, browser, shots):
    tariff = unique("edit-tariff", backend)
    cp_id = unique("TARIFFED", backend)
    api_ok(backend, "PUT", f"/api/v1/tariffs/{tariff}", TARIFF)
    api_ok(backend, "PUT", f"/api/v1/charge-points/{cp_id}", {})
    open_view(browser, backend, "/tariffs", "Tariffs")
    wait(browser, ready.presence_of_element_located((By.LINK_TEXT, tariff)))
    look(browser, shots, "tariffs")
    browser.find_element(By.LINK_TEXT, tariff).click()
    heading(browser, f"Tariff {tariff}")
    definition = browser.find_element(By.ID, "tariff-definition")
    definition.clear()
    definition.send_keys('{"currency": "EUR", "vat_percent": "20", "elements": [{"price_components": '
                         '[{"type": "ENERGY", "price": "-1"}]}]}')
    browser.find_element(By.CSS_SELECTOR, "#tariff-form button").click()
    wait(browser, lambda d: d.find_element(By.ID, "tariff-message").text != "")
    error = browser.find_element(By.ID, "tariff-message")
    assert error.get_attribute("class") == "error", error.text
    assert "price" in error.text, error.text
    look(browser, shots, "tariff-error")
    # The definition stays as typed, to be fixed.
    definition = browser.find_element(By.ID, "tariff-definition")
    assert '"-1"' in definition.get_attribute("value")
    definition.clear()
    definition.send_keys('{"currency": "EUR", "vat_percent": "20", "elements": [{"price_components": '
                         '[{"type": "ENERGY", "price": "0.55"}]}]}')
    browser.find_element(By.CSS_SELECTOR, "#tariff-form button").click()
    wait(browser, ready.text_to_be_present_in_element((By.ID, "tariff-message"), "Saved"))
    assert api_ok(backend, "GET", f"/api/v1/tariffs/{tariff}")["elements"][0]["price_components"][0]["price"] == "0.55"
    browser.find_element(By.ID, "assign-charge-point").send_keys(cp_id)
    browser.find_element(By.CSS_SELECTOR, "#assign-form button").click()
    wait(browser, ready.text_to_be_present_in_element((By.ID, "tariff-charge-points"), cp_id))
    assert api_ok(backend, "GET", f"/api/v1/charge-points/{cp_id}")["tariff_id"] == tariff
    look(browser, shots, "tariff")


async def test_an_id_tag_is_added_blocked_and_expired(backend, browser, shots):
    tag = unique("TAG", backend)[:20]
    open_view(browser, backend, "/id-tags", "Id tags")
    browser.find_element(By.ID, "new-id-tag").send_keys(tag)
    browser.find_element(By.CSS_SELECTOR, "#id-tag-form button").click()
    wait(browser, ready.text_to_be_present_in_element((By.ID, "id-tag-list"), tag))
    assert api_ok(backend, "GET", f"/api/v1/id-tags/{tag}")["status"] == "Accepted"
    browser.find_element(By.CSS_SELECTOR, f"button[aria-label='Block {tag}']").click()
    wait(browser, ready.presence_of_element_located((By.CSS_SELECTOR, f"button[aria-label='Unblock {tag}']")))
    assert api_ok(backend, "GET", f"/api/v1/id-tags/{tag}")["status"] == "Blocked"
    browser.find_element(By.CSS_SELECTOR, f"button[aria-label='Expire now {tag}']").click()
    wait(browser, ready.text_to_be_present_in_element((By.ID, "id-tag-list"), "Blocked, expired"))
    assert api_ok(backend, "GET", f"/api/v1/id-tags/{tag}")["expiry_date"] is not None
    look(browser, shots, "id-tags")


async def test_the_overview_counts_the_network_and_lists_a_fault(backend, browser, shots):
    cp_id = unique("FAULTY", backend)
    api_ok(backend, "PUT", f"/api/v1/charge-points/{cp_id}", {})
    async with charge_point(backend, cp_id) as cp:
        await cp.call(call.BootNotification(charge_point_model="M", charge_point_vendor="V"))
        await cp.call(call.StatusNotification(connector_id=1, error_code="GroundFailure", status="Faulted"))
        expected = api_ok(backend, "GET", "/api/v1/overview")
        open_view(browser, backend, "/", "Overview")
        await wait_async(browser, ready.text_to_be_present_in_element((By.ID, "latest-faults"), cp_id))
        network = browser.find_element(By.ID, "network").text
        assert f"{expected['charge_points']['total']}\ncharge points" in network, network
        assert "GroundFailure" in browser.find_element(By.ID, "latest-faults").text
        look(browser, shots, "overview")
    open_view(browser, backend, "/cdr-export", "CDR export")
    look(browser, shots, "cdr-export")

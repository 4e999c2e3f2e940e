"""The dashboard in a real Chromium (Debian's, through its chromedriver; nothing downloads a
browser): a deep link asks for a token, a wrong one is refused with a message, the right one
shows the charge points, a station a test charge point boots appears and goes online without a
reload, its page sends a Reset that the station answers, and sign-out forgets the token. The browser console stays free of errors. Screenshots
of each step are written to the backend's state directory."""

import asyncio
import os
import uuid

import pytest
from ocpp.v16 import call
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

import harness
from conftest import charge_point
from test_commands import CommandedChargePoint

# Selenium Manager must not look for a driver on the network.
os.environ["SE_OFFLINE"] = "true"


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


def wait(driver, condition, timeout=20):
    return WebDriverWait(driver, timeout).until(condition)


def console_errors(driver):
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


async def test_sign_in_see_a_station_come_online_and_sign_out(backend, browser):
    shots = backend.state_dir / "screenshots"
    shots.mkdir(exist_ok=True)
    cp_id = f"DASH-{backend.gateway}-{uuid.uuid4().hex[:6]}"
    assert backend.api("PUT", f"/api/v1/charge-points/{cp_id}", {})[0] == 201

    browser.get(f"{backend.api_url}/charge-points")
    token = wait(browser, ready.visibility_of_element_located((By.ID, "token")))
    token.send_keys("not-the-token")
    browser.find_element(By.CSS_SELECTOR, "#sign-in button").click()
    wait(browser, ready.text_to_be_present_in_element((By.ID, "sign-in-error"), "refused"))
    browser.save_screenshot(str(shots / "sign-in-refused.png"))

    browser.find_element(By.ID, "token").send_keys(harness.API_TOKEN)
    browser.find_element(By.CSS_SELECTOR, "#sign-in button").click()
    row = f'tr[data-id="{cp_id}"]'
    wait(browser, ready.presence_of_element_located((By.CSS_SELECTOR, row)))
    assert browser.find_element(By.CSS_SELECTOR, f"{row} td:nth-child(2)").text == "offline"
    assert browser.execute_script("return location.pathname") == "/charge-points"

    async with charge_point(backend, cp_id, cls=CommandedChargePoint) as cp:
        await cp.call(call.BootNotification(charge_point_model="M", charge_point_vendor="V"))
        # No reload: the view re-reads the API by itself.
        await asyncio.to_thread(wait, browser, ready.text_to_be_present_in_element(
            (By.CSS_SELECTOR, f"{row} td:nth-child(2)"), "online"))
        browser.save_screenshot(str(shots / "charge-points.png"))
        # The station's page: a Reset sent from its form, answered by the station.
        browser.find_element(By.CSS_SELECTOR, f"{row} a").click()
        await asyncio.to_thread(wait, browser, ready.visibility_of_element_located(
            (By.ID, "command-form")))
        assert browser.find_element(By.CSS_SELECTOR, "#view h1").text == cp_id
        browser.find_element(By.CSS_SELECTOR, "#command-form button").click()
        await asyncio.to_thread(wait, browser, ready.text_to_be_present_in_element(
            (By.ID, "commands"), "answered"))
        answer = browser.find_element(By.CSS_SELECTOR, "#commands tr:nth-child(2)").text
        assert "Reset" in answer and "Accepted" in answer, answer
        assert cp.asked == [("Reset", "Soft")]
        browser.save_screenshot(str(shots / "charge-point.png"))
        browser.back()

    browser.find_element(By.CSS_SELECTOR, 'nav a[href="/"]').click()
    wait(browser, ready.text_to_be_present_in_element((By.CSS_SELECTOR, "#view h1"), "Overview"))
    browser.save_screenshot(str(shots / "overview.png"))
    browser.back()
    wait(browser, ready.text_to_be_present_in_element((By.CSS_SELECTOR, "#view h1"),
                                                       "Charge points"))

    browser.find_element(By.ID, "sign-out").click()
    wait(browser, ready.visibility_of_element_located((By.ID, "token")))
    assert browser.execute_script("return sessionStorage.length") == 0
    browser.refresh()
    wait(browser, ready.visibility_of_element_located((By.ID, "token")))
    # The wrong token's 401 is the one error Chromium logs on its own, for the fetch.
    errors = [e for e in console_errors(browser) if "401" not in e["message"]]
    assert errors == []

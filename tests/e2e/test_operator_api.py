"""The operator's view of the network through the real API: lists with filters
and cursor pagination, connector status history, transactions and charge
detail records (JSON and CSV), closing a transaction the charge point never
stopped, and deletes that refuse to lose what is still in use."""

import asyncio
import csv
import io
import urllib.error
import urllib.request

from ocpp.v16 import call

import harness
from conftest import charge_point

TARIFF = {
    "id": "ops-energy", "currency": "EUR", "vat_percent": "25",
    "elements": [{"price_components": [{"type": "ENERGY", "price": "0.40"}]}],
}


def ok(backend, method, path, body=None, expected=(200, 201)):
    status, answer = backend.api(method, path, body)
    assert status in expected, (method, path, status, answer)
    return answer


def all_pages(backend, path, limit=2):
    """Follows next_cursor to the end; returns every item and the number of pages."""
    items, pages, cursor = [], 0, None
    while True:
        sep = "&" if "?" in path else "?"
        url = f"{path}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = ok(backend, "GET", url)
        items += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return items, pages
        assert pages < 100, "pagination does not end"


def get_text(backend, path):
    req = urllib.request.Request(backend.api_url + path,
                                 headers={"authorization": f"Bearer {harness.API_TOKEN}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.status, resp.headers.get("content-type"), resp.read().decode()


def meter(ts, wh):
    return [{"timestamp": ts, "sampledValue": [
        {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
        {"value": "11000", "measurand": "Power.Active.Import", "unit": "W"}]}]


async def wait_offline(backend, cp_id):
    for _ in range(100):
        if ok(backend, "GET", f"/api/v1/charge-points/{cp_id}")["online"] is False:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{cp_id} still online after its socket closed")


async def test_an_operator_finds_closes_and_exports_a_forgotten_session(backend):
    ok(backend, "PUT", "/api/v1/tariffs/ops-energy", TARIFF)
    ok(backend, "PUT", "/api/v1/charge-points/OPS-1", {"tariff_id": "ops-energy"})
    ok(backend, "PUT", "/api/v1/charge-points/OPS-2", {})
    ok(backend, "PUT", "/api/v1/id-tags/OPS-TAG", {"status": "Accepted"})

    async with charge_point(backend, "OPS-1") as cp:
        await cp.call(call.BootNotification(charge_point_model="M", charge_point_vendor="V"))
        for status in ["Available", "Preparing", "Charging"]:
            await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status=status,
                                                  timestamp="2026-11-20T10:00:00Z"))
        start = await cp.call(call.StartTransaction(connector_id=1, id_tag="OPS-TAG", meter_start=1000,
                                                    timestamp="2026-11-20T10:00:00Z"))
        tx = start.transaction_id
        await cp.call(call.MeterValues(connector_id=1, transaction_id=tx,
                                       meter_value=meter("2026-11-20T10:30:00Z", 4000)))
        await cp.call(call.MeterValues(connector_id=1, transaction_id=tx,
                                       meter_value=meter("2026-11-20T11:00:00Z", 6000)))

        online = [c["id"] for c in all_pages(backend, "/api/v1/charge-points?online=true")[0]]
        offline = [c["id"] for c in all_pages(backend, "/api/v1/charge-points?online=false")[0]]
        assert "OPS-1" in online and "OPS-1" not in offline
        assert "OPS-2" in offline and "OPS-2" not in online
        charging = [c["id"] for c in all_pages(backend, "/api/v1/charge-points?status=Charging")[0]]
        assert "OPS-1" in charging and "OPS-2" not in charging

        connectors = ok(backend, "GET", "/api/v1/charge-points/OPS-1/connectors")["items"]
        assert [(c["connector_id"], c["status"]) for c in connectors] == [(1, "Charging")]
        history, pages = all_pages(backend, "/api/v1/charge-points/OPS-1/connectors/1/status-history", limit=1)
        assert [h["status"] for h in history] == ["Charging", "Preparing", "Available"]
        assert pages == 3

        # Online, with a session running: deleting it would orphan both.
        status, problem = backend.api("DELETE", "/api/v1/charge-points/OPS-1")
        assert status == 409, problem
    # The charge point went away without StopTransaction.
    await wait_offline(backend, "OPS-1")

    open_now = ok(backend, "GET", "/api/v1/transactions?charge_point_id=OPS-1&state=open")["items"]
    assert [t["id"] for t in open_now] == [tx]
    detail = ok(backend, "GET", f"/api/v1/transactions/{tx}")
    assert [m["value_wh"] for m in detail["meter_values"] if m["measurand"] == "Energy.Active.Import.Register"] \
        == [4000, 6000]

    closed = ok(backend, "POST", f"/api/v1/transactions/{tx}/close", {"closed_by": "e2e-operator"})
    assert closed["closed_by"] == "e2e-operator"
    assert closed["meter_stop_wh"] == 6000
    assert closed["stopped_at"] == "2026-11-20T11:00:00Z"
    assert closed["stop_reason"] == "Other"
    # Priced through the real tariff component: 5 kWh x 0.40 = 2.00, 2.50 with 25 % VAT.
    assert closed["charge_detail_record"]["total_excl_vat"] == "2.00"
    assert closed["charge_detail_record"]["total_incl_vat"] == "2.50"
    status, problem = backend.api("POST", f"/api/v1/transactions/{tx}/close", {})
    assert status == 409 and "already stopped" in problem["detail"], problem

    by_tag = ok(backend, "GET", "/api/v1/transactions?id_tag=OPS-TAG&state=closed"
                               "&from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z")["items"]
    assert [t["id"] for t in by_tag] == [tx]
    assert ok(backend, "GET", "/api/v1/transactions?id_tag=OPS-TAG&from=2026-11-21T00:00:00Z")["items"] == []

    cdrs = ok(backend, "GET", "/api/v1/cdrs?charge_point_id=OPS-1")["items"]
    assert len(cdrs) == 1 and cdrs[0]["total_incl_vat"] == "2.50"
    status, content_type, text = get_text(backend, "/api/v1/cdrs.csv?charge_point_id=OPS-1")
    assert status == 200 and content_type.startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1
    assert rows[0]["total_incl_vat"] == "2.50" and rows[0]["currency"] == "EUR"

    # Now nothing is running: the charge point can go; its billed history stays.
    status, problem = backend.api("DELETE", "/api/v1/tariffs/ops-energy")
    assert status == 409, problem
    assert backend.api("DELETE", "/api/v1/charge-points/OPS-1")[0] == 204
    assert backend.api("GET", "/api/v1/charge-points/OPS-1")[0] == 404
    assert ok(backend, "GET", f"/api/v1/transactions/{tx}")["charge_detail_record"]["total_incl_vat"] == "2.50"
    assert backend.api("DELETE", "/api/v1/tariffs/ops-energy")[0] == 204


async def test_every_list_pages_without_gaps_or_repeats(backend):
    tags = [f"PAGE-{i:02}" for i in range(7)]
    for tag in tags:
        ok(backend, "PUT", f"/api/v1/id-tags/{tag}", {"status": "Accepted"})
    listed, pages = all_pages(backend, "/api/v1/id-tags", limit=3)
    names = [t["id_tag"] for t in listed]
    assert len(names) == len(set(names))
    assert set(tags) <= set(names)
    assert pages >= 3

    assert backend.api("DELETE", "/api/v1/id-tags/PAGE-00")[0] == 204
    assert backend.api("GET", "/api/v1/id-tags/PAGE-00")[0] == 404
    assert backend.api("DELETE", "/api/v1/id-tags/PAGE-00")[0] == 404

    status, problem = backend.api("GET", "/api/v1/id-tags?cursor=not-a-cursor")
    assert status == 400, problem
    status, problem = backend.api("GET", "/api/v1/transactions?state=sideways")
    assert status == 400 and "state" in problem["detail"], problem


async def test_the_charge_points_own_stop_after_an_operator_close_reprices_the_session(backend):
    ok(backend, "PUT", "/api/v1/tariffs/ops-late", {**TARIFF, "id": "ops-late"})
    ok(backend, "PUT", "/api/v1/charge-points/OPS-3", {"tariff_id": "ops-late"})
    ok(backend, "PUT", "/api/v1/id-tags/OPS-TAG3", {"status": "Accepted"})
    async with charge_point(backend, "OPS-3") as cp:
        await cp.call(call.BootNotification(charge_point_model="M", charge_point_vendor="V"))
        start = await cp.call(call.StartTransaction(connector_id=1, id_tag="OPS-TAG3", meter_start=1000,
                                                    timestamp="2026-11-20T10:00:00Z"))
        tx = start.transaction_id
        # transactionId is optional in 1.6; the one open transaction on connector 1 owns it.
        await cp.call(call.MeterValues(connector_id=1, meter_value=meter("2026-11-20T10:30:00Z", 4000)))
    await wait_offline(backend, "OPS-3")

    closed = ok(backend, "POST", f"/api/v1/transactions/{tx}/close", {})
    assert (closed["meter_stop_wh"], closed["closed_by"]) == (4000, "bootstrap")
    assert closed["charge_detail_record"]["total_incl_vat"] == "1.50"  # 3 kWh x 0.40 x 1.25
    assert closed["charge_detail_record"]["revised_at"] is None

    # Back online, the charge point delivers the stop it kept while offline.
    async with charge_point(backend, "OPS-3") as cp:
        await cp.call(call.BootNotification(charge_point_model="M", charge_point_vendor="V"))
        await cp.call(call.StopTransaction(
            transaction_id=tx, meter_stop=7000, timestamp="2026-11-20T11:00:00Z", reason="PowerLoss",
            transaction_data=[{"timestamp": "2026-11-20T10:45:00Z", "sampledValue": [
                {"value": "5.5", "measurand": "Energy.Active.Import.Register", "unit": "kWh"}]}]))
        # The same stop again under a new message id changes nothing more.
        await cp.call(call.StopTransaction(transaction_id=tx, meter_stop=7500,
                                           timestamp="2026-11-20T11:30:00Z"))

    after = ok(backend, "GET", f"/api/v1/transactions/{tx}")
    assert (after["meter_stop_wh"], after["energy_wh"], after["stopped_at"], after["stop_reason"]) \
        == (7000, 6000, "2026-11-20T11:00:00Z", "PowerLoss")
    assert after["closed_by"] == "bootstrap" and after["flagged"] is True
    assert "arrived after bootstrap closed the transaction at 4000 Wh" in after["flag_reason"]
    assert after["replaced_close"]["meter_stop_wh"] == 4000
    assert after["replaced_close"]["stopped_at"] == "2026-11-20T10:30:00Z"
    assert after["energy_check"] == "consistent"
    assert [m["value_wh"] for m in after["meter_values"]
            if m["measurand"] == "Energy.Active.Import.Register"] == [4000, 5500]
    cdr = after["charge_detail_record"]
    assert (cdr["energy_wh"], cdr["total_incl_vat"]) == (6000, "3.00")  # 6 kWh x 0.40 x 1.25
    assert cdr["revised_at"] is not None
    _, _, text = get_text(backend, "/api/v1/cdrs.csv?charge_point_id=OPS-3")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["total_incl_vat"], bool(r["revised_at"])) for r in rows] == [("3.00", True)]


def test_every_answer_arrives_whole_with_its_length(backend):
    """The components hand over the whole body before the response, so the host sends a
    Content-Length and no chunked encoding: head and body leave together (Spin's listener
    has no TCP_NODELAY, and a body sent after its head waits for the client's ACK)."""
    for path, token in (("/api/v1/overview", harness.API_TOKEN), ("/api/v1/overview", None), ("/", None)):
        headers = {"authorization": f"Bearer {token}"} if token else {}
        req = urllib.request.Request(backend.api_url + path, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30, context=backend.ssl_context) as resp:
                status, got, body = resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            status, got, body = e.code, e.headers, e.read()
        assert got.get("transfer-encoding") is None, (path, status, dict(got))
        assert got.get("content-length") == str(len(body)), (path, status, dict(got))

"""A whole charging session through the real components: the operator sets up
a tariff, a charge point and id tags through the API; the reference charge
point boots, authorizes, starts, reports meter values and stops; the operator
reads back a correctly priced session. Also every idTag status, retransmissions,
an offline start with an unknown tag, unknown stops, and Basic auth."""

import pytest
import websockets
from ocpp.v16 import call

from conftest import charge_point

# docs/tariffs.md's worked example: Stockholm, weekday peak 07:00-22:00.
TARIFF = {
    "id": "stockholm-2026",
    "currency": "SEK",
    "vat_percent": "25",
    "elements": [
        {
            "price_components": [{"type": "ENERGY", "price": "3.50", "step_size": 1}],
            "restrictions": {"start_time": "07:00", "end_time": "22:00",
                             "day_of_week": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]},
        },
        {"price_components": [{"type": "ENERGY", "price": "2.00"}, {"type": "FLAT", "price": "5.00"}]},
        {
            "price_components": [{"type": "PARKING_TIME", "price": "60.00", "step_size": 60}],
            "restrictions": {"start_time": "08:00", "end_time": "20:00"},
        },
    ],
}


def api_ok(backend, method, path, body=None):
    status, answer = backend.api(method, path, body)
    assert status in (200, 201), (method, path, status, answer)
    return answer


@pytest.fixture(scope="module")
def operator(backend):
    api_ok(backend, "PUT", "/api/v1/tariffs/stockholm-2026", TARIFF)
    for tag, body in {
        "GOOD": {"status": "Accepted"},
        "GOOD2": {"status": "Accepted"},
        "BLOCKED": {"status": "Blocked"},
        "EXPIRED": {"status": "Accepted", "expiry_date": "2020-01-01T00:00:00Z"},
        "CHILD-A": {"status": "Accepted", "parent_id_tag": "FAMILY"},
        "CHILD-B": {"status": "Accepted", "parent_id_tag": "FAMILY"},
        "MULTI": {"status": "Accepted", "max_active_transactions": 2},
    }.items():
        api_ok(backend, "PUT", f"/api/v1/id-tags/{tag}", body)
    return backend


def register(backend, cp_id, **fields):
    body = {"time_zone": "Europe/Stockholm", "tariff_id": "stockholm-2026", **fields}
    api_ok(backend, "PUT", f"/api/v1/charge-points/{cp_id}", body)


def energy(ts, wh, unit="Wh"):
    value = str(wh) if unit == "Wh" else f"{wh / 1000:.3f}"
    return {"timestamp": ts, "sampledValue": [
        {"value": value, "measurand": "Energy.Active.Import.Register", "unit": unit, "context": "Sample.Periodic"},
        {"value": "11000", "measurand": "Power.Active.Import", "unit": "W"},
    ]}


async def run_worked_example_session(backend, cp_id):
    """docs/tariffs.md's worked example as a real session; returns the API's view of it."""
    register(backend, cp_id)
    async with charge_point(backend, cp_id) as cp:
        assert (await cp.call(call.BootNotification(charge_point_model="M", charge_point_vendor="V"))).status == "Accepted"
        await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing"))
        live = api_ok(backend, "GET", f"/api/v1/charge-points/{cp_id}")
        assert live["online"] is True
        assert [(c["connector_id"], c["status"]) for c in live["connectors"]] == [(1, "Preparing")]
        assert (await cp.call(call.Authorize(id_tag="GOOD"))).id_tag_info["status"] == "Accepted"
        # Tuesday 2026-01-13 06:30 local = 05:30Z.
        start = await cp.call(call.StartTransaction(connector_id=1, id_tag="GOOD", meter_start=100_000,
                                                    timestamp="2026-01-13T06:30:00+01:00"))
        assert start.id_tag_info["status"] == "Accepted"
        tx = start.transaction_id
        await cp.call(call.MeterValues(connector_id=1, transaction_id=tx,
                                       meter_value=[energy("2026-01-13T06:00:00Z", 105_500)]))
        # The same register in kWh, with a fractional value.
        await cp.call(call.MeterValues(connector_id=1, transaction_id=tx,
                                       meter_value=[energy("2026-01-13T07:30:00Z", 122_000, unit="kWh")]))
        stop = await cp.call(call.StopTransaction(meter_stop=122_000, timestamp="2026-01-13T08:00:00Z",
                                                  transaction_id=tx, id_tag="GOOD", reason="EVDisconnected",
                                                  transaction_data=[energy("2026-01-13T08:00:00Z", 122_000)]))
        assert stop.id_tag_info["status"] == "Accepted"

    return api_ok(backend, "GET", f"/api/v1/transactions/{tx}")


async def test_full_session_is_stored_and_priced(operator):
    backend = operator
    view = await run_worked_example_session(backend, "CP-SESSION")
    assert view["charge_point_id"] == "CP-SESSION"
    assert view["connector_id"] == 1
    assert view["id_tag"] == "GOOD"
    assert view["meter_start_wh"] == 100_000
    assert view["meter_stop_wh"] == 122_000
    assert view["energy_wh"] == 22_000
    assert view["started_at"] == "2026-01-13T05:30:00Z"
    assert view["stopped_at"] == "2026-01-13T08:00:00Z"
    assert view["stop_reason"] == "EVDisconnected"
    cdr = view["charge_detail_record"]
    assert cdr["currency"] == "SEK"
    assert cdr["tariff_id"] == "stockholm-2026"
    # docs/tariffs.md worked example: 11.00 + 57.75 + 30.00 + 5.00 = 103.75; VAT 25.94.
    assert cdr["total_excl_vat"] == "103.75"
    assert cdr["total_incl_vat"] == "129.69"


async def test_every_id_tag_status_is_answered_per_16(operator):
    backend = operator
    register(backend, "CP-TAGS")
    async with charge_point(backend, "CP-TAGS") as cp:
        await cp.call(call.BootNotification(charge_point_model="M", charge_point_vendor="V"))
        for tag, expected in [("GOOD", "Accepted"), ("BLOCKED", "Blocked"), ("EXPIRED", "Expired"),
                              ("NOBODY", "Invalid")]:
            answer = await cp.call(call.Authorize(id_tag=tag))
            assert answer.id_tag_info["status"] == expected, tag
        child = await cp.call(call.Authorize(id_tag="CHILD-A"))
        assert child.id_tag_info["parent_id_tag"] == "FAMILY"
        first = await cp.call(call.StartTransaction(connector_id=1, id_tag="GOOD2", meter_start=0,
                                                    timestamp="2026-11-23T08:00:00Z"))
        assert first.id_tag_info["status"] == "Accepted"
        second = await cp.call(call.StartTransaction(connector_id=2, id_tag="GOOD2", meter_start=0,
                                                     timestamp="2026-11-23T08:01:00Z"))
        assert second.id_tag_info["status"] == "ConcurrentTx"
        multi = [await cp.call(call.StartTransaction(connector_id=c, id_tag="MULTI", meter_start=0,
                                                     timestamp=f"2026-11-23T08:0{c}:00Z")) for c in (3, 4)]
        assert [m.id_tag_info["status"] for m in multi] == ["Accepted", "Accepted"]


async def test_retransmitted_start_returns_the_same_transaction_id(operator):
    backend = operator
    register(backend, "CP-RETX")
    async with charge_point(backend, "CP-RETX") as cp:
        await cp.call(call.BootNotification(charge_point_model="M", charge_point_vendor="V"))
        payload = call.StartTransaction(connector_id=1, id_tag="CHILD-B", meter_start=5,
                                        timestamp="2026-11-23T09:00:00Z")
        first = await cp.call(payload, unique_id="start-1")
        same_id = await cp.call(payload, unique_id="start-1")
        new_id = await cp.call(payload, unique_id="start-2")
        assert first.transaction_id == same_id.transaction_id == new_id.transaction_id
        # A stop by another tag of the same parent is accepted and recorded once.
        stop = call.StopTransaction(meter_stop=1005, timestamp="2026-11-23T10:00:00Z",
                                    transaction_id=first.transaction_id, id_tag="CHILD-A")
        await cp.call(stop, unique_id="stop-1")
        await cp.call(stop, unique_id="stop-1")
    view = api_ok(backend, "GET", f"/api/v1/transactions/{first.transaction_id}")
    assert view["energy_wh"] == 1000
    assert view["stopped_at"] == "2026-11-23T10:00:00Z"


async def test_message_ids_reused_after_a_reboot_start_a_new_session(operator):
    """OCPP-J makes ids unique per connection only; many chargers count from 1 after a reboot."""
    backend = operator
    register(backend, "CP-REBOOT")
    sessions = []
    for boot, (start_wh, stop_wh, hour) in enumerate([(0, 4000, 9), (4000, 6500, 11)]):
        async with charge_point(backend, "CP-REBOOT") as cp:
            await cp.call(call.BootNotification(charge_point_model="M", charge_point_vendor="V"),
                          unique_id="1")
            start = await cp.call(call.StartTransaction(
                connector_id=1, id_tag="CHILD-B", meter_start=start_wh,
                timestamp=f"2026-11-24T{hour:02}:00:00Z"), unique_id="2")
            await cp.call(call.StopTransaction(
                meter_stop=stop_wh, timestamp=f"2026-11-24T{hour:02}:30:00Z",
                transaction_id=start.transaction_id), unique_id="3")
            sessions.append(start.transaction_id)
    assert sessions[0] != sessions[1]
    energy = [api_ok(backend, "GET", f"/api/v1/transactions/{tx}")["energy_wh"] for tx in sessions]
    assert energy == [4000, 2500]


async def test_offline_start_with_an_unknown_tag_is_kept_flagged(operator):
    backend = operator
    register(backend, "CP-OFFLINE")
    async with charge_point(backend, "CP-OFFLINE") as cp:
        await cp.call(call.BootNotification(charge_point_model="M", charge_point_vendor="V"))
        start = await cp.call(call.StartTransaction(connector_id=1, id_tag="STRANGER", meter_start=0,
                                                    timestamp="2026-11-22T23:00:00Z"))
        assert start.id_tag_info["status"] == "Invalid"
        assert start.transaction_id > 0
        unknown = await cp.call(call.StopTransaction(meter_stop=10, timestamp="2026-11-23T00:00:00Z",
                                                     transaction_id=987654))
        assert unknown is not None
    view = api_ok(backend, "GET", f"/api/v1/transactions/{start.transaction_id}")
    assert view["id_tag"] == "STRANGER"
    assert view["flagged"] is True


async def test_charge_point_with_a_password_needs_basic_auth(operator):
    backend = operator
    register(backend, "CP-LOCKED", password="0123456789abcdef")
    for password in (None, "wrong-password-1"):
        with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
            async with charge_point(backend, "CP-LOCKED", password=password):
                pass
        assert refused.value.response.status_code == 401
    async with charge_point(backend, "CP-LOCKED", password="0123456789abcdef") as cp:
        boot = await cp.call(call.BootNotification(charge_point_model="M", charge_point_vendor="V"))
        assert boot.status == "Accepted"
    view = api_ok(backend, "GET", "/api/v1/charge-points/CP-LOCKED")
    assert "0123456789abcdef" not in str(view)


def test_api_needs_the_bearer_token(backend):
    status, _ = backend.api("GET", "/api/v1/charge-points/CP-SESSION", token=None)
    assert status == 401
    status, _ = backend.api("GET", "/api/v1/charge-points/CP-SESSION", token="wrong")
    assert status == 401


def test_api_refuses_malformed_json_and_unknown_fields_naming_them(backend):
    status, problem = backend.api("PUT", "/api/v1/id-tags/TYPO", {"status": "Accepted", "expiry": "2030-01-01T00:00:00Z"})
    assert status == 400
    assert "expiry" in problem["detail"]
    status, problem = backend.api("PUT", "/api/v1/charge-points/CP-TZ", {"time_zone": "Mars/Olympus"})
    assert status == 400

"""OCPP 2.0.1 end to end, through both gateways: subprotocol negotiation and the
operator's version pin, provisioning (boot, Pending / Rejected, status, events,
device model reports), authorization, transactions with TransactionEvent
(priced, out of order, offline, retransmitted), meter values, DataTransfer, and
the 2.0.1 RPC error codes.

Each test is named after the OCTT 2.0.1 CSMS test case it covers (Part 6); the
few without one say which part of the specification they check. The charging
station is the `ocpp` package's v201 ChargePoint, which validates every answer
against the official 2.0.1 schemas, or a raw socket where the frames themselves
are under test."""

import asyncio
import csv
import io
import json
import time
from decimal import Decimal

import pytest
import websockets
from ocpp.v16 import call as call16
from ocpp.routing import on
from ocpp.v201 import call, call_result

from conftest import ChargePoint201, charge_point, charge_point_201, raw_socket
from test_operator_api import get_text

# docs/tariffs.md's example tariff, as the 1.6 session tests price with it.
from test_session import TARIFF  # noqa: E402

ID_TOKENS = {
    # One accepted token per transaction test, so that no test sees another's open transaction.
    "GOOD201": {"status": "Accepted"},
    "GOOD201-B": {"status": "Accepted"},
    "GOOD201-C": {"status": "Accepted"},
    "GOOD201-D": {"status": "Accepted"},
    "GOOD201-E": {"status": "Accepted"},
    "BLOCKED201": {"status": "Blocked"},
    "EXPIRED201": {"status": "Accepted", "expiry_date": "2020-01-01T00:00:00Z"},
    "CHILD201-A": {"status": "Accepted", "parent_id_tag": "GROUP1"},
    "CHILD201-B": {"status": "Accepted", "parent_id_tag": "GROUP1"},
    "ABC201": {"status": "Accepted"},
    "CARD201": {"status": "Accepted", "type": "ISO14443"},
    "ANYTYPE201": {"status": "Accepted"},
}

EVSE = {"id": 1, "connector_id": 1}


def api_ok(backend, method, path, body=None):
    status, answer = backend.api(method, path, body)
    assert status in (200, 201), (method, path, status, answer)
    return answer


@pytest.fixture(scope="module")
def operator(backend):
    api_ok(backend, "PUT", "/api/v1/tariffs/stockholm-2026", TARIFF)
    for token, body in ID_TOKENS.items():
        api_ok(backend, "PUT", f"/api/v1/id-tags/{token}", body)
    return backend


def register(backend, cp_id, **fields):
    body = {"time_zone": "Europe/Stockholm", "tariff_id": "stockholm-2026", **fields}
    api_ok(backend, "PUT", f"/api/v1/charge-points/{cp_id}", body)


# --- requests ------------------------------------------------------------------------------

def at(hour, minute=0):
    """Saturday 2026-01-17 (UTC; Stockholm is UTC+1): the example tariff then prices energy
    at 2.00/kWh plus a 5.00 session fee, and parking is free after 20:00 local."""
    return f"2026-01-17T{hour:02}:{minute:02}:00Z"


def boot_request(reason="PowerUp"):
    return call.BootNotification(charging_station={"model": "Fast-2", "vendor_name": "Acme"}, reason=reason)


def token(id_token, kind="ISO14443"):
    return {"id_token": id_token, "type": kind}


def energy(ts, value, context, unit="Wh"):
    return {"timestamp": ts, "sampled_value": [
        {"value": value, "context": context, "measurand": "Energy.Active.Import.Register",
         "unit_of_measure": {"unit": unit}},
    ]}


def started(tx, ts, *, meter_wh=None, id_token=None, trigger="Authorized", charging_state=None, **extra):
    info = {"transaction_id": tx, **({"charging_state": charging_state} if charging_state else {})}
    return call.TransactionEvent(
        event_type="Started", timestamp=ts, trigger_reason=trigger, seq_no=extra.pop("seq_no", 0),
        transaction_info=info, id_token=id_token, evse=EVSE,
        meter_value=None if meter_wh is None else [energy(ts, float(meter_wh), "Transaction.Begin")],
        **extra)


def updated(tx, ts, seq_no, *, meter=None, id_token=None, trigger="MeterValuePeriodic",
            charging_state="Charging", **extra):
    return call.TransactionEvent(
        event_type="Updated", timestamp=ts, trigger_reason=trigger, seq_no=seq_no,
        transaction_info={"transaction_id": tx, "charging_state": charging_state},
        id_token=id_token, meter_value=meter, **extra)


def ended(tx, ts, seq_no, *, meter_wh, id_token=None, trigger="EVDeparted", reason="EVDisconnected", **extra):
    return call.TransactionEvent(
        event_type="Ended", timestamp=ts, trigger_reason=trigger, seq_no=seq_no,
        transaction_info={"transaction_id": tx, "stopped_reason": reason, "charging_state": "Idle"},
        id_token=id_token, meter_value=[energy(ts, float(meter_wh), "Transaction.End")], **extra)


# --- raw frames ------------------------------------------------------------------------------

async def answer(ws, frame):
    """Sends one frame (a list, or text sent as is) and returns the first CALLRESULT or
    CALLERROR that comes back, skipping any CALL the central system sends meanwhile."""
    await ws.send(frame if isinstance(frame, str) else json.dumps(frame))
    deadline = time.monotonic() + 20
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.monotonic())))
        if message[0] != 2:
            return message


def raw_boot(message_id):
    return [2, message_id, "BootNotification",
            {"reason": "PowerUp", "chargingStation": {"model": "Fast-2", "vendorName": "Acme"}}]


async def close_code(ws):
    """Waits (at most 20 s) for the server to close the socket; returns its close code."""
    with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), 20)
    assert closed.value.rcvd is not None, "closed without a close frame"
    return closed.value.rcvd.code


# --- API views ------------------------------------------------------------------------------

def boot_version(view):
    """The version of the connection that sent the last BootNotification (`ocpp_version`;
    the 1.6 view has it as `boot.ocpp_version`)."""
    return view["ocpp_version"] if "ocpp_version" in view else view["boot"]["ocpp_version"]


def connector(backend, cp_id, evse_id, connector_id):
    items = api_ok(backend, "GET", f"/api/v1/charge-points/{cp_id}/connectors")["items"]
    found = [c for c in items if c["evse_id"] == evse_id and c["evse_connector_id"] == connector_id]
    assert len(found) == 1, items
    return found[0]


def transactions(backend, cp_id):
    return api_ok(backend, "GET", f"/api/v1/transactions?charge_point_id={cp_id}")["items"]


def the_transaction(backend, cp_id, tx):
    found = [t for t in transactions(backend, cp_id) if t["station_transaction_id"] == tx]
    assert len(found) == 1, found
    return found[0]


def status_of(answer_with_info):
    return answer_with_info.id_token_info["status"]


# === Negotiation (OCPP-J Part 4 §3.1.2-3.3) =================================================

@pytest.mark.parametrize("offer, chosen", [
    (("ocpp2.0.1", "ocpp1.6"), "ocpp2.0.1"),
    (("ocpp1.6", "ocpp2.0.1"), "ocpp1.6"),
    (("ocpp2.0.1",), "ocpp2.0.1"),
    (("ocpp0.1", "ocpp2.0.1"), "ocpp2.0.1"),
])
async def test_TC_B_58_CSMS_first_supported_subprotocol_offered_is_chosen(backend, offer, chosen):
    """TC_B_58: offered an unsupported and a supported version, the CSMS upgrades with the supported one in Sec-WebSocket-Protocol."""
    async with raw_socket(backend, "CP201-B58", subprotocols=offer) as ws:
        assert ws.subprotocol == chosen
        if chosen == "ocpp2.0.1":
            assert (await answer(ws, raw_boot("b1")))[0] == 3


@pytest.mark.parametrize("offer", [("ocpp0.1",), ("ocpp2.1",), ("ocpp1.5",)])
async def test_TC_B_58_CSMS_no_supported_subprotocol_gets_no_header_and_is_closed(backend, offer):
    """TC_B_58: offered only unsupported versions the CSMS does not speak OCPP (Part 4: handshake without a subprotocol, then close)."""
    async with raw_socket(backend, "CP201-B58-NONE", subprotocols=offer) as ws:
        assert ws.subprotocol is None
        assert await close_code(ws) == 1002


async def test_operator_pin_overrides_the_stations_preference(backend):
    """No OCTT case: an operator pins a station to one version (`ocpp_version`); null removes the pin."""
    api_ok(backend, "PUT", "/api/v1/charge-points/CP201-PIN16", {"ocpp_version": "ocpp1.6"})
    async with raw_socket(backend, "CP201-PIN16", subprotocols=("ocpp2.0.1", "ocpp1.6")) as ws:
        assert ws.subprotocol == "ocpp1.6"
        assert (await answer(ws, '[2,"1","Heartbeat",{}]'))[0] == 3

    api_ok(backend, "PUT", "/api/v1/charge-points/CP201-PIN201", {"ocpp_version": "ocpp2.0.1"})
    async with raw_socket(backend, "CP201-PIN201", subprotocols=("ocpp1.6",)) as ws:
        assert ws.subprotocol is None
        assert await close_code(ws) == 1002
    async with raw_socket(backend, "CP201-PIN201", subprotocols=("ocpp1.6", "ocpp2.0.1")) as ws:
        assert ws.subprotocol == "ocpp2.0.1"

    api_ok(backend, "PUT", "/api/v1/charge-points/CP201-PIN201", {"ocpp_version": None})
    async with raw_socket(backend, "CP201-PIN201", subprotocols=("ocpp1.6",)) as ws:
        assert ws.subprotocol == "ocpp1.6"


async def test_station_that_boots_as_16_then_as_201_keeps_one_registry_entry(backend):
    """No OCTT case: some chargers open a short 1.6 connection before their 2.0.1 one; the version is recorded per connection."""
    cp_id = "CP201-TWICE"
    async with charge_point(backend, cp_id) as cp16:
        boot = await cp16.call(call16.BootNotification(charge_point_model="Fast-2", charge_point_vendor="Acme"))
        assert boot.status == "Accepted"
        view = api_ok(backend, "GET", f"/api/v1/charge-points/{cp_id}")
        assert boot_version(view) == "ocpp1.6"
        assert view["connection"]["ocpp_version"] == "ocpp1.6"
    async with charge_point_201(backend, cp_id) as cp:
        assert (await cp.call(boot_request())).status == "Accepted"
        view = api_ok(backend, "GET", f"/api/v1/charge-points/{cp_id}")
        assert boot_version(view) == "ocpp2.0.1"
        assert view["connection"]["ocpp_version"] == "ocpp2.0.1"
    listed = api_ok(backend, "GET", "/api/v1/charge-points?limit=500")["items"]
    assert [c["id"] for c in listed].count(cp_id) == 1
    assert boot_version(api_ok(backend, "GET", f"/api/v1/charge-points/{cp_id}")) == "ocpp2.0.1"


# === B Provisioning ============================================================================

async def test_TC_B_01_CSMS_cold_boot_accepted(backend):
    """TC_B_01: a BootNotification with reason PowerUp is Accepted; the connectors' StatusNotifications are answered."""
    cp_id = "CP201-B01"
    async with charge_point_201(backend, cp_id) as cp:
        boot = await cp.call(boot_request())
        assert boot.status == "Accepted"
        assert boot.interval == 60
        assert boot.current_time.endswith("Z")
        beat = await cp.call(call.Heartbeat())
        assert beat.current_time.endswith("Z")
        await cp.call(call.StatusNotification(timestamp=at(8), connector_status="Available",
                                              evse_id=1, connector_id=1))
        assert connector(backend, cp_id, 1, 1)["status"] == "Available"
        view = api_ok(backend, "GET", f"/api/v1/charge-points/{cp_id}")
        assert view["online"] is True
        assert boot_version(view) == "ocpp2.0.1"
        assert view["connection"]["ocpp_version"] == "ocpp2.0.1"


async def test_TC_B_02_CSMS_cold_boot_pending_then_accepted(backend):
    """TC_B_02: a station the CSMS holds Pending gets Pending, keeps its connection, and is Accepted at its next boot."""
    cp_id = "CP201-B02"
    api_ok(backend, "PUT", f"/api/v1/charge-points/{cp_id}", {"registration_status": "Pending"})
    async with charge_point_201(backend, cp_id) as cp:
        pending = await cp.call(boot_request())
        assert pending.status == "Pending"
        assert pending.current_time.endswith("Z")
        api_ok(backend, "PUT", f"/api/v1/charge-points/{cp_id}", {"registration_status": "Accepted"})
        assert (await cp.call(boot_request())).status == "Accepted"
        await cp.call(call.StatusNotification(timestamp=at(8), connector_status="Available",
                                              evse_id=1, connector_id=1))


async def test_TC_B_30_CSMS_pending_station_gets_security_error(backend):
    """TC_B_30: while Pending, a CALL other than BootNotification (and the reports of what the CSMS asked for) is answered with CALLERROR SecurityError."""
    cp_id = "CP201-B30P"
    api_ok(backend, "PUT", f"/api/v1/charge-points/{cp_id}", {"registration_status": "Pending"})
    async with raw_socket(backend, cp_id, subprotocols=("ocpp2.0.1",)) as ws:
        boot = await answer(ws, raw_boot("b1"))
        assert boot[:2] == [3, "b1"] and boot[2]["status"] == "Pending"
        for frame in (
            [2, "h1", "Heartbeat", {}],
            [2, "s1", "StatusNotification", {"timestamp": at(8), "connectorStatus": "Available",
                                             "evseId": 1, "connectorId": 1}],
            [2, "a1", "Authorize", {"idToken": {"idToken": "GOOD201", "type": "ISO14443"}}],
            [2, "t1", "TransactionEvent", {
                "eventType": "Started", "timestamp": at(8), "triggerReason": "CablePluggedIn", "seqNo": 0,
                "transactionInfo": {"transactionId": "tx-pending"}, "evse": {"id": 1, "connectorId": 1}}],
        ):
            error = await answer(ws, frame)
            assert error[0] == 4 and error[1] == frame[1] and error[2] == "SecurityError", error
    assert all(t["station_transaction_id"] != "tx-pending" for t in transactions(backend, cp_id))


async def test_TC_B_30_CSMS_rejected_station_is_rejected_and_gets_security_error(backend):
    """TC_B_30 (Rejected variant): a Rejected station's boot is answered Rejected and its other CALLs get SecurityError."""
    cp_id = "CP201-B30R"
    api_ok(backend, "PUT", f"/api/v1/charge-points/{cp_id}", {"registration_status": "Rejected"})
    async with raw_socket(backend, cp_id, subprotocols=("ocpp2.0.1",)) as ws:
        boot = await answer(ws, raw_boot("b1"))
        assert boot[:2] == [3, "b1"] and boot[2]["status"] == "Rejected"
        error = await answer(ws, [2, "a1", "Authorize", {"idToken": {"idToken": "GOOD201", "type": "ISO14443"}}])
        assert error[:3] == [4, "a1", "SecurityError"], error


async def test_TC_N_21_CSMS_notify_event_is_answered_and_availability_state_sets_the_connector(backend):
    """TC_N_21: a NotifyEvent (HardWiredMonitor alert) gets an empty NotifyEventResponse; an AvailabilityState event updates the connector (G04 alternative to StatusNotification)."""
    cp_id = "CP201-N21"
    async with charge_point_201(backend, cp_id) as cp:
        await cp.call(boot_request())
        await cp.call(call.StatusNotification(timestamp=at(8), connector_status="Available",
                                              evse_id=1, connector_id=1))
        assert connector(backend, cp_id, 1, 1)["status"] == "Available"
        await cp.call(call.NotifyEvent(generated_at=at(8, 5), seq_no=0, tbc=False, event_data=[
            {"event_id": 1, "timestamp": at(8, 5), "trigger": "Delta", "actual_value": "Unavailable",
             "event_notification_type": "HardWiredNotification",
             "component": {"name": "Connector", "evse": {"id": 1, "connector_id": 1}},
             "variable": {"name": "AvailabilityState"}},
            {"event_id": 2, "timestamp": at(8, 5), "trigger": "Alerting", "actual_value": "true",
             "event_notification_type": "HardWiredMonitor", "cleared": False,
             "component": {"name": "ChargingStation"}, "variable": {"name": "Problem"}},
        ]))
        assert connector(backend, cp_id, 1, 1)["status"] == "Unavailable"


async def test_firmware_status_notifications_are_answered(backend):
    """No OCTT case (the station side of TC_L_01, which needs a CSMS-sent UpdateFirmware): every FirmwareStatusNotification of an update, the FirmwareUpdate reboot and the final Installed are answered."""
    async with charge_point_201(backend, "CP201-L01") as cp:
        await cp.call(boot_request())
        for status in ("Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting"):
            await cp.call(call.FirmwareStatusNotification(status=status, request_id=7))
        assert (await cp.call(boot_request(reason="FirmwareUpdate"))).status == "Accepted"
        await cp.call(call.StatusNotification(timestamp=at(9), connector_status="Available",
                                              evse_id=1, connector_id=1))
        await cp.call(call.FirmwareStatusNotification(status="Installed", request_id=7))


async def test_log_status_notifications_are_answered(backend):
    """No OCTT case (the station side of TC_N_25, which needs a CSMS-sent GetLog): LogStatusNotifications (Idle, Uploading, Uploaded) get a LogStatusNotificationResponse."""
    async with charge_point_201(backend, "CP201-N25") as cp:
        await cp.call(boot_request())
        await cp.call(call.LogStatusNotification(status="Idle"))
        await cp.call(call.LogStatusNotification(status="Uploading", request_id=3))
        await cp.call(call.LogStatusNotification(status="Uploaded", request_id=3))


async def test_security_event_notification_is_answered(backend):
    """No dedicated OCTT CSMS case (Part 5 Core requires security events): SecurityEventNotification is answered."""
    async with charge_point_201(backend, "CP201-SEC") as cp:
        await cp.call(boot_request())
        await cp.call(call.SecurityEventNotification(type="StartupOfTheDevice", timestamp=at(8),
                                                     tech_info="cold boot"))
        await cp.call(call.SecurityEventNotification(type="SettingSystemTime", timestamp=at(8, 1)))


async def test_notify_report_parts_are_stored_and_shown(backend):
    """No OCTT case (the NotifyReport half of TC_B_12/TC_B_13, which need a CSMS-sent GetBaseReport): the CSMS receives every NotifyReportRequest of a report and can show the result."""
    cp_id = "CP201-B13"
    async with charge_point_201(backend, cp_id) as cp:
        await cp.call(boot_request())
        await cp.call(call.NotifyReport(request_id=1, generated_at=at(8), seq_no=0, tbc=True, report_data=[
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"},
             "variable_attribute": [{"type": "Actual", "value": "60", "mutability": "ReadWrite"}],
             "variable_characteristics": {"data_type": "integer", "unit": "s", "supports_monitoring": False}},
        ]))
        await cp.call(call.NotifyReport(request_id=1, generated_at=at(8), seq_no=1, tbc=False, report_data=[
            {"component": {"name": "AuthCtrlr"}, "variable": {"name": "AuthorizeRemoteStart"},
             "variable_attribute": [{"type": "Actual", "value": "true", "mutability": "ReadWrite"}]},
            {"component": {"name": "Connector", "evse": {"id": 1, "connector_id": 1}},
             "variable": {"name": "AvailabilityState"},
             "variable_attribute": [{"type": "Actual", "value": "Available", "mutability": "ReadOnly"}]},
        ]))
    items = api_ok(backend, "GET", f"/api/v1/charge-points/{cp_id}/variables")["items"]
    for component, variable, value in (("OCPPCommCtrlr", "HeartbeatInterval", "60"),
                                       ("AuthCtrlr", "AuthorizeRemoteStart", "true")):
        assert any(i["component"] == component and i["variable"] == variable and i["attribute_type"] == "Actual"
                   and i["value"] == value and i["mutability"] == "ReadWrite" for i in items), (variable, items)


# === C Authorization ===========================================================================

async def test_TC_C_02_CSMS_unknown_id_token_is_not_accepted(operator):
    """TC_C_02: an AuthorizeRequest with an idToken the CSMS does not know gets idTokenInfo.status Invalid or Unknown (here Unknown)."""
    async with charge_point_201(operator, "CP201-C02") as cp:
        await cp.call(boot_request())
        assert status_of(await cp.call(call.Authorize(id_token=token("NOBODY201")))) == "Unknown"


async def test_TC_C_06_CSMS_blocked_id_token(operator):
    """TC_C_06: an AuthorizeRequest with a blocked idToken gets idTokenInfo.status Blocked."""
    async with charge_point_201(operator, "CP201-C06") as cp:
        await cp.call(boot_request())
        assert status_of(await cp.call(call.Authorize(id_token=token("BLOCKED201")))) == "Blocked"


async def test_TC_C_07_CSMS_expired_id_token(operator):
    """TC_C_07: an AuthorizeRequest with an expired idToken gets idTokenInfo.status Expired."""
    async with charge_point_201(operator, "CP201-C07") as cp:
        await cp.call(boot_request())
        assert status_of(await cp.call(call.Authorize(id_token=token("EXPIRED201")))) == "Expired"


async def test_TC_C_39_CSMS_authorization_by_group_id(operator):
    """TC_C_39: tokens of one group get Accepted with their groupIdToken in Authorize and TransactionEvent answers; another token of the group may stop."""
    cp_id = "CP201-C39"
    register(operator, cp_id)
    async with charge_point_201(operator, cp_id) as cp:
        await cp.call(boot_request())
        for tok in ("CHILD201-B", "CHILD201-A"):
            auth = await cp.call(call.Authorize(id_token=token(tok)))
            assert status_of(auth) == "Accepted"
            assert auth.id_token_info["group_id_token"]["id_token"] == "GROUP1"
        start = await cp.call(started("tx-c39", at(20), meter_wh=0, id_token=token("CHILD201-A")))
        assert status_of(start) == "Accepted"
        assert start.id_token_info["group_id_token"]["id_token"] == "GROUP1"
        stop = await cp.call(updated("tx-c39", at(20, 30), 1, trigger="StopAuthorized", charging_state="EVConnected",
                                     id_token=token("CHILD201-B")))
        assert status_of(stop) == "Accepted"
        assert stop.id_token_info["group_id_token"]["id_token"] == "GROUP1"
        await cp.call(ended("tx-c39", at(20, 31), 2, meter_wh=3000, reason="Local"))
    assert the_transaction(operator, cp_id, "tx-c39")["stopped_at"] is not None


async def test_id_tokens_match_case_insensitively(operator):
    """No OCTT case (2.0.1 IdToken is case-insensitive): registered ABC201, presented abc201, is Accepted."""
    async with charge_point_201(operator, "CP201-CASE") as cp:
        await cp.call(boot_request())
        assert status_of(await cp.call(call.Authorize(id_token=token("abc201")))) == "Accepted"


async def test_an_id_token_longer_than_a_16_id_tag_is_registered_and_accepted(operator):
    """No OCTT case: a 2.0.1 idToken may have 36 characters (1.6 idTags 20); one of 36 is registered and Accepted."""
    long_token = "EMAID-DE-ABC-C12345678-9-0123456789"[:36]
    assert len(long_token) > 20
    api_ok(operator, "PUT", f"/api/v1/id-tags/{long_token}", {"status": "Accepted", "type": "eMAID"})
    async with charge_point_201(operator, "CP201-LONG") as cp:
        await cp.call(boot_request())
        answer = await cp.call(call.Authorize(id_token={"id_token": long_token, "type": "eMAID"}))
        assert status_of(answer) == "Accepted"


async def test_id_token_registered_with_a_type_matches_only_that_type(operator):
    """No OCTT case: a token registered as ISO14443 presented as KeyCode is Unknown; one registered without a type matches any type."""
    async with charge_point_201(operator, "CP201-TYPE") as cp:
        await cp.call(boot_request())
        assert status_of(await cp.call(call.Authorize(id_token=token("CARD201")))) == "Accepted"
        assert status_of(await cp.call(call.Authorize(id_token=token("CARD201", "KeyCode")))) == "Unknown"
        for kind in ("ISO14443", "KeyCode", "ISO15693"):
            assert status_of(await cp.call(call.Authorize(id_token=token("ANYTYPE201", kind)))) == "Accepted", kind


# === E Transactions, J Meter values ==========================================================

async def test_TC_E_04_CSMS_authorization_first_session_is_stored_and_priced(operator):
    """TC_E_04 (with TC_J_07, TC_J_09, TC_J_10): Authorize, then Started / Updated / Ended with meter values; idTokenInfo exactly when idToken is sent, totalCost on Ended."""
    cp_id = "CP201-E04"
    register(operator, cp_id)
    async with charge_point_201(operator, cp_id) as cp:
        await cp.call(boot_request())
        assert status_of(await cp.call(call.Authorize(id_token=token("GOOD201")))) == "Accepted"
        await cp.call(call.StatusNotification(timestamp=at(20), connector_status="Occupied", evse_id=1, connector_id=1))
        # 21:00-23:00 Stockholm on a Saturday.
        start = await cp.call(started("tx-1", at(20), meter_wh=1000, id_token=token("GOOD201"),
                                      charging_state="Charging"))
        assert status_of(start) == "Accepted"
        periodic = await cp.call(updated("tx-1", at(21), 1, meter=[
            energy(at(20, 30), 2750.0, "Sample.Periodic"),
            energy(at(21), 4.5, "Sample.Periodic", unit="kWh"),
        ]))
        assert periodic.id_token_info is None
        end = await cp.call(ended("tx-1", at(22), 2, meter_wh=13000))
        assert end.id_token_info is None
        assert end.total_cost is not None
    view = the_transaction(operator, cp_id, "tx-1")
    assert view["ocpp_version"] == "ocpp2.0.1"
    assert view["charge_point_id"] == cp_id
    assert (view["evse_id"], view["connector_id"]) == (1, 1)
    assert view["id_tag"] == "GOOD201"
    assert (view["meter_start_wh"], view["meter_stop_wh"], view["energy_wh"]) == (1000, 13000, 12000)
    assert view["started_at"] == at(20)
    assert view["stopped_at"] == at(22)
    assert view["stop_reason"] == "EVDisconnected"
    assert view["seq_no_gaps"] == []
    cdr = view["charge_detail_record"]
    assert cdr["currency"] == "SEK"
    # 12 kWh x 2.00 + 5.00 session fee = 29.00; VAT 25 % 7.25.
    assert cdr["total_excl_vat"] == "29.00"
    assert cdr["total_incl_vat"] == "36.25"
    assert Decimal(str(end.total_cost)) == Decimal(cdr["total_incl_vat"])
    # The kWh sample is kept in Wh.
    detail = api_ok(operator, "GET", f"/api/v1/transactions/{view['id']}")
    register_wh = [m["value_wh"] for m in detail["meter_values"] if m["measurand"] == "Energy.Active.Import.Register"]
    assert {2750, 4500} <= set(register_wh), register_wh
    # The CDR export lists it like a 1.6 session, with the station's own id.
    _, _, text = get_text(operator, f"/api/v1/cdrs.csv?charge_point_id={cp_id}")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["ocpp_version"], r["station_transaction_id"], r["evse_id"], r["total_incl_vat"])
            for r in rows] == [("ocpp2.0.1", "tx-1", "1", "36.25")]


async def test_TC_E_03_CSMS_cable_plugin_first_then_authorized(operator):
    """TC_E_03 (with TC_C_08): a transaction started by plugging in has no idToken (no idTokenInfo); the Updated that authorizes it gets idTokenInfo Accepted."""
    cp_id = "CP201-E03"
    register(operator, cp_id)
    async with charge_point_201(operator, cp_id) as cp:
        await cp.call(boot_request())
        start = await cp.call(started("tx-e03", at(20), meter_wh=2000, trigger="CablePluggedIn",
                                      charging_state="EVConnected"))
        assert start.id_token_info is None
        authorized = await cp.call(updated("tx-e03", at(20, 1), 1, trigger="Authorized", charging_state="EVConnected",
                                           id_token=token("GOOD201-B")))
        assert status_of(authorized) == "Accepted"
        charging = await cp.call(updated("tx-e03", at(20, 2), 2, trigger="ChargingStateChanged"))
        assert charging.id_token_info is None
        end = await cp.call(ended("tx-e03", at(21), 3, meter_wh=7000))
        assert end.id_token_info is None
    view = the_transaction(operator, cp_id, "tx-e03")
    assert view["id_tag"] == "GOOD201-B"
    assert view["energy_wh"] == 5000
    assert view["stopped_at"] == at(21)
    assert view["seq_no_gaps"] == []
    assert Decimal(str(end.total_cost)) == Decimal(view["charge_detail_record"]["total_incl_vat"])


async def test_TC_E_16_CSMS_unknown_id_token_deauthorizes_the_transaction(operator):
    """TC_E_16: a TransactionEvent with an idToken the CSMS does not accept gets a non-Accepted idTokenInfo; the station's Deauthorized Ended is answered."""
    cp_id = "CP201-E16"
    register(operator, cp_id)
    async with charge_point_201(operator, cp_id) as cp:
        await cp.call(boot_request())
        start = await cp.call(started("tx-e16", at(20), meter_wh=0, id_token=token("STRANGER201")))
        assert status_of(start) in ("Invalid", "Unknown")
        await cp.call(ended("tx-e16", at(20, 1), 1, meter_wh=10, trigger="Deauthorized", reason="DeAuthorized"))
    view = the_transaction(operator, cp_id, "tx-e16")
    assert view["stopped_at"] == at(20, 1)
    assert view["stop_reason"] == "DeAuthorized"


async def test_TC_E_53_CSMS_seq_no_restarts_at_0_for_each_transaction(operator):
    """TC_E_53: the CSMS accepts seqNo 0 again at the start of a new transaction."""
    cp_id = "CP201-E53"
    register(operator, cp_id)
    async with charge_point_201(operator, cp_id) as cp:
        await cp.call(boot_request())
        for tx, hour, meter_start in (("tx-e53-a", 20, 0), ("tx-e53-b", 21, 4000)):
            start = await cp.call(started(tx, at(hour), meter_wh=meter_start, id_token=token("GOOD201-D")))
            assert status_of(start) == "Accepted"
            await cp.call(updated(tx, at(hour, 15), 1, meter=[energy(at(hour, 15), meter_start + 1000.0, "Sample.Periodic")]))
            await cp.call(ended(tx, at(hour, 30), 2, meter_wh=meter_start + 2000))
    listed = transactions(operator, cp_id)
    assert [t["station_transaction_id"] for t in listed] == ["tx-e53-b", "tx-e53-a"]
    assert [t["energy_wh"] for t in listed] == [2000, 2000]
    assert all(t["stopped_at"] is not None and t["seq_no_gaps"] == [] for t in listed)


async def test_queued_offline_events_out_of_order_are_all_accepted(operator):
    """No OCTT case (the queued-event half of TC_E_31, which needs a CSMS-sent GetTransactionStatus): after a reconnect the Ended (offline, skipping seqNos) and then the queued Updated are all answered; seqNo shows what is missing."""
    cp_id = "CP201-E31"
    register(operator, cp_id)
    async with charge_point_201(operator, cp_id) as cp:
        await cp.call(boot_request())
        assert status_of(await cp.call(started("tx-e31", at(20), meter_wh=1000, id_token=token("GOOD201-E")))) == "Accepted"
    async with charge_point_201(operator, cp_id) as cp:
        await cp.call(call.StatusNotification(timestamp=at(22, 1), connector_status="Available", evse_id=1, connector_id=1))
        end = await cp.call(ended("tx-e31", at(22), 3, meter_wh=13000, offline=True))
        late = await cp.call(updated("tx-e31", at(21), 1, offline=True,
                                     meter=[energy(at(21), 7000.0, "Sample.Periodic")]))
        assert late.id_token_info is None
    view = the_transaction(operator, cp_id, "tx-e31")
    assert view["stopped_at"] == at(22)
    assert view["stop_reason"] == "EVDisconnected"
    assert (view["meter_start_wh"], view["meter_stop_wh"], view["energy_wh"]) == (1000, 13000, 12000)
    assert view["seq_no_gaps"] == [2]
    assert Decimal(str(end.total_cost)) == Decimal(view["charge_detail_record"]["total_incl_vat"])
    still_open = api_ok(operator, "GET", f"/api/v1/transactions?charge_point_id={cp_id}&state=open")["items"]
    assert still_open == []
    # Every event is kept in seqNo order, the late ones marked offline.
    events = api_ok(operator, "GET", f"/api/v1/transactions/{view['id']}")["events"]
    assert [(e["seq_no"], e["event_type"], e["offline"]) for e in events] == [
        (0, "Started", False), (1, "Updated", True), (3, "Ended", True)]


async def test_retransmitted_ended_is_answered_again_and_stored_once(operator):
    """No OCTT case (Part 4 §4.1.1, a CALL repeated with its message id): the second answer has the same totalCost; one transaction is kept."""
    cp_id = "CP201-RETX"
    register(operator, cp_id)
    async with charge_point_201(operator, cp_id) as cp:
        await cp.call(boot_request())
        await cp.call(started("tx-retx", at(20), meter_wh=500, id_token=token("GOOD201-C")))
        stop = ended("tx-retx", at(21), 1, meter_wh=6500)
        first = await cp.call(stop, unique_id="ended-1")
        again = await cp.call(stop, unique_id="ended-1")
        assert first.total_cost is not None
        assert Decimal(str(first.total_cost)) == Decimal(str(again.total_cost))
    listed = [t for t in transactions(operator, cp_id) if t["station_transaction_id"] == "tx-retx"]
    assert len(listed) == 1
    assert listed[0]["energy_wh"] == 6000
    assert Decimal(str(first.total_cost)) == Decimal(listed[0]["charge_detail_record"]["total_incl_vat"])


async def test_offline_transaction_with_an_unknown_or_blocked_token_is_kept_flagged(operator):
    """No OCTT case (queued offline events must not be dropped): an offline transaction of a token the CSMS would refuse is stored, flagged."""
    cp_id = "CP201-OFFLINE"
    register(operator, cp_id)
    async with charge_point_201(operator, cp_id) as cp:
        await cp.call(boot_request())
        for tx, tok, hour, expected in (("tx-off-unknown", "STRANGER201", 20, ("Unknown", "Invalid")),
                                        ("tx-off-blocked", "BLOCKED201", 21, ("Blocked",))):
            start = await cp.call(started(tx, at(hour), meter_wh=0, id_token=token(tok), offline=True))
            assert status_of(start) in expected, tx
            await cp.call(updated(tx, at(hour, 30), 1, offline=True,
                                  meter=[energy(at(hour, 30), 1000.0, "Sample.Periodic")]))
            await cp.call(ended(tx, at(hour, 50), 2, meter_wh=2000, offline=True))
    for tx, tok, hour in (("tx-off-unknown", "STRANGER201", 20), ("tx-off-blocked", "BLOCKED201", 21)):
        view = the_transaction(operator, cp_id, tx)
        assert view["id_tag"] == tok
        assert view["flagged"] is True
        assert view["stopped_at"] == at(hour, 50)
        assert view["energy_wh"] == 2000


async def test_TC_J_01_CSMS_meter_values_without_a_transaction(backend):
    """TC_J_01: clock-aligned MeterValues sent while no transaction is ongoing get a MeterValuesResponse."""
    async with charge_point_201(backend, "CP201-J01") as cp:
        await cp.call(boot_request())
        await cp.call(call.MeterValues(evse_id=1, meter_value=[energy(at(8), 1234.0, "Sample.Clock")]))
        await cp.call(call.MeterValues(evse_id=0, meter_value=[energy(at(8, 15), 99.5, "Sample.Clock", unit="kWh")]))


# === P DataTransfer ============================================================================

async def test_TC_P_02_CSMS_data_transfer_unknown_vendor(backend):
    """TC_P_02: a DataTransferRequest for a vendor the CSMS has no implementation of gets UnknownVendorId."""
    async with charge_point_201(backend, "CP201-P02") as cp:
        await cp.call(boot_request())
        transfer = await cp.call(call.DataTransfer(vendor_id="com.acme", message_id="TestMessage", data="hello"))
        assert transfer.status == "UnknownVendorId"


async def test_TC_P_03_CSMS_custom_data_is_accepted(operator):
    """TC_P_03: StatusNotification and TransactionEvent carrying customData (also in transactionInfo) are answered."""
    cp_id = "CP201-P03"
    register(operator, cp_id)
    custom = {"vendor_id": "com.acme", "firmware_build": "b42"}
    async with charge_point_201(operator, cp_id) as cp:
        await cp.call(boot_request())
        await cp.call(call.StatusNotification(timestamp=at(20), connector_status="Occupied", evse_id=1,
                                              connector_id=1, custom_data=custom))
        start = call.TransactionEvent(
            event_type="Started", timestamp=at(20), trigger_reason="CablePluggedIn", seq_no=0,
            transaction_info={"transaction_id": "tx-p03", "charging_state": "EVConnected", "custom_data": custom},
            evse=EVSE, meter_value=[energy(at(20), 0.0, "Transaction.Begin")], custom_data=custom)
        assert (await cp.call(start)).id_token_info is None
        await cp.call(ended("tx-p03", at(20, 10), 1, meter_wh=100, custom_data=custom))
    assert the_transaction(operator, cp_id, "tx-p03")["stopped_at"] == at(20, 10)


# === RPC errors (OCPP-J Part 4 §4.3, 2.0.1 spelling) ============================================

async def test_malformed_frames_get_201_error_codes_and_the_session_continues(backend):
    """No OCTT case (Part 4 §4.3): each malformed CALL gets the 2.0.1 CALLERROR code and the session goes on."""
    async with raw_socket(backend, "CP201-BAD", subprotocols=("ocpp2.0.1",)) as ws:
        assert (await answer(ws, raw_boot("b0")))[0] == 3
        broken = await answer(ws, '[2,"a","Heartbeat",{')
        assert broken[0] == 4 and broken[1] in ("a", "-1"), broken
        assert broken[2] in ("RpcFrameworkError", "FormatViolation"), broken
        status = {"timestamp": at(8), "connectorStatus": "Available", "evseId": 1, "connectorId": 1}
        cases = [
            ('[2,"b","BootNotification",{"reason":"PowerUp"}]', "OccurrenceConstraintViolation"),
            ('[2,"c","BootNotification",{"reason":"PowerUp","chargingStation":{"model":"M","vendorName":"V"},"x":1}]',
             "FormatViolation"),
            (json.dumps([2, "d", "StatusNotification", {**status, "evseId": "1"}]), "TypeConstraintViolation"),
            (json.dumps([2, "e", "StatusNotification", {**status, "connectorStatus": "Melted"}]),
             "PropertyConstraintViolation"),
            ('[2,"f","Teleport",{}]', "NotImplemented"),
            ('[2,"g","RequestStartTransaction",{"idToken":{"idToken":"X","type":"Central"},"remoteStartId":1}]',
             "NotSupported"),
            ('[7,"h","Heartbeat",{}]', "MessageTypeNotSupported"),
        ]
        for text, code in cases:
            error = await answer(ws, text)
            assert error[0] == 4 and error[1] == json.loads(text)[1] and error[2] == code, (text, error)
            assert len(error) == 5 and isinstance(error[3], str) and isinstance(error[4], dict), error
        ok = await answer(ws, '[2,"ok","Heartbeat",{}]')
        assert ok[:2] == [3, "ok"] and ok[2]["currentTime"].endswith("Z")


class CostShown201(ChargePoint201):
    """Shows what a CostUpdated tells it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.costs = []

    @on("CostUpdated")
    def on_cost_updated(self, total_cost, transaction_id, **kwargs):
        self.costs.append((transaction_id, total_cost))
        return call_result.CostUpdated()


async def test_cost_updated_shows_the_running_cost_the_final_record_then_confirms(operator):
    """2.0.1 CostUpdated (I03): the operator names the session, the CSMS prices it so far with
    the session's tariff; ending at the same reading bills exactly that."""
    cp_id = "CP201-COST"
    register(operator, cp_id)
    async with websockets.connect(f"{operator.ws_url}/{cp_id}", subprotocols=["ocpp2.0.1"],
                                  open_timeout=20) as ws:
        cp = CostShown201(cp_id, ws, response_timeout=20)
        task = asyncio.create_task(cp.start())
        try:
            await cp.call(boot_request())
            await cp.call(started("tx-cost", at(20), meter_wh=1000, id_token=token("GOOD201-E"),
                                  charging_state="Charging"))
            await cp.call(updated("tx-cost", at(21), 1, meter=[energy(at(21), 7000.0, "Sample.Periodic")]))
            status, queued = operator.api(
                "POST", f"/api/v1/charge-points/{cp_id}/commands/CostUpdated", {"transactionId": "tx-cost"})
            assert status == 202, queued
            # A look at the command sends it once the gateway has subscribed the socket.
            deadline = time.monotonic() + 20
            while not cp.costs and time.monotonic() < deadline:
                await asyncio.to_thread(operator.api, "GET", f"/api/v1/commands/{queued['command_id']}")
                await asyncio.sleep(0.1)
            assert [c[0] for c in cp.costs] == ["tx-cost"]
            end = await cp.call(ended("tx-cost", at(21), 2, meter_wh=7000))
        finally:
            task.cancel()
    running = Decimal(str(cp.costs[0][1]))
    # 6 kWh x 2.00 + 5.00 session fee = 17.00, with 25 % VAT.
    assert running == Decimal("21.25")
    assert Decimal(str(end.total_cost)) == running
    cdr = the_transaction(operator, cp_id, "tx-cost")["charge_detail_record"]
    assert Decimal(cdr["total_incl_vat"]) == running
    # An ended session has no running cost.
    status, problem = operator.api(
        "POST", f"/api/v1/charge-points/{cp_id}/commands/CostUpdated", {"transactionId": "tx-cost"})
    assert status == 409, problem

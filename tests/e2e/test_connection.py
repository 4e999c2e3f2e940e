"""Connection handling through the real gateway: subprotocol choice, refusals,
station-level messages answered to a schema-validating charge point, and
malformed frames answered with the right CALLERROR while the session goes on."""

import asyncio
import json
import urllib.request

import pytest
import websockets
from ocpp.v16 import call

from conftest import charge_point, exchange, raw_socket


async def test_boot_heartbeat_and_status_are_accepted(backend):
    async with charge_point(backend, "CP-BOOT") as cp:
        boot = await cp.call(call.BootNotification(charge_point_model="Fast-1", charge_point_vendor="Acme"))
        assert boot.status == "Accepted"
        assert boot.interval == 60
        assert boot.current_time.endswith("Z")
        beat = await cp.call(call.Heartbeat())
        assert beat.current_time.endswith("Z")
        await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Available"))
        await cp.call(call.DiagnosticsStatusNotification(status="Idle"))
        await cp.call(call.FirmwareStatusNotification(status="Installed"))
        await cp.call(call.SecurityEventNotification(type="StartupOfTheDevice", timestamp="2026-11-23T08:00:00+01:00", tech_info="cold boot"))
        transfer = await cp.call(call.DataTransfer(vendor_id="com.acme", data="hello"))
        assert transfer.status == "UnknownVendorId"


async def test_first_supported_subprotocol_offered_is_chosen(backend):
    """OCPP-J Part 4 §3.1.2: the station lists versions in its order of preference."""
    for offer, chosen in [(("ocpp2.0.1", "ocpp1.6"), "ocpp2.0.1"), (("ocpp1.6", "ocpp2.0.1"), "ocpp1.6")]:
        async with raw_socket(backend, "CP-PROTO", subprotocols=offer) as ws:
            assert ws.subprotocol == chosen, offer


async def test_socket_without_a_supported_subprotocol_is_closed(backend):
    """OCPP-J Part 4 §3.3: the handshake completes without a subprotocol, then the server closes (1002)."""
    async with raw_socket(backend, "CP-NOPROTO", subprotocols=("ocpp1.5",)) as ws:
        assert ws.subprotocol is None
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 20)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1002


async def test_malformed_frames_get_16_error_codes_and_the_session_continues(backend):
    async with raw_socket(backend, "CP-BAD") as ws:
        cases = [
            ('[2,"a","Heartbeat",{', "FormationViolation"),
            ('[2,"b","BootNotification",{"chargePointVendor":"Acme"}]', "OccurenceConstraintViolation"),
            ('[2,"c","BootNotification",{"chargePointVendor":"Acme","chargePointModel":"M","x":1}]', "FormationViolation"),
            ('[2,"d","StatusNotification",{"connectorId":"1","errorCode":"NoError","status":"Available"}]', "TypeConstraintViolation"),
            ('[2,"e","StatusNotification",{"connectorId":1,"errorCode":"Melted","status":"Available"}]', "PropertyConstraintViolation"),
            ('[2,"f","Teleport",{}]', "NotImplemented"),
            ('[2,"g","RemoteStartTransaction",{"idTag":"X"}]', "NotSupported"),
            ('[2,"' + "x" * 37 + '","Heartbeat",{}]', "FormationViolation"),
            ('[7,"h","Heartbeat",{}]', "FormationViolation"),
        ]
        for text, code in cases:
            answer = await exchange(ws, text)
            assert answer[0] == 4 and answer[2] == code, (text, answer)
        answer = await exchange(ws, '[2,"ok","Heartbeat",{}]')
        assert answer[0] == 3 and answer[1] == "ok"


async def test_a_burst_of_messages_is_answered_in_order(backend):
    async with raw_socket(backend, "CP-BURST") as ws:
        for i in range(20):
            await ws.send(json.dumps([2, f"m{i}", "Heartbeat", {}]))
        ids = [json.loads(await asyncio.wait_for(ws.recv(), 20))[1] for _ in range(20)]
        assert ids == [f"m{i}" for i in range(20)]


async def test_retransmitted_boot_gets_the_same_answer(backend):
    async with charge_point(backend, "CP-RETX") as cp:
        payload = call.BootNotification(charge_point_model="M", charge_point_vendor="V")
        first = await cp.call(payload, unique_id="boot-1")
        again = await cp.call(payload, unique_id="boot-1")
        assert first.current_time == again.current_time


async def test_reconnect_replaces_the_old_connection(backend):
    async with raw_socket(backend, "CP-RECON") as first:
        async with raw_socket(backend, "CP-RECON") as second:
            assert (await exchange(second, '[2,"1","Heartbeat",{}]'))[0] == 3
        # The old socket, if the gateway still holds it, is still served.
        assert (await exchange(first, '[2,"2","Heartbeat",{}]'))[0] == 3


def test_requests_that_bypass_the_gateway_with_a_forged_grip_sig_are_refused(backend):
    body = b"OPEN\r\n"
    for sig in (None, "e30.e30.forged"):
        req = urllib.request.Request(backend.direct_url + "/ocpp/CP-FORGED", data=body, method="POST")
        req.add_header("content-type", "application/websocket-events")
        req.add_header("connection-id", "forged")
        req.add_header("sec-websocket-protocol", "ocpp1.6")
        if sig:
            req.add_header("grip-sig", sig)
        try:
            urllib.request.urlopen(req, timeout=10)
            raise AssertionError("forged request was accepted")
        except urllib.error.HTTPError as e:
            assert e.code == 401

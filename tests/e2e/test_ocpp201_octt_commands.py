"""OCTT 2.0.1 Core CSMS cases in which the CSMS sends a command (blocks B, C, F, G, L, N),
end to end through both gateways. The station is the `ocpp` package's v201 ChargePoint, which
validates every CALL it receives and every message it sends against the official schemas; it
answers as the case's scenario has the OCTT answer (`self.answers`), sends what the scenario
has it send next, and records what it was asked. Each test checks what the operator sees."""

import asyncio
import contextlib
import time

import websockets
from ocpp.routing import on
from ocpp.v201 import call, call_result
from ocpp.v201.enums import Action

from conftest import ChargePoint201, booted_201
from test_commands import api, finished, register

NOW = "2026-12-02T10:00:00Z"


class Scripted201(ChargePoint201):
    """Answers each command with `self.answers[action]` (default Accepted) and then sends what
    `self.after[action]` lists; records every request in `self.asked`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.answers = {}
        self.after = {}
        self.asked = []

    def answer(self, action, request, **fields):
        self.asked.append((action, request))
        notifications = self.after.pop(action, [])
        if notifications:
            async def send():
                await asyncio.sleep(0.1)
                for n in notifications:
                    await self.call(n)
            asyncio.get_running_loop().create_task(send())
        return self.answers.get(action, {"status": "Accepted"}) | fields

    @on(Action.clear_cache)
    def on_clear_cache(self, **kw):
        return call_result.ClearCache(**self.answer("ClearCache", kw))

    @on(Action.unlock_connector)
    def on_unlock_connector(self, **kw):
        return call_result.UnlockConnector(**self.answer("UnlockConnector", kw))

    @on(Action.trigger_message)
    def on_trigger_message(self, **kw):
        return call_result.TriggerMessage(**self.answer("TriggerMessage", kw))

    @on(Action.change_availability)
    def on_change_availability(self, **kw):
        return call_result.ChangeAvailability(**self.answer("ChangeAvailability", kw))

    @on(Action.set_network_profile)
    def on_set_network_profile(self, **kw):
        return call_result.SetNetworkProfile(**self.answer("SetNetworkProfile", kw))

    @on(Action.get_log)
    def on_get_log(self, **kw):
        return call_result.GetLog(**self.answer("GetLog", kw))

    @on(Action.update_firmware)
    def on_update_firmware(self, **kw):
        return call_result.UpdateFirmware(**self.answer("UpdateFirmware", kw))

    @on(Action.reset)
    def on_reset(self, **kw):
        return call_result.Reset(**self.answer("Reset", kw))

    @on(Action.get_transaction_status)
    def on_get_transaction_status(self, **kw):
        return call_result.GetTransactionStatus(**self.answer("GetTransactionStatus", kw))

    @on(Action.request_start_transaction)
    def on_request_start_transaction(self, **kw):
        return call_result.RequestStartTransaction(**self.answer("RequestStartTransaction", kw))

    @on(Action.request_stop_transaction)
    def on_request_stop_transaction(self, **kw):
        return call_result.RequestStopTransaction(**self.answer("RequestStopTransaction", kw))

    @on(Action.customer_information)
    def on_customer_information(self, **kw):
        return call_result.CustomerInformation(**self.answer("CustomerInformation", kw))

    @on(Action.get_variables)
    def on_get_variables(self, get_variable_data, **kw):
        self.asked.append(("GetVariables", get_variable_data))
        return call_result.GetVariables(get_variable_result=[
            {**entry, "attribute_status": "Accepted", "attribute_value": f"value-{i}"}
            for i, entry in enumerate(get_variable_data)])

    @on(Action.set_variables)
    def on_set_variables(self, set_variable_data, **kw):
        self.asked.append(("SetVariables", set_variable_data))
        return call_result.SetVariables(set_variable_result=[
            {"component": e["component"], "variable": e["variable"], "attribute_status": "Accepted"}
            for e in set_variable_data])

    @on(Action.get_base_report)
    def on_get_base_report(self, request_id, report_base, **kw):
        parts = [[{"component": {"name": "ChargingStation"}, "variable": {"name": "Model"},
                   "variable_attribute": [{"type": "Actual", "value": "Fast-2", "mutability": "ReadOnly"}],
                   "variable_characteristics": {"data_type": "string", "supports_monitoring": False}}],
                 [{"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "Power"},
                   "variable_attribute": [{"type": "MaxSet", "value": "22000"}],
                   "variable_characteristics": {"data_type": "decimal", "unit": "W",
                                                "supports_monitoring": True}}]]
        self.after["GetBaseReport"] = [
            call.NotifyReport(request_id=request_id, generated_at=NOW, seq_no=i,
                              tbc=i < len(parts) - 1, report_data=p) for i, p in enumerate(parts)]
        return call_result.GetBaseReport(**self.answer("GetBaseReport", {"report_base": report_base}))


@contextlib.asynccontextmanager
async def scripted(backend, name, cls=None, password=None):
    cp_id = f"OCTT-{name}-{backend.gateway}"
    await register(backend, cp_id, **({"password": password} if password else {}))
    async with booted_201(backend, cp_id, cls or Scripted201, password=password) as cp:
        for evse in (1, 2):
            await cp.call(status(evse, "Available"))
        yield cp


def status(evse, connector_status, at=NOW):
    return call.StatusNotification(timestamp=at, connector_status=connector_status, evse_id=evse,
                                   connector_id=1)


async def command(cp, action, payload):
    """Posts a command to `cp`'s charge point and waits until it is answered; returns it."""
    status_code, body = await api(cp._backend, "POST", f"/api/v1/charge-points/{cp.id}/commands/{action}", payload)
    assert status_code == 202, (status_code, body)
    done = await finished(cp._backend, body["command_id"])
    assert done["state"] == "answered", done
    return done


async def eventually(check, timeout=20):
    """Polls `check` (an async function returning a value or None) until it returns one."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value is not None or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.1)


async def connector_statuses(cp):
    status_code, body = await api(cp._backend, "GET", f"/api/v1/charge-points/{cp.id}/connectors")
    assert status_code == 200, body
    return {c["evse_id"]: c["status"] for c in body["items"] if c["evse_connector_id"] == 1}


async def statuses_become(cp, expected):
    async def check():
        now = await connector_statuses(cp)
        return now if now == expected else None
    return await eventually(check) or await connector_statuses(cp)


async def follow_up_complete(cp, command_id):
    async def check():
        _, view = await api(cp._backend, "GET", f"/api/v1/commands/{command_id}")
        return view if (view["follow_up"] or {}).get("complete") else None
    return await eventually(check) or (await api(cp._backend, "GET", f"/api/v1/commands/{command_id}"))[1]


@contextlib.asynccontextmanager
async def station(backend, name):
    async with scripted(backend, name) as cp:
        cp._backend = backend
        # Each test's own token: one with an open session elsewhere would get ConcurrentTx.
        cp.token = {"id_token": f"TOK-{name}-{backend.gateway[0]}", "type": "ISO14443"}
        await api(backend, "PUT", f"/api/v1/id-tags/{cp.token['id_token']}",
                  {"status": "Accepted", "type": "ISO14443"})
        yield cp


# === B Provisioning ============================================================================

async def test_TC_B_07_and_TC_B_10_get_and_set_several_variables_in_one_message(backend):
    async with station(backend, "B07") as cp:
        names = [("OCPPCommCtrlr", "HeartbeatInterval"), ("AuthCtrlr", "Enabled"), ("TxCtrlr", "EVConnectionTimeOut")]
        entries = [{"component": {"name": c}, "variable": {"name": v}} for c, v in names]
        got = await command(cp, "GetVariables", {"getVariableData": entries})
        assert [r["attributeValue"] for r in got["response"]["getVariableResult"]] == ["value-0", "value-1", "value-2"]
        await command(cp, "SetVariables", {"setVariableData": [
            {**e, "attributeValue": str(60 + i)} for i, e in enumerate(entries)]})
        assert len(cp.asked[-1][1]) == 3
    _, model = await api(backend, "GET", f"/api/v1/charge-points/{cp.id}/variables")
    values = {(i["component"], i["variable"]): i["value"] for i in model["items"]}
    assert [values[n] for n in names] == ["60", "61", "62"]


async def test_TC_B_13_a_full_inventory_report_is_complete_with_characteristics(backend):
    async with station(backend, "B13") as cp:
        sent = await command(cp, "GetBaseReport", {"requestId": 13, "reportBase": "FullInventory"})

        async def complete():
            _, view = await api(backend, "GET", f"/api/v1/commands/{sent['id']}")
            return view if (view["report"] or {}).get("complete") else None
        view = await eventually(complete)
    assert cp.asked == [("GetBaseReport", {"report_base": "FullInventory"})]
    assert view["report"] == {"request_id": 13, "parts": 2, "entries": 2, "complete": True}, view


async def test_TC_B_42_and_TC_B_44_a_network_profile_accepted_and_failed(backend):
    profile = {"configurationSlot": 2, "connectionData": {
        "ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppCsmsUrl": "wss://csms.example.com/ocpp",
        "messageTimeout": 30, "securityProfile": 1, "ocppInterface": "Wired0"}}
    async with station(backend, "B42") as cp:
        accepted = await command(cp, "SetNetworkProfile", profile)
        cp.answers["SetNetworkProfile"] = {"status": "Failed"}
        failed = await command(cp, "SetNetworkProfile", profile)
    assert accepted["response"] == {"status": "Accepted"}
    assert failed["response"] == {"status": "Failed"}
    assert cp.asked[0][1]["connection_data"]["ocpp_csms_url"] == "wss://csms.example.com/ocpp"


# === C Authorization ===========================================================================

async def test_TC_C_38_clear_cache_rejected_is_shown(backend):
    async with station(backend, "C38") as cp:
        cp.answers["ClearCache"] = {"status": "Rejected"}
        done = await command(cp, "ClearCache", {})
    assert done["response"] == {"status": "Rejected"}


# === F Remote control ==========================================================================

async def test_TC_F_06_unlock_connector_without_a_transaction(backend):
    async with station(backend, "F06") as cp:
        cp.answers["UnlockConnector"] = {"status": "Unlocked"}
        done = await command(cp, "UnlockConnector", {"evseId": 1, "connectorId": 1})
    assert cp.asked == [("UnlockConnector", {"evse_id": 1, "connector_id": 1})]
    assert done["response"] == {"status": "Unlocked"}


async def test_TC_F_11_TC_F_12_TC_F_15_TC_F_18_TC_F_20_triggered_messages_are_answered(backend):
    async with station(backend, "F11") as cp:
        reading = [{"timestamp": NOW, "sampled_value": [{"value": 1234.0}]}]
        triggered = [
            ({"requestedMessage": "MeterValues", "evse": {"id": 1}}, call.MeterValues(evse_id=1, meter_value=reading)),
            ({"requestedMessage": "MeterValues"}, call.MeterValues(evse_id=0, meter_value=reading)),
            ({"requestedMessage": "LogStatusNotification"}, call.LogStatusNotification(status="Idle")),
            ({"requestedMessage": "FirmwareStatusNotification"}, call.FirmwareStatusNotification(status="Idle")),
            ({"requestedMessage": "Heartbeat"}, call.Heartbeat()),
        ]
        for request, message in triggered:
            await command(cp, "TriggerMessage", request)
            # The triggered message is sent (and its answer validated) by the station itself.
            answer = await cp.call(message)
            if isinstance(message, call.Heartbeat):
                assert answer.current_time
    assert [a[1]["requested_message"] for a in cp.asked] == [
        "MeterValues", "MeterValues", "LogStatusNotification", "FirmwareStatusNotification", "Heartbeat"]


async def test_TC_F_23_and_TC_F_24_a_triggered_status_notification_updates_the_connector(backend):
    async with station(backend, "F23") as cp:
        await command(cp, "TriggerMessage", {"requestedMessage": "StatusNotification",
                                             "evse": {"id": 1, "connectorId": 1}})
        await cp.call(status(1, "Available", "2026-12-02T10:01:00Z"))
        await command(cp, "TriggerMessage", {"requestedMessage": "StatusNotification",
                                             "evse": {"id": 2, "connectorId": 1}})
        await cp.call(status(2, "Occupied", "2026-12-02T10:02:00Z"))
        assert await connector_statuses(cp) == {1: "Available", 2: "Occupied"}


async def test_TC_F_27_a_trigger_the_station_does_not_implement(backend):
    async with station(backend, "F27") as cp:
        cp.answers["TriggerMessage"] = {"status": "NotImplemented"}
        done = await command(cp, "TriggerMessage", {"requestedMessage": "SignChargingStationCertificate"})
    assert done["response"] == {"status": "NotImplemented"}


# === G Availability ============================================================================

async def test_TC_G_03_to_TC_G_08_availability_of_an_evse_the_station_and_a_connector(backend):
    async with station(backend, "G03") as cp:
        cases = [  # (request, the StatusNotifications the station sends, what the API shows)
            ({"operationalStatus": "Inoperative", "evse": {"id": 1}}, [(1, "Unavailable")],
             {1: "Unavailable", 2: "Available"}),
            ({"operationalStatus": "Operative", "evse": {"id": 1}}, [(1, "Available")],
             {1: "Available", 2: "Available"}),
            ({"operationalStatus": "Inoperative"}, [(1, "Unavailable"), (2, "Unavailable")],
             {1: "Unavailable", 2: "Unavailable"}),
            ({"operationalStatus": "Operative"}, [(1, "Available"), (2, "Available")],
             {1: "Available", 2: "Available"}),
            ({"operationalStatus": "Inoperative", "evse": {"id": 2, "connectorId": 1}}, [(2, "Unavailable")],
             {1: "Available", 2: "Unavailable"}),
            ({"operationalStatus": "Operative", "evse": {"id": 2, "connectorId": 1}}, [(2, "Available")],
             {1: "Available", 2: "Available"}),
        ]
        for minute, (request, sent, shown) in enumerate(cases, start=1):
            at = f"2026-12-02T10:{minute:02d}:00Z"
            cp.after["ChangeAvailability"] = [status(evse, s, at) for evse, s in sent]
            done = await command(cp, "ChangeAvailability", request)
            assert done["response"] == {"status": "Accepted"}
            assert await statuses_become(cp, shown) == shown, request


async def test_TC_G_11_TC_G_14_TC_G_17_availability_with_an_ongoing_transaction_is_scheduled(backend):
    async with station(backend, "G11") as cp:
        cp.answers["ChangeAvailability"] = {"status": "Scheduled"}
        for request in ({"operationalStatus": "Inoperative", "evse": {"id": 1}},
                        {"operationalStatus": "Inoperative"},
                        {"operationalStatus": "Inoperative", "evse": {"id": 1, "connectorId": 1}}):
            done = await command(cp, "ChangeAvailability", request)
            assert done["response"] == {"status": "Scheduled"}
        # The session ends; then the station goes Unavailable as scheduled.
        await cp.call(status(1, "Unavailable", "2026-12-02T11:00:00Z"))
        assert (await connector_statuses(cp))[1] == "Unavailable"


# === L Firmware ================================================================================

FIRMWARE = {"location": "https://firmware.example.com/fast-2-1.4.bin", "retrieveDateTime": NOW,
            "signingCertificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
            "signature": "c2lnbmF0dXJl"}


async def test_TC_L_04_and_TC_L_05_a_refused_firmware_certificate_is_shown(backend):
    async with station(backend, "L04") as cp:
        for request_id, refusal in ((4, "RevokedCertificate"), (5, "InvalidCertificate")):
            cp.answers["UpdateFirmware"] = {"status": refusal}
            done = await command(cp, "UpdateFirmware", {"requestId": request_id, "firmware": FIRMWARE})
            assert done["response"] == {"status": refusal}
            assert done["follow_up"]["count"] == 0


async def test_TC_L_07_TC_L_08_TC_L_09_a_failed_firmware_update_ends_its_follow_up(backend):
    async with station(backend, "L07") as cp:
        for request_id, steps in ((7, ["Downloading", "DownloadFailed"]),
                                  (8, ["Downloading", "Downloaded", "Installing", "InstallVerificationFailed"]),
                                  (9, ["Downloading", "Downloaded", "Installing", "InstallationFailed"])):
            cp.after["UpdateFirmware"] = [call.FirmwareStatusNotification(status=s, request_id=request_id)
                                          for s in steps]
            sent = await command(cp, "UpdateFirmware", {"requestId": request_id, "firmware": FIRMWARE})
            view = await follow_up_complete(cp, sent["id"])
            assert [n["payload"]["status"] for n in view["follow_up"]["received"]] == steps
            assert view["follow_up"]["status"] == steps[-1]


# === N Diagnostics =============================================================================

LOG = {"remoteLocation": "https://logs.example.com/upload"}


async def test_TC_N_34_TC_N_35_TC_N_36_log_uploads_rejected_security_and_a_second_request(backend):
    async with station(backend, "N34") as cp:
        cp.answers["GetLog"] = {"status": "Rejected"}
        rejected = await command(cp, "GetLog", {"logType": "DiagnosticsLog", "requestId": 34, "log": LOG})
        assert rejected["response"] == {"status": "Rejected"}
        cp.answers["GetLog"] = {"status": "Accepted", "filename": "security.log"}
        cp.after["GetLog"] = [call.LogStatusNotification(status="Uploading", request_id=35),
                              call.LogStatusNotification(status="Uploaded", request_id=35)]
        security = await command(cp, "GetLog", {"logType": "SecurityLog", "requestId": 35, "log": LOG})
        assert (await follow_up_complete(cp, security["id"]))["follow_up"]["status"] == "Uploaded"
        # TC_N_36: a second request cancels the first one's upload.
        cp.answers["GetLog"] = {"status": "Accepted"}
        cp.after["GetLog"] = [call.LogStatusNotification(status="Uploading", request_id=36)]
        first = await command(cp, "GetLog", {"logType": "DiagnosticsLog", "requestId": 36, "log": LOG})
        cp.answers["GetLog"] = {"status": "AcceptedCanceled"}
        cp.after["GetLog"] = [call.LogStatusNotification(status="AcceptedCanceled", request_id=36),
                              call.LogStatusNotification(status="Uploading", request_id=37),
                              call.LogStatusNotification(status="Uploaded", request_id=37)]
        second = await command(cp, "GetLog", {"logType": "DiagnosticsLog", "requestId": 37, "log": LOG})
        assert second["response"] == {"status": "AcceptedCanceled"}
        second = await follow_up_complete(cp, second["id"])
        first = await follow_up_complete(cp, first["id"])
    assert [n["payload"]["status"] for n in second["follow_up"]["received"]] == ["Uploading", "Uploaded"]
    assert [n["payload"]["status"] for n in first["follow_up"]["received"]] == ["Uploading", "AcceptedCanceled"]
    assert first["follow_up"]["complete"] is True


async def test_TC_N_27_TC_N_29_TC_N_31_TC_N_32_TC_N_62_customer_information(backend):
    def parts(request_id, *data):
        return [call.NotifyCustomerInformation(data=d, seq_no=i, generated_at=NOW, request_id=request_id,
                                               tbc=i < len(data) - 1) for i, d in enumerate(data)]
    token = {"idToken": "ALICE", "type": "ISO14443"}
    async with station(backend, "N27") as cp:
        cases = [  # (case, request, answer, parts the station sends)
            ("N_27", {"requestId": 27, "report": True, "clear": False, "idToken": token}, "Accepted",
             parts(27, "sessions: 12", "cards: 1")),
            ("N_29", {"requestId": 29, "report": True, "clear": False, "idToken": token}, "Rejected", []),
            ("N_31", {"requestId": 31, "report": True, "clear": True, "idToken": token}, "Accepted",
             parts(31, "")),
            ("N_32", {"requestId": 32, "report": False, "clear": True, "idToken": token}, "Accepted",
             parts(32, "cleared")),
            ("N_62", {"requestId": 62, "report": True, "clear": True, "customerIdentifier": "customer-62"},
             "Accepted", parts(62, "customer-62: 3 sessions")),
        ]
        for case, request, answer, sent in cases:
            cp.answers["CustomerInformation"] = {"status": answer}
            cp.after["CustomerInformation"] = sent
            done = await command(cp, "CustomerInformation", request)
            assert done["response"] == {"status": answer}, case
            if sent:
                view = await follow_up_complete(cp, done["id"])
                assert [n["payload"]["data"] for n in view["follow_up"]["received"]] == \
                    [p.data for p in sent], case
            else:
                assert done["follow_up"]["count"] == 0, case


# === Cases with a session on the station =======================================================

from test_ocpp201 import ended, energy, started, updated  # noqa: E402

async def charging(backend, cp, tx, at="2026-12-02T10:00:00Z"):
    """The station starts a session on EVSE 1 (Reusable State EnergyTransferStarted)."""
    start = await cp.call(started(tx, at, meter_wh=1000, id_token=cp.token, charging_state="Charging"))
    assert start.id_token_info["status"] == "Accepted"


async def transaction(backend, cp_id, tx):
    status_code, body = await api(backend, "GET", f"/api/v1/transactions?charge_point_id={cp_id}")
    assert status_code == 200, body
    found = [t for t in body["items"] if t["station_transaction_id"] == tx]
    assert len(found) == 1, body
    status_code, view = await api(backend, "GET", f"/api/v1/transactions/{found[0]['id']}")
    return view


async def test_TC_B_25_TC_B_26_TC_B_27_reset_an_evse_idle_and_with_a_session(backend):
    async with station(backend, "B25") as cp:
        done = await command(cp, "Reset", {"type": "OnIdle", "evseId": 1})
        assert done["response"] == {"status": "Accepted"}
        # B_26: OnIdle during a session is Scheduled; the session then ends.
        await charging(backend, cp, "tx-b26")
        cp.answers["Reset"] = {"status": "Scheduled"}
        done = await command(cp, "Reset", {"type": "OnIdle", "evseId": 1})
        assert done["response"] == {"status": "Scheduled"}
        await cp.call(updated("tx-b26", "2026-12-02T10:10:00Z", 1, trigger="StopAuthorized", id_token=cp.token))
        await cp.call(ended("tx-b26", "2026-12-02T10:11:00Z", 2, meter_wh=3000, trigger="EVCommunicationLost",
                            reason="EVDisconnected"))
        # B_27: Immediate ends the session at once.
        await charging(backend, cp, "tx-b27", at="2026-12-02T10:20:00Z")
        cp.answers["Reset"] = {"status": "Accepted"}
        await command(cp, "Reset", {"type": "Immediate", "evseId": 1})
        await cp.call(ended("tx-b27", "2026-12-02T10:21:00Z", 1, meter_wh=2000, trigger="ResetCommand",
                            reason="ImmediateReset"))
    assert [a[1] for a in cp.asked] == [{"type": "OnIdle", "evse_id": 1}, {"type": "OnIdle", "evse_id": 1},
                                        {"type": "Immediate", "evse_id": 1}]
    b26 = await transaction(backend, cp.id, "tx-b26")
    assert (b26["stopped_at"], b26["energy_wh"]) == ("2026-12-02T10:11:00Z", 2000)
    b27 = await transaction(backend, cp.id, "tx-b27")
    assert (b27["stop_reason"], b27["energy_wh"]) == ("ImmediateReset", 1000)


async def test_TC_B_31_a_pending_station_accepted_through_a_triggered_boot(backend):
    cp_id = f"OCTT-B31-{backend.gateway}"
    await api(backend, "PUT", f"/api/v1/charge-points/{cp_id}", {"registration_status": "Pending"})
    async with websockets.connect(f"{backend.ws_url}/{cp_id}", subprotocols=["ocpp2.0.1"],
                                  open_timeout=20) as ws:
        cp = Scripted201(cp_id, ws, response_timeout=20)
        cp._backend = backend
        task = asyncio.create_task(cp.start())
        try:
            boot = call.BootNotification(charging_station={"model": "Fast-2", "vendor_name": "Acme"},
                                         reason="PowerUp")
            assert (await cp.call(boot)).status == "Pending"
            status_code, _ = await api(backend, "PUT", f"/api/v1/charge-points/{cp_id}",
                                       {"registration_status": "Accepted"})
            assert status_code == 200
            await command(cp, "TriggerMessage", {"requestedMessage": "BootNotification"})
            triggered = call.BootNotification(charging_station={"model": "Fast-2", "vendor_name": "Acme"},
                                              reason="Triggered")
            assert (await cp.call(triggered)).status == "Accepted"
            await cp.call(status(1, "Available"))
        finally:
            task.cancel()
    assert cp.asked == [("TriggerMessage", {"requested_message": "BootNotification"})]


async def test_TC_E_29_TC_E_30_TC_E_31_TC_E_33_TC_E_34_transaction_status_and_the_queued_events(backend):
    async with station(backend, "E29") as cp:
        await charging(backend, cp, "tx-e29")
        cases = [  # (case, request, the station's answer)
            ("E_29", {"transactionId": "tx-e29"}, {"ongoing_indicator": True, "messages_in_queue": True}),
            ("E_30", {"transactionId": "tx-e29"}, {"ongoing_indicator": True, "messages_in_queue": False}),
            ("E_33", {}, {"messages_in_queue": True}),
            ("E_34", {}, {"messages_in_queue": False}),
        ]
        for case, request, answer in cases:
            cp.answers["GetTransactionStatus"] = answer
            done = await command(cp, "GetTransactionStatus", request)
            expected = {"messagesInQueue": answer["messages_in_queue"]}
            if "ongoing_indicator" in answer:
                expected["ongoingIndicator"] = answer["ongoing_indicator"]
            assert done["response"] == expected, case
        # The queued events then arrive, flagged offline.
        await cp.call(updated("tx-e29", "2026-12-02T10:05:00Z", 1, offline=True,
                              meter=[energy("2026-12-02T10:05:00Z", 2000.0, "Sample.Periodic")]))
        # E_31: the transaction ended while offline; its Ended is still queued.
        cp.answers["GetTransactionStatus"] = {"ongoing_indicator": False, "messages_in_queue": True}
        done = await command(cp, "GetTransactionStatus", {"transactionId": "tx-e29"})
        assert done["response"] == {"ongoingIndicator": False, "messagesInQueue": True}
        await cp.call(ended("tx-e29", "2026-12-02T10:10:00Z", 2, meter_wh=4000, offline=True))
    view = await transaction(backend, cp.id, "tx-e29")
    assert view["stopped_at"] == "2026-12-02T10:10:00Z"
    assert [e["offline"] for e in view["events"]] == [False, True, True]


async def test_TC_F_13_TC_F_14_a_triggered_transaction_event(backend):
    async with station(backend, "F13") as cp:
        await charging(backend, cp, "tx-f13")
        for seq_no, request in ((1, {"requestedMessage": "TransactionEvent", "evse": {"id": 1}}),
                                (2, {"requestedMessage": "TransactionEvent"})):
            await command(cp, "TriggerMessage", request)
            at = f"2026-12-02T10:0{seq_no}:00Z"
            answer = await cp.call(updated("tx-f13", at, seq_no, trigger="Trigger",
                                           meter=[energy(at, 1000.0 + seq_no * 500, "Trigger")]))
            assert answer.id_token_info is None
    view = await transaction(backend, cp.id, "tx-f13")
    assert [e["trigger_reason"] for e in view["events"]] == ["Authorized", "Trigger", "Trigger"]


async def test_TC_L_02_TC_L_03_a_firmware_update_followed_across_the_reboot(backend):
    cp_id = f"OCTT-L02-{backend.gateway}"
    for request_id, firmware, before_reboot in (
            (2, {**FIRMWARE, "installDateTime": "2026-12-02T12:00:00Z"},
             ["Downloading", "Downloaded", "SignatureVerified", "InstallScheduled", "Installing",
              "InstallRebooting"]),
            (3, {**FIRMWARE, "retrieveDateTime": "2026-12-02T11:00:00Z"},
             ["DownloadScheduled", "Downloading", "Downloaded", "SignatureVerified", "Installing",
              "InstallRebooting"])):
        async with station(backend, "L02") as cp:
            cp.after["UpdateFirmware"] = [call.FirmwareStatusNotification(status=s, request_id=request_id)
                                          for s in before_reboot]
            sent = await command(cp, "UpdateFirmware", {"requestId": request_id, "firmware": firmware})

            async def rebooting():
                _, view = await api(backend, "GET", f"/api/v1/commands/{sent['id']}")
                return view if view["follow_up"]["status"] == "InstallRebooting" else None
            assert (await eventually(rebooting))["follow_up"]["complete"] is False
        # The station comes back with the new firmware on a new connection.
        async with websockets.connect(f"{backend.ws_url}/{cp_id}", subprotocols=["ocpp2.0.1"],
                                      open_timeout=20) as ws:
            cp = Scripted201(cp_id, ws, response_timeout=20)
            task = asyncio.create_task(cp.start())
            try:
                boot = call.BootNotification(charging_station={"model": "Fast-2", "vendor_name": "Acme",
                                                               "firmware_version": "1.4"},
                                             reason="FirmwareUpdate")
                assert (await cp.call(boot)).status == "Accepted"
                await cp.call(status(1, "Available"))
                await cp.call(call.FirmwareStatusNotification(status="Installed", request_id=request_id))
            finally:
                task.cancel()
        _, view = await api(backend, "GET", f"/api/v1/commands/{sent['id']}")
        assert [n["payload"]["status"] for n in view["follow_up"]["received"]] == before_reboot + ["Installed"]
        assert view["follow_up"]["complete"] is True


async def test_TC_L_10_TC_L_11_a_second_firmware_update_cancels_the_first_or_is_rejected(backend):
    async with station(backend, "L10") as cp:
        # L_10: the second update cancels the first and goes on.
        cp.after["UpdateFirmware"] = [call.FirmwareStatusNotification(status="Downloading", request_id=10)]
        first = await command(cp, "UpdateFirmware", {"requestId": 10, "firmware": FIRMWARE})
        cp.answers["UpdateFirmware"] = {"status": "AcceptedCanceled"}
        cp.after["UpdateFirmware"] = [call.FirmwareStatusNotification(status=s, request_id=11)
                                      for s in ("Downloading", "Downloaded", "SignatureVerified", "Installing",
                                                "Installed")]
        second = await command(cp, "UpdateFirmware", {"requestId": 11, "firmware": FIRMWARE})
        assert second["response"] == {"status": "AcceptedCanceled"}
        assert (await follow_up_complete(cp, second["id"]))["follow_up"]["status"] == "Installed"
        _, first = await api(backend, "GET", f"/api/v1/commands/{first['id']}")
        assert [n["payload"]["status"] for n in first["follow_up"]["received"]] == ["Downloading"]
        # L_11: a station that cannot cancel rejects the second; the first goes on.
        cp.answers["UpdateFirmware"] = {"status": "Accepted"}
        cp.after["UpdateFirmware"] = [call.FirmwareStatusNotification(status="Downloading", request_id=12)]
        third = await command(cp, "UpdateFirmware", {"requestId": 12, "firmware": FIRMWARE})
        cp.answers["UpdateFirmware"] = {"status": "Rejected"}
        cp.after["UpdateFirmware"] = [call.FirmwareStatusNotification(status=s, request_id=12)
                                      for s in ("Downloaded", "SignatureVerified", "Installing", "Installed")]
        fourth = await command(cp, "UpdateFirmware", {"requestId": 13, "firmware": FIRMWARE})
        assert fourth["response"] == {"status": "Rejected"}
        third = await follow_up_complete(cp, third["id"])
    assert third["follow_up"]["status"] == "Installed" and third["follow_up"]["count"] == 5
    assert fourth["follow_up"]["count"] == 0


async def test_TC_F_01_a_remote_start_after_the_cable_was_plugged_in(backend):
    async with station(backend, "F01") as cp:
        # EVConnectedPreSession: the transaction exists before any authorization.
        await cp.call(call.TransactionEvent(
            event_type="Started", timestamp="2026-12-02T10:00:00Z", trigger_reason="CablePluggedIn", seq_no=0,
            transaction_info={"transaction_id": "tx-f01", "charging_state": "EVConnected"},
            evse={"id": 1, "connector_id": 1}))
        cp.answers["RequestStartTransaction"] = {"status": "Accepted", "transaction_id": "tx-f01"}
        start = await command(cp, "RequestStartTransaction", {"idToken": {"idToken": cp.token["id_token"], "type": "ISO14443"},
                                                              "evseId": 1, "remoteStartId": 501})
        assert start["response"] == {"status": "Accepted", "transactionId": "tx-f01"}
        remote = await cp.call(call.TransactionEvent(
            event_type="Updated", timestamp="2026-12-02T10:01:00Z", trigger_reason="RemoteStart", seq_no=1,
            transaction_info={"transaction_id": "tx-f01", "charging_state": "EVConnected", "remote_start_id": 501},
            id_token=cp.token))
        assert remote.id_token_info["status"] == "Accepted"
        await cp.call(updated("tx-f01", "2026-12-02T10:02:00Z", 2, trigger="ChargingStateChanged",
                              charging_state="Charging"))
        _, linked = await api(backend, "GET", f"/api/v1/commands/{start['id']}")
    view = await transaction(backend, cp.id, "tx-f01")
    assert linked["transaction_id"] == view["id"]
    assert (view["id_tag"], view["charging_state"]) == (cp.token["id_token"], "Charging")


async def test_TC_F_04_and_TC_E_21_a_remote_start_deauthorized_and_a_remote_stop(backend):
    async with station(backend, "F04") as cp:
        start = await command(cp, "RequestStartTransaction", {"idToken": {"idToken": cp.token["id_token"], "type": "ISO14443"},
                                                              "evseId": 1, "remoteStartId": 504})
        await cp.call(call.TransactionEvent(
            event_type="Started", timestamp="2026-12-02T10:00:00Z", trigger_reason="RemoteStart", seq_no=0,
            transaction_info={"transaction_id": "tx-f04", "remote_start_id": 504, "charging_state": "Idle"},
            id_token=cp.token, evse={"id": 1, "connector_id": 1}))
        # The EV is never connected: the station deauthorizes once its timeout passed.
        await cp.call(ended("tx-f04", "2026-12-02T10:01:00Z", 1, meter_wh=1000, trigger="EVConnectTimeout",
                            reason="Timeout"))
        # E_21: a session stopped remotely through the API's id.
        await charging(backend, cp, "tx-e21", at="2026-12-02T10:10:00Z")
        e21 = await transaction(backend, cp.id, "tx-e21")
        stop = await command(cp, "RequestStopTransaction", {"transactionId": e21["id"]})
        assert stop["request"] == {"transactionId": "tx-e21"}
        await cp.call(ended("tx-e21", "2026-12-02T10:20:00Z", 1, meter_wh=5000, trigger="RemoteStop",
                            reason="Remote"))
        _, linked = await api(backend, "GET", f"/api/v1/commands/{start['id']}")
    f04 = await transaction(backend, cp.id, "tx-f04")
    assert linked["transaction_id"] == f04["id"]
    assert (f04["stop_reason"], f04["energy_wh"]) == ("Timeout", 0)
    e21 = await transaction(backend, cp.id, "tx-e21")
    assert (e21["stop_reason"], e21["energy_wh"]) == ("Remote", 4000)
    assert cp.asked[-1] == ("RequestStopTransaction", {"transaction_id": "tx-e21"})


async def test_TC_L_13_a_firmware_update_waits_for_the_ongoing_session(backend):
    async with station(backend, "L13") as cp:
        await charging(backend, cp, "tx-l13")
        cp.after["UpdateFirmware"] = [call.FirmwareStatusNotification(status="DownloadScheduled", request_id=13)]
        sent = await command(cp, "UpdateFirmware", {"requestId": 13, "firmware": FIRMWARE})
        # The EVSE takes no new session; the ongoing one ends.
        await cp.call(status(1, "Unavailable", "2026-12-02T10:30:00Z"))
        await cp.call(call.NotifyEvent(generated_at="2026-12-02T10:30:00Z", seq_no=0, tbc=False, event_data=[
            {"event_id": 1, "timestamp": "2026-12-02T10:30:00Z", "trigger": "Delta", "actual_value": "Unavailable",
             "event_notification_type": "HardWiredNotification",
             "component": {"name": "Connector", "evse": {"id": 1, "connector_id": 1}},
             "variable": {"name": "AvailabilityState"}}]))
        await cp.call(updated("tx-l13", "2026-12-02T10:40:00Z", 1, trigger="StopAuthorized", id_token=cp.token))
        await cp.call(ended("tx-l13", "2026-12-02T10:41:00Z", 2, meter_wh=9000))
        steps = ["Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting"]
        for s in steps:
            await cp.call(call.FirmwareStatusNotification(status=s, request_id=13))
        boot = call.BootNotification(charging_station={"model": "Fast-2", "vendor_name": "Acme"},
                                     reason="FirmwareUpdate")
        assert (await cp.call(boot)).status == "Accepted"
        await cp.call(status(1, "Available", "2026-12-02T10:50:00Z"))
        await cp.call(call.FirmwareStatusNotification(status="Installed", request_id=13))
        view = await follow_up_complete(cp, sent["id"])
        assert await connector_statuses(cp) == {1: "Available", 2: "Available"}
    assert [n["payload"]["status"] for n in view["follow_up"]["received"]] == \
        ["DownloadScheduled"] + steps + ["Installed"]
    assert (await transaction(backend, cp.id, "tx-l13"))["energy_wh"] == 8000

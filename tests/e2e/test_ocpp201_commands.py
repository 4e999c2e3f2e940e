"""Operator commands to OCPP 2.0.1 stations end to end, through both gateways: the API
writes the call in the version the station speaks (or translates the other version's name of
the same operation), the station answers, and the answer and its effects are stored.

The station is the `ocpp` package's v201 ChargePoint, which validates every CALL it receives
against the official 2.0.1 schemas before its handler runs, and every answer it sends. Tests
are named after the OCTT 2.0.1 CSMS cases they cover; the others say what they check."""

import asyncio
from datetime import datetime, timedelta, timezone

from ocpp.routing import on
from ocpp.v201 import call, call_result
from ocpp.v201.enums import Action

from conftest import ChargePoint201, booted_201
from test_commands import api, finished, register


class Commanded201(ChargePoint201):
    """Answers the 2.0.1 commands under test and records what it was asked, in order."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.asked = []
        self.variables = {("OCPPCommCtrlr", "HeartbeatInterval"): "300"}

    @on(Action.reset)
    def on_reset(self, type, **kwargs):
        self.asked.append(("Reset", type, kwargs.get("evse_id")))
        return call_result.Reset(status="Accepted")

    @on(Action.clear_cache)
    def on_clear_cache(self, **kwargs):
        self.asked.append(("ClearCache",))
        return call_result.ClearCache(status="Accepted")

    @on(Action.change_availability)
    def on_change_availability(self, operational_status, **kwargs):
        self.asked.append(("ChangeAvailability", operational_status, kwargs.get("evse")))
        return call_result.ChangeAvailability(status="Accepted")

    @on(Action.get_variables)
    def on_get_variables(self, get_variable_data, **kwargs):
        results = []
        for entry in get_variable_data:
            key = (entry["component"]["name"], entry["variable"]["name"])
            self.asked.append(("GetVariables", key))
            if key in self.variables:
                results.append({**entry, "attribute_status": "Accepted", "attribute_value": self.variables[key]})
            else:
                results.append({**entry, "attribute_status": "UnknownVariable"})
        return call_result.GetVariables(get_variable_result=results)

    @on(Action.set_variables)
    def on_set_variables(self, set_variable_data, **kwargs):
        results = []
        for entry in set_variable_data:
            key = (entry["component"]["name"], entry["variable"]["name"])
            self.asked.append(("SetVariables", key, entry["attribute_value"]))
            status = "Accepted" if key in self.variables else "UnknownVariable"
            if status == "Accepted":
                self.variables[key] = entry["attribute_value"]
            results.append({"component": entry["component"], "variable": entry["variable"],
                            "attribute_status": status})
        return call_result.SetVariables(set_variable_result=results)

    @on(Action.get_base_report)
    def on_get_base_report(self, request_id, report_base, **kwargs):
        self.asked.append(("GetBaseReport", request_id, report_base))
        asyncio.get_running_loop().create_task(self.report(request_id))
        return call_result.GetBaseReport(status="Accepted")

    async def report(self, request_id):
        """The report in two NotifyReport parts, after the answer."""
        await asyncio.sleep(0.2)
        entries = [
            [{"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"},
              "variable_attribute": [{"type": "Actual", "value": "300", "mutability": "ReadWrite"}]}],
            [{"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "AvailabilityState"},
              "variable_attribute": [{"type": "Actual", "value": "Available", "mutability": "ReadOnly"}]},
             {"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "Power"},
              "variable_attribute": [{"type": "MaxSet", "value": "22000"}]}],
        ]
        for seq_no, part in enumerate(entries):
            await self.call(call.NotifyReport(request_id=request_id, generated_at="2026-12-02T10:00:00Z",
                                              seq_no=seq_no, tbc=seq_no < len(entries) - 1, report_data=part))

    @on(Action.trigger_message)
    def on_trigger_message(self, requested_message, **kwargs):
        self.asked.append(("TriggerMessage", requested_message))
        return call_result.TriggerMessage(status="Accepted")

    @on(Action.reserve_now)
    def on_reserve_now(self, id, id_token, **kwargs):
        self.asked.append(("ReserveNow", id, id_token["id_token"], kwargs.get("evse_id")))
        return call_result.ReserveNow(status="Accepted")

    @on(Action.send_local_list)
    def on_send_local_list(self, version_number, update_type, **kwargs):
        self.asked.append(("SendLocalList", version_number, update_type,
                           kwargs.get("local_authorization_list")))
        self.list_version = version_number
        return call_result.SendLocalList(status="Accepted")

    @on(Action.get_local_list_version)
    def on_get_local_list_version(self, **kwargs):
        return call_result.GetLocalListVersion(version_number=getattr(self, "list_version", 0))

    @on(Action.request_start_transaction)
    def on_request_start(self, id_token, remote_start_id, **kwargs):
        self.asked.append(("RequestStartTransaction", id_token, remote_start_id, kwargs.get("evse_id")))
        return call_result.RequestStartTransaction(status="Accepted")

    @on(Action.request_stop_transaction)
    def on_request_stop(self, transaction_id, **kwargs):
        self.asked.append(("RequestStopTransaction", transaction_id))
        return call_result.RequestStopTransaction(status="Accepted")


def commanded_201(backend, cp_id):
    return booted_201(backend, cp_id, Commanded201)


async def command(backend, cp_id, action, payload):
    """Posts a command and waits until it is finished; returns it."""
    status, body = await api(backend, "POST", f"/api/v1/charge-points/{cp_id}/commands/{action}", payload)
    assert status == 202, (status, body)
    done = await finished(backend, body["command_id"])
    assert done["state"] == "answered", done
    assert done["ocpp_version"] == "ocpp2.0.1", done
    return done


async def test_TC_B_06_and_TC_B_09_get_and_set_variables_feed_the_device_model(backend):
    await register(backend, "CP201-VARS")
    async with commanded_201(backend, "CP201-VARS") as cp:
        got = await command(backend, "CP201-VARS", "GetVariables", {"getVariableData": [
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]})
        assert got["response"]["getVariableResult"][0]["attributeValue"] == "300"
        changed = await command(backend, "CP201-VARS", "SetVariables", {"setVariableData": [
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"},
             "attributeValue": "120"},
            {"component": {"name": "Nope"}, "variable": {"name": "X"}, "attributeValue": "1"}]})
        statuses = [r["attributeStatus"] for r in changed["response"]["setVariableResult"]]
        assert statuses == ["Accepted", "UnknownVariable"]
        # The 1.6 name of the same operation, translated to the standard 2.0.1 variable.
        await command(backend, "CP201-VARS", "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "90"})
        assert cp.asked[-1] == ("SetVariables", ("OCPPCommCtrlr", "HeartbeatInterval"), "90")
    status, view = await api(backend, "GET", "/api/v1/charge-points/CP201-VARS/variables")
    assert status == 200, view
    heartbeat = [i for i in view["items"] if i["variable"] == "HeartbeatInterval"]
    assert [(i["component"], i["value"]) for i in heartbeat] == [("OCPPCommCtrlr", "90")]
    assert not [i for i in view["items"] if i["component"] == "Nope"]


async def test_TC_B_12_a_base_report_in_parts_is_complete_and_readable(backend):
    await register(backend, "CP201-REPORT")
    async with commanded_201(backend, "CP201-REPORT"):
        report = await command(backend, "CP201-REPORT", "GetBaseReport",
                               {"requestId": 77, "reportBase": "ConfigurationInventory"})
        for _ in range(50):
            status, report = await api(backend, "GET", f"/api/v1/commands/{report['id']}")
            if report["report"] and report["report"]["complete"]:
                break
            await asyncio.sleep(0.1)
        assert report["report"] == {"request_id": 77, "parts": 2, "entries": 3, "complete": True}, report
    status, view = await api(backend, "GET", "/api/v1/charge-points/CP201-REPORT/variables")
    power = [i for i in view["items"] if i["variable"] == "Power"]
    assert power == [{**power[0], "component": "EVSE", "evse_id": 1, "attribute_type": "MaxSet", "value": "22000"}]


async def test_TC_B_20_TC_B_21_TC_B_22_TC_C_37_reset_and_clear_cache_in_2_0_1_spelling(backend):
    await register(backend, "CP201-RESET")
    async with commanded_201(backend, "CP201-RESET") as cp:
        await command(backend, "CP201-RESET", "Reset", {"type": "OnIdle"})
        await command(backend, "CP201-RESET", "Reset", {"type": "Immediate"})
        await command(backend, "CP201-RESET", "Reset", {"type": "Immediate", "evseId": 1})
        await command(backend, "CP201-RESET", "ClearCache", {})
        await command(backend, "CP201-RESET", "ChangeAvailability",
                      {"operationalStatus": "Inoperative", "evse": {"id": 1}})
        assert cp.asked == [("Reset", "OnIdle", None), ("Reset", "Immediate", None), ("Reset", "Immediate", 1),
                            ("ClearCache",),
                            ("ChangeAvailability", "Inoperative", {"id": 1})]
        # A 1.6 spelling is refused with the 2.0.1 schema's reason, and nothing is sent.
        status, problem = await api(backend, "POST", "/api/v1/charge-points/CP201-RESET/commands/Reset",
                                    {"type": "Soft"})
        assert status == 400 and "ocpp2.0.1" in problem["detail"], problem
        status, problem = await api(backend, "POST",
                                    "/api/v1/charge-points/CP201-RESET/commands/GetDiagnostics",
                                    {"location": "ftp://x"})
        assert status == 400 and "ocpp2.0.1" in problem["detail"], problem


async def test_TC_F_02_and_TC_F_03_remote_start_is_linked_and_stopped_by_the_apis_id(backend):
    await register(backend, "CP201-REMOTE")
    status, body = await api(backend, "PUT", "/api/v1/id-tags/REMOTE201", {"status": "Accepted"})
    assert status in (200, 201), body
    async with commanded_201(backend, "CP201-REMOTE") as cp:
        # Under the 1.6 name; the station gets a RequestStartTransaction with the command id.
        start = await command(backend, "CP201-REMOTE", "RemoteStartTransaction",
                              {"idTag": "REMOTE201", "connectorId": 1})
        assert start["action"] == "RequestStartTransaction"
        (_, id_token, remote_start_id, evse_id) = cp.asked[-1]
        assert (id_token, remote_start_id, evse_id) == (
            {"id_token": "REMOTE201", "type": "Central"}, start["id"], 1)
        await cp.call(call.TransactionEvent(
            event_type="Started", timestamp="2026-12-02T10:00:00Z", trigger_reason="RemoteStart", seq_no=0,
            transaction_info={"transaction_id": "rs-201", "remote_start_id": remote_start_id},
            id_token={"id_token": "REMOTE201", "type": "Central"}, evse={"id": 1, "connector_id": 1}))
        status, linked = await api(backend, "GET", f"/api/v1/commands/{start['id']}")
        transaction_id = linked["transaction_id"]
        assert transaction_id is not None, linked
        status, tx = await api(backend, "GET", f"/api/v1/transactions/{transaction_id}")
        assert tx["station_transaction_id"] == "rs-201", tx
        # Stopped by the API's integer id: the station gets its own string id.
        stop = await command(backend, "CP201-REMOTE", "RequestStopTransaction", {"transactionId": transaction_id})
        assert stop["request"] == {"transactionId": "rs-201"}
        assert cp.asked[-1] == ("RequestStopTransaction", "rs-201")


async def test_a_pending_station_may_send_what_a_trigger_message_asked_for(backend):
    """B02.FR.02: while Pending, a station sends only BootNotification and what the CSMS asked."""
    status, body = await api(backend, "PUT", "/api/v1/charge-points/CP201-PENDING",
                             {"registration_status": "Pending"})
    assert status in (200, 201), body
    status_notification = call.StatusNotification(
        timestamp="2026-12-02T10:00:00Z", connector_status="Available", evse_id=1, connector_id=1)
    async with commanded_201(backend, "CP201-PENDING") as cp:
        try:
            await cp.call(status_notification)
            raise AssertionError("a Pending station's untriggered StatusNotification was accepted")
        except Exception as e:  # the ocpp package raises the CALLERROR
            assert "SecurityError" in type(e).__name__ or "Security" in str(e), e
        await command(backend, "CP201-PENDING", "TriggerMessage",
                      {"requestedMessage": "StatusNotification", "evse": {"id": 1, "connectorId": 1}})
        assert cp.asked[-1] == ("TriggerMessage", "StatusNotification")
        await cp.call(status_notification)
    status, connectors = await api(backend, "GET", "/api/v1/charge-points/CP201-PENDING/connectors")
    assert status == 200, connectors


async def test_a_2_0_1_reservation_refuses_another_token_and_is_used_by_its_owner(backend):
    await register(backend, "CP201-RESERVE")
    for tag in ("RESOWNER201", "RESOTHER201"):
        status, body = await api(backend, "PUT", f"/api/v1/id-tags/{tag}", {"status": "Accepted"})
        assert status in (200, 201), body
    expiry = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    evse = {"id": 1, "connector_id": 1}
    async with commanded_201(backend, "CP201-RESERVE") as cp:
        await command(backend, "CP201-RESERVE", "ReserveNow", {
            "id": 31, "expiryDateTime": expiry, "evseId": 1,
            "idToken": {"idToken": "RESOWNER201", "type": "ISO14443"}})
        assert cp.asked[-1] == ("ReserveNow", 31, "RESOWNER201", 1)
        status, reservations = await api(backend, "GET", "/api/v1/charge-points/CP201-RESERVE/reservations")
        assert [(r["reservation_id"], r["connector_id"], r["state"]) for r in reservations["items"]] == [
            (31, 1, "active")], reservations
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        other = await cp.call(call.TransactionEvent(
            event_type="Started", timestamp=now, trigger_reason="Authorized", seq_no=0,
            transaction_info={"transaction_id": "res-other"}, evse=evse,
            id_token={"id_token": "RESOTHER201", "type": "ISO14443"}))
        assert other.id_token_info["status"] == "Invalid", other
        await cp.call(call.TransactionEvent(
            event_type="Ended", timestamp=now, trigger_reason="Deauthorized", seq_no=1,
            transaction_info={"transaction_id": "res-other", "stopped_reason": "DeAuthorized"}))
        owner = await cp.call(call.TransactionEvent(
            event_type="Started", timestamp=now, trigger_reason="Authorized", seq_no=0,
            transaction_info={"transaction_id": "res-owner"}, evse=evse, reservation_id=31,
            id_token={"id_token": "RESOWNER201", "type": "ISO14443"}))
        assert owner.id_token_info["status"] == "Accepted", owner
    status, reservations = await api(backend, "GET", "/api/v1/charge-points/CP201-RESERVE/reservations")
    used = reservations["items"][0]
    assert used["state"] == "used" and used["transaction_id"] is not None, used


async def test_a_local_list_built_from_the_registry_for_a_2_0_1_station(backend):
    await register(backend, "CP201-LIST")
    status, body = await api(backend, "PUT", "/api/v1/id-tags/LISTCARD201",
                             {"status": "Accepted", "type": "ISO15693"})
    assert status in (200, 201), body
    async with commanded_201(backend, "CP201-LIST") as cp:
        version = await command(backend, "CP201-LIST", "GetLocalListVersion", {})
        assert version["response"] == {"versionNumber": 0}
        full = await command(backend, "CP201-LIST", "SendLocalList", {"updateType": "Full"})
        (_, number, update_type, entries) = cp.asked[-1]
        assert (number, update_type) == (1, "Full")
        tokens = {e["id_token"]["id_token"]: e for e in entries}
        assert tokens["LISTCARD201"] == {"id_token": {"id_token": "LISTCARD201", "type": "ISO15693"},
                                         "id_token_info": {"status": "Accepted"}}, tokens["LISTCARD201"]
        assert full["request"]["versionNumber"] == 1
        status, body = await api(backend, "PUT", "/api/v1/id-tags/LISTCARD201",
                                 {"status": "Blocked", "type": "ISO15693"})
        assert status in (200, 201), body
        await command(backend, "CP201-LIST", "SendLocalList", {"updateType": "Differential"})
        (_, number, update_type, entries) = cp.asked[-1]
        assert (number, update_type) == (2, "Differential")
        assert [e["id_token_info"]["status"] for e in entries
                if e["id_token"]["id_token"] == "LISTCARD201"] == ["Blocked"]
    status, state = await api(backend, "GET", "/api/v1/charge-points/CP201-LIST/local-list")
    assert status == 200 and state["accepted_version"] == 2, state
    status, held = await api(backend, "GET", "/api/v1/charge-points/CP201-LIST/local-list/entries")
    assert {e["id_tag"]: e["status"] for e in held["items"]}["LISTCARD201"] == "Blocked", held

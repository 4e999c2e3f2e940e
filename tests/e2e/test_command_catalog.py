"""Every CSMS-initiated OCPP 1.6 command through the real backend to the
reference charge point, which validates each CALL against the official schema
and answers it; and the effects the answers have: reservations honoured by
authorization and used by StartTransaction, local lists built from the idTag
registry (full and differential) with their versions tracked, and a
RemoteStartTransaction linked to the transaction it started."""

import asyncio
import contextlib
from datetime import datetime, timedelta, timezone

import websockets
from ocpp.routing import on
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action

from conftest import ChargePoint
from test_commands import api, finished, register, send


def later(hours=1):
    return (datetime.now(timezone.utc) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


class CatalogChargePoint(ChargePoint):
    """Answers every command a central system may send in 1.6; records each
    request as the `ocpp` package decoded it (snake_case)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.asked = []

    def _answer(self, action, request, result):
        self.asked.append((action, request))
        return result

    @on(Action.remote_start_transaction)
    def remote_start(self, **r):
        return self._answer("RemoteStartTransaction", r, call_result.RemoteStartTransaction(status="Accepted"))

    @on(Action.remote_stop_transaction)
    def remote_stop(self, **r):
        return self._answer("RemoteStopTransaction", r, call_result.RemoteStopTransaction(status="Accepted"))

    @on(Action.reset)
    def reset(self, **r):
        return self._answer("Reset", r, call_result.Reset(status="Accepted"))

    @on(Action.unlock_connector)
    def unlock(self, **r):
        return self._answer("UnlockConnector", r, call_result.UnlockConnector(status="Unlocked"))

    @on(Action.change_availability)
    def availability(self, **r):
        return self._answer("ChangeAvailability", r, call_result.ChangeAvailability(status="Scheduled"))

    @on(Action.change_configuration)
    def change_configuration(self, **r):
        return self._answer("ChangeConfiguration", r, call_result.ChangeConfiguration(status="Accepted"))

    @on(Action.get_configuration)
    def get_configuration(self, **r):
        return self._answer("GetConfiguration", r, call_result.GetConfiguration(
            configuration_key=[{"key": "MeterValueSampleInterval", "readonly": False, "value": "60"}],
            unknown_key=["NoSuchKey"]))

    @on(Action.clear_cache)
    def clear_cache(self, **r):
        return self._answer("ClearCache", r, call_result.ClearCache(status="Accepted"))

    @on(Action.data_transfer)
    def data_transfer(self, **r):
        return self._answer("DataTransfer", r, call_result.DataTransfer(status="Accepted", data="pong"))

    @on(Action.update_firmware)
    def update_firmware(self, **r):
        return self._answer("UpdateFirmware", r, call_result.UpdateFirmware())

    @on(Action.get_diagnostics)
    def get_diagnostics(self, **r):
        return self._answer("GetDiagnostics", r, call_result.GetDiagnostics(file_name="diag-2026.zip"))

    @on(Action.trigger_message)
    def trigger_message(self, **r):
        return self._answer("TriggerMessage", r, call_result.TriggerMessage(status="Accepted"))

    @on(Action.send_local_list)
    def send_local_list(self, **r):
        return self._answer("SendLocalList", r, call_result.SendLocalList(status="Accepted"))

    @on(Action.get_local_list_version)
    def get_local_list_version(self, **r):
        return self._answer("GetLocalListVersion", r, call_result.GetLocalListVersion(list_version=1))

    @on(Action.reserve_now)
    def reserve_now(self, **r):
        return self._answer("ReserveNow", r, call_result.ReserveNow(status="Accepted"))

    @on(Action.cancel_reservation)
    def cancel_reservation(self, **r):
        return self._answer("CancelReservation", r, call_result.CancelReservation(status="Accepted"))

    @on(Action.set_charging_profile)
    def set_charging_profile(self, **r):
        return self._answer("SetChargingProfile", r, call_result.SetChargingProfile(status="Accepted"))

    @on(Action.clear_charging_profile)
    def clear_charging_profile(self, **r):
        return self._answer("ClearChargingProfile", r, call_result.ClearChargingProfile(status="Unknown"))

    @on(Action.get_composite_schedule)
    def get_composite_schedule(self, **r):
        return self._answer("GetCompositeSchedule", r, call_result.GetCompositeSchedule(status="Rejected"))


# (action, request payload, the answer the charge point gives, as stored)
CATALOG = [
    ("RemoteStartTransaction", {"idTag": "CAT-TAG", "connectorId": 1}, {"status": "Accepted"}),
    ("RemoteStopTransaction", {"transactionId": 1}, {"status": "Accepted"}),
    ("Reset", {"type": "Hard"}, {"status": "Accepted"}),
    ("UnlockConnector", {"connectorId": 1}, {"status": "Unlocked"}),
    ("ChangeAvailability", {"connectorId": 0, "type": "Inoperative"}, {"status": "Scheduled"}),
    ("ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "60"}, {"status": "Accepted"}),
    ("GetConfiguration", {"key": ["MeterValueSampleInterval", "NoSuchKey"]},
     {"configurationKey": [{"key": "MeterValueSampleInterval", "readonly": False, "value": "60"}],
      "unknownKey": ["NoSuchKey"]}),
    ("ClearCache", {}, {"status": "Accepted"}),
    ("DataTransfer", {"vendorId": "com.example", "messageId": "ping", "data": "hello"},
     {"status": "Accepted", "data": "pong"}),
    ("UpdateFirmware", {"location": "https://fw.example.com/v2.bin", "retrieveDate": "2026-12-01T00:00:00Z",
                        "retries": 2}, {}),
    ("GetDiagnostics", {"location": "ftp://diag.example.com/upload/"}, {"fileName": "diag-2026.zip"}),
    ("TriggerMessage", {"requestedMessage": "StatusNotification", "connectorId": 1}, {"status": "Accepted"}),
    ("SendLocalList", {"updateType": "Full"}, {"status": "Accepted"}),
    ("GetLocalListVersion", {}, {"listVersion": 1}),
    ("ReserveNow", {"connectorId": 1, "expiryDate": "EXPIRY", "idTag": "CAT-TAG", "reservationId": 42},
     {"status": "Accepted"}),
    ("CancelReservation", {"reservationId": 42}, {"status": "Accepted"}),
    ("SetChargingProfile", {"connectorId": 1, "csChargingProfiles": {
        "chargingProfileId": 7, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute", "chargingSchedule": {
            "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}]}}},
     {"status": "Accepted"}),
    ("ClearChargingProfile", {"id": 7}, {"status": "Unknown"}),
    ("GetCompositeSchedule", {"connectorId": 1, "duration": 3600}, {"status": "Rejected"}),
]


@contextlib.asynccontextmanager
async def catalog_cp(backend, cp_id):
    await register(backend, cp_id)
    async with websockets.connect(f"{backend.ws_url}/{cp_id}", subprotocols=["ocpp1.6"],
                                  open_timeout=20) as ws:
        cp = CatalogChargePoint(cp_id, ws, response_timeout=20)
        task = asyncio.create_task(cp.start())
        try:
            await cp.call(call.BootNotification(charge_point_model="Cat-1", charge_point_vendor="Acme"))
            yield cp
        finally:
            task.cancel()


async def tags(backend, *names):
    for name in names:
        status, body = await api(backend, "PUT", f"/api/v1/id-tags/{name}", {"status": "Accepted"})
        assert status in (200, 201), body


async def command(backend, cp_id, action, payload):
    done = await finished(backend, await send(backend, cp_id, action, payload))
    assert done["state"] == "answered", done
    return done


async def test_every_16_command_reaches_the_charge_point_and_its_answer_is_stored(backend):
    await tags(backend, "CAT-TAG")
    async with catalog_cp(backend, "CP-CAT") as cp:
        for action, payload, answer in CATALOG:
            if "expiryDate" in payload:
                payload = {**payload, "expiryDate": later()}
            done = await command(backend, "CP-CAT", action, payload)
            assert done["response"] == answer, (action, done)
            assert cp.asked[-1][0] == action
        assert [a for a, _ in cp.asked] == [a for a, _, _ in CATALOG]

    asked = dict(cp.asked)
    # The full list was built from the registry, with the first version.
    assert asked["SendLocalList"]["update_type"] == "Full"
    assert asked["SendLocalList"]["list_version"] == 1
    assert {"id_tag": "CAT-TAG", "id_tag_info": {"status": "Accepted"}} in \
        asked["SendLocalList"]["local_authorization_list"]
    assert asked["SetChargingProfile"]["cs_charging_profiles"]["charging_profile_id"] == 7
    status, local_list = await api(backend, "GET", "/api/v1/charge-points/CP-CAT/local-list")
    assert status == 200, local_list
    assert (local_list["accepted_version"], local_list["reported_version"]) == (1, 1)
    status, entries = await api(backend, "GET", "/api/v1/charge-points/CP-CAT/local-list/entries")
    assert "CAT-TAG" in [e["id_tag"] for e in entries["items"]]
    status, reservations = await api(backend, "GET", "/api/v1/charge-points/CP-CAT/reservations")
    assert [(r["reservation_id"], r["state"]) for r in reservations["items"]] == [(42, "cancelled")]
    status, configuration = await api(backend, "GET", "/api/v1/charge-points/CP-CAT/configuration")
    assert {k["key"]: k["value"] for k in configuration["keys"]}["MeterValueSampleInterval"] == "60"


async def test_a_differential_list_carries_only_what_changed_since_the_accepted_one(backend):
    await tags(backend, "DIFF-KEEP", "DIFF-GONE")
    async with catalog_cp(backend, "CP-DIFF") as cp:
        full = await command(backend, "CP-DIFF", "SendLocalList", {"updateType": "Full"})
        assert full["request"]["listVersion"] == 1
        await tags(backend, "DIFF-NEW")
        assert (await api(backend, "DELETE", "/api/v1/id-tags/DIFF-GONE"))[0] == 204
        diff = await command(backend, "CP-DIFF", "SendLocalList", {"updateType": "Differential"})
    sent = diff["request"]
    assert sent["updateType"] == "Differential" and sent["listVersion"] == 2
    assert sorted(sent["localAuthorizationList"], key=lambda e: e["idTag"]) == [
        {"idTag": "DIFF-GONE"},
        {"idTag": "DIFF-NEW", "idTagInfo": {"status": "Accepted"}},
    ]
    assert cp.asked[-1][1]["list_version"] == 2
    status, local_list = await api(backend, "GET", "/api/v1/charge-points/CP-DIFF/local-list")
    assert local_list["accepted_version"] == 2


async def test_a_reservation_keeps_others_off_its_connector_until_its_owner_starts(backend):
    await tags(backend, "RES-OWNER", "RES-OTHER")
    async with catalog_cp(backend, "CP-RES") as cp:
        await command(backend, "CP-RES", "ReserveNow", {"connectorId": 1, "expiryDate": later(),
                                                         "idTag": "RES-OWNER", "reservationId": 43})
        other = await cp.call(call.StartTransaction(connector_id=1, id_tag="RES-OTHER", meter_start=0,
                                                    timestamp="2026-11-23T20:00:00Z"))
        assert other.id_tag_info["status"] == "Invalid"
        await cp.call(call.StopTransaction(transaction_id=other.transaction_id, meter_stop=0,
                                           timestamp="2026-11-23T20:00:05Z"))
        owner = await cp.call(call.StartTransaction(connector_id=1, id_tag="RES-OWNER", meter_start=0,
                                                    timestamp="2026-11-23T20:01:00Z", reservation_id=43))
        assert owner.id_tag_info["status"] == "Accepted"
    status, reservations = await api(backend, "GET", "/api/v1/charge-points/CP-RES/reservations")
    assert [(r["reservation_id"], r["state"], r["transaction_id"]) for r in reservations["items"]] == \
        [(43, "used", owner.transaction_id)]
    status, refused = await api(backend, "GET", f"/api/v1/transactions/{other.transaction_id}")
    assert refused["flagged"] is True and "reserv" in refused["flag_reason"], refused


async def test_a_remote_start_is_linked_to_the_transaction_it_started(backend):
    await tags(backend, "RS-TAG")
    async with catalog_cp(backend, "CP-RS") as cp:
        remote = await command(backend, "CP-RS", "RemoteStartTransaction", {"idTag": "RS-TAG", "connectorId": 2})
        start = await cp.call(call.StartTransaction(connector_id=2, id_tag="RS-TAG", meter_start=10,
                                                    timestamp="2026-11-23T20:00:00Z"))
    status, linked = await api(backend, "GET", f"/api/v1/commands/{remote['id']}")
    assert linked["transaction_id"] == start.transaction_id, linked
    status, tx = await api(backend, "GET", f"/api/v1/transactions/{start.transaction_id}")
    assert tx["remote_start_command_id"] == remote["id"], tx

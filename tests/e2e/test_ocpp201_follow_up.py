"""What a 2.0.1 station sends after answering a command, end to end through both gateways:
firmware and log status notifications, customer information parts and charging profile
reports are followed on the command by their `requestId` (`follow_up`), and the charging
profiles a station holds are listed (`/charging-profiles`). The station is the `ocpp`
package's v201 ChargePoint, which validates every message against the official schemas.
Tests are named after the OCTT 2.0.1 CSMS cases they cover; the others say what they check."""

import asyncio
import contextlib
import time

from ocpp.routing import on
from ocpp.v201 import call, call_result
from ocpp.v201.enums import Action

from conftest import ChargePoint201, booted_201
from test_commands import api, finished, register

SCHEDULE = [{"id": 1, "charging_rate_unit": "W",
             "charging_schedule_period": [{"start_period": 0, "limit": 11000.0}]}]
STATION_MAX = {"id": 90, "stack_level": 0, "charging_profile_purpose": "ChargingStationMaxProfile",
               "charging_profile_kind": "Absolute", "charging_schedule": SCHEDULE}


class Followed201(ChargePoint201):
    """Answers Accepted, then sends what the CSMS should follow: `self.script` maps an
    action to the notifications it sends afterwards."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.profiles = {}

    def later(self, *notifications):
        async def send():
            await asyncio.sleep(0.1)
            for notification in notifications:
                await self.call(notification)
        asyncio.get_running_loop().create_task(send())

    @on(Action.update_firmware)
    def on_update_firmware(self, request_id, firmware, **kwargs):
        outcome = "InvalidSignature" if "unsigned" in firmware["location"] else "Installed"
        steps = ["Downloading", "Downloaded"] + (["Installing", outcome] if outcome == "Installed" else [outcome])
        self.later(*[call.FirmwareStatusNotification(status=s, request_id=request_id) for s in steps])
        return call_result.UpdateFirmware(status="Accepted")

    @on(Action.get_log)
    def on_get_log(self, log, log_type, request_id, **kwargs):
        self.later(call.LogStatusNotification(status="Uploading", request_id=request_id),
                   call.LogStatusNotification(status="Uploaded", request_id=request_id))
        return call_result.GetLog(status="Accepted", filename="diagnostics.log")

    @on(Action.customer_information)
    def on_customer_information(self, request_id, report, clear, **kwargs):
        at = "2026-12-02T10:00:00Z"
        if kwargs.get("id_token", {}).get("id_token") == "NOBODY":
            parts = [call.NotifyCustomerInformation(data="", seq_no=0, generated_at=at, request_id=request_id)]
        else:
            parts = [call.NotifyCustomerInformation(data="sessions: 12", seq_no=0, generated_at=at,
                                                    request_id=request_id, tbc=True),
                     call.NotifyCustomerInformation(data="last: 2026-12-01", seq_no=1, generated_at=at,
                                                    request_id=request_id)]
        self.later(*parts)
        return call_result.CustomerInformation(status="Accepted")

    @on(Action.set_charging_profile)
    def on_set_charging_profile(self, evse_id, charging_profile, **kwargs):
        self.profiles[charging_profile["id"]] = (evse_id, charging_profile)
        return call_result.SetChargingProfile(status="Accepted")

    @on(Action.get_charging_profiles)
    def on_get_charging_profiles(self, request_id, charging_profile, **kwargs):
        self.later(call.ReportChargingProfiles(request_id=request_id, charging_limit_source="CSO",
                                               evse_id=0, charging_profile=[STATION_MAX]))
        return call_result.GetChargingProfiles(status="Accepted")

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(self, **kwargs):
        self.profiles.pop(kwargs.get("charging_profile_id"), None)
        return call_result.ClearChargingProfile(status="Accepted")


@contextlib.asynccontextmanager
async def followed(backend, cp_id):
    await register(backend, cp_id)
    async with booted_201(backend, cp_id, Followed201) as cp:
        yield cp


async def command(backend, cp_id, action, payload):
    status, body = await api(backend, "POST", f"/api/v1/charge-points/{cp_id}/commands/{action}", payload)
    assert status == 202, (status, body)
    done = await finished(backend, body["command_id"])
    assert done["state"] == "answered", done
    return done


async def completed(backend, command_id, timeout=20):
    """The command once its follow-up is complete (or as it is when the deadline passes)."""
    deadline = time.monotonic() + timeout
    while True:
        status, view = await api(backend, "GET", f"/api/v1/commands/{command_id}")
        assert status == 200, view
        if (view["follow_up"] or {}).get("complete") or time.monotonic() > deadline:
            return view
        await asyncio.sleep(0.1)


FIRMWARE = {"location": "https://firmware.example.com/fast-2-1.4.bin",
            "retrieveDateTime": "2026-12-02T10:00:00Z",
            "signingCertificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
            "signature": "c2lnbmF0dXJl"}


async def test_TC_L_01_a_firmware_update_is_followed_to_installed(backend):
    cp_id = f"CP201-FW-{backend.gateway}"
    async with followed(backend, cp_id):
        sent = await command(backend, cp_id, "UpdateFirmware", {"requestId": 41, "firmware": FIRMWARE})
        view = await completed(backend, sent["id"])
    follow_up = view["follow_up"]
    assert follow_up["notification"] == "FirmwareStatusNotification"
    assert [n["payload"]["status"] for n in follow_up["received"]] == \
        ["Downloading", "Downloaded", "Installing", "Installed"]
    assert (follow_up["count"], follow_up["status"], follow_up["complete"]) == (4, "Installed", True)


async def test_TC_L_06_an_invalid_signature_ends_the_firmware_update(backend):
    cp_id = f"CP201-FWSIG-{backend.gateway}"
    async with followed(backend, cp_id):
        unsigned = {**FIRMWARE, "location": "https://firmware.example.com/unsigned.bin"}
        sent = await command(backend, cp_id, "UpdateFirmware", {"requestId": 42, "firmware": unsigned})
        view = await completed(backend, sent["id"])
    assert view["follow_up"]["status"] == "InvalidSignature"
    assert view["follow_up"]["complete"] is True


async def test_TC_N_25_a_diagnostics_log_upload_is_followed_to_uploaded(backend):
    cp_id = f"CP201-LOG-{backend.gateway}"
    async with followed(backend, cp_id):
        sent = await command(backend, cp_id, "GetLog", {
            "logType": "DiagnosticsLog", "requestId": 43,
            "log": {"remoteLocation": "https://logs.example.com/upload"}})
        assert sent["response"] == {"status": "Accepted", "filename": "diagnostics.log"}
        view = await completed(backend, sent["id"])
    assert [n["payload"]["status"] for n in view["follow_up"]["received"]] == ["Uploading", "Uploaded"]
    assert view["follow_up"]["complete"] is True


async def test_TC_N_28_and_TC_N_30_customer_information_is_gathered_from_its_parts(backend):
    cp_id = f"CP201-CUSTOMER-{backend.gateway}"
    async with followed(backend, cp_id):
        nobody = await command(backend, cp_id, "CustomerInformation", {
            "requestId": 44, "report": True, "clear": False,
            "idToken": {"idToken": "NOBODY", "type": "ISO14443"}})
        cleared = await command(backend, cp_id, "CustomerInformation", {
            "requestId": 45, "report": True, "clear": True,
            "idToken": {"idToken": "ALICE", "type": "ISO14443"}})
        nobody, cleared = await completed(backend, nobody["id"]), await completed(backend, cleared["id"])
    assert [n["payload"]["data"] for n in nobody["follow_up"]["received"]] == [""]
    assert nobody["follow_up"]["complete"] is True
    # Each command has its own parts, by requestId.
    assert [n["payload"]["data"] for n in cleared["follow_up"]["received"]] == ["sessions: 12", "last: 2026-12-01"]
    assert (cleared["follow_up"]["count"], cleared["follow_up"]["complete"]) == (2, True)


async def test_the_charging_profiles_a_station_holds_are_listed_set_reported_and_cleared(backend):
    cp_id = f"CP201-PROFILES-{backend.gateway}"
    tx_default = {"id": 7, "stackLevel": 1, "chargingProfilePurpose": "TxDefaultProfile",
                  "chargingProfileKind": "Absolute",
                  "chargingSchedule": [{"id": 1, "chargingRateUnit": "A",
                                        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}]}]}
    async with followed(backend, cp_id) as cp:
        await command(backend, cp_id, "SetChargingProfile", {"evseId": 1, "chargingProfile": tx_default})
        assert cp.profiles[7][0] == 1
        report = await command(backend, cp_id, "GetChargingProfiles",
                               {"requestId": 46, "chargingProfile": {"chargingLimitSource": ["CSO"]}})
        report = await completed(backend, report["id"])
        assert report["follow_up"]["notification"] == "ReportChargingProfiles"
        status, held = await api(backend, "GET", f"/api/v1/charge-points/{cp_id}/charging-profiles")
        assert status == 200, held
        assert [(p["evse_id"], p["id"], p["purpose"], p["source"]) for p in held["profiles"]] == [
            (0, 90, "ChargingStationMaxProfile", "ReportChargingProfiles"),
            (1, 7, "TxDefaultProfile", "SetChargingProfile")]
        assert held["profiles"][1]["profile"] == tx_default
        await command(backend, cp_id, "ClearChargingProfile", {"chargingProfileId": 7})
    status, held = await api(backend, "GET", f"/api/v1/charge-points/{cp_id}/charging-profiles")
    assert [p["id"] for p in held["profiles"]] == [90]

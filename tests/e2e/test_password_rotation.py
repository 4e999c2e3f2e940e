"""Password rotation (security profile 1) end to end, through both gateways and both
versions: `POST /api/v1/charge-points/{id}/password` sends the station its new password
(ChangeConfiguration AuthorizationKey in 1.6, SetVariables SecurityCtrlr.BasicAuthPassword in
2.0.1); the old one keeps working until the station connects with the new one, and a station
that rejected the change keeps its old one. The stations are the `ocpp` package's, which
validate every CALL they receive against the official schemas."""

import asyncio
import contextlib

import pytest
import websockets
from ocpp.routing import on
from ocpp.v16 import call as call16, call_result as result16
from ocpp.v16.enums import Action as Action16
from ocpp.v201 import call as call201, call_result as result201
from ocpp.v201.enums import Action as Action201

import harness
from conftest import ChargePoint, ChargePoint201
from test_commands import api, finished

OLD = "old-password-0123456789"


class Rotating16(ChargePoint):
    """Takes (or, when told to, rejects) a new AuthorizationKey."""

    def __init__(self, *args, status="Accepted", **kwargs):
        super().__init__(*args, **kwargs)
        self.status = status
        self.keys = []

    @on(Action16.change_configuration)
    def on_change_configuration(self, key, value, **kwargs):
        self.keys.append((key, value))
        return result16.ChangeConfiguration(status=self.status)


class Rotating201(ChargePoint201):
    """Takes (or, when told to, rejects) a new SecurityCtrlr.BasicAuthPassword."""

    def __init__(self, *args, status="Accepted", **kwargs):
        super().__init__(*args, **kwargs)
        self.status = status
        self.passwords = []

    @on(Action201.set_variables)
    def on_set_variables(self, set_variable_data, **kwargs):
        results = []
        for entry in set_variable_data:
            key = (entry["component"]["name"], entry["variable"]["name"])
            if key == ("SecurityCtrlr", "BasicAuthPassword"):
                self.passwords.append(entry["attribute_value"])
            results.append({"component": entry["component"], "variable": entry["variable"],
                            "attribute_status": self.status})
        return result201.SetVariables(set_variable_result=results)


@contextlib.asynccontextmanager
async def station(backend, cp_id, password, cls, subprotocol, **kwargs):
    headers = {"Authorization": harness.basic_auth(cp_id, password)}
    async with websockets.connect(f"{backend.ws_url}/{cp_id}", subprotocols=[subprotocol],
                                  additional_headers=headers, open_timeout=20) as ws:
        assert ws.subprotocol == subprotocol
        cp = cls(cp_id, ws, response_timeout=20, **kwargs)
        task = asyncio.create_task(cp.start())
        try:
            yield cp
        finally:
            task.cancel()


async def boot16(cp):
    boot = await cp.call(call16.BootNotification(charge_point_model="M", charge_point_vendor="V"))
    assert boot.status == "Accepted"


async def boot201(cp):
    boot = await cp.call(call201.BootNotification(
        charging_station={"model": "M", "vendor_name": "V"}, reason="PowerUp"))
    assert boot.status == "Accepted"


async def refused(backend, cp_id, password, subprotocol):
    with pytest.raises(websockets.exceptions.InvalidStatus) as answer:
        async with station(backend, cp_id, password, ChargePoint, subprotocol):
            pass
    return answer.value.response.status_code


async def connects(backend, cp_id, password, cls, subprotocol):
    async with station(backend, cp_id, password, cls, subprotocol) as cp:
        await (boot16 if subprotocol == "ocpp1.6" else boot201)(cp)


async def register(backend, cp_id):
    status, body = await api(backend, "PUT", f"/api/v1/charge-points/{cp_id}", {"password": OLD})
    assert status in (200, 201), body


async def rotate(backend, cp_id, cp, body):
    """Posts a rotation while `cp` is connected; returns the answer and the finished command."""
    status, queued = await api(backend, "POST", f"/api/v1/charge-points/{cp_id}/password", body)
    assert status == 202, queued
    command = await finished(backend, queued["command_id"])
    assert command["state"] == "answered", command
    return queued, command


async def test_a_1_6_station_keeps_its_old_password_until_it_uses_the_new_one(backend):
    cp_id, new = f"CP-ROTATE16-{backend.gateway}", "new-password-9876543210"
    await register(backend, cp_id)
    async with station(backend, cp_id, OLD, Rotating16, "ocpp1.6") as cp:
        await boot16(cp)
        queued, command = await rotate(backend, cp_id, cp, {"password": new})
        assert cp.keys == [("AuthorizationKey", new)]
    assert queued["action"] == "ChangeConfiguration" and "password" not in queued
    assert command["request"] == {"key": "AuthorizationKey", "value": "********"}
    assert new not in str(command)
    # A station that has not reconnected yet still gets in with the old password.
    await connects(backend, cp_id, OLD, ChargePoint, "ocpp1.6")
    await connects(backend, cp_id, new, ChargePoint, "ocpp1.6")
    # Once it used the new one, the old one is gone.
    assert await refused(backend, cp_id, OLD, "ocpp1.6") == 401
    await connects(backend, cp_id, new, ChargePoint, "ocpp1.6")


async def test_a_station_that_rejects_the_change_keeps_its_old_password(backend):
    cp_id, new = f"CP-REJECT16-{backend.gateway}", "never-taken-password-01"
    await register(backend, cp_id)
    async with station(backend, cp_id, OLD, Rotating16, "ocpp1.6", status="Rejected") as cp:
        await boot16(cp)
        _, command = await rotate(backend, cp_id, cp, {"password": new})
    assert command["response"] == {"status": "Rejected"}
    assert await refused(backend, cp_id, new, "ocpp1.6") == 401
    await connects(backend, cp_id, OLD, ChargePoint, "ocpp1.6")


async def test_TC_A_09_a_2_0_1_station_gets_a_generated_password_through_set_variables(backend):
    cp_id = f"CP-ROTATE201-{backend.gateway}"
    await register(backend, cp_id)
    async with station(backend, cp_id, OLD, Rotating201, "ocpp2.0.1") as cp:
        await boot201(cp)
        queued, command = await rotate(backend, cp_id, cp, None)
        generated = queued["password"]
        assert cp.passwords == [generated]
    assert queued["action"] == "SetVariables" and len(generated) == 40
    assert command["request"]["setVariableData"][0]["attributeValue"] == "********"
    assert generated not in str(command)
    status, model = await api(backend, "GET", f"/api/v1/charge-points/{cp_id}/variables")
    assert status == 200 and generated not in str(model)
    await connects(backend, cp_id, generated, ChargePoint201, "ocpp2.0.1")
    assert await refused(backend, cp_id, OLD, "ocpp2.0.1") == 401


async def test_TC_A_10_a_2_0_1_station_that_rejects_the_password_keeps_its_old_one(backend):
    cp_id, new = f"CP-REJECT201-{backend.gateway}", "never-taken-password-02"
    await register(backend, cp_id)
    async with station(backend, cp_id, OLD, Rotating201, "ocpp2.0.1", status="Rejected") as cp:
        await boot201(cp)
        _, command = await rotate(backend, cp_id, cp, {"password": new})
        assert cp.passwords == [new]
    assert command["response"]["setVariableResult"][0]["attributeStatus"] == "Rejected"
    assert await refused(backend, cp_id, new, "ocpp2.0.1") == 401
    await connects(backend, cp_id, OLD, ChargePoint201, "ocpp2.0.1")


async def test_a_password_change_through_the_commands_route_is_refused(backend):
    cp_id = f"CP-SIDEWAYS-{backend.gateway}"
    await register(backend, cp_id)
    status, problem = await api(backend, "POST", f"/api/v1/charge-points/{cp_id}/commands/ChangeConfiguration",
                                {"key": "AuthorizationKey", "value": "0123456789abcdef"})
    assert status == 400 and "/password" in problem["detail"], problem


async def test_TC_A_01_TC_A_02_TC_A_03_basic_authentication_of_a_2_0_1_station(backend):
    cp_id = f"CP-BASIC201-{backend.gateway}"
    await register(backend, cp_id)
    # A_01: the right id and password: upgraded, booted, its connectors reported.
    async with station(backend, cp_id, OLD, ChargePoint201, "ocpp2.0.1") as cp:
        await boot201(cp)
        await cp.call(call201.StatusNotification(timestamp="2026-12-02T10:00:00Z", connector_status="Available",
                                                 evse_id=1, connector_id=1))
    # A_02: a username that is not the station's id; A_03: no header, then a wrong password.
    for headers in ({"Authorization": harness.basic_auth("SOMEONE-ELSE", OLD)}, None,
                    {"Authorization": harness.basic_auth(cp_id, "wrong-password-0123")}):
        with pytest.raises(websockets.exceptions.InvalidStatus) as answer:
            async with websockets.connect(f"{backend.ws_url}/{cp_id}", subprotocols=["ocpp2.0.1"],
                                          additional_headers=headers, open_timeout=20):
                pass
        assert answer.value.response.status_code == 401

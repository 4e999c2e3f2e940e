"""Operator commands end to end: the API queues a CSMS-initiated OCPP 1.6 call,
publishes it through the gateway (embedded or Pushpin) to the charge point, and
the connection component stores the answer and sends the next queued one.
The backend runs with command_timeout_seconds=3 (conftest)."""

import asyncio
import contextlib
import json
import time
from datetime import datetime

import websockets
from ocpp.exceptions import NotSupportedError
from ocpp.routing import on
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action

from conftest import ChargePoint, raw_socket

FINISHED = {"answered", "error", "timed_out", "offline"}


class CommandedChargePoint(ChargePoint):
    """Answers Reset, ChangeConfiguration and GetConfiguration; refuses
    UnlockConnector with a CALLERROR. Records what it was asked, in order."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.asked = []

    @on(Action.reset)
    def on_reset(self, type, **kwargs):
        self.asked.append(("Reset", type))
        return call_result.Reset(status="Accepted")

    @on(Action.change_configuration)
    def on_change_configuration(self, key, value, **kwargs):
        self.asked.append(("ChangeConfiguration", key))
        return call_result.ChangeConfiguration(status="Accepted")

    @on(Action.get_configuration)
    def on_get_configuration(self, **kwargs):
        self.asked.append(("GetConfiguration", None))
        return call_result.GetConfiguration(configuration_key=[
            {"key": "HeartbeatInterval", "readonly": False, "value": "120"},
            {"key": "NumberOfConnectors", "readonly": True, "value": "2"},
        ])

    @on(Action.unlock_connector)
    def on_unlock_connector(self, connector_id, **kwargs):
        self.asked.append(("UnlockConnector", connector_id))
        raise NotSupportedError(description="this charge point has no connector lock")


@contextlib.asynccontextmanager
async def commanded(backend, cp_id):
    async with websockets.connect(f"{backend.ws_url}/{cp_id}", subprotocols=["ocpp1.6"],
                                  open_timeout=20) as ws:
        cp = CommandedChargePoint(cp_id, ws, response_timeout=20)
        task = asyncio.create_task(cp.start())
        try:
            yield cp
        finally:
            task.cancel()


def instant(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def api(backend, method, path, body=None):
    return await asyncio.to_thread(backend.api, method, path, body)


async def register(backend, cp_id, **fields):
    status, body = await api(backend, "PUT", f"/api/v1/charge-points/{cp_id}", fields)
    assert status in (200, 201), body


async def send(backend, cp_id, action, payload, query=""):
    status, body = await api(backend, "POST", f"/api/v1/charge-points/{cp_id}/commands/{action}{query}", payload)
    assert status == 202, (status, body)
    return body["command_id"]


async def finished(backend, command_id, timeout=15):
    """Polls the command until it is finished; returns it."""
    deadline = time.monotonic() + timeout
    while True:
        status, command = await api(backend, "GET", f"/api/v1/commands/{command_id}")
        assert status == 200, command
        if command["state"] in FINISHED or time.monotonic() > deadline:
            return command
        await asyncio.sleep(0.2)


async def next_frame(backend, ws, command_id, timeout=10):
    """The next frame the charge point receives, while an operator watches the command.
    A command posted in the first 2 s of a socket stays queued (Pushpin subscribes the
    socket to its channel asynchronously); a look at it sends it once that has passed."""
    receiving = asyncio.ensure_future(ws.recv())
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            done, _ = await asyncio.wait({receiving}, timeout=0.25)
            if done:
                return json.loads(receiving.result())
            await api(backend, "GET", f"/api/v1/commands/{command_id}")
        raise AssertionError(f"no frame for command {command_id} within {timeout} s")
    finally:
        receiving.cancel()


async def test_answers_are_stored_on_their_commands(backend):
    await register(backend, "CP-CMD")
    async with commanded(backend, "CP-CMD") as cp:
        await cp.call(call.BootNotification(charge_point_model="Fast-1", charge_point_vendor="Acme"))
        reset = await finished(backend, await send(backend, "CP-CMD", "Reset", {"type": "Soft"}))
        assert reset["state"] == "answered", reset
        assert reset["response"] == {"status": "Accepted"}
        assert reset["request"] == {"type": "Soft"}
        assert reset["charge_point_id"] == "CP-CMD" and reset["action"] == "Reset"
        for field in ("created_at", "sent_at", "answered_at"):
            assert reset[field].endswith("Z"), reset
        change = await finished(backend, await send(
            backend, "CP-CMD", "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "120"}))
        assert change["state"] == "answered" and change["response"] == {"status": "Accepted"}
        get = await finished(backend, await send(backend, "CP-CMD", "GetConfiguration", {}))
        assert get["state"] == "answered", get
        keys = {k["key"]: k for k in get["response"]["configurationKey"]}
        assert keys["NumberOfConnectors"] == {"key": "NumberOfConnectors", "readonly": True, "value": "2"}
        status, configuration = await api(backend, "GET", "/api/v1/charge-points/CP-CMD/configuration")
        assert status == 200, configuration
        stored = {k["key"]: (k["value"], k["readonly"]) for k in configuration["keys"]}
        assert stored == {"HeartbeatInterval": ("120", False), "NumberOfConnectors": ("2", True)}
        assert cp.asked == [("Reset", "Soft"), ("ChangeConfiguration", "HeartbeatInterval"),
                            ("GetConfiguration", None)]
    status, listed = await api(backend, "GET", "/api/v1/charge-points/CP-CMD/commands")
    assert status == 200
    assert [c["action"] for c in listed["items"]] == ["GetConfiguration", "ChangeConfiguration", "Reset"]


async def test_back_to_back_commands_are_both_answered_in_order(backend):
    await register(backend, "CP-B2B")
    async with commanded(backend, "CP-B2B") as cp:
        await cp.call(call.BootNotification(charge_point_model="Fast-1", charge_point_vendor="Acme"))
        first = await send(backend, "CP-B2B", "Reset", {"type": "Hard"})
        second = await send(backend, "CP-B2B", "GetConfiguration", {"key": ["HeartbeatInterval"]})
        one, two = await finished(backend, first), await finished(backend, second)
        assert (one["state"], two["state"]) == ("answered", "answered"), (one, two)
        assert instant(two["sent_at"]) >= instant(one["sent_at"]), (one, two)
        assert cp.asked == [("Reset", "Hard"), ("GetConfiguration", None)]


async def test_a_call_error_is_stored_with_its_code(backend):
    await register(backend, "CP-ERR")
    async with commanded(backend, "CP-ERR") as cp:
        await cp.call(call.BootNotification(charge_point_model="Fast-1", charge_point_vendor="Acme"))
        command = await finished(backend, await send(backend, "CP-ERR", "UnlockConnector", {"connectorId": 1}))
        assert command["state"] == "error", command
        assert command["error"]["code"] == "NotSupported"
        assert command["error"]["description"] == "this charge point has no connector lock"
        assert command["response"] is None
        # The queue is free again.
        after = await finished(backend, await send(backend, "CP-ERR", "Reset", {"type": "Soft"}))
        assert after["state"] == "answered"


async def test_an_unanswered_command_times_out_and_the_next_one_goes(backend):
    await register(backend, "CP-MUTE")
    async with raw_socket(backend, "CP-MUTE") as ws:
        first = await send(backend, "CP-MUTE", "ClearCache", {})
        frame = await next_frame(backend, ws, first)
        assert frame == [2, f"csms-{first}", "ClearCache", {}]
        second = await send(backend, "CP-MUTE", "Reset", {"type": "Soft"})
        status, queued = await api(backend, "GET", f"/api/v1/commands/{second}")
        assert queued["state"] == "queued", queued
        timed_out = await finished(backend, first, timeout=10)
        assert timed_out["state"] == "timed_out", timed_out
        assert timed_out["answered_at"] is None
        # Looking at the charge point sent the next one.
        frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert frame == [2, f"csms-{second}", "Reset", {"type": "Soft"}]
        # A late answer still counts (the charge point did what it says), without disturbing
        # the call outstanding now.
        await ws.send(json.dumps([3, f"csms-{first}", {"status": "Accepted"}]))
        await asyncio.sleep(0.5)
        status, outstanding = await api(backend, "GET", f"/api/v1/commands/{second}")
        assert outstanding["state"] == "sent", outstanding
        await ws.send(json.dumps([3, f"csms-{second}", {"status": "Rejected"}]))
        answered = await finished(backend, second)
        assert answered["state"] == "answered" and answered["response"] == {"status": "Rejected"}
        status, late = await api(backend, "GET", f"/api/v1/commands/{first}")
        assert late["state"] == "answered" and late["response"] == {"status": "Accepted"}, late
        assert late["answered_at"] is not None


async def test_a_command_posted_as_a_silent_charge_point_connects_reaches_it_unasked(backend):
    """No operator looks and the charge point says nothing: the gateway's keep-alive, which
    the connection component asks for when the socket opens, carries the command out."""
    await register(backend, "CP-SILENT")
    # Not even WebSocket pings, which would also carry it out.
    async with websockets.connect(f"{backend.ws_url}/CP-SILENT", subprotocols=["ocpp1.6"],
                                  open_timeout=20, ping_interval=None) as ws:
        opened = time.monotonic()
        command = await send(backend, "CP-SILENT", "GetLocalListVersion", {})
        assert time.monotonic() - opened < 2, "posted too late to test the young socket"
        frame = json.loads(await asyncio.wait_for(ws.recv(), 35))
        assert frame == [2, f"csms-{command}", "GetLocalListVersion", {}]
        await ws.send(json.dumps([3, f"csms-{command}", {"listVersion": 4}]))
        answered = await finished(backend, command)
        assert answered["state"] == "answered" and answered["response"] == {"listVersion": 4}


async def test_an_invalid_answer_puts_the_command_in_error(backend):
    await register(backend, "CP-WRONG")
    async with raw_socket(backend, "CP-WRONG") as ws:
        command_id = await send(backend, "CP-WRONG", "Reset", {"type": "Soft"})
        frame = await next_frame(backend, ws, command_id)
        await ws.send(json.dumps([3, frame[1], {"status": "Maybe"}]))
        command = await finished(backend, command_id)
        assert command["state"] == "error", command
        assert command["error"]["code"] == "PropertyConstraintViolation"
        assert "status" in command["error"]["description"]
        assert command["response"] == {"status": "Maybe"}


async def test_a_call_outstanding_when_the_socket_closes_ends_offline(backend):
    await register(backend, "CP-GONE")
    async with raw_socket(backend, "CP-GONE") as ws:
        command_id = await send(backend, "CP-GONE", "Reset", {"type": "Hard"})
        frame = await next_frame(backend, ws, command_id)
        assert frame[2] == "Reset"
    command = await finished(backend, command_id, timeout=10)
    assert command["state"] == "offline", command


async def test_an_offline_charge_point_gets_its_queue_on_connect(backend):
    await register(backend, "CP-LATER")
    status, problem = await api(backend, "POST", "/api/v1/charge-points/CP-LATER/commands/Reset?queue=false",
                                {"type": "Soft"})
    assert status == 409, problem
    first = await send(backend, "CP-LATER", "Reset", {"type": "Soft"})
    second = await send(backend, "CP-LATER", "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "30"})
    for command_id in (first, second):
        status, command = await api(backend, "GET", f"/api/v1/commands/{command_id}")
        assert command["state"] == "queued", command
    async with commanded(backend, "CP-LATER") as cp:
        one, two = await finished(backend, first), await finished(backend, second)
        assert (one["state"], two["state"]) == ("answered", "answered"), (one, two)
        assert cp.asked == [("Reset", "Soft"), ("ChangeConfiguration", "MeterValueSampleInterval")]


async def test_bad_commands_are_refused(backend):
    await register(backend, "CP-REFUSE")
    status, problem = await api(backend, "POST", "/api/v1/charge-points/CP-REFUSE/commands/Reset", {"type": "Warm"})
    assert status == 400 and "type" in problem["detail"], problem
    status, problem = await api(backend, "POST", "/api/v1/charge-points/CP-REFUSE/commands/Heartbeat", {})
    assert status == 404, problem
    status, problem = await api(backend, "POST", "/api/v1/charge-points/CP-NOBODY/commands/Reset", {"type": "Soft"})
    assert status == 404, problem

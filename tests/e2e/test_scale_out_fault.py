"""One of two hosts is killed with SIGKILL while stations keep sending, and started again.
Whatever a station got a CALLRESULT for must be in the database afterwards, no transaction id
may be handed out twice, and every station must boot again. The verdict does not depend on
when the kill lands: each station only counts what it was answered."""

import asyncio
import os
import subprocess
import uuid

import pytest
import websockets
from ocpp.v16 import call

import harness
from conftest import ChargePoint

if not os.environ.get(harness.DATABASE_URL_ENV):
    pytest.skip(f"needs {harness.DATABASE_URL_ENV}; scripts/test runs this in its PostgreSQL pass",
                allow_module_level=True)

pytestmark = pytest.mark.parametrize("backend", ["scale-out"], indirect=True)

STATIONS = 8
VALUES_BEFORE = 10
VALUES_AFTER = 10


class Station:
    """A station that reconnects and boots again whenever its socket or a call fails."""

    def __init__(self, backend, cp_id):
        self.backend, self.cp_id = backend, cp_id
        self.answered: list[str] = []  # message ids that got a CALLRESULT
        self.boots = 0
        self.transaction_id = None
        self.ws = self.cp = self.task = None

    async def connect(self):
        await self.close()
        self.ws = await websockets.connect(f"{self.backend.ws_url}/{self.cp_id}", subprotocols=["ocpp1.6"],
                                           open_timeout=10)
        self.cp = ChargePoint(self.cp_id, self.ws, response_timeout=5)
        self.task = asyncio.create_task(self.cp.start())
        await self.send(call.BootNotification(charge_point_model="M", charge_point_vendor="V"))
        self.boots += 1

    async def close(self):
        if self.task:
            self.task.cancel()
        if self.ws:
            await self.ws.close()
        self.ws = self.cp = self.task = None

    async def send(self, payload, message_id=None):
        message_id = message_id or uuid.uuid4().hex
        # A CALLERROR raises: it is not an answer this test counts.
        answer = await self.cp.call(payload, suppress=False, unique_id=message_id)
        self.answered.append((message_id, type(payload).__name__))
        return answer

    async def call(self, payload, attempts=20):
        """Sends until answered, as a retransmission (same message id) after a failure, which
        means a new socket and a new boot first."""
        message_id = uuid.uuid4().hex
        failure = None
        for _ in range(attempts):
            try:
                if self.cp is None:
                    await self.connect()
                return await self.send(payload, message_id)
            except Exception as e:  # a dead host shows as a timeout, a closed socket or a refusal
                failure = e
                await self.close()
                await asyncio.sleep(0.2)
        raise AssertionError(f"{self.cp_id}: no answer after {attempts} attempts, the last: {failure!r}")

    async def meter_values(self, count, start_wh):
        for i in range(count):
            await self.call(call.MeterValues(connector_id=1, transaction_id=self.transaction_id, meter_value=[{
                "timestamp": f"2026-12-03T10:{i:02d}:00Z",
                "sampledValue": [{"value": str(start_wh + i), "measurand": "Energy.Active.Import.Register",
                                  "unit": "Wh"}]}]))


def psql(backend, sql):
    url = harness.postgres_for(backend.state_dir)["database_url"]
    out = subprocess.run(["psql", url, "-Atc", sql], capture_output=True, text=True, check=True)
    return out.stdout.strip()


async def test_killing_a_host_loses_nothing_answered_and_every_station_boots_again(backend):
    status, body = backend.api("PUT", "/api/v1/id-tags/FAULT", {"status": "Accepted"})
    assert status in (200, 201), body
    stations = [Station(backend, f"FAULT-{i}") for i in range(STATIONS)]

    async def start(s):
        answer = await s.call(call.StartTransaction(connector_id=1, id_tag="FAULT", meter_start=0,
                                                    timestamp="2026-12-03T09:59:00Z"))
        s.transaction_id = answer.transaction_id

    await asyncio.gather(*(start(s) for s in stations))
    await asyncio.gather(*(s.meter_values(VALUES_BEFORE, 1000) for s in stations))

    killed, _, _ = backend.hosts[0]
    boots_before = sum(s.boots for s in stations)
    traffic = asyncio.gather(*(s.meter_values(VALUES_AFTER, 2000) for s in stations))
    await asyncio.sleep(0.3)
    killed.kill()
    killed.wait()
    await traffic
    backend.restart_host(0)
    # Every station boots again on a new socket, wherever Pushpin sends it now.
    for s in stations:
        await s.connect()
    await asyncio.gather(*(s.meter_values(2, 3000) for s in stations))
    for s in stations:
        await s.call(call.StopTransaction(meter_stop=3001, timestamp="2026-12-03T11:00:00Z",
                                          transaction_id=s.transaction_id))
        await s.close()

    answered = [(s.cp_id, m, action) for s in stations for m, action in s.answered]
    ids = ",".join(f"('{cp}','{m}','{action}')" for cp, m, action in answered)
    missing = psql(backend, f"SELECT a.action, count(*) FROM (VALUES {ids}) AS a(cp, m, action) WHERE NOT EXISTS "
                            "(SELECT 1 FROM processed_messages p WHERE p.charge_point_id = a.cp AND p.message_id = a.m) "
                            "GROUP BY a.action ORDER BY a.action")
    transaction_ids = [s.transaction_id for s in stations]
    stored = int(psql(backend, "SELECT count(*) FROM transactions WHERE charge_point_id LIKE 'FAULT-%'"))
    samples = int(psql(backend, "SELECT count(*) FROM meter_values WHERE charge_point_id LIKE 'FAULT-%' "
                                "AND source = 'MeterValues'"))
    boots_after = sum(s.boots for s in stations) - boots_before
    print(f"\nfault: {len(answered)} messages answered, not in the database: {missing or 'none'}; "
          f"{stored} transactions stored for {STATIONS} stations, ids {sorted(transaction_ids)}; "
          f"{samples} meter samples; {boots_after} boots after the kill")
    assert missing == "", missing
    assert len(set(transaction_ids)) == STATIONS
    assert stored == STATIONS
    # Retransmissions carry their first id: a sample stored before its answer was lost is
    # not stored again.
    assert samples == STATIONS * (VALUES_BEFORE + VALUES_AFTER + 2)
    assert all(s.boots >= 2 for s in stations)
